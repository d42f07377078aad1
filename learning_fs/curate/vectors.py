"""Vectors for near-duplicate detection: a cache of embeddings, and similar pairs without n² work.

Embedding is the expensive part (all-MiniLM-L6-v2 on a CPU embeds ~250 texts a second), and a
repository's texts barely change between runs, so vectors are cached by the hash of their text
and the embedder's name in ``.learning_fs/curate/vectors.sqlite`` (derived data, gitignored,
float16: 768 bytes a vector). Only texts never seen before are embedded; those calls are what
the curator reports as "model calls" next to the chat model's.

:func:`similar_pairs` finds every pair above a cosine threshold. Small groups are compared
exactly (one matrix product). Large ones are blocked first, like an IVF index: spherical
k-means on a sample gives ~√n centroids, every vector joins its two nearest clusters, and only
vectors sharing a cluster are compared (a cluster still too large is split again). Two vectors
closer than the threshold almost always share one of their two nearest centroids;
``bench/curate_bench.py`` measures how many pairs blocking misses against the exact answer.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FILE_NAME = "vectors.sqlite"
EXACT_LIMIT = 2048  # up to this many vectors are compared exactly (a 2048² matrix is 16 MB)
PROBES = 2  # clusters each vector joins
_BLOCK_ROWS = 1024  # rows per block of an exact comparison


class VectorCache:
    """Unit vectors for texts, embedded once per text and embedder (see the module docstring).

    Args:
        embedder: Anything with ``name``, ``dim`` and ``embed(texts) -> array`` (``learning_fs.index.Embedder``).
        directory: Where ``vectors.sqlite`` lives; None keeps vectors in memory only.
        read_only: Read the cache but never write it (a dry run writes nothing).
    """

    def __init__(self, embedder: Any, directory: str | Path | None = None, *, read_only: bool = False) -> None:
        self.embedder = embedder
        self.path = Path(directory) / FILE_NAME if directory is not None else None
        self.read_only = read_only
        self._memory: dict[bytes, np.ndarray] = {}
        self.embedded = 0  # texts embedded by this cache (cache misses)
        self.embed_seconds = 0.0

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """``float32 [len(texts), dim]`` unit vectors, in order (duplicates embedded once)."""
        keys = [self._key(text) for text in texts]
        found = self._lookup(set(keys))
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        if missing:
            started = time.perf_counter()
            fresh = np.asarray(self.embedder.embed(list(missing.values())), dtype=np.float32)
            self.embed_seconds += time.perf_counter() - started
            self.embedded += len(missing)
            new = dict(zip(missing, fresh, strict=True))
            found.update(new)
            self._store(new)
        dim = int(getattr(self.embedder, "dim", 0)) or (len(next(iter(found.values()))) if found else 0)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.embedder.name}\0{text}".encode("utf-8", "surrogatepass")).digest()[:16]

    def _lookup(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        found = {key: self._memory[key] for key in keys if key in self._memory}
        wanted = [key for key in keys if key not in found]
        if not wanted or self.path is None or not self.path.exists():
            return found
        try:
            with self._connect() as db:
                for start in range(0, len(wanted), 900):
                    chunk = wanted[start:start + 900]
                    rows = db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                                      chunk).fetchall()
                    for key, blob in rows:
                        found[bytes(key)] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        except sqlite3.Error as exc:
            log.warning("vector cache %s unreadable (%s); embedding again", self.path, exc)
        return found

    def _store(self, vectors: dict[bytes, np.ndarray]) -> None:
        if self.path is None or self.read_only:
            self._memory.update(vectors)
            return
        try:
            with self._connect() as db:
                db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                               [(key, vec.astype(np.float16).tobytes()) for key, vec in vectors.items()])
        except sqlite3.Error as exc:  # derived data: keep the vectors in memory and carry on
            log.warning("could not write the vector cache %s: %s", self.path, exc)
            self._memory.update(vectors)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30.0)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID")
            yield db
            db.commit()
        finally:
            db.close()


def similar_pairs(vectors: np.ndarray, threshold: float, *, seed: int = 0) -> list[tuple[int, int, float]]:
    """Every pair ``(i, j, cosine)`` with ``i < j`` and cosine >= ``threshold``, most similar first."""
    count = len(vectors)
    if count < 2:
        return []
    found: dict[tuple[int, int], float] = {}
    _collect(vectors, np.arange(count), threshold, found, np.random.default_rng(seed), depth=0)
    return sorted(((i, j, s) for (i, j), s in found.items()), key=lambda pair: (-pair[2], pair[0], pair[1]))


def _collect(vectors: np.ndarray, members: np.ndarray, threshold: float, found: dict[tuple[int, int], float],
             rng: np.random.Generator, depth: int) -> None:
    if len(members) <= EXACT_LIMIT or depth >= 4:
        _exact(vectors, members, threshold, found)
        return
    for cluster in _clusters(vectors[members], rng):
        if len(cluster) < 2:
            continue
        if len(cluster) == len(members):  # blocking could not split these (near-identical vectors)
            _exact(vectors, members, threshold, found)
            return
        _collect(vectors, members[cluster], threshold, found, rng, depth + 1)


def _exact(vectors: np.ndarray, members: np.ndarray, threshold: float, found: dict[tuple[int, int], float]) -> None:
    """All pairs above ``threshold`` among ``members``, block by block (memory stays bounded)."""
    block = vectors[members]
    for start in range(0, len(members), _BLOCK_ROWS):
        rows = block[start:start + _BLOCK_ROWS]
        scores = rows @ block[start:].T  # only the columns from ``start`` on: each pair once
        hits = np.argwhere(scores >= threshold)
        for r, c in hits:
            if c <= r:  # the diagonal and the lower triangle of the first square
                continue
            i, j = int(members[start + r]), int(members[start + c])
            key = (i, j) if i < j else (j, i)
            found[key] = float(scores[r, c])


def _clusters(block: np.ndarray, rng: np.random.Generator, iterations: int = 6) -> list[np.ndarray]:
    """Spherical k-means (~√n centroids, fitted on a sample); each row joins its ``PROBES`` nearest."""
    count = len(block)
    k = max(2, int(np.sqrt(count)))
    sample = block[rng.choice(count, size=min(count, 40 * k), replace=False)]
    centroids = sample[rng.choice(len(sample), size=k, replace=False)].copy()
    for _ in range(iterations):
        nearest = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        filled = norms[:, 0] > 0
        centroids[filled] = sums[filled] / norms[filled]
    probes = min(PROBES, k)
    joined: list[list[np.ndarray]] = [[] for _ in range(k)]
    for start in range(0, count, 8192):
        scores = block[start:start + 8192] @ centroids.T
        top = np.argpartition(-scores, probes - 1, axis=1)[:, :probes]
        rows = np.arange(start, start + len(scores))
        for column in range(probes):
            order = np.argsort(top[:, column], kind="stable")
            sorted_clusters = top[order, column]
            bounds = np.searchsorted(sorted_clusters, np.arange(k + 1))
            for cluster in range(k):
                lo, hi = bounds[cluster], bounds[cluster + 1]
                if hi > lo:
                    joined[cluster].append(rows[order[lo:hi]])
    return [np.unique(np.concatenate(parts)) for parts in joined if parts]
