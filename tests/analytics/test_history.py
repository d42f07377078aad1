"""Reading the history: one git log into frames, the mainline, who made each commit, merges credited."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from learning_fs.analytics import History, path_facets
from learning_fs.analytics.gitlog import parse_log, read_log
from learning_fs.repo import MemoryRepo


@pytest.fixture(scope="module")
def history(known_repo):
    return History.load(known_repo.root)


def test_every_reachable_commit_is_read_once(history, known_repo):
    reachable = subprocess.run(["git", "rev-list", "--count", "HEAD", "--branches"], cwd=known_repo.root,
                               capture_output=True, text=True, check=True).stdout.strip()
    assert len(history.commits) == int(reachable) == 19
    assert history.commits["sha"].is_unique


def test_the_mainline_is_the_first_parent_chain_of_the_branch(history, known_repo):
    commits = history.commits.set_index("sha")
    assert int(commits["mainline"].sum()) == 17
    proposed = known_repo.shas["proposal:Pin tool versions"]
    assert not commits.at[proposed, "mainline"]
    assert commits.at[proposed, "landed_by"] == known_repo.shas["approve"]  # the merge brought it in
    assert commits.at[proposed, "landed"] == pd.Timestamp("2025-01-17 10:00", tz="UTC")
    still_open = known_repo.shas["proposal:Cache wheels"]
    assert pd.isna(commits.at[still_open, "landed_by"]) and pd.isna(commits.at[still_open, "landed"])


def test_a_persons_commit_is_human_and_the_librarys_are_library(history, known_repo):
    commits = history.commits.set_index("sha")
    assert commits.at[known_repo.shas["hand-edit"], "editor"] == "human"
    assert commits.at[known_repo.shas["hand-edit"], "author"] == "Dana Reviewer"
    assert (commits.drop(index=known_repo.shas["hand-edit"])["editor"] == "library").all()


def test_trailers_become_columns(history, known_repo):
    commits = history.commits.set_index("sha")
    row = commits.loc[known_repo.shas["alice-memories"]]
    assert (row["store"], row["mode"], row["user"], row["session"], row["agent"]) == (
        "user_memory", "agentic", "alice", "alice-s1", "test-agent")
    assert commits.at[known_repo.shas["proposal:Pin tool versions"], "proposal"] == "learning/pin-tool-versions"


def test_changes_carry_kind_namespace_owner_and_action(history, known_repo):
    changes = history.mainline_changes
    assert changes["action"].value_counts().to_dict() == {"update": 7, "add": 6, "delete": 1, "rename": 1}
    rename = changes[changes["action"] == "rename"].iloc[0]
    assert rename["old_path"].startswith("learnings/global/") and rename["path"].startswith("learnings/team-data/")
    memories = changes[changes["sha"] == known_repo.shas["bob-memories"]].iloc[0]
    assert (memories["kind"], memories["namespace"], memories["owner"], memories["user"]) == (
        "memories", "user", "bob", "bob")


def test_a_merge_credits_the_store_and_user_that_proposed(history, known_repo):
    merged = history.changes[history.changes["sha"] == known_repo.shas["approve"]].iloc[0]
    assert (merged["action"], merged["store"], merged["user"], merged["proposal"]) == (
        "add", "learned_knowledge", "bob", "learning/pin-tool-versions")


def test_since_keeps_later_commits_only(history):
    later = history.since("2025-01-20")
    assert len(later.commits) == 6 and (later.commits["date"] >= pd.Timestamp("2025-01-20", tz="UTC")).all()


def test_a_memory_repo_object_or_a_path_loads_the_same(known_repo, history):
    repo = MemoryRepo(known_repo.root)
    try:
        assert History.load(repo).commits["sha"].tolist() == history.commits["sha"].tolist()
    finally:
        repo.close()


def test_an_empty_repository_gives_empty_frames(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert read_log(tmp_path) == []
    empty = History.load(tmp_path)
    assert empty.commits.empty and empty.changes.empty and empty.head is None


def test_raw_output_with_renames_and_odd_paths_parses():
    text = ("\x1e" + "\x1f".join(["a" * 40, "b" * 40, "Dana", "d@x", "100", "200", "Fix\n\nLearning-Store: cli\n"])
            + "\x1d\0\n:100644 100644 " + "1" * 40 + " " + "2" * 40 + " R087\0old name.md\0new\tname.md\0"
            + ":000000 100644 " + "0" * 40 + " " + "3" * 40 + " A\0caf\u00e9.md\0")
    [entry] = parse_log(text)
    assert entry.trailers == {"Learning-Store": "cli"} and entry.subject == "Fix"
    assert [(c.status, c.old_path, c.path, c.old_blob) for c in entry.changes] == [
        ("R", "old name.md", "new\tname.md", "1" * 40), ("A", None, "caf\u00e9.md", None)]


@pytest.mark.parametrize(("path", "facets"), [
    ("users/2b/alice/memories.md", ("memories", "user", "alice")),
    ("users/2b/alice/sessions/s-1.md", ("session", "user", "alice")),
    ("learnings/team-data/ab/pin.md", ("learning", "team-data", None)),
    ("sessions/ab/s-9.md", ("session", "shared", None)),
    ("reviews/rejected/learning/x.md", (None, None, None)),
    ("learning_fs.yaml", (None, None, None)),
])
def test_path_facets_read_the_layout(path, facets):
    assert path_facets(path) == facets
