"""The check cache: what ``check`` learned about existing files, kept under ``.learning_fs/check/``.

Comparing 100 new learnings with 100k existing ones must not parse or embed 100k files on every
run (embedding runs at ~100 texts/s on a CI core). So two things are cached in one SQLite file,
both keyed by content, never by path, so a moved or renamed file is still a hit:

- ``units``: per git blob of a learning, its title, text, normalised-text hash and line;
- ``vectors``: per embedded text (hash of the embedder's name and the text), its unit vector,
  stored as float16 (cosine similarities change by < 0.001; half the size to load).

The folder is gitignored and rebuildable; CI keeps it between runs with a cache step (the
shipped action does). Deleting it only makes the next check slower.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CACHE_FILE = "cache.sqlite3"
SCHEMA = 1


@dataclass(frozen=True)
class CachedLearning:
    """What the check needs of one learning file, without parsing it again."""

    title: str
    text: str  # title and statement: the text that is embedded
    norm: str  # hash of the normalised statement (exact duplicates)
    line: int  # line of the statement in the file


def text_digest(embedder_name: str, text: str) -> str:
    """The cache key of an embedded text: which model, which text."""
    return hashlib.sha256(f"{embedder_name}\0{text}".encode()).hexdigest()[:32]


class CheckCache:
    """SQLite-backed cache of learnings per blob and vectors per text (one per repository)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / CACHE_FILE
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA:
            self._db.executescript("DROP TABLE IF EXISTS learnings; DROP TABLE IF EXISTS vectors;")
            self._db.execute(f"PRAGMA user_version={SCHEMA}")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS learnings (blob TEXT PRIMARY KEY, title TEXT, text TEXT, norm TEXT, line INT);"
            "CREATE TABLE IF NOT EXISTS vectors (digest TEXT PRIMARY KEY, vector BLOB);"
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CheckCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- learnings ----------------------------------------------------------------------------
    def learnings(self, blobs: Iterable[str]) -> dict[str, CachedLearning]:
        """The cached learnings among ``blobs`` (one scan of the table: cheaper than 100k lookups)."""
        wanted = set(blobs)
        if not wanted:
            return {}
        with self._lock:
            rows = self._db.execute("SELECT blob, title, text, norm, line FROM learnings").fetchall()
        return {blob: CachedLearning(title, text, norm, line) for blob, title, text, norm, line in rows
                if blob in wanted}

    def put_learnings(self, items: dict[str, CachedLearning]) -> None:
        if not items:
            return
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO learnings VALUES (?, ?, ?, ?, ?)",
                                 [(blob, c.title, c.text, c.norm, c.line) for blob, c in items.items()])

    # -- vectors ------------------------------------------------------------------------------
    def vectors(self, digests: Iterable[str], dim: int) -> dict[str, np.ndarray]:
        """Cached float32 vectors for the ``digests`` that have one."""
        wanted = set(digests)
        if not wanted:
            return {}
        with self._lock:
            rows = self._db.execute("SELECT digest, vector FROM vectors").fetchall()
        found = {}
        for digest, blob in rows:
            if digest in wanted and len(blob) == dim * 2:
                found[digest] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        return found

    def put_vectors(self, digests: Sequence[str], vectors: np.ndarray) -> None:
        if not len(digests):
            return
        half = vectors.astype(np.float16)
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                 [(digest, half[row].tobytes()) for row, digest in enumerate(digests)])
