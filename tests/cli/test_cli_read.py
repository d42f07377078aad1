"""`show`, `ls`, `log`, `revert`, `--repo`/`LEARNING_FS_REPO`, and errors at the command edge."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from click.testing import Result


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def data(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_show_prints_the_file_by_id_or_path(lfs, repo_dir):
    lfs("add", "learning", "--title", "Prefer uv", "Use uv.")
    [record] = data(lfs("ls", "--json"))
    by_id = lfs("show", record["id"])
    assert by_id.exit_code == 0
    assert by_id.stdout == (repo_dir / record["path"]).read_text()  # piped: the exact file
    by_path = lfs("show", str(repo_dir / record["path"]))  # absolute path works too
    assert by_path.stdout == by_id.stdout
    shown = data(lfs("show", record["path"], "--json"))
    assert shown["kind"] == "learning" and shown["title"] == "Prefer uv" and shown["learning"] == "Use uv."


def test_show_at_reads_the_past(lfs, repo_dir):
    lfs("add", "fact", "--entity", "Acme", "Runs PG 15.")
    [first, *_] = data(lfs("log", "--json"))
    lfs("add", "fact", "--entity", "Acme", "Bills in EUR.")
    [entity] = data(lfs("ls", "--json"))
    then = data(lfs("show", entity["id"], "--at", first["sha"], "--json"))
    now = data(lfs("show", entity["id"], "--json"))
    assert [f["text"] for f in then["facts"]] == ["Runs PG 15."]
    assert [f["text"] for f in now["facts"]] == ["Runs PG 15.", "Bills in EUR."]
    assert "Bills in EUR." not in lfs("show", entity["path"], "--at", first["sha"]).stdout


def test_show_unknown_record_is_a_clean_error(lfs):
    result = lfs("show", "lrn-doesnotexist")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "lrn-doesnotexist" in result.stderr
    outside = lfs("show", "../../etc/passwd.md")
    assert outside.exit_code == 1 and "outside" in outside.stderr


def test_ls_filters_by_kind_namespace_and_user(lfs):
    lfs("add", "learning", "--title", "Shared", "--namespace", "team-a", "text")
    lfs("add", "learning", "--title", "Global one", "text")
    lfs("add", "memory", "--user", "alice", "Likes tea.")
    lfs("add", "fact", "--entity", "Acme", "A fact.")
    everything = data(lfs("ls", "--json"))
    assert sorted(r["kind"] for r in everything) == ["entity", "learning", "learning", "memories"]
    assert [r["title"] for r in data(lfs("ls", "--namespace", "team-a", "--json"))] == ["Shared"]
    assert [r["kind"] for r in data(lfs("ls", "--user", "alice", "--json"))] == ["memories"]
    assert [r["title"] for r in data(lfs("ls", "--kind", "entity", "--json"))] == ["Acme"]
    table = lfs("ls")
    assert table.exit_code == 0
    assert "Global one" in table.stdout and "user:alice" in table.stdout


def test_ls_reports_a_broken_file_and_lists_the_rest(lfs, repo_dir):
    lfs("add", "learning", "--title", "Good", "text")
    broken = repo_dir / "learnings" / "global" / "00" / "broken.md"
    broken.parent.mkdir(parents=True)
    broken.write_text("---\nid: lrn-x\nkind: learning\ntitle: a: b\n---\n\n# x\n")
    result = lfs("ls", "--json")
    assert result.exit_code == 0
    assert [r["title"] for r in json.loads(result.stdout)] == ["Good"]
    assert "learnings/global/00/broken.md:4" in result.stderr


def test_log_of_the_repository_and_of_one_record(lfs):
    lfs("add", "learning", "--title", "One", "text")
    lfs("add", "memory", "--user", "alice", "Likes tea.")
    lfs("add", "memory", "--user", "alice", "Works in Berlin.")
    commits = data(lfs("log", "--json"))
    assert [c["subject"] for c in commits][:3] == [
        "Remember about alice: Works in Berlin.", "Remember about alice: Likes tea.", "Add learning: One"]
    assert len(data(lfs("log", "-n", "2", "--json"))) == 2
    [memories] = data(lfs("ls", "--kind", "memories", "--json"))
    assert len(data(lfs("log", memories["id"], "--json"))) == 2
    assert len(data(lfs("log", memories["path"], "--json"))) == 2
    text = lfs("log").stdout
    assert "Learning-Store: cli" in text and "Learning-User: alice" in text


def test_revert_undoes_one_commit(lfs, repo_dir):
    lfs("add", "memory", "--user", "alice", "Likes tea.")
    lfs("add", "memory", "--user", "alice", "Prefers Java.")  # the mistake
    [mistake, *_] = data(lfs("log", "--json"))
    result = lfs("revert", mistake["sha"][:10])
    assert result.exit_code == 0, result.output
    [undo, *_] = data(lfs("log", "--json"))
    assert undo["subject"] == 'Revert "Remember about alice: Prefers Java."'
    [memories] = data(lfs("ls", "--kind", "memories", "--json"))
    text = (repo_dir / memories["path"]).read_text()
    assert "Likes tea." in text and "Prefers Java." not in text
    assert git(repo_dir, "status", "--porcelain") == ""
    missing = lfs("revert", "0123456789abcdef")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")


def test_repo_comes_from_the_option_or_the_environment(tmp_path, invoke):
    target = tmp_path / "via-env"
    assert invoke("init", env={"LEARNING_FS_REPO": str(target)}).exit_code == 0
    added = invoke("add", "learning", "--title", "From env", "text", env={"LEARNING_FS_REPO": str(target)})
    assert added.exit_code == 0
    [record] = data(invoke("--repo", str(target), "ls", "--json"))
    assert record["title"] == "From env"
    other = tmp_path / "via-option"
    invoke("--repo", str(other), "init")
    listed = invoke("--repo", str(other), "ls", "--json", env={"LEARNING_FS_REPO": str(target)})
    assert data(listed) == []  # the option wins over the environment


def test_default_repo_is_memory_repo_in_the_current_directory(tmp_path, invoke, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("init").exit_code == 0
    assert (tmp_path / "memory_repo" / "learning_fs.yaml").is_file()
