"""Proposals read back from the history: approved by a merge, rejected with a reason, still open."""

from __future__ import annotations

import pandas as pd
import pytest

from learning_fs.analytics import History, proposals, review_summary


@pytest.fixture(scope="module")
def table(known_repo):
    return proposals(History.load(known_repo.root)).set_index("proposal")


def test_every_proposal_with_its_state(table):
    assert table["state"].to_dict() == {"learning/pin-tool-versions": "approved",
                                        "learning/always-use-tabs": "rejected", "learning/cache-wheels": "open"}


def test_review_latency_and_reviewer(table):
    assert table.at["learning/pin-tool-versions", "latency"] == pd.Timedelta(days=2)
    assert table.at["learning/always-use-tabs", "latency"] == pd.Timedelta(days=2)
    assert table.at["learning/pin-tool-versions", "decided_by"] == "Dana Reviewer <dana@example.com>"
    assert pd.isna(table.at["learning/cache-wheels", "decided"])


def test_a_rejection_keeps_its_reason_and_the_deleted_branchs_opening(table):
    rejected = table.loc["learning/always-use-tabs"]
    assert rejected["reason"] == "Tabs are not our style"
    assert rejected["opened"] == pd.Timestamp("2025-01-15 11:00", tz="UTC")  # from the unreachable tip
    assert rejected["kind"] == "learning" and rejected["namespace"] == "global"


def test_who_proposed(table):
    assert table.at["learning/pin-tool-versions", "user"] == "bob"
    assert table.at["learning/pin-tool-versions", "store"] == "learned_knowledge"


def test_summary(table):
    assert review_summary(table.reset_index()) == {"opened": 3, "open": 1, "approved": 1, "rejected": 1,
                                                   "median_review_hours": 48.0, "p90_review_hours": 48.0}


def test_a_fast_forwarded_approval_has_no_decision_time(known_repo, tmp_path):
    import shutil

    from learning_fs.example.clock import StoryClock, StoryRepo, story_time
    from learning_fs.review import approve, propose_learning

    root = tmp_path / "copy"
    shutil.copytree(known_repo.root, root, symlinks=True)
    clock = StoryClock(pd.Timestamp("2025-01-27 09:00", tz="UTC").to_pydatetime())
    with story_time(clock, seed=3):
        repo = StoryRepo(root, clock=clock)
        try:
            proposal = propose_learning(repo, "Prefer small commits", "Small commits review faster.").proposal_id
            clock.set(1, 9)
            assert approve(repo, proposal, by="Dana Reviewer <dana@example.com>").fast_forward
        finally:
            repo.close()
    row = proposals(History.load(root)).set_index("proposal").loc[proposal]
    assert row["state"] == "approved" and pd.isna(row["decided"]) and pd.isna(row["latency"])
