"""git's own pull, rebase and cherry-pick merge record files as records once `init` / `install-hooks` ran.

Real git everywhere: a repository made by `learning-fs init`, a bare remote cloned twice, the
driver run by git itself as a subprocess (`python -m learning_fs.cli merge-file`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from learning_fs.cli import cli
from learning_fs.format import parse_record
from learning_fs.ops import validate_repo
from learning_fs.repo import MemoryRepo
from learning_fs.repo.mergedriver import ATTRIBUTE_LINES, driver_command

SOURCE = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _driver_runs_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """git runs the driver as a new Python process: it must import the code under test, not an installed copy."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])))


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False,
                            env={**os.environ, "GIT_EDITOR": "true"})
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result


def lfs(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--repo", str(root), *args], prog_name="learning-fs", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with MemoryRepo(root) as repo:  # git commands next: .git/index must show the library's commits
        repo.flush()
    return result.output


def validate(root: Path) -> list[str]:
    with MemoryRepo(root) as repo:
        return [str(p) for p in validate_repo(repo) if p.severity == "error"]


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of one bare remote, both set up with `install-hooks`, sharing a user and an entity."""
    origin = tmp_path / "origin"
    lfs(origin, "init")
    lfs(origin, "add", "memory", "--user", "alice", "Likes green tea.")
    lfs(origin, "add", "fact", "--entity", "Acme Corp", "--type", "company", "Bills monthly.")
    git(tmp_path, "clone", "-q", "--bare", str(origin), "remote.git")
    a, b = tmp_path / "a", tmp_path / "b"
    for clone in (a, b):
        git(tmp_path, "clone", "-q", "remote.git", clone.name)
        assert "merge.learning-fs.driver" in lfs(clone, "install-hooks")
    return a, b


def add_both(a: Path, b: Path) -> None:
    """Each clone adds a memory to alice, a fact and an event to Acme Corp; ``a`` pushes first."""
    for clone, who in ((a, "one"), (b, "two")):
        lfs(clone, "add", "memory", "--user", "alice", f"Memory from clone {who}.")
        lfs(clone, "add", "fact", "--entity", "Acme Corp", f"Fact from clone {who}.")
        lfs(clone, "add", "event", "--entity", "Acme Corp", "--date", "2026-0" + ("3" if who == "one" else "2")
            + "-01", f"Event from clone {who}.")
    git(a, "push", "-q", "origin", "main")


def assert_both_kept(root: Path) -> None:
    text = "\n".join(p.read_text() for p in root.rglob("*.md") if ".git" not in p.parts)
    for who in ("one", "two"):
        for thing in ("Memory", "Fact", "Event"):
            assert f"{thing} from clone {who}." in text
    assert "Likes green tea." in text and "<<<<<<<" not in text and "merge_conflict" not in text
    assert validate(root) == []
    assert git(root, "status", "--porcelain").stdout == ""


def test_init_commits_the_attributes_and_defines_the_driver(tmp_path: Path) -> None:
    root = tmp_path / "memory"
    lfs(root, "init")

    assert all(line in (root / ".gitattributes").read_text().splitlines() for line in ATTRIBUTE_LINES)
    assert ".gitattributes" in git(root, "ls-files").stdout
    assert git(root, "config", "merge.learning-fs.driver").stdout.strip() == driver_command()
    assert driver_command().startswith(sys.executable) or sys.executable in driver_command()
    assert git(root, "check-attr", "merge", "users/3e/alice/memories.md").stdout.strip().endswith("learning-fs")
    assert git(root, "check-attr", "merge", "README.md").stdout.strip().endswith("unspecified")


def test_git_pull_merges_concurrent_additions_without_a_conflict(clones: tuple[Path, Path]) -> None:
    a, b = clones
    add_both(a, b)

    result = git(b, "pull", "--no-rebase", "--no-edit", "-q", "origin", "main", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert_both_kept(b)
    entity = next(b.glob("entities/**/acme-corp.md"))
    events = [line for line in entity.read_text().splitlines() if "Event from" in line]
    assert [e.split(":")[0] for e in events] == ["- 2026-02-01", "- 2026-03-01"]  # still in date order


def test_git_pull_rebase_replays_onto_concurrent_additions(clones: tuple[Path, Path]) -> None:
    a, b = clones
    add_both(a, b)

    result = git(b, "pull", "--rebase", "-q", "origin", "main", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert_both_kept(b)
    assert git(b, "rev-list", "--merges", "HEAD").stdout == ""  # linear: a rebase, not a merge


def test_cherry_pick_of_a_concurrent_addition(clones: tuple[Path, Path]) -> None:
    a, b = clones
    add_both(a, b)
    git(b, "fetch", "-q", "origin")
    picked = git(b, "log", "--format=%H", "origin/main", "-3").stdout.split()

    for sha in reversed(picked):
        result = git(b, "cherry-pick", sha, check=False)
        assert result.returncode == 0, result.stdout + result.stderr

    assert_both_kept(b)


def test_a_true_conflict_leaves_a_valid_file_a_failed_merge_and_a_validate_message(
        clones: tuple[Path, Path]) -> None:
    a, b = clones
    path = next(a.glob("users/**/memories.md")).relative_to(a).as_posix()
    for clone, tea in ((a, "black"), (b, "white")):
        file = clone / path
        file.write_text(file.read_text().replace("Likes green tea.", f"Likes {tea} tea."))
        git(clone, "commit", "-qam", f"{tea} tea")
    git(a, "push", "-q", "origin", "main")

    result = git(b, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)

    assert result.returncode != 0 and "CONFLICT" in result.stdout
    text = (b / path).read_text()
    record = parse_record(text, path)
    assert record.memories[0].text == "Likes white tea."  # type: ignore[attr-defined]
    assert "Likes black tea." in text
    errors = validate(b)
    assert errors and all(e.startswith(f"{path}:") for e in errors)
    assert any("merge conflict" in e and "m-" in e for e in errors)
    git(b, "commit", "-qam", "record the conflict as it stands")  # a person may commit it: it still parses
    with MemoryRepo(b) as repo:
        assert repo.read(path).extra["merge_conflict"] is True


def test_the_driver_command_exits_non_zero_on_a_conflict_and_zero_when_merged(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    start = "---\nid: mem-aaaaaaaaaa\nkind: memories\nuser: alice\n---\n\n## Memories\n- a <!-- id=m-1 -->\n"
    base.write_text(start)
    ours.write_text(start + "- b <!-- id=m-2 -->\n")
    theirs.write_text(start + "- c <!-- id=m-3 -->\n")
    run = [sys.executable, "-m", "learning_fs.cli", "merge-file", str(base), str(ours), str(theirs),
           "users/3e/alice/memories.md"]

    assert subprocess.run(run, capture_output=True, check=False).returncode == 0
    assert [line.split(" <!--")[0] for line in ours.read_text().splitlines() if line.startswith("- ")] == [
        "- a", "- b", "- c"]
    ours.write_text(start.replace("- a ", "- A "))
    theirs.write_text(start.replace("- a ", "- Z "))
    done = subprocess.run(run, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "users/3e/alice/memories.md:" in done.stderr
    assert parse_record(ours.read_text(), "users/3e/alice/memories.md").extra["merge_conflict"] is True


def test_install_hooks_in_a_clone_of_an_old_repository_uses_the_local_attributes(tmp_path: Path) -> None:
    old = tmp_path / "old"
    MemoryRepo.init(old).close()  # made by the library alone: no .gitattributes committed
    git(tmp_path, "clone", "-q", str(old), "clone")
    clone = tmp_path / "clone"

    out = lfs(clone, "install-hooks")

    assert ".git/info/attributes" in out
    assert git(clone, "check-attr", "merge", "entities/global/00/x.md").stdout.strip().endswith("learning-fs")
    assert git(clone, "status", "--porcelain").stdout == ""  # nothing committed or left dirty
    assert "already installed" in lfs(clone, "install-hooks")
