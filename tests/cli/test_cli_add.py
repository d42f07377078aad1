"""`learning-fs init` and `learning-fs add …`: files land where the format says, one commit each, with trailers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from click.testing import Result

from learning_fs import MemoryRepo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def data(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def commit_count(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def test_init_creates_a_memory_repository_and_is_idempotent(tmp_path, invoke):
    target = tmp_path / "mem"
    first = invoke("--repo", str(target), "init")
    assert first.exit_code == 0, first.output
    assert (target / "learning_fs.yaml").is_file() and (target / ".git").is_dir()
    assert ".learning_fs/" in (target / ".gitignore").read_text()
    again = invoke("init", str(target))  # PATH argument instead of --repo
    assert again.exit_code == 0
    assert "already a memory repository" in again.stdout
    assert commit_count(target) == 1


def test_commands_refuse_a_folder_that_is_not_a_memory_repository(tmp_path, invoke):
    outer = tmp_path / "project"
    (outer / "memory_repo").mkdir(parents=True)
    git(outer, "init", "-q")
    result = invoke("--repo", str(outer / "memory_repo"), "add", "learning", "--title", "T", "text")
    assert result.exit_code == 1
    assert "not a memory repository" in result.stderr and "init" in result.stderr
    # git would have found the enclosing project repository; nothing may be written there
    assert git(outer, "status", "--porcelain") == "" and not (outer / "learnings").exists()


def test_add_learning_writes_one_commit_with_cli_trailers(lfs, repo_dir):
    result = lfs("add", "learning", "--title", "Prefer uv", "--namespace", "team-a", "--tag", "ci", "--tag", "python",
                 "--context", "CI was slow", "--user", "alice", "--session", "s-1", "--agent", "bot",
                 "Install packages with uv in CI.")
    assert result.exit_code == 0, result.output
    [record] = data(lfs("ls", "--json"))
    assert record["kind"] == "learning" and record["namespace"] == "team-a"
    assert record["path"].startswith("learnings/team-a/") and record["path"].endswith("/prefer-uv.md")
    text = (repo_dir / record["path"]).read_text()
    assert "# Prefer uv\n\nInstall packages with uv in CI.\n" in text
    assert "## Context\nCI was slow" in text and "- ci\n- python\n" in text
    [last, _init] = data(lfs("log", "--json"))
    assert last["subject"] == "Add learning: Prefer uv"
    assert last["trailers"] == {
        "Learning-Store": "cli", "Learning-Mode": "manual", "Learning-User": "alice", "Learning-Session": "s-1",
        "Learning-Agent": "bot", "Learning-Kind": "learning", "Learning-Record": record["id"],
    }
    shown = data(lfs("show", record["id"], "--json"))
    assert shown["source"] == {"user": "alice", "session": "s-1", "agent": "bot", "mode": "manual", "store": "cli"}


def test_add_learning_reads_text_from_stdin(lfs, repo_dir):
    result = lfs("add", "learning", "--title", "Long one", "-", input="Line one.\n\nLine two.\n")
    assert result.exit_code == 0, result.output
    [record] = data(lfs("ls", "--json"))
    assert "Line one.\n\nLine two." in (repo_dir / record["path"]).read_text()


def test_private_learning_needs_a_user(lfs):
    result = lfs("add", "learning", "--title", "Mine", "--namespace", "user", "text")
    assert result.exit_code == 1
    assert "needs a user" in result.stderr and "Traceback" not in result.output
    ok = lfs("add", "learning", "--title", "Mine", "--namespace", "user", "--user", "bob", "text")
    assert ok.exit_code == 0
    [record] = data(lfs("ls", "--user", "bob", "--json"))
    assert record["path"].startswith("users/") and "/bob/learnings/" in record["path"]


def test_add_memory_appends_to_the_users_file_and_skips_repeats(lfs, repo_dir):
    assert lfs("add", "memory", "--user", "alice", "Likes green tea.").exit_code == 0
    assert lfs("add", "memory", "--user", "alice", "--session", "s-9", "Works in Berlin.").exit_code == 0
    commits = commit_count(repo_dir)
    repeat = lfs("add", "memory", "--user", "alice", "likes  GREEN tea.")
    assert repeat.exit_code == 0 and "nothing changed" in repeat.stdout
    assert commit_count(repo_dir) == commits
    [record] = data(lfs("ls", "--kind", "memories", "--json"))
    assert record["user"] == "alice" and record["namespace"] == "user"
    lines = [line for line in (repo_dir / record["path"]).read_text().splitlines() if line.startswith("- ")]
    assert len(lines) == 2
    assert lines[0].startswith("- Likes green tea. <!-- id=m-")
    assert lines[1].startswith("- Works in Berlin. <!-- id=m-") and "session=s-9" in lines[1]
    [last, *_] = data(lfs("log", "--json"))
    assert last["trailers"]["Learning-User"] == "alice" and last["trailers"]["Learning-Session"] == "s-9"


def test_add_fact_and_events_build_one_entity_file(lfs, repo_dir):
    assert lfs("add", "fact", "--entity", "Acme Corp", "--type", "company", "Runs PostgreSQL 16.").exit_code == 0
    assert lfs("add", "event", "--entity", "acme corp", "--date", "2026-10-01", "Renewed the contract.").exit_code == 0
    assert lfs("add", "event", "--entity", "Acme Corp", "--date", "2019-03-01", "Founded.").exit_code == 0
    [entity] = data(lfs("ls", "--kind", "entity", "--json"))
    text = (repo_dir / entity["path"]).read_text()
    assert "entity_type: company" in text and "name: Acme Corp" in text
    assert "## Facts\n- Runs PostgreSQL 16. <!-- id=f-" in text
    events = [line for line in text.splitlines() if line.startswith("- 20")]
    assert [e[:13] for e in events] == ["- 2019-03-01:", "- 2026-10-01:"]  # a timeline, in date order
    bad = lfs("add", "event", "--entity", "Acme Corp", "--date", "01/10/2026", "x")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr


def test_relationship_is_written_on_both_ends_in_one_commit(lfs, repo_dir):
    assert lfs("add", "fact", "--entity", "Alice", "--type", "person", "Data engineer.").exit_code == 0
    before = commit_count(repo_dir)
    result = lfs("add", "relationship", "--entity", "Alice", "--relation", "works_at", "--target", "Acme Corp",
                 "--note", "data team")
    assert result.exit_code == 0, result.output
    assert commit_count(repo_dir) == before + 1
    changed = git(repo_dir, "show", "--name-only", "--format=", "HEAD").split()
    assert len(changed) == 2
    texts = {path: (repo_dir / path).read_text() for path in changed}
    alice = next(t for t in texts.values() if "name: Alice" in t)
    acme = next(t for t in texts.values() if "name: Acme Corp" in t)  # created because it was missing
    assert "- works_at [[acme-corp|Acme Corp]]: data team <!-- id=r-" in alice  # opens acme-corp.md in Obsidian
    assert "- employs [[Alice]]: data team <!-- id=r-" in acme
    custom = lfs("add", "relationship", "--entity", "Alice", "--relation", "mentors", "--target", "Bob",
                 "--inverse", "mentored_by")
    assert custom.exit_code == 0
    bob = next(r for r in data(lfs("ls", "--json")) if r["title"] == "Bob")
    assert "- mentored_by [[Alice]]" in (repo_dir / bob["path"]).read_text()
    itself = lfs("add", "relationship", "--entity", "Alice", "--relation", "knows", "--target", "alice")
    assert itself.exit_code == 1 and "itself" in itself.stderr


def test_add_decision_with_alternatives_and_confidence(lfs, repo_dir):
    result = lfs("add", "decision", "--title", "Use Postgres", "--reasoning", "Team knows it",
                 "--alternative", "MySQL", "--alternative", "SQLite", "--confidence", "0.8", "Store orders in PG.")
    assert result.exit_code == 0, result.output
    [record] = data(lfs("ls", "--kind", "decision", "--json"))
    shown = data(lfs("show", record["path"], "--json"))
    assert shown["confidence"] == 0.8 and shown["decision"] == "Store orders in PG."
    assert [a["text"] for a in shown["alternatives"]] == ["MySQL", "SQLite"]
    assert "## Reasoning\nTeam knows it" in (repo_dir / record["path"]).read_text()
    out_of_range = lfs("add", "decision", "--title", "X", "--confidence", "1.5", "text")
    assert out_of_range.exit_code == 2


def test_library_writes_leave_git_status_clean(lfs, repo_dir):
    lfs("add", "learning", "--title", "A", "text")
    lfs("add", "relationship", "--entity", "A", "--relation", "uses", "--target", "B")
    assert git(repo_dir, "status", "--porcelain") == ""
    MemoryRepo(repo_dir).close()
    assert subprocess.run(["git", "fsck", "--strict"], cwd=repo_dir, capture_output=True).returncode == 0
