"""The live watcher (real watchdog/inotify): hand edits, editor save patterns, deletes, renames, bursts.

The watcher runs without its periodic reconcile here (``reconcile_every=None``) and hits are read
from the engine directly, so what is found was found through file events alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from learning_fs.index.service import RepoIndex
from learning_fs.repo import MemoryRepo
from tests.index_sync.conftest import OpenIndex
from tests.index_sync.helpers import hand_written, learning, paths_found, wait_until, write_file


@pytest.fixture
def watched(open_index: OpenIndex) -> Iterator[RepoIndex]:
    index = open_index()
    watcher = index.watch(debounce=0.1, reconcile_every=None)
    yield index
    watcher.stop()
    assert not watcher.running


def _found(index: RepoIndex, query: str, path: str) -> bool:
    return path in paths_found(index, query, mode="lexical")


def test_a_hand_edit_becomes_searchable(repo: MemoryRepo, watched: RepoIndex) -> None:
    record = learning("Birds", "Herons stand still in shallow water.")
    repo.write(record)
    path = record.path or ""
    text = (repo.root / path).read_text()
    write_file(repo, path, text.replace("Herons stand still", "Kingfishers dive fast"))
    wait_until(lambda: _found(watched, "kingfishers dive", path))
    assert not _found(watched, "herons", path)


def test_an_editor_atomic_save_is_seen_as_the_file_it_replaces(repo: MemoryRepo, watched: RepoIndex) -> None:
    """Write a temp file beside it, then rename over it: only `moved tmp -> note.md` arrives."""
    path = hand_written(repo, learning("Atomic", "First version about otters."))
    wait_until(lambda: _found(watched, "otters", path))
    target = repo.root / path
    temp = target.with_name(".note.md.tmp1234")
    temp.write_text(target.read_text().replace("otters", "beavers build dams"), encoding="utf-8")
    os.replace(temp, target)
    wait_until(lambda: _found(watched, "beavers dams", path))
    assert not _found(watched, "otters", path)


def test_a_vim_style_save_through_a_backup_file_is_picked_up(repo: MemoryRepo, watched: RepoIndex) -> None:
    path = hand_written(repo, learning("Vim", "Badgers dig setts."))
    wait_until(lambda: _found(watched, "badgers", path))
    target = repo.root / path
    backup = target.with_name(target.name + "~")
    old = target.read_text()
    os.rename(target, backup)  # vim moves the original away first...
    target.write_text(old.replace("Badgers dig setts.", "Moles dig tunnels."), encoding="utf-8")  # ...writes anew
    backup.unlink()
    wait_until(lambda: _found(watched, "moles tunnels", path))
    assert not _found(watched, "badgers", path)


def test_deleting_a_file_removes_its_entries(repo: MemoryRepo, watched: RepoIndex) -> None:
    path = hand_written(repo, learning("Doomed", "Dodos could not fly."))
    wait_until(lambda: _found(watched, "dodos", path))
    (repo.root / path).unlink()
    wait_until(lambda: not paths_found(watched, "dodos", mode="lexical"))


def test_renaming_a_file_and_a_folder_moves_their_entries(repo: MemoryRepo, watched: RepoIndex) -> None:
    path = hand_written(repo, learning("Moving", "Lemmings migrate in numbers."))
    wait_until(lambda: _found(watched, "lemmings", path))
    renamed = path.replace("moving.md", "moved.md")
    os.rename(repo.root / path, repo.root / renamed)
    wait_until(lambda: paths_found(watched, "lemmings", mode="lexical") == [renamed])
    folder = renamed.rsplit("/", 1)[0]
    moved_folder = "learnings/global/zz-moved"
    os.rename(repo.root / folder, repo.root / moved_folder)
    final = f"{moved_folder}/moved.md"
    wait_until(lambda: paths_found(watched, "lemmings", mode="lexical") == [final])


def test_a_content_folder_created_after_the_start_is_watched(repo: MemoryRepo, watched: RepoIndex) -> None:
    assert not (repo.root / "decisions").exists()
    path = "decisions/global/ab/use-postgres.md"
    write_file(repo, path, "---\nid: dec-hand\nkind: decision\ntitle: Use Postgres\n---\n# Use Postgres\n\n"
                           "Store the orders of the pangolin shop in Postgres.\n")
    wait_until(lambda: _found(watched, "pangolin orders", path))


def test_a_burst_of_a_thousand_files_is_indexed_without_missing_one(repo: MemoryRepo, watched: RepoIndex) -> None:
    written = {hand_written(repo, learning(f"Burst {i:04d}", f"Burst fact {i}.")) for i in range(1000)}
    wait_until(lambda: len(watched.sync.indexed_paths("learnings")) >= 1000, timeout=60)
    assert set(watched.sync.indexed_paths("learnings")) == written
    assert watched.verify().ok


def test_the_library_write_seen_by_the_watcher_costs_no_second_embedding(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    index = open_index()
    # A debounce longer than the write-through takes, so the watcher's batch comes second (as it
    # does in use: an editor-speed debounce against a ~10 ms write-through), even on a busy machine.
    watcher = index.watch(debounce=1.5, reconcile_every=None)
    before = watcher.status.batches
    record = learning("Written once", "Wombats have cube-shaped droppings.")
    repo.write(record)
    index.flush()
    wait_until(lambda: watcher.status.batches > before)  # the file event of the library's own write
    assert watcher.status.last_report is not None and watcher.status.last_report.embedded == 0
    watcher.stop()
