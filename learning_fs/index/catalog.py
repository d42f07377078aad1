"""The index's own SQLite file: what is indexed, in which partition, and the BM25 text index.

It is the source of truth for *what* the index holds; Chroma only holds vectors. A vector is
returned by a search only if this catalog agrees (same entry, same partition, chunk still
exists), so an interrupted write can leave an unused vector behind but never a wrong hit, and
``entries_for_verify`` (path, blob) reflects exactly what searches can return.

The FTS5 table is an external-content index over ``entries`` kept in step by triggers; its
``part`` column holds the partition number as a token, so a partition filter is part of the
MATCH expression (FTS5 intersects posting lists) instead of a row-by-row check afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from learning_fs.index.chunking import Span
from learning_fs.index.partitions import PartitionKey
from learning_fs.index.types import Metadata

SCHEMA_VERSION = "2"
#: Entries whose place (partition, kind, chunks) is kept between lookups (see ``Catalog.places``).
PLACES_KEPT = 8192
#: Layouts an index is brought up to date from when it is opened (``search_index._migrate_layout``):
#: 1 kept one Chroma collection of every kind per shared partition.
MIGRATES_FROM = ("1",)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS partitions (
    pid INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    user TEXT NOT NULL,
    active INTEGER NOT NULL,
    UNIQUE (namespace, user, active)
);
CREATE TABLE IF NOT EXISTS entries (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    pid INTEGER NOT NULL REFERENCES partitions (pid),
    part TEXT NOT NULL,          -- str(pid): the partition token the FTS index sees
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    blob TEXT NOT NULL,
    digest TEXT NOT NULL,        -- what the vectors were computed from (text + embedder + chunking)
    chunks TEXT NOT NULL,        -- JSON [[start, end], ...] into body
    nchunks INTEGER NOT NULL,    -- len(chunks): vectors this entry has in its partition
    metadata TEXT NOT NULL,      -- JSON
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_path ON entries (path);
CREATE INDEX IF NOT EXISTS entries_pid_kind ON entries (pid, kind, nchunks);
-- Vectors and entries per (partition, kind): sizes the over-fetch of a kind-filtered dense query.
CREATE TABLE IF NOT EXISTS partition_kinds (
    pid INTEGER NOT NULL,
    kind TEXT NOT NULL,
    vectors INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    PRIMARY KEY (pid, kind)
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
    part, body, content='entries', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS entries_ai AFTER INSERT ON entries BEGIN
    INSERT INTO fts (rowid, part, body) VALUES (new.rowid, new.part, new.body);
    INSERT INTO partition_kinds (pid, kind, vectors, entries) VALUES (new.pid, new.kind, new.nchunks, 1)
        ON CONFLICT (pid, kind) DO UPDATE SET vectors = vectors + excluded.vectors, entries = entries + 1;
END;
CREATE TRIGGER IF NOT EXISTS entries_ad AFTER DELETE ON entries BEGIN
    INSERT INTO fts (fts, rowid, part, body) VALUES ('delete', old.rowid, old.part, old.body);
    UPDATE partition_kinds SET vectors = vectors - old.nchunks, entries = entries - 1
        WHERE pid = old.pid AND kind = old.kind;
END;
"""

#: Update triggers that touch the FTS index and the counts only when what they track changed: a
#: file rewrite updates every entry of the file (its blob), and re-tokenising the unchanged bodies
#: made adding one memory to a long memories file cost as much as re-indexing it.
_UPDATE_TRIGGERS = ("""
CREATE TRIGGER entries_au_text AFTER UPDATE OF part, body ON entries
WHEN old.part IS NOT new.part OR old.body IS NOT new.body BEGIN
    INSERT INTO fts (fts, rowid, part, body) VALUES ('delete', old.rowid, old.part, old.body);
    INSERT INTO fts (rowid, part, body) VALUES (new.rowid, new.part, new.body);
END""", """
CREATE TRIGGER entries_au_kinds AFTER UPDATE OF pid, kind, nchunks ON entries
WHEN old.pid IS NOT new.pid OR old.kind IS NOT new.kind OR old.nchunks IS NOT new.nchunks BEGIN
    UPDATE partition_kinds SET vectors = vectors - old.nchunks, entries = entries - 1
        WHERE pid = old.pid AND kind = old.kind;
    INSERT INTO partition_kinds (pid, kind, vectors, entries) VALUES (new.pid, new.kind, new.nchunks, 1)
        ON CONFLICT (pid, kind) DO UPDATE SET vectors = vectors + excluded.vectors, entries = entries + 1;
END""")


