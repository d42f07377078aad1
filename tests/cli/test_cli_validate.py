"""`learning-fs validate`: every planted mistake is reported as `file:line: message`, exit 1; clean repo exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learning_fs import MemoryRepo
from learning_fs.ops import validate_repo


def plant(repo: Path, path: str, text: str) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


@pytest.fixture
def filled(lfs, repo_dir: Path) -> Path:
    lfs("add", "learning", "--title", "Prefer uv", "Use uv.")
    lfs("add", "memory", "--user", "alice", "Likes tea.")
    lfs("add", "relationship", "--entity", "Alice", "--relation", "works_at", "--target", "Acme")
    lfs("add", "decision", "--title", "Use PG", "--alternative", "MySQL", "Store in PG.")
    return repo_dir


def test_a_clean_repository_passes(lfs, filled):
    result = lfs("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "4 files checked: 0 errors, 0 warnings" in result.stderr or "5 files checked" in result.stderr
    report = json.loads(lfs("validate", "--json").stdout)
    assert report["ok"] is True and report["errors"] == 0 and report["problems"] == []


def test_broken_yaml_names_file_and_line(lfs, filled):
    plant(filled, "learnings/global/00/broken.md", "---\nid: lrn-broken\nkind: learning\ntitle: a: b\n---\n\n# b\n")
    result = lfs("validate")
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{filled / 'learnings/global/00/broken.md'}:4: ") or \
        line.endswith("learnings/global/00/broken.md:4: invalid YAML frontmatter: mapping values are not allowed "
                      "in this context")
    report = json.loads(lfs("validate", "--json").stdout)
    assert report["ok"] is False
    assert report["problems"] == [{"path": "learnings/global/00/broken.md", "line": 4, "severity": "error",
                                   "message": "invalid YAML frontmatter: mapping values are not allowed in this "
                                              "context"}]


@pytest.mark.parametrize(("path", "text", "line", "message"), [
    ("entities/global/00/wrong-kind.md",
     "---\nid: lrn-wrongkind\nkind: learning\ntitle: Misplaced\n---\n\n# Misplaced\n\nText.\n",
     3, "a learning record in a folder for entity records"),
    ("learnings/global/00/private.md",
     "---\nid: lrn-private1\nkind: learning\ntitle: Private\nnamespace: user\nuser: bob\n---\n\n# Private\n\nText.\n",
     5, "a private record (namespace 'user') outside users/"),
    ("users/2b/alice/learnings/shared.md",
     "---\nid: lrn-shared01\nkind: learning\ntitle: Shared\nnamespace: global\n---\n\n# Shared\n\nText.\n",
     5, "a shared record (namespace 'global') inside users/"),
    ("users/00/bob/learnings/owner.md",
     "---\nid: lrn-owner001\nkind: learning\ntitle: Owner\nnamespace: user\nuser: alice\n---\n\n# Owner\n\nText.\n",
     6, "belongs to user 'alice', whose folder is users/2b/alice/"),
    ("learnings/team-b/00/ns.md",
     "---\nid: lrn-namespc1\nkind: learning\ntitle: NS\nnamespace: team-a\n---\n\n# NS\n\nText.\n",
     5, "namespace 'team-a' belongs in learnings/team-a/, not learnings/team-b/"),
    ("learnings/global/00/no-title.md",
     "---\nid: lrn-notitle1\nkind: learning\n---\n\n# x\n\nText.\n",
     1, "missing required field 'title'"),
    ("learnings/global/00/no-kind.md", "---\nid: lrn-nokind01\ntitle: T\n---\n", 1, "frontmatter has no 'kind'"),
    ("entities/global/00/bad-items.md",
     "---\nid: ent-baditems\nkind: entity\nname: Bad items\n---\n\n# Bad items\n\n## Events\n- sometime: joined\n",
     10, "an event needs a date"),
    ("entities/global/00/bad-link.md",
     "---\nid: ent-badlink1\nkind: entity\nname: Bad link\n---\n\n# Bad link\n\n## Relationships\n- knows Bob\n",
     10, "a relationship needs a target"),
    ("entities/global/00/dup-items.md",
     "---\nid: ent-dupitems\nkind: entity\nname: Dup\n---\n\n# Dup\n\n## Facts\n"
     "- A <!-- id=f-1 -->\n- B <!-- id=f-1 -->\n",
     10, "item id f-1 repeats line 10"),
    ("learnings/global/00/bad-time.md",
     "---\nid: lrn-badtime1\nkind: learning\ntitle: T\ncreated: yesterday\n---\n\n# T\n\nText.\n",
     5, "created must be an ISO 8601 date or time, not 'yesterday'"),
    ("learnings/global/00/bad-status.md",
     "---\nid: lrn-badstat1\nkind: learning\ntitle: T\nstatus: deleted\n---\n\n# T\n\nText.\n",
     5, "status: Input should be 'active', 'superseded' or 'expired'"),
])
def test_format_rules_are_reported_at_their_line(lfs, filled, path, text, line, message):
    plant(filled, path, text)
    result = lfs("validate", "--json")
    assert result.exit_code == 1
    problems = [p for p in json.loads(result.stdout)["problems"] if p["severity"] == "error"]
    assert [(p["path"], p["line"]) for p in problems] == [(path, line)], problems
    assert problems[0]["message"].startswith(message)
    printed = lfs("validate").stdout
    assert f"{path}:{line}: {message}" in printed


def test_duplicate_ids_across_files(lfs, filled):
    [learning] = [r for r in json.loads(lfs("ls", "--json").stdout) if r["kind"] == "learning"]
    copy = (filled / learning["path"]).read_text().replace("Prefer uv", "Copied")
    plant(filled, "learnings/global/00/copied.md", copy)
    report = json.loads(lfs("validate", "--json").stdout)
    [problem] = report["problems"]
    assert problem["line"] == 2 and f"id {learning['id']} is also used by" in problem["message"]


def test_warnings_do_not_fail_unless_strict(lfs, filled):
    plant(filled, "entities/global/00/dangling.md",
          "---\nid: ent-dangling\nkind: entity\nname: Dangling\n---\n\n# Dangling\n\n## Relationships\n"
          "- knows [[Nobody]]\n")
    result = lfs("validate")
    assert result.exit_code == 0
    assert "entities/global/00/dangling.md:10: warning: [[Nobody]] names no entity" in result.stdout
    assert lfs("validate", "--strict").exit_code == 1


def test_validate_repo_is_a_library_function(filled):
    plant(filled, "learnings/global/00/broken.md", "---\nkind: [\n---\n")
    with MemoryRepo(filled) as repo:
        problems = validate_repo(repo)
    assert [(p.path, p.severity) for p in problems] == [("learnings/global/00/broken.md", "error")]
    assert str(problems[0]).startswith("learnings/global/00/broken.md:")
