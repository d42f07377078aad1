"""``RecallLog``: when each memory was last recalled, kept where a read costs no commit.

Staleness ("nobody recalled this in 90 days") needs the time of every recall, and a commit per
read would bury the history people review. So recall times are derived data: a small SQLite file
in the repository's gitignored ``.learning_fs/`` folder, like the search index. The machine's
recall only puts ids in a dict (a few microseconds); a daemon thread writes them in one
transaction every few seconds, and ``flush()``/``close()`` write what is left. Losing the last
seconds of recall times in a crash costs nothing worth a slower recall.

Several processes may share the file: each upsert keeps the later time (WAL mode, busy timeout).
"""

from __future__ import annotations

import atexit
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "recall.sqlite"
FLUSH_EVERY = 5.0  # seconds between background writes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS recalls (id TEXT PRIMARY KEY, last REAL NOT NULL, count INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
_open_logs: weakref.WeakSet[RecallLog] = weakref.WeakSet()


class RecallLog:
    """Last-recall times of records and items, by id (see the module docstring).

    Args:
        directory: Where ``recall.sqlite`` lives (a repository's ``.learning_fs/``).
        flush_every: Seconds between background writes.
    """

    def __init__(self, directory: str | Path, *, flush_every: float = FLUSH_EVERY) -> None:
        self.path = Path(directory).absolute() / FILE_NAME
        self.flush_every = flush_every
        self._batches: list[tuple[float, list[str]]] = []  # (when, ids) per noted recall, until written
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        _open_logs.add(self)

    @classmethod
    def for_repo(cls, repo: Any, **options: Any) -> RecallLog:
        """The log of a memory repository (``repo.derived_dir``)."""
        return cls(repo.derived_dir, **options)

    # -- the hot path ---------------------------------------------------------------------------
    def note(self, recalled: Mapping[str, Any], when: float | None = None) -> None:
        """Remember that everything in ``recalled`` (what ``LearningMachine.recall`` returns) was recalled now.

        Records and items are recognised by their ``id``; anything else a custom store returns is
        ignored. Costs a list of ids and one append (~2 µs); counting and writing happen on the
        log's own thread.
        """
        ids = _ids(recalled)
        if not ids or self._closed:
            return
        with self._lock:
            self._batches.append((time.time() if when is None else when, ids))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="learning-fs-recall-log", daemon=True)
                self._thread.start()

    # -- writing --------------------------------------------------------------------------------
    def flush(self) -> int:
        """Write what was noted since the last write; returns how many ids were written."""
        with self._lock:
            batches, self._batches = self._batches, []
        if not batches:
            return 0
        last: dict[str, float] = {}
        counts: dict[str, int] = {}
        for stamp, ids in batches:
            for key in ids:
                if stamp > last.get(key, 0.0):
                    last[key] = stamp
                counts[key] = counts.get(key, 0) + 1
        rows = [(key, stamp, counts[key]) for key, stamp in last.items()]
        with self._write_lock:
            try:
                with self._connect() as db:
                    db.executemany(
                        "INSERT INTO recalls (id, last, count) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                        "last = max(last, excluded.last), count = count + excluded.count", rows)
                    earliest = min(stamp for _, stamp, _ in rows)  # times noted for the past extend the record
                    db.execute("UPDATE meta SET value = ? WHERE key = 'since' AND CAST(value AS REAL) > ?",
                               (repr(earliest), earliest))
            except sqlite3.Error as exc:  # derived data: a failed write is logged, never raised into recall
                log.warning("could not record recall times in %s: %s", self.path, exc)
                return 0
        return len(rows)

    def close(self) -> None:
        """Write what is pending and stop the background thread."""
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        self.flush()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_every)
            self.flush()

    # -- reading --------------------------------------------------------------------------------
    def last_recalled(self, ids: Iterable[str] | None = None) -> dict[str, float]:
        """``{id: seconds since the epoch}`` of the last recall (every id when ``ids`` is None)."""
        self.flush()
        if not self.path.exists():
            return {}
        try:
            with self._reader() as db:
                if ids is None:
                    return dict(db.execute("SELECT id, last FROM recalls").fetchall())
                wanted = list(dict.fromkeys(ids))
                found: dict[str, float] = {}
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    found.update(db.execute(f"SELECT id, last FROM recalls WHERE id IN ({marks})", chunk).fetchall())
                return found
        except sqlite3.Error as exc:
            log.warning("could not read recall times from %s: %s", self.path, exc)
            return {}

    def tracking_since(self) -> float | None:
        """When this repository started recording recalls (staleness means nothing before that)."""
        if not self.path.exists():
            return None
        try:
            with self._reader() as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'since'").fetchone()
        except sqlite3.Error:
            return None
        return float(row[0]) if row else None

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection: reading recall times (a dry run does) writes nothing."""
        db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=10.0)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and is always closed (sqlite3's own ``with`` does not close)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('since', ?)", (repr(time.time()),))
            yield db
            db.commit()
        finally:
            db.close()


def _ids(recalled: Mapping[str, Any]) -> list[str]:
    """Ids of the records and items in a recall result (lists of them, or one record)."""
    ids: list[str] = []
    for value in recalled.values():
        for entry in value if isinstance(value, (list, tuple)) else (value,):
            key = getattr(entry, "id", None)
            if key and isinstance(key, str):
                ids.append(key)
    return ids


def _close_all() -> None:
    for recall_log in list(_open_logs):
        try:
            recall_log.close()
        except Exception:  # interpreter shutdown: best effort
            log.debug("closing the recall log at exit failed", exc_info=True)


atexit.register(_close_all)
