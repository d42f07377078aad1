"""Write-through into the fresh segment: a process killed after a write leaves an index that heals.

The writer runs in its own process and is killed with SIGKILL right after its write returned, so
the new vectors exist only as fresh rows in the catalog file (nothing was folded into Chroma).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

from learning_fs.index.service import index_directory
from learning_fs.repo import MemoryRepo
from tests.index_sync.conftest import OpenIndex
from tests.index_sync.helpers import paths_found

_WRITE_AND_DIE = """
import os, signal, sys
from learning_fs.format import LearningRecord
from learning_fs.index.service import RepoIndex
from learning_fs.repo import MemoryRepo

repo = MemoryRepo(sys.argv[1])
index = RepoIndex.open(repo, write_through="sync")
record = LearningRecord(title="Reschedule long sensors",
                        learning="Airflow sensors that wait for hours should use reschedule mode.")
repo.write(record)
print(record.path, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _write_and_die(repo: MemoryRepo) -> str:
    repo.flush()
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_WRITE_AND_DIE), str(repo.root)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    return done.stdout.strip()


def _fresh_rows(repo: MemoryRepo) -> int:
    with sqlite3.connect(index_directory(repo) / "catalog.sqlite3") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM fresh WHERE vector IS NOT NULL").fetchone()[0])


def test_a_write_killed_before_its_fold_is_found_at_the_next_open(repo: MemoryRepo, open_index: OpenIndex) -> None:
    open_index().close()
    path = _write_and_die(repo)
    assert _fresh_rows(repo) > 0  # the vectors live only in the fresh segment
    index = open_index()
    assert paths_found(index, "airflow sensor waiting for hours", mode="dense")[:1] == [path]
    assert index.verify().ok
    assert index.index.fold() > 0 and index.index.pending() == 0
    assert paths_found(index, "airflow sensor waiting for hours", mode="dense")[:1] == [path]


def test_garbage_over_a_fresh_vector_re_indexes_its_file(repo: MemoryRepo, open_index: OpenIndex) -> None:
    open_index().close()
    path = _write_and_die(repo)
    with sqlite3.connect(index_directory(repo) / "catalog.sqlite3") as conn:
        conn.execute("UPDATE fresh SET vector = zeroblob(7) WHERE vector IS NOT NULL")
    index = open_index()  # opens, drops the unreadable row and its entry, catches up: embeds the file again
    assert paths_found(index, "airflow sensor waiting for hours", mode="dense")[:1] == [path]
    assert index.verify().ok
    assert _fresh_rows(repo) > 0  # the re-embedded vector, readable this time
