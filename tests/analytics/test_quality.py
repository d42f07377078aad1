"""Curation effect, context size, staleness, profile completeness and recall hits of the known history."""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest

from learning_fs.analytics import (
    History,
    curation_effect,
    current_files,
    profile_completeness,
    recall_hits,
    stale_over_time,
    tokens_over_time,
)
from learning_fs.format.layout import kind_from_path


@pytest.fixture(scope="module")
def history(known_repo):
    return History.load(known_repo.root)


def record_bytes(root, commit: str, owner: str | None = None) -> int:
    """Total size of record files at a commit, straight from ``git ls-tree`` (an independent count)."""
    out = subprocess.run(["git", "ls-tree", "-r", "-l", commit], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    total = 0
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        if kind_from_path(path) and (owner is None or path.split("/")[2:3] == [owner]):
            total += int(meta.split()[3])
    return total


def test_curation_effect_counts_records_tokens_and_operations(history, known_repo):
    [row] = curation_effect(history).to_dict("records")
    sha = known_repo.shas["curation"]
    assert row["sha"] == sha and row["subject"] == "Curate all: merged 1"
    assert (row["records_before"], row["records_after"], row["files_changed"]) == (5, 5, 1)
    assert row["tokens_before"] == -(-record_bytes(known_repo.root, f"{sha}~1") // 4)
    assert row["tokens_after"] == -(-record_bytes(known_repo.root, sha) // 4)
    assert row["tokens_after"] < row["tokens_before"]
    assert (row["merge"], row["supersede"], row["prune"]) == (1, 0, 0)


def test_tokens_per_user_match_the_files(history, known_repo):
    table = tokens_over_time(history, by="owner", freq="W")
    assert list(table.columns) == ["alice", "bob"]
    for user in ("alice", "bob"):
        assert table[user].iloc[-1] == round(record_bytes(known_repo.root, "HEAD", user) / 4)
    total = tokens_over_time(history, by=None, freq="D", kinds=None)
    assert total["total"].iloc[-1] == round(record_bytes(known_repo.root, "HEAD") / 4)


def test_staleness_per_week(history):
    table = stale_over_time(history, days=7, freq="W")
    assert table["records"].tolist() == [5, 6, 5]
    # Jan 20 (end of week 2): alice's memories (Jan 6) and the profile (Jan 8) are stale, the entity
    # (Jan 13 10:00) not yet; Jan 23 (the last commit): the profile and the entity.
    assert table["stale"].tolist() == [0, 2, 2]


def test_current_files_are_the_checkout(history, known_repo):
    tracked = subprocess.run(["git", "ls-files"], cwd=known_repo.root, capture_output=True, text=True,
                             check=True).stdout.split()
    assert sorted(current_files(history)) == sorted(p for p in tracked if kind_from_path(p))


def test_profile_completeness_against_the_repositorys_fields_or_a_schema(history):
    [row] = profile_completeness(history).to_dict("records")
    assert (row["user"], row["filled"], row["fields"], row["missing"]) == ("alice", 2, 3, ["preferred_name"])
    [row] = profile_completeness(history, schema=["name", "role", "timezone", "team"]).to_dict("records")
    assert (row["filled"], row["completeness"], row["missing"]) == (2, 0.5, ["timezone", "team"])


def test_no_recall_log_gives_an_empty_frame(history):
    hits = recall_hits(history)
    assert hits.empty and list(hits.columns) == ["id", "hits", "last_recalled", "path", "kind", "unit"]


def test_recall_hits_from_the_curators_recall_log(known_repo, tmp_path):
    from learning_fs.curate.recall_log import RecallLog

    root = tmp_path / "copy"
    shutil.copytree(known_repo.root, root, symlinks=True)
    history = History.load(root)
    memories = next(p for p in current_files(history) if p.endswith("alice/memories.md"))
    text = (root / memories).read_text()
    record_id = text.split("\nid: ", 1)[1].split("\n", 1)[0]
    item_id = text.split("<!-- id=", 1)[1].split(" ", 1)[0]
    log = RecallLog(root / ".learning_fs")
    when = pd.Timestamp("2025-01-22 09:00", tz="UTC").timestamp()
    log.note({"user_memory": [type("R", (), {"id": record_id})(), type("I", (), {"id": item_id})()]}, when=when)
    log.note({"user_memory": [type("I", (), {"id": item_id})()]}, when=when + 60)
    log.note({"x": [type("G", (), {"id": "m-gone"})()]}, when=when)
    log.close()
    hits = recall_hits(History.load(root)).set_index("id")
    assert hits.at[item_id, "hits"] == 2 and hits.at[record_id, "hits"] == 1
    assert hits.at[item_id, "last_recalled"] == pd.Timestamp("2025-01-22 09:01", tz="UTC")
    assert (hits.at[item_id, "unit"], hits.at[record_id, "unit"]) == ("item", "record")
    assert hits.at[item_id, "path"] == memories and hits.at[item_id, "kind"] == "memories"
    assert pd.isna(hits.at["m-gone", "path"])


def test_an_approved_curation_proposal_counts_as_curation(known_repo, tmp_path):
    from learning_fs import ops
    from learning_fs.curate.curator import Curator
    from learning_fs.curate.policy import CurationPolicy
    from learning_fs.example.clock import StoryClock, StoryRepo, story_time
    from learning_fs.review import approve

    root = tmp_path / "copy"
    shutil.copytree(known_repo.root, root, symlinks=True)
    clock = StoryClock(pd.Timestamp("2025-01-27 09:00", tz="UTC").to_pydatetime())
    with story_time(clock, seed=2):
        repo = StoryRepo(root, clock=clock)
        try:
            origin = ops.Origin(store="user_memory", user="bob", at=clock.now)
            with ops.write_transaction(repo, "Remember about bob", origin) as tx:
                ops.add_memory(tx, "bob", "likes TEA", origin)
            clock.set(1, 9)
            result = Curator(repo, policy=CurationPolicy(near_duplicates=False, budget=False),
                             clock=clock.timestamp).run(propose=True)
            clock.set(1, 10)  # main moves on before the review: approving makes a real merge
            alice = ops.Origin(store="user_memory", user="alice", at=clock.now)
            with ops.write_transaction(repo, "Remember about alice", alice) as tx:
                ops.add_memory(tx, "alice", "Reads the release notes.", alice)
            clock.set(2, 9)
            merge = approve(repo, result.proposal_id, by="Dana Reviewer <dana@example.com>").commit
        finally:
            repo.close()
    history = History.load(root)
    assert history.commits.set_index("sha").at[merge, "merge"]
    effect = curation_effect(history)
    assert effect["sha"].tolist() == [known_repo.shas["curation"], merge]
    assert effect.iloc[1][["files_changed", "merge"]].tolist() == [1, 1]
    assert effect.iloc[1]["files_tokens_after"] < effect.iloc[1]["files_tokens_before"]
