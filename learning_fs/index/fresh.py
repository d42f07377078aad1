"""The fresh segment: the vectors of recent small writes, kept beside Chroma until they are folded in.

Why it exists: a write to local Chroma gets slower as the index grows (measured on 1.5.9, 2 cores:
one-vector upsert p50 ~24 ms into an empty collection, ~49 ms once the file holds 20k vectors in any
collection, 44 ms per collection at 100k, and an entry writes to two). Each upsert is several SQLite
transactions in ``chroma.sqlite3`` with ~8 fsyncs in rollback-journal mode, and their cost grows
with the size of that one shared file, plus the HNSW insert. It also holds the GIL the whole time, so
it cannot simply move to a background thread: whatever Python runs beside it waits.

So a small write (a turn's new memory, a learning, a supersede) puts its vectors here instead: rows
in the catalog's own SQLite file, written in the same transaction as the entries, so a crash keeps
both or neither. A search reads these rows too (brute force over a few hundred vectors costs
microseconds) and merges them with Chroma's neighbours: for a chunk id present here, this segment
wins. A deletion or a move to another partition is a row as well; the catalog already refuses any
vector it does not vouch for (wrong partition, chunk gone), so nothing old is returned meanwhile.

The rows are *folded* into Chroma off the write path: by a background thread once the index has been
quiet for :data:`FOLD_IDLE` seconds (a fold holds the GIL, so it waits for a pause) or has
:data:`FOLD_AT` rows pending, and at close. A fold applies the rows to Chroma, then deletes exactly
the rows it applied (a row rewritten meanwhile has a new ``seq`` and stays), so a crash mid-fold
only repeats idempotent upserts at the next open. A row whose vector does not decode (garbage
written over the file) is dropped at open and its entry forgotten, so the sync re-indexes the file.

Big writes (a rebuild, a large pull) go straight to Chroma in large batches, where its per-call cost
is amortised; they fold what is pending first, so the two paths never disagree.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from learning_fs.index.catalog import Catalog
    from learning_fs.index.dense import VectorStore

log = logging.getLogger(__name__)

#: Seconds without a write before the background thread folds the pending rows into Chroma.
FOLD_IDLE = 2.0
#: Pending rows that start a fold even while writes keep coming (bounds the brute-force search).
FOLD_AT = 1024
#: Rows applied per Chroma call of a fold (keeps one GIL hold short).
FOLD_BATCH = 256
#: A write with more vector rows than this goes straight to Chroma (after folding what is pending).
FRESH_MAX_WRITE = 128
#: Pending rows above which every write goes straight to Chroma (a fold that keeps failing).
FRESH_CAP = 8192

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fresh (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a fold deletes exactly what it applied
    place TEXT NOT NULL,                     -- the Chroma collection (suffix) the row is for
    cid TEXT NOT NULL,                       -- chunk id, <entry id>#<chunk>
    entry TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    pid INTEGER NOT NULL,                    -- the entry's partition when written
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,                     -- the partition's owner ("" when shared)
    vector BLOB,                             -- float32, or NULL: delete cid from place
    UNIQUE (place, cid)
)
"""


@dataclass(frozen=True)
class FreshRow:
    """One pending change of one collection: ``vector`` None deletes ``cid`` from ``place``."""

    place: str
    cid: str
    entry: str
    chunk: int
    pid: int
    kind: str
    owner: str
    vector: np.ndarray | None


