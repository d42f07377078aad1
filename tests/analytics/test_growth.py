"""Growth and churn of the known history (tests/analytics/conftest.py), counted exactly, week by week."""

from __future__ import annotations

import pandas as pd
import pytest

from learning_fs.analytics import History, activity, churn, editors, human_edits, records_over_time

WEEKS = pd.DatetimeIndex(["2025-01-06", "2025-01-13", "2025-01-20"], tz="UTC", name="date")


@pytest.fixture(scope="module")
def history(known_repo):
    return History.load(known_repo.root)


def test_records_per_kind_at_the_end_of_each_week(history):
    table = records_over_time(history, by="kind", freq="W")
    assert table.index.equals(WEEKS)
    assert table.to_dict("list") == {"entity": [1, 1, 1], "learning": [1, 2, 1], "memories": [2, 2, 2],
                                     "profile": [1, 1, 1]}


def test_records_per_namespace_follow_a_rename_between_namespaces(history):
    table = records_over_time(history, by="namespace", freq="W")
    assert table.to_dict("list") == {"global": [2, 3, 1], "team-data": [0, 0, 1], "user": [3, 3, 3]}


def test_records_per_user_count_a_delete_against_who_added_it(history):
    table = records_over_time(history, by="user", freq="W")
    # alice's "Use uv in CI" is deleted by a cli commit naming nobody: alice's count drops.
    assert table.to_dict("list") == {"alice": [4, 4, 3], "bob": [1, 2, 2]}


def test_the_last_day_matches_the_checkout(history, known_repo):
    daily = records_over_time(history, by="kind", freq="D")
    files = [p for p in known_repo.root.rglob("*.md") if ".git" not in p.parts and "reviews" not in p.parts]
    assert int(daily.iloc[-1].sum()) == len(files) == 5
    assert len(daily) == 18  # 2025-01-06 .. 2025-01-23, quiet days included


def test_churn_per_week(history):
    table = churn(history, freq="W")
    assert table.to_dict("list") == {"add": [5, 1, 0], "update": [0, 3, 4], "rename": [0, 0, 1],
                                     "delete": [0, 0, 1]}


def test_churn_by_kind(history):
    table = churn(history, freq="W", by="kind")
    assert table[("update", "memories")].tolist() == [0, 1, 4]
    assert table[("delete", "learning")].tolist() == [0, 0, 1]


def test_human_and_library_edits_per_week(history):
    table = editors(history, freq="W")
    assert table.to_dict("list") == {"human": [0, 1, 0], "library": [5, 2, 6]}


def test_human_edits_list_the_persons_commit(history, known_repo):
    table = human_edits(history)
    assert table["sha"].tolist() == [known_repo.shas["hand-edit"]]
    assert table.iloc[0]["author"] == "Dana Reviewer"
    assert table.iloc[0]["files"] == ["learnings/global/18/use-uv-in-ci.md"]


def test_activity_per_store(history):
    table = activity(history, by="store")
    assert table.loc["user_memory", ["commits", "add", "update", "delete"]].tolist() == [6, 2, 4, 0]
    assert table.loc["learned_knowledge", ["commits", "add"]].tolist() == [2, 2]  # the merge credits the proposer
    assert table.loc["curator", "update"] == 1