_QUERY_HELPERS = """
CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab (main, fts, 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_text USING fts5 (q, tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_vocab USING fts5vocab (temp, query_text, 'instance');
"""


@dataclass(frozen=True)
class Entry:
    """One indexed entry as the catalog knows it."""

    id: str
    pid: int
    kind: str
    path: str
    blob: str
    digest: str
    chunks: list[Span]
    metadata: Metadata
    body: str


class Catalog:
    """Thread-safe access to the catalog through two SQLite connections (and a third for ``version``).

    The main connection serves writes and entry lookups; the BM25 query of a search runs on a
    second, read-only one (WAL lets it read while the first writes), so a search's lexical
    thread and its dense side never wait on each other's lock: with one shared connection the
    dense side sat blocked behind the FTS query.
    """

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # derived data: a lost tail is re-synced
            self._conn.executescript(_SCHEMA)
            self._update_triggers()
            # BM25 over the body only: the partition token must not add to the score.
            self._conn.execute("INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25(0.0, 1.0)')")
        self._reader = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._reader_lock = threading.Lock()
        # Per-connection helpers for term_frequencies(): the index's vocabulary, and a scratch
        # table with the same tokenizer so query words are stemmed exactly as entries were.
        self._reader.executescript(_QUERY_HELPERS)
        # A third connection that only ever asks data_version (see version()): never behind a lock
        # that an FTS query holds.
        self._watcher = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._watcher_lock = threading.Lock()
        self._partitions: dict[int, PartitionKey] = {}
        self._pids: dict[PartitionKey, int] = {}
        # The same partitions by owner ("" for shared namespaces): a search reads only the shared
        # ones and its own user's, so it need not walk every user's (8k+ at 100k records: ~2 ms).
        self._by_owner: dict[str, dict[PartitionKey, int]] = {}
        self._load_partitions()
        self._places_kept: tuple[int, dict[str, tuple[int, str, int] | None]] = (-1, {})

    def _update_triggers(self) -> None:
        """Create the update triggers, replacing the single one of older catalogs in one transaction
        (another process writing meanwhile sees either set, never neither)."""
        names = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        if {"entries_au_text", "entries_au_kinds"} <= names:
            return
        with self.transaction() as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            if {"entries_au_text", "entries_au_kinds"} <= names:
                return
            conn.execute("DROP TRIGGER IF EXISTS entries_au")
            for statement in _UPDATE_TRIGGERS:
                conn.execute(statement)

    def close(self) -> None:
        """Close the connections (the object is unusable afterwards)."""
        with self._watcher_lock:
            self._watcher.close()
        with self._reader_lock:
            self._reader.close()
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Run a read query on the main connection."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        """Run a read query on the reader connection (the lexical side of a search)."""
        with self._reader_lock:
            return self._reader.execute(sql, params).fetchall()

    def version(self) -> int:
        """A number that changes whenever the catalog was written, by this process or another.

        SQLite's ``data_version`` on a connection that never writes itself: what results derived
        from the catalog (a turn's cached search passes) are keyed on. About 2 us.
        """
        with self._watcher_lock:
            return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    # -- key/value -------------------------------------------------------------------------

    def get_value(self, table: str, key: str) -> str | None:
        rows = self.query(f"SELECT value FROM {_kv(table)} WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_value(self, table: str, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute(f"INSERT OR REPLACE INTO {_kv(table)} (key, value) VALUES (?, ?)", (key, value))

    # -- partitions --------------------------------------------------------------------------

    def _load_partitions(self) -> None:
        for pid, namespace, user, active in self.query("SELECT pid, namespace, user, active FROM partitions"):
            self._remember(PartitionKey(namespace, user, bool(active)), pid)

    def _remember(self, key: PartitionKey, pid: int) -> None:
        self._partitions[pid] = key
        self._pids[key] = pid
        self._by_owner.setdefault(key.user, {})[key] = pid

    def partitions(self) -> dict[PartitionKey, int]:
        """Every partition that exists (it may be empty), with its number."""
        return dict(self._pids)  # no lock: the maps only grow (or are swapped whole by clear)

    def partitions_of(self, user: str | None) -> dict[PartitionKey, int]:
        """The shared partitions and ``user``'s private ones (none without a user), with their numbers.

        The only partitions a search by ``user`` could be allowed to read: callers still pass them
        through :func:`~learning_fs.index.partitions.visible_partitions`, which decides.
        """
        by_owner = self._by_owner  # swapped whole by clear
        found = dict(by_owner.get("", {}))
        if user:
            found.update(by_owner.get(user, {}))
        return found

    def partition_key(self, pid: int) -> PartitionKey:
        return self._partitions[pid]

    def pid_for(self, key: PartitionKey) -> int:
        """The partition's number, creating the partition if needed."""
        with self._lock:
            if key not in self._pids:
                with self.transaction() as conn:
                    cursor = conn.execute(
                        "INSERT INTO partitions (namespace, user, active) VALUES (?, ?, ?)",
                        (key.namespace, key.user, int(key.active)),
                    )
                self._remember(key, int(cursor.lastrowid or 0))
            return self._pids[key]

    # -- entries -----------------------------------------------------------------------------

    def entries(self, ids: Iterable[str], with_body: bool = False) -> dict[str, Entry]:
        """The catalog's entries for ``ids`` (missing ids are simply absent)."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Entry] = {}
        body = "body" if with_body else "''"
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            rows = self.query(
                f"SELECT id, pid, kind, path, blob, digest, chunks, metadata, {body} FROM entries "
                f"WHERE id IN ({','.join('?' * len(batch))})",
                batch,
            )
            for row in rows:
                found[row[0]] = Entry(
                    id=row[0],
                    pid=row[1],
                    kind=row[2],
                    path=row[3],
                    blob=row[4],
                    digest=row[5],
                    chunks=[Span(s, e) for s, e in json.loads(row[6])],
                    metadata=json.loads(row[7]),
                    body=row[8],
                )
        return found

    def places(self, ids: Iterable[str]) -> dict[str, tuple[int, str, int]]:
        """(partition, kind, number of chunks) of each of ``ids``: what a dense hit is checked against.

        The dense side vouches for hundreds of neighbours per search; decoding their metadata
        and chunk lists (:meth:`entries`) cost more than the vector search itself. What was
        looked up is kept until the catalog changes (:meth:`version`), so a lookup made ahead,
        while the search that needs it waits for its turn (the index warms a turn's shared
        neighbours), is not made again.
        """
        version = self.version()
        kept_at, kept = self._places_kept
        if kept_at != version or len(kept) > PLACES_KEPT:
            kept = {}
            self._places_kept = (version, kept)
        wanted = list(dict.fromkeys(ids))
        found: dict[str, tuple[int, str, int]] = {}
        missing = []
        for entry_id in wanted:
            if entry_id not in kept:
                missing.append(entry_id)
            elif (place := kept[entry_id]) is not None:
                found[entry_id] = place
        for start in range(0, len(missing), 500):
            batch = missing[start : start + 500]
            rows = self.query(f"SELECT id, pid, kind, nchunks FROM entries WHERE id IN ({','.join('?' * len(batch))})",
                              batch)
            found.update((row[0], (row[1], row[2], row[3])) for row in rows)
        for entry_id in missing:
            kept[entry_id] = found.get(entry_id)  # None: not in the catalog (a vector left behind)
        return found

    def write_entries(self, entries: Sequence[Entry], also: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """Insert or replace entries (the triggers keep the FTS index in step).

        ``also(conn)`` runs in the same transaction (the fresh segment stages the entries' vectors
        there, so a crash keeps both or neither).
        """
        with self.transaction() as conn:
            if also is not None:
                also(conn)
            for entry in entries:
                row = (
                    entry.pid,
                    str(entry.pid),
                    entry.kind,
                    entry.path,
                    entry.blob,
                    entry.digest,
                    json.dumps([[s.start, s.end] for s in entry.chunks]),
                    len(entry.chunks),
                    json.dumps(entry.metadata, sort_keys=True),
                    entry.body,
                    entry.id,
                )
                updated = conn.execute(
                    "UPDATE entries SET pid=?, part=?, kind=?, path=?, blob=?, digest=?, chunks=?, nchunks=?, "
                    "metadata=?, body=? WHERE id=?",
                    row,
                ).rowcount
                if not updated:
                    conn.execute(
                        "INSERT INTO entries (pid, part, kind, path, blob, digest, chunks, nchunks, metadata, body, id)"
                        " "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        row,
                    )

    def ids_for_paths(self, paths: Iterable[str]) -> list[tuple[str, int, int, str]]:
        """(id, pid, number of chunks, kind) of every entry whose path is in ``paths``."""
        wanted = list(dict.fromkeys(paths))
        found: list[tuple[str, int, int, str]] = []
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            found += self.query(
                f"SELECT id, pid, nchunks, kind FROM entries WHERE path IN ({','.join('?' * len(batch))})",
                batch,
            )
        return found

    def delete_ids(self, ids: Sequence[str], also: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """Delete entries by id; ``also(conn)`` runs in the same transaction (see :meth:`write_entries`)."""
        with self.transaction() as conn:
            if also is not None:
                also(conn)
            delete_ids_in(conn, ids)

    def kind_counts(self, pids: Collection[int]) -> dict[int, dict[str, tuple[int, int]]]:
        """(vectors, entries) per kind for each of ``pids``: a lookup in a small table."""
        counts: dict[int, dict[str, tuple[int, int]]] = {pid: {} for pid in pids}
        rows = self.query(
            f"SELECT pid, kind, vectors, entries FROM partition_kinds WHERE pid IN ({','.join('?' * len(pids))})",
            list(pids),
        )
        for pid, kind, vectors, entries in rows:
            counts[pid][kind] = (vectors, entries)
        return counts

    def entries_in(self, pids: Collection[int]) -> int:
        """How many entries the partitions hold (from the small per-partition counts table)."""
        rows = self.read(
            f"SELECT COALESCE(SUM(entries), 0) FROM partition_kinds WHERE pid IN ({','.join('?' * len(pids))})",
            list(pids),
        )
        return int(rows[0][0])

    def verify_rows(self) -> Iterator[tuple[str, str]]:
        """(path, blob) of every entry, ordered by path, read in pages so the lock is not held long."""
        last = ("", "")
        while True:
            rows = self.query(
                "SELECT path, id, blob FROM entries WHERE (path, id) > (?, ?) ORDER BY path, id LIMIT 1000", last
            )
            yield from ((path, blob) for path, _, blob in rows)
            if len(rows) < 1000:
                return
            last = (rows[-1][0], rows[-1][1])

    def term_frequencies(self, words: Sequence[str]) -> list[tuple[str, str, int]]:
        """(word, indexed term, entries containing the term) for each word that yields a term.

        Words go through the index's own tokenizer (Porter stems), so the terms are exactly what
        a MATCH on each word looks up; about 0.7 ms at 100k entries.
        """
        with self._reader_lock:
            self._reader.execute("DELETE FROM temp.query_text")
            self._reader.executemany("INSERT INTO temp.query_text (rowid, q) VALUES (?, ?)", enumerate(words))
            stems = self._reader.execute("SELECT doc, term FROM temp.query_vocab").fetchall()
            terms = sorted({term for _, term in stems})
            if not terms:
                return []
            found = dict(
                self._reader.execute(
                    f"SELECT term, doc FROM temp.fts_vocab WHERE term IN ({','.join('?' * len(terms))})", terms
                ).fetchall()
            )
        return [(words[doc], term, int(found.get(term, 0))) for doc, term in stems]

    def count(self) -> int:
        return int(self.query("SELECT COUNT(*) FROM entries")[0][0])

    def clear(self) -> None:
        """Forget every entry and partition (state and config stay)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM entries")
            conn.execute("DELETE FROM partitions")
            conn.execute("DELETE FROM partition_kinds")
            conn.execute("INSERT INTO fts (fts) VALUES ('rebuild')")
        with self._lock:
            self._partitions = {}
            self._pids = {}
            self._by_owner = {}


def delete_ids_in(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Delete entries by id inside the caller's transaction (the triggers keep FTS and counts in step)."""
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        conn.execute(f"DELETE FROM entries WHERE id IN ({','.join('?' * len(batch))})", batch)


def _kv(table: str) -> str:
    if table not in ("config", "state"):
        raise ValueError(f"unknown key/value table {table!r}")
    return table