@dataclass(frozen=True)
class FreshView:
    """The pending vectors at one moment, one per chunk id, ready for a brute-force search.

    ``hidden``: every chunk id with a pending row (upserted or deleted): Chroma's copy of it is
    out of date and must not be used.
    """

    stamp: tuple[int, int] = (0, 0)
    hidden: frozenset[str] = frozenset()
    cids: tuple[str, ...] = ()
    pids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    kinds: tuple[str, ...] = ()
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))

    def __bool__(self) -> bool:
        return bool(self.hidden)

    def nearest(self, vector: np.ndarray, pids: Sequence[int], kinds: set[str] | None,
                n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine) of the ``n`` nearest pending vectors in ``pids`` (and ``kinds``), best first.

        ``pids`` are the partitions the search may read (``visible_partitions``): a row of any other
        partition, another user's private one included, is never a candidate.
        """
        if not self.cids or n <= 0:
            return []
        mask = np.isin(self.pids, np.asarray(list(pids), dtype=np.int64))
        if kinds is not None:
            mask &= np.fromiter((kind in kinds for kind in self.kinds), dtype=bool, count=len(self.kinds))
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return []
        norm = float(np.linalg.norm(vector)) or 1.0
        sims = self.matrix[rows] @ (np.asarray(vector, dtype=np.float32) / norm)
        order = np.argsort(-sims, kind="stable")[:n]
        return [(self.cids[rows[i]], float(sims[i])) for i in order]


class FreshSegment:
    """Pending vectors in the catalog file, searched beside Chroma and folded into it off the write path.

    ``writer=False`` (a read-only handle: another process holds the index's writer lock) reads the
    rows but never folds or drops them.
    """

    def __init__(self, catalog: Catalog, vectors: VectorStore, dim: int, *, writer: bool = True) -> None:
        self._catalog = catalog
        self._vectors = vectors
        self._dim = dim
        self._writer = writer
        with catalog.transaction() as conn:
            conn.execute(_SCHEMA)
        self._view = FreshView()
        self._view_lock = threading.Lock()
        self._apply_lock = threading.RLock()  # one Chroma writer: a fold or a direct write
        self._cond = threading.Condition()
        self._last_write = time.monotonic()
        self._pending = self._count()
        self._closed = False
        self._thread: threading.Thread | None = None

    def resume(self) -> None:
        """Start folding rows an earlier process left behind (a crash, a kill), once the index is quiet."""
        if self._writer and self._pending:
            self._start()

    # -- writing ---------------------------------------------------------------------------------

    def stage(self, conn: sqlite3.Connection, rows: Sequence[FreshRow]) -> None:
        """Write ``rows`` inside the caller's catalog transaction (with the entries they belong to)."""
        conn.executemany(
            "INSERT OR REPLACE INTO fresh (place, cid, entry, chunk, pid, kind, owner, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.place, r.cid, r.entry, r.chunk, r.pid, r.kind, r.owner,
              None if r.vector is None else np.asarray(r.vector, dtype=np.float32).tobytes()) for r in rows],
        )

    def staged(self, rows: int) -> None:
        """After the transaction that staged ``rows`` rows committed: note the write, wake the folder."""
        with self._cond:
            before, self._pending = self._pending, self._pending + rows
            self._last_write = time.monotonic()
            # Wake the folder only when it must look again: it sleeps without a timeout while nothing
            # is pending, and a burst past FOLD_AT folds at once. Otherwise it wakes by its own timer
            # (a wake-up per write costs a thread switch on the write path).
            if before == 0 or (before < FOLD_AT <= self._pending):
                self._cond.notify_all()
        if self._writer and self._thread is None:
            self._start()

    def accepts(self, rows: int) -> bool:
        """Whether a write of ``rows`` rows should go here rather than straight to Chroma."""
        return self._writer and rows <= FRESH_MAX_WRITE and self._pending + rows <= FRESH_CAP

    @contextmanager
    def direct(self, fold: bool = True) -> Iterator[None]:
        """Fold everything pending, then hold the Chroma write lock for a write that goes straight there."""
        with self._apply_lock:
            if fold and self._writer:
                self.fold()
            yield

    # -- reading ---------------------------------------------------------------------------------

    def view(self) -> FreshView:
        """The pending vectors now (re-read only when the rows changed: one small query otherwise).

        Read *before* Chroma is queried: a fold applies to Chroma first and deletes its rows after,
        so a vector is always in at least one of the two a search reads.
        """
        stamp = self._stamp()
        with self._view_lock:
            if stamp == self._view.stamp:
                return self._view
        view = self._load(stamp)
        with self._view_lock:
            self._view = view
        return view

    def vectors(self, cids: Sequence[str]) -> dict[str, np.ndarray]:
        """Pending vectors by chunk id (an entry moving partitions before its vectors were folded)."""
        view = self.view()
        index = {cid: i for i, cid in enumerate(view.cids)}
        return {cid: view.matrix[index[cid]] for cid in cids if cid in index}

    def pending(self) -> int:
        """Rows not folded into Chroma yet."""
        return self._count()

    # -- folding ---------------------------------------------------------------------------------

    def fold(self, limit: int | None = None) -> int:
        """Apply pending rows to Chroma (oldest first, up to ``limit``); return how many were applied."""
        if not self._writer:
            return 0
        applied = 0
        with self._apply_lock:
            while limit is None or applied < limit:
                batch = FOLD_BATCH if limit is None else min(FOLD_BATCH, limit - applied)
                rows = self._catalog.query(
                    "SELECT seq, place, cid, entry, chunk, kind, owner, vector FROM fresh ORDER BY seq LIMIT ?",
                    (batch,),
                )
                if not rows:
                    break
                self._apply(rows)
                with self._catalog.transaction() as conn:
                    conn.execute("DELETE FROM fresh WHERE seq <= ?", (rows[-1][0],))
                applied += len(rows)
            with self._cond:
                self._pending = self._count()
        return applied

    def _apply(self, rows: list[tuple]) -> None:
        upserts: dict[str, tuple[list[str], list[np.ndarray], list[dict[str, str | int]]]] = {}
        deletes: dict[str, list[str]] = {}
        for _, place, cid, entry, chunk, kind, owner, blob in rows:
            if blob is None:
                deletes.setdefault(place, []).append(cid)
                continue
            vector = self._decode(blob)
            if vector is None:  # unreadable since open: its entry is re-indexed by then; skip it
                continue
            ids, vecs, metas = upserts.setdefault(place, ([], [], []))
            ids.append(cid)
            vecs.append(vector)
            metas.append({"entry": entry, "chunk": chunk, "kind": kind, "user": owner})
        for place, (ids, vecs, metas) in upserts.items():
            self._vectors.upsert(place, ids, np.stack(vecs), metas)
        for place, cids in deletes.items():
            self._vectors.delete(place, cids)

    def clear(self) -> None:
        """Drop every pending row (the index is being cleared: nothing of it is kept)."""
        with self._apply_lock, self._catalog.transaction() as conn:
            conn.execute("DELETE FROM fresh")
        with self._cond:
            self._pending = 0

    def check(self) -> list[str]:
        """Drop rows whose vector does not decode; return the entry ids that lost a vector that way.

        Run once at open. Garbage over the file that SQLite still reads shows up here; garbage
        SQLite cannot read fails the open, and the index folder is healed as a whole.
        """
        lost: set[str] = set()
        bad: list[int] = []
        for seq, entry, blob in self._catalog.query("SELECT seq, entry, vector FROM fresh WHERE vector IS NOT NULL"):
            if self._decode(blob) is None:
                bad.append(seq)
                lost.add(str(entry))
        if bad and self._writer:
            log.warning("the search index's fresh segment had %d unreadable vector(s); re-indexing their files",
                        len(bad))
            with self._catalog.transaction() as conn:
                conn.executemany("DELETE FROM fresh WHERE seq = ?", [(seq,) for seq in bad])
            with self._cond:
                self._pending = self._count()
        return sorted(lost)

    def close(self) -> None:
        """Stop the background thread and fold what is left (a killed process leaves it for the next open)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        if self._writer:
            try:
                self.fold()
            except Exception:  # derived data: the rows stay and are folded at the next open
                log.warning("folding the search index's fresh vectors into Chroma failed at close", exc_info=True)

    # -- internals -------------------------------------------------------------------------------

    def _start(self) -> None:
        with self._cond:
            if self._thread is not None or self._closed:
                return
            # Daemon: an exiting process does not wait; what it did not fold stays in the rows.
            self._thread = threading.Thread(target=self._run, name="lfs-index-fold", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    if self._pending >= FOLD_AT:
                        break
                    if self._pending:
                        quiet = time.monotonic() - self._last_write
                        if quiet >= FOLD_IDLE:
                            break
                        self._cond.wait(FOLD_IDLE - quiet)
                    else:
                        self._cond.wait()
                if self._closed:
                    return
            try:
                self.fold(FOLD_AT)
            except Exception:  # Chroma failed: the rows stay (searched from here); try again later
                log.warning("folding the search index's fresh vectors into Chroma failed", exc_info=True)
                with self._cond:
                    self._last_write = time.monotonic()
                    if self._pending >= FOLD_AT:
                        self._cond.wait(FOLD_IDLE)

    def _count(self) -> int:
        return int(self._catalog.read("SELECT COUNT(*) FROM fresh")[0][0])

    def _stamp(self) -> tuple[int, int]:
        row = self._catalog.read("SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM fresh")[0]
        return int(row[0]), int(row[1])

    def _load(self, stamp: tuple[int, int]) -> FreshView:
        if stamp[1] == 0:
            return FreshView(stamp=stamp)
        rows = self._catalog.read("SELECT cid, pid, kind, vector FROM fresh ORDER BY seq")
        hidden = frozenset(str(row[0]) for row in rows)
        latest: dict[str, tuple[int, str, np.ndarray]] = {}
        for cid, pid, kind, blob in rows:
            vector = self._decode(blob) if blob is not None else None
            if vector is not None:
                latest[cid] = (int(pid), str(kind), vector)  # places of one chunk carry the same vector
        cids = tuple(latest)
        if not cids:
            return FreshView(stamp=stamp, hidden=hidden)
        matrix = np.stack([latest[c][2] for c in cids])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = matrix / np.where(norms > 0, norms, 1.0)
        return FreshView(stamp=stamp, hidden=hidden, cids=cids,
                         pids=np.fromiter((latest[c][0] for c in cids), dtype=np.int64, count=len(cids)),
                         kinds=tuple(latest[c][1] for c in cids), matrix=matrix.astype(np.float32))

    def _decode(self, blob: object) -> np.ndarray | None:
        if not isinstance(blob, bytes) or len(blob) != 4 * self._dim:
            return None
        vector = np.frombuffer(blob, dtype=np.float32)
        return vector if bool(np.all(np.isfinite(vector))) else None
