"""``learning-fs curate``: dry run, commit, propose, and ``learning-fs revert`` of a run (index included)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from learning_fs.cli import cli
from learning_fs.format import Item, MemoriesRecord, record_path
from learning_fs.format.frontmatter import format_timestamp
from learning_fs.repo import MemoryRepo
from tests.curate.helpers import git, head, learning, memories, memory, snapshot_files, tree_of

MEMORIES = record_path(MemoriesRecord(user="alice"))


def lfs(repo: MemoryRepo, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--repo", str(repo.root), *args], prog_name="learning-fs",
                              catch_exceptions=False)


@pytest.fixture
def planted(repo: MemoryRepo) -> MemoryRepo:
    repo.write(memories("alice", memory("m-1", "city: Berlin", 40), memory("m-2", "Likes tea", 30),
                        memory("m-3", "likes tea!", 20), memory("m-4", "city: Lisbon", 2)))
    repo.write(learning("Use uv", "Use uv in CI.", 40))
    repo.write(learning("use UV", "Use uv in CI", 4))
    repo.flush()
    return repo


def test_dry_run_prints_the_plan_and_the_diff_and_writes_nothing(planted: MemoryRepo) -> None:
    before_head, before_files = head(planted), snapshot_files(planted.root)

    result = lfs(planted, "curate", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Curate all: merged 2, superseded 1" in result.output
    assert "merge m-3 into m-2" in result.output and "--- a/users/2b/alice/memories.md" in result.output
    assert "dry run: nothing was written" in result.output
    assert head(planted) == before_head and snapshot_files(planted.root) == before_files


def test_curate_commits_once_and_revert_undoes_it(planted: MemoryRepo) -> None:
    before_tree = tree_of(planted)

    result = lfs(planted, "curate", "--exact-only")

    assert result.exit_code == 0, result.output
    sha = git(planted, "rev-parse", "--short=10", "HEAD").strip()
    assert f"commit {sha} Curate all: merged 2, superseded 1" in result.output
    assert f"undo with: learning-fs revert {sha}" in result.output
    assert tree_of(planted) != before_tree

    undo = lfs(planted, "revert", sha)

    assert undo.exit_code == 0, undo.output
    assert tree_of(planted) == before_tree
    assert "- city: Berlin <!-- id=m-1" in (planted.root / MEMORIES).read_text()


def test_propose_opens_a_branch(planted: MemoryRepo) -> None:
    before = head(planted)

    result = lfs(planted, "curate", "--propose", "--user", "alice", "--json")

    data = json.loads(result.output)
    assert data["branch"] == "proposals/curate/user-alice" and data["proposal"] == "curate/user-alice"
    assert [a["op"] for a in data["actions"]] == ["merge", "supersede"]
    assert head(planted) == before
    assert git(planted, "log", "-1", "--format=%s", data["branch"]).startswith("Curate user alice:")


def test_policy_flags_reach_the_curator(repo: MemoryRepo) -> None:
    today = dt.datetime.now(dt.timezone.utc)  # the CLI curates as of now

    def aged(item_id: str, days: int) -> Item:
        return Item(id=item_id, text=f"Memory {item_id}", created=format_timestamp(today - dt.timedelta(days=days)))

    repo.write(memories("alice", aged("m-1", 400), aged("m-2", 40), aged("m-3", 2)))

    result = lfs(repo, "curate", "--dry-run", "--json", "--exact-only", "--max-age", "memory=30")

    data = json.loads(result.output)
    assert sorted(a["ids"][0] for a in data["actions"] if a["op"] == "prune") == ["m-1", "m-2"]
    assert "max_age_days.memory=30" in data["actions"][0]["reason"]
    assert data["dry_run"] and data["commit"] is None and "diff" in data


def test_bad_flags_are_refused(planted: MemoryRepo) -> None:
    assert lfs(planted, "curate", "--dry-run", "--propose").exit_code == 2
    assert "KIND=DAYS" in lfs(planted, "curate", "--max-age", "sessions").output


def test_the_index_follows_a_curation_and_its_revert(planted: MemoryRepo, tmp_path: Path) -> None:
    pytest.importorskip("learning_fs.index.service")
    assert lfs(planted, "index").exit_code == 0
    second = learning("use UV", "Use uv in CI", 4)  # the file the run deletes

    curated = lfs(planted, "curate", "--exact-only")
    assert curated.exit_code == 0, curated.output
    verify = lfs(planted, "index", "--verify")
    assert verify.exit_code == 0, verify.output  # the CLI indexed the curation commit as it landed
    hits = json.loads(lfs(planted, "search", "uv", "--json").output)
    assert second.title not in [hit.get("title") for hit in hits]

    sha = git(planted, "rev-parse", "HEAD").strip()
    assert lfs(planted, "revert", sha).exit_code == 0
    assert lfs(planted, "index").exit_code == 0  # catch up with the revert commit
    verify = lfs(planted, "index", "--verify")
    assert verify.exit_code == 0, verify.output
