"""Inside the files: items added, deleted, superseded and merged; duplicate and junk rates."""

from __future__ import annotations

import pytest

from learning_fs.analytics import History, lifecycle, lifecycle_counts, quality_over_time
from learning_fs.analytics.lifecycle import normalise, parse_version


@pytest.fixture(scope="module")
def events(known_repo):
    return lifecycle(History.load(known_repo.root))


def test_event_totals(events):
    counts = events.groupby(["unit", "event"]).size().to_dict()
    assert counts == {("record", "add"): 6, ("record", "delete"): 1, ("item", "add"): 8, ("item", "delete"): 1,
                      ("item", "supersede"): 1, ("item", "merge"): 1}


def test_events_per_week(events):
    table = lifecycle_counts(events, freq="W")
    assert table.to_dict("list") == {"add": [9, 3, 2], "delete": [0, 0, 2], "supersede": [0, 1, 0],
                                     "expire": [0, 0, 0], "merge": [0, 0, 1]}
    assert lifecycle_counts(events, freq="W", unit="record")["add"].tolist() == [5, 1, 0]


def test_a_superseded_fact_is_named(events):
    [row] = events[events["event"] == "supersede"].itertuples()
    assert (row.kind, row.text) == ("entity", "database postgresql 15")


def test_a_merged_duplicate_is_a_merge_not_a_delete(events, known_repo):
    merged = events[events["event"] == "merge"].iloc[0]
    assert merged["sha"] == known_repo.shas["curation"] and merged["text"] == "prefers short answers"
    assert not ((events["sha"] == known_repo.shas["curation"]) & (events["event"] == "delete")).any()


def test_duplicate_and_junk_rates_per_week(events):
    table = quality_over_time(events, freq="W", junk_days=14)
    assert table[["added", "duplicates", "junk"]].to_dict("list") == {
        "added": [9, 3, 2], "duplicates": [0, 0, 1], "junk": [0, 0, 1]}
    assert table["duplicate_rate"].tolist() == [0.0, 0.0, 0.5]
    # "Writes Java." lived 23 hours; with a window shorter than that it is not junk.
    assert quality_over_time(events, freq="W", junk_days=0)["junk"].sum() == 0


def test_parse_version_reads_ids_statuses_and_merged_ids():
    text = ("---\nid: mem-1\nkind: memories\nstatus: active\nmerged_from:\n- mem-0\n---\n\n# Memories about a\n\n"
            "## Memories\n- Likes tea <!-- id=m-1 merged_from=m-2,m-3 -->\n"
            "- ~~Old~~ <!-- id=m-4 status=superseded superseded_by=m-1 -->\n- typed by hand\n")
    version = parse_version(text)
    assert version.record_id == "mem-1" and version.merged_from == {"mem-0", "m-2", "m-3"}
    assert version.items == {"m-1": ("active", "likes tea"), "m-4": ("superseded", "old"),
                             "text:typed by hand": ("active", "typed by hand")}


def test_normalise_ignores_case_accents_spacing_and_punctuation():
    assert normalise("  Prefers SHORT answers, café! ") == normalise("prefers short answers cafe")
