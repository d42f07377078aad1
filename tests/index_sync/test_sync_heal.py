"""Derived data heals itself: a corrupt or vanished index is moved aside and rebuilt from the files.

Nothing in ``.learning_fs/index`` is the truth, so garbage written over it (a crash, a disk error,
a bad copy) must never stop search: the next command warns once, rebuilds and answers.
The CLI runs as a separate process here, as a person runs it, so no in-process cache hides the damage.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from learning_fs.format import MemoriesRecord
from learning_fs.format.items import Item
from learning_fs.index.service import RepoIndex, index_directory
from learning_fs.repo import MemoryRepo
from tests.index_sync.conftest import OpenIndex
from tests.index_sync.helpers import hand_written, learning, paths_found, wait_until


def _cli(repo: MemoryRepo, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("learning-fs", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    assert exe, "the learning-fs command is installed with the package"
    return subprocess.run([exe, "--repo", str(repo.root), *args], capture_output=True, text=True, timeout=120)


def _garbage(paths: list[Path]) -> None:
    for path in paths:
        path.write_bytes(os.urandom(4096))


@pytest.fixture
def indexed(repo: MemoryRepo) -> MemoryRepo:
    tea = Item(id="m-tea0000001", text="Prefers green tea in the morning")
    repo.write(MemoriesRecord(user="alice", memories=[tea]))
    repo.flush()
    built = _cli(repo, "index")
    assert built.returncode == 0, built.stderr
    return repo


def test_search_after_garbage_over_the_index_warns_rebuilds_and_answers(indexed: MemoryRepo) -> None:
    folder = index_directory(indexed)
    _garbage([p for p in folder.rglob("*") if p.is_file() and p.name != "writer.lock"])

    first = _cli(indexed, "search", "--user", "alice", "tea")
    assert first.returncode == 0, first.stderr
    assert "Prefers green tea" in first.stdout
    assert "unreadable" in first.stderr and "rebuilding" in first.stderr
    assert "Traceback" not in first.stderr

    second = _cli(indexed, "search", "--user", "alice", "tea")
    assert second.returncode == 0 and "Prefers green tea" in second.stdout
    assert "unreadable" not in second.stderr  # the rebuilt index is used as is
    assert len(list(folder.parent.glob(f"{folder.name}.corrupt-*"))) == 1  # kept once, for a post-mortem


def test_the_machine_opens_over_a_corrupt_index(indexed: MemoryRepo) -> None:
    from learning_fs.machine import LearningMachine
    from learning_fs.stores import UserMemoryConfig

    _garbage([index_directory(indexed) / "chroma" / "chroma.sqlite3"])
    machine = LearningMachine(indexed, user_memory=UserMemoryConfig(), searcher="auto")
    try:
        context = machine.build_context(user_id="alice", session_id="s1", message="what do I drink in the morning?")
    finally:
        machine.close()
    assert "green tea" in context


def test_the_watcher_rebuilds_after_its_index_folder_is_deleted(repo: MemoryRepo, open_index: OpenIndex) -> None:
    index: RepoIndex = open_index()
    watcher = index.watch(debounce=0.1, reconcile_every=None)
    first = hand_written(repo, learning("Birds", "Herons stand still in shallow water."))
    wait_until(lambda: first in paths_found(index, "herons", mode="lexical"))

    shutil.rmtree(index.directory)
    second = hand_written(repo, learning("Fish", "Pike hunt from ambush in the reeds."))

    def found_again() -> bool:
        try:
            return second in paths_found(index, "pike ambush", mode="lexical")
        except RuntimeError:  # a search that raced the swap to the rebuilt index
            return False

    wait_until(found_again)
    assert first in paths_found(index, "herons", mode="lexical")  # rebuilt from the files, not only the new one
    assert (index.directory / "catalog.sqlite3").is_file()
    watcher.stop()


def test_while_a_rebuild_runs_search_answers_by_words(indexed: MemoryRepo) -> None:
    """A big repository's rebuild must not block a turn: past the wait, lexical results come back."""
    from learning_fs.search.lexical import LexicalSearcher
    from learning_fs.search.semantic import LazyIndexSearcher, open_searcher

    _garbage([index_directory(indexed) / "catalog.sqlite3"])
    searcher = open_searcher(indexed, "auto")
    assert isinstance(searcher, LazyIndexSearcher)  # healed: rebuilt off the turn
    searcher.wait = 0.0
    hits = searcher.search("green tea", user="alice")
    assert [hit.path for hit in hits] and isinstance(searcher._fallback, LexicalSearcher)
    searcher._ready.wait(60)
    assert searcher.opened and searcher.search("a hot drink before noon", user="alice")
    searcher.close()
