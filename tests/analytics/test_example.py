"""``learning-fs example``: the example repository is real, complete, and the same commit for commit every time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from learning_fs.analytics import History, editors, human_edits, proposals
from learning_fs.cli import cli
from learning_fs.example import build_example

ROOT = Path(__file__).resolve().parents[2]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return build_example(tmp_path_factory.mktemp("example") / "memory")


def test_the_same_seed_gives_the_same_commits_in_another_process(example, tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Auckland"}
    code = "from learning_fs.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code, "example", str(tmp_path / "again"), "--json"],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert git(tmp_path / "again", "rev-parse", "HEAD") == git(example.path, "rev-parse", "HEAD")
    assert git(tmp_path / "again", "log", "--format=%H", "--all") == git(example.path, "log", "--format=%H", "--all")


def test_another_seed_gives_another_history(example, tmp_path):
    other = build_example(tmp_path / "other", seed=8)
    assert other.head != example.head and other.commits == example.commits


def test_the_history_has_what_the_notebooks_show(example):
    history = History.load(example.path)
    assert example.commits == 92 and example.proposals == {"approved": 7, "rejected": 2, "open": 2}
    states = proposals(history)["state"].value_counts().to_dict()
    assert states == {"approved": 7, "rejected": 2, "open": 2}
    assert set(human_edits(history)["author"]) == {"Dana Reviewer", "Sam Ops"}
    assert history.commits["store"].eq("curator").sum() == 1
    weeks = editors(history, freq="W")
    assert len(weeks) == 6 and (weeks["library"] > 0).all()  # six weeks, learning every week
    first, last = history.commits["date"].min(), history.commits["date"].max()
    assert str(first.date()) == "2025-03-03" and (last - first).days == 39


def test_the_repository_is_valid_and_clean(example):
    assert git(example.path, "status", "--porcelain") == ""
    subprocess.run(["git", "fsck", "--no-progress"], cwd=example.path, check=True, capture_output=True)
    result = CliRunner().invoke(cli, ["--repo", str(example.path), "validate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_recalls_are_recorded_at_story_time(example):
    from learning_fs.analytics import recall_hits

    hits = recall_hits(History.load(example.path))
    assert len(hits) > 20 and hits["last_recalled"].max().year == 2025


def test_an_existing_build_is_refused_unless_forced(example, tmp_path):
    result = CliRunner().invoke(cli, ["example", str(example.path)])
    assert result.exit_code == 1 and "--force" in result.stderr
    target = tmp_path / "kept"
    target.mkdir()
    (target / "README.md").write_text("mine\n")
    build_example(target)
    rebuilt = build_example(target, force=True)
    assert rebuilt.head == example.head and (target / "README.md").read_text() == "mine\n"


def test_the_committed_memory_repo_matches_a_fresh_build(example):
    """memory_repo/ holds the example's files: regenerate with `learning-fs example memory_repo --force`."""
    shipped = ROOT / "memory_repo"
    built = sorted(git(example.path, "ls-files").split("\n")[:-1])
    committed = sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*")
                       if p.is_file() and ".git" not in p.relative_to(shipped).parts
                       and p.relative_to(shipped).parts[0] != ".learning_fs" and p.name != "README.md")
    assert committed == built
    for path in built:
        assert (shipped / path).read_bytes() == (example.path / path).read_bytes(), path
