"""Parsed records by blob id, so a curation run re-parses only the files that changed since the last.

Parsing is most of a large run: at 100k files, YAML and Markdown cost ~40 s of a ~60 s run on a
2-vCPU machine, while between two runs a repository changes a few percent of its files. A git
blob id names exact file content, so the parsed record of a blob never goes stale; it is kept as
JSON (``model_dump``; reviving it is validation, no code runs) in
``.learning_fs/curate/records.sqlite`` — derived data, gitignored, deletable. The key also holds
a digest of the record models' schema, so a library that parses differently never reads an old
cache. Files that do not parse are never cached (the error is raised again, naming file and line).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from learning_fs.format.records import RECORD_TYPES, Record

log = logging.getLogger(__name__)

FILE_NAME = "records.sqlite"
CACHE_VERSION = "1"  # bump when parsing changes in a way the models' schema does not show


@functools.lru_cache(maxsize=1)
def schema_digest() -> str:
    """What the cached JSON is valid for: this cache's version and every record model's schema."""
    schemas = {kind: cls.model_json_schema() for kind, cls in sorted(RECORD_TYPES.items())}
    text = json.dumps([CACHE_VERSION, schemas], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ParsedCache:
    """``records(paths_to_blobs, parse)``: parsed records, from the cache or from ``parse``.

    Args:
        directory: Where ``records.sqlite`` lives; None: no cache (everything is parsed).
        read_only: Use the cache but never write it (a dry run writes nothing).
    """

    def __init__(self, directory: str | Path | None, *, read_only: bool = False) -> None:
        self.path = Path(directory).absolute() / FILE_NAME if directory is not None else None
        self.read_only = read_only
        self.hits = 0
        self.parsed = 0

    def records(self, blobs: dict[str, str], parse: Callable[[str, str], Record]) -> dict[str, Record | Exception]:
        """``path -> record`` (or the exception ``parse`` raised) for every ``path -> blob id``."""
        stored = self._lookup(set(blobs.values()))
        out: dict[str, Record | Exception] = {}
        fresh: dict[str, str] = {}
        for path, blob in blobs.items():
            data = stored.get(blob)
            record = _revive(data) if data is not None else None
            if record is not None:
                self.hits += 1
            else:
                try:
                    record = parse(path, blob)
                except Exception as exc:  # the caller reports it, naming the file
                    out[path] = exc
                    continue
                self.parsed += 1
                fresh[blob] = json.dumps([record.kind, record.model_dump(mode="json")], separators=(",", ":"))
            record._path, record._blob = path, blob
            out[path] = record
        self._store(fresh)
        return out

    def _lookup(self, blobs: set[str]) -> dict[str, str]:
        if self.path is None or not self.path.exists() or not blobs:
            return {}
        wanted = [f"{schema_digest()}:{blob}" for blob in blobs]
        found: dict[str, str] = {}
        try:
            with self._connect(write=False) as db:
                for start in range(0, len(wanted), 900):
                    chunk = wanted[start:start + 900]
                    rows = db.execute(f"SELECT key, data FROM records WHERE key IN ({','.join('?' * len(chunk))})",
                                      chunk).fetchall()
                    found.update((key.split(":", 1)[1], data) for key, data in rows)
        except sqlite3.Error as exc:
            log.warning("parsed-record cache %s unreadable (%s); parsing every file", self.path, exc)
        return found

    def _store(self, fresh: dict[str, str]) -> None:
        if self.path is None or self.read_only or not fresh:
            return
        digest = schema_digest()
        try:
            with self._connect(write=True) as db:
                db.execute("DELETE FROM records WHERE key NOT LIKE ?", (f"{digest}:%",))  # an older library's
                db.executemany("INSERT OR REPLACE INTO records (key, data) VALUES (?, ?)",
                               [(f"{digest}:{blob}", data) for blob, data in fresh.items()])
        except sqlite3.Error as exc:  # derived data: the next run parses again
            log.warning("could not write the parsed-record cache %s: %s", self.path, exc)

    def forget_except(self, blobs: set[str]) -> None:
        """Drop cached records of blobs no longer in the repository (after a whole-repository run)."""
        if self.path is None or self.read_only or not self.path.exists():
            return
        digest = schema_digest()
        try:
            with self._connect(write=True) as db:
                db.execute("CREATE TEMP TABLE keep (key TEXT PRIMARY KEY) WITHOUT ROWID")
                db.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", [(f"{digest}:{b}",) for b in blobs])
                db.execute("DELETE FROM records WHERE key NOT IN (SELECT key FROM keep)")
        except sqlite3.Error as exc:
            log.warning("could not trim the parsed-record cache %s: %s", self.path, exc)

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        assert self.path is not None
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30.0)
        else:
            db = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30.0)
        try:
            if write:
                db.execute("CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, data TEXT NOT NULL) "
                           "WITHOUT ROWID")
            yield db
            if write:
                db.commit()
        finally:
            db.close()


def _revive(data: str) -> Record | None:
    try:
        kind, values = json.loads(data)
        return RECORD_TYPES[kind].model_validate(values)
    except Exception:  # a damaged row: parse the file instead
        return None
