"""Catch-up: commits made with plain git, uncommitted edits, rebuilds; cost follows the changes."""

from __future__ import annotations

import shutil

from learning_fs.format import LearningRecord, record_path
from learning_fs.repo import MemoryRepo
from tests.index_sync.conftest import OpenIndex
from tests.index_sync.helpers import git, hand_written, learning, paths_found, write_file


def test_a_commit_made_with_plain_git_is_indexed_on_the_next_open(repo: MemoryRepo, open_index: OpenIndex) -> None:
    open_index().close()  # synced at the current HEAD
    path = hand_written(repo, learning("Hand made", "Okapis are related to giraffes."))
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", "Add a learning by hand")
    index = open_index()
    assert paths_found(index, "okapi giraffe relative") == [path]
    assert index.sync.indexed_commit == git(repo, "rev-parse", "HEAD").strip()


def test_a_commit_made_while_the_index_is_open_is_seen_by_the_next_search(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    """Another process (here: git) moved HEAD; a long-lived index notices before searching."""
    index = open_index()
    path = hand_written(repo, learning("From elsewhere", "Tardigrades survive in space."))
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", "Add a learning from another process")
    assert index.search("tardigrade survival", k=1)[0].path == path


def test_a_pull_of_many_files_refreshes_only_those_files(repo: MemoryRepo, open_index: OpenIndex) -> None:
    """git diff since the indexed commit decides the work: 30 changed of 60, 30 refreshed."""
    index = open_index()
    records = [learning(f"Lesson {i}", f"Animal fact number {i}.") for i in range(60)]
    repo.write_many(records)
    index.close()
    for record in records[:30]:  # a colleague's edits, arriving as one commit
        write_file(repo, record.path or "", (repo.root / (record.path or "")).read_text().replace("Animal", "Plant"))
    git(repo, "commit", "-q", "-am", "Edit 30 lessons")
    index = open_index(catch_up=False)
    report = index.catch_up()
    assert (report.trigger, report.updated, report.embedded) == ("catch-up", 30, 30)
    assert report.unchanged == report.paths - 30  # at most paths git status listed while .git/index lagged
    assert "Plant fact number 7." in index.search("plant fact number 7", k=1)[0].snippet


def test_uncommitted_edits_and_new_files_are_indexed_at_open(repo: MemoryRepo, open_index: OpenIndex) -> None:
    record = learning("Editable", "Before the edit.")
    repo.write(record)
    open_index().close()
    text = (repo.root / (record.path or "")).read_text()
    write_file(repo, record.path or "", text.replace("Before the edit.", "Narwhals have one long tusk."))
    new = hand_written(repo, learning("Untracked", "Axolotls regrow their limbs."))
    index = open_index()
    assert paths_found(index, "narwhal tusk")[0] == record.path
    assert paths_found(index, "axolotl limbs")[0] == new


def test_an_edit_undone_while_nobody_watched_is_undone_in_the_index(repo: MemoryRepo, open_index: OpenIndex) -> None:
    """The edit was indexed as an uncommitted change; `git checkout` restores the file; git status
    no longer lists it, so catch-up must remember which paths were dirty at the last sync."""
    record = learning("Stable", "Original text about herons.")
    repo.write(record)
    repo.flush()
    path = record.path or ""
    write_file(repo, path, (repo.root / path).read_text().replace("herons", "pelicans"))
    open_index().close()  # indexes the edit
    git(repo, "checkout", "--", path)
    index = open_index()
    assert paths_found(index, "pelicans", mode="lexical") == []
    assert paths_found(index, "herons", mode="lexical") == [path]


def test_a_deleted_index_folder_is_rebuilt_on_the_next_open(repo: MemoryRepo, open_index: OpenIndex) -> None:
    repo.write_many([learning(f"Fact {i}", f"Number {i} is interesting.") for i in range(5)])
    index = open_index()
    assert index.count() == 5
    directory = index.directory
    index.close()
    shutil.rmtree(directory)
    progress: list[tuple[int, int]] = []
    index = open_index(progress=lambda done, total: progress.append((done, total)))
    assert index.count() == 5 and progress[-1] == (5, 5)
    assert index.verify().ok


def test_rewritten_history_is_reconciled_without_embedding_everything_again(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    repo.write_many([learning(f"Kept {i}", f"Unchanged text {i}.") for i in range(10)])
    index = open_index()
    index.index.set_state("indexed_commit", "0" * 40)  # a commit that no longer exists (force-push)
    index.close()
    index = open_index(catch_up=False)
    report = index.catch_up()
    assert report.trigger == "reconcile" and report.unchanged == 10 and report.embedded == 0


def test_rebuild_embeds_everything_and_keeps_the_sync_point(repo: MemoryRepo, open_index: OpenIndex) -> None:
    repo.write_many([learning(f"Item {i}", f"Text {i}.") for i in range(4)])
    index = open_index()
    report = index.rebuild()
    assert (report.trigger, report.updated, report.embedded) == ("rebuild", 4, 4)
    assert index.sync.indexed_commit == git(repo, "rev-parse", "HEAD").strip()
    again = index.catch_up()
    assert (again.updated, again.removed, again.embedded) == (0, 0, 0)  # nothing left to do


def test_a_broken_file_is_reported_with_file_and_line_and_skipped(repo: MemoryRepo, open_index: OpenIndex) -> None:
    good = hand_written(repo, learning("Fine", "Tapirs have a short trunk."))
    broken = record_path(LearningRecord(title="Broken"))
    write_file(repo, broken, "---\nid: lrn-broken\nkind: learning\ntitle: [unclosed\n---\n# Broken\n")
    index = open_index(catch_up=False)
    report = index.catch_up()
    assert report.updated == 1 and len(report.failed) == 1 and report.failed[0].startswith(f"{broken}:")
    assert paths_found(index, "tapir trunk", mode="lexical") == [good]
    assert index.verify().ok  # an unreadable file is not drift: the index holds nothing for it
