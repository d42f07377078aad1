"""SearchIndex: hybrid (dense + BM25) search over entries, partitioned by namespace, owner and status.

Layout of an index directory::

    catalog.sqlite3   entries, partitions, BM25 (FTS5), small state values            (catalog.py)
                      and the fresh segment: vectors of recent small writes           (fresh.py)
    chroma/           Chroma PersistentClient: a collection per shared partition, hashed
                      buckets for private ones, a union of all active shared vectors  (dense.py)

A search picks the partitions it may read (partitions.py: the privacy rule), runs the BM25
query in a worker thread while the query is embedded, queries the collections holding those
partitions (unfiltered, or by owner in a private bucket), keeps only vectors the catalog vouches
for (the fresh segment's pending vectors merged in, winning over Chroma's copy), and fuses the
two rankings' scaled scores, the dense one weighted by how sure its best hit
is (fusion.py). Everything here is derived
from the memory repository and can be rebuilt; nothing reads git.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from learning_fs.index.catalog import MIGRATES_FROM, SCHEMA_VERSION, Catalog, Entry, delete_ids_in
from learning_fs.index.chunking import CHUNK_OVERLAP, CHUNK_TOKENS, chunk_spans
from learning_fs.index.dense import (
    MAX_FETCH,
    QueryPlan,
    VectorStore,
    chunk_id,
    persistent_client,
    split_chunk_id,
)
from learning_fs.index.embeddings import Embedder, default_embedder
from learning_fs.index.errors import IndexMismatchError
from learning_fs.index.fresh import FreshRow, FreshSegment
from learning_fs.index.fusion import DENSE_FLOOR, DENSE_SURE, checked_fusion
from learning_fs.index.lexical import lexical_search, lexical_search_by_kind, query_terms
from learning_fs.index.partitions import (
    PRIVATE_BUCKETS,
    collection_suffix,
    kind_tag,
    partition_of,
    visible_partitions,
)
from learning_fs.index.snippets import best_chunk, make_snippet
from learning_fs.index.types import USER_NAMESPACE, Hit, IndexDoc, SearchMode

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

T = TypeVar("T")
log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite3"
CHROMA_DIR = "chroma"
#: Candidates taken from each ranking before fusion (at least; 3 x k when k is larger).
FUSION_DEPTH = 50
#: Second collections, one per kind (``shared-a-<kind>``), holding every active shared vector of
#: that kind. The most common search ("what may user U see": all shared namespaces + U's private
#: ones) then makes one Chroma query for its kind instead of one per namespace (~1 ms of fixed
#: cost each, measured); writes of shared entries go to both.
SHARED_UNION = "shared-a"
#: Recent query embeddings kept (a turn's stores search the same message; see ``query_vector``).
QUERY_VECTORS = 64
#: Searches and search passes kept for the rest of a turn (results, catalog-checked neighbours,
#: BM25 per kind; see ``SearchIndex._turn_cached``), and for how many seconds at most.
TURN_KEPT = 48
TURN_TTL = 5.0
#: Shared neighbour queries recent turns asked, warmed by a prefetch (see ``SearchIndex._warm``),
#: at most this many, each kept this many seconds after it was last asked.
WARM_KEPT = 16
WARM_TTL = 120.0
#: How deep a turn's BM25 pass over every kind goes (a store asking deeper gets a deeper pass).
LEXICAL_PASS = 4 * FUSION_DEPTH
#: Entries embedded and written per step of a bulk upsert (bounds memory, keeps transactions short).
UPSERT_BATCH = 512


class SearchIndex:
    """A rebuildable search index in one directory. Open it with :meth:`open`."""

    def __init__(self, catalog: Catalog, vectors: VectorStore, embedder: Embedder, buckets: int,
                 fresh: FreshSegment | None = None) -> None:
        self._catalog = catalog
        self._vectors = vectors
        self._fresh = fresh if fresh is not None else FreshSegment(catalog, vectors, embedder.dim)
        self._lost: list[str] = []  # paths whose fresh vectors were unreadable at open (see lost_paths)
        self.embedder = embedder
        self._buckets = buckets
        self._lexical_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lfs-lexical")
        self._embed_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lfs-embed")
        self._pending_vectors: dict[tuple[str, str], Future[np.ndarray]] = {}
        self.healed = False  # set by the service when this replaced an unreadable index folder
        self._closed = False
        self._query_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()
        self._turn_cache: OrderedDict[tuple[object, ...], tuple[tuple[int, int], float, Future[Any]]] = OrderedDict()
        self._turn_lock = threading.Lock()
        # (collection, filter) -> (neighbours asked, when): the shared queries recent turns made
        self._warm: OrderedDict[tuple[str, str], tuple[QueryPlan, float]] = OrderedDict()

    @classmethod
    def open(
        cls, directory: str | Path, embedder: Embedder | None = None, client: ClientAPI | None = None,
        *, writer: bool = True,
    ) -> SearchIndex:
        """Open (or create) the index in ``directory``.

        ``embedder`` defaults to the offline MiniLM; ``client`` defaults to a Chroma
        ``PersistentClient`` in ``directory/chroma`` (pass a ``chromadb.HttpClient`` to keep the
        vectors on a server; the catalog stays in ``directory``). An index remembers the embedder
        it was built with and refuses another one unless it is empty. ``writer=False`` (another
        process keeps the index current) never folds the fresh segment into Chroma.
        """
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(root / CATALOG_FILE)
        try:
            embedder = embedder or default_embedder()
            switched = _check_config(catalog, embedder)
            uid = catalog.get_value("config", "uid")
            if uid is None:
                uid = uuid.uuid4().hex[:12]
                catalog.set_value("config", "uid", uid)
                catalog.set_value("config", "buckets", str(PRIVATE_BUCKETS))
            buckets = int(catalog.get_value("config", "buckets") or PRIVATE_BUCKETS)
            vectors_lost = client is None and not (root / CHROMA_DIR).exists() and catalog.count() > 0
            chroma = client if client is not None else persistent_client(root / CHROMA_DIR)
            vectors = VectorStore(chroma, uid, owned=client is None)
            fresh = FreshSegment(catalog, vectors, embedder.dim, writer=writer)
            if switched:  # an empty index changing embedder: old collections have the old size
                fresh.clear()
                vectors.drop()
                catalog.clear()
            elif vectors_lost:  # someone deleted chroma/: forget the entries so a sync re-adds them
                fresh.clear()
                catalog.clear()
            lost = _forget_lost(catalog, fresh.check()) if writer else []
            if catalog.get_value("config", "schema") in MIGRATES_FROM:
                _migrate_layout(root, catalog, vectors, fresh, writer=writer)
        except BaseException:
            catalog.close()
            raise
        index = cls(catalog, vectors, embedder, buckets, fresh)
        index._lost = lost
        fresh.resume()
        return index

    def close(self) -> None:
        """Fold the fresh segment into Chroma; release the catalog connection and worker threads."""
        self._closed = True
        self._embed_pool.shutdown(wait=True)
        self._fresh.close()
        self._lexical_pool.shutdown(wait=True)
        self._vectors.close()
        self._catalog.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def upsert(self, docs: Iterable[IndexDoc]) -> int:
        """Add or replace entries by id; return how many had to be (re-)embedded.

        An entry whose text is unchanged is not embedded again, even when its metadata changed
        (a status change moves its vectors to another partition), and an entry that did not
        change at all is not written. The last of several docs with the same id wins.
        """
        latest = {doc.id: doc for doc in docs}
        for doc in latest.values():
            doc.validate()
        # Grouped by collection, so a bulk load makes few, large Chroma calls (each has ~10-30 ms
        # of fixed cost) instead of one per partition per batch.
        ordered = sorted(
            latest.values(),
            key=lambda doc: self._suffix(self._catalog.pid_for(partition_of(doc.metadata)), str(doc.metadata["kind"])),
        )
        embedded = 0
        for start in range(0, len(ordered), UPSERT_BATCH):
            done = self._upsert_batch(ordered[start : start + UPSERT_BATCH])
            assert done is not None
            embedded += done
        return embedded

    def replace(self, docs: Iterable[IndexDoc], paths: Iterable[str]) -> int | None:
        """Make ``docs`` the only entries of ``paths`` in one catalog transaction; embedded count.

        What a small write of a file needs (its entries now, the ones it no longer yields gone),
        atomically, so no re-index mark is needed. None, with nothing changed, when it is too big
        for one step: the caller then upserts and deletes by path in steps.
        """
        latest = {doc.id: doc for doc in docs}
        if len(latest) > UPSERT_BATCH:
            return None
        for doc in latest.values():
            doc.validate()
        obsolete = [found for found in self._catalog.ids_for_paths(paths) if found[0] not in latest]
        return self._upsert_batch(list(latest.values()), obsolete)

    def _upsert_batch(
        self, docs: list[IndexDoc], obsolete: list[tuple[str, int, int, str]] | None = None
    ) -> int | None:
        """Write one batch; with ``obsolete`` (entries to delete in the same transaction) only if the
        whole change fits the fresh segment, else None before anything is embedded or written."""
        old = self._catalog.entries(doc.id for doc in docs)
        new: list[Entry] = []
        to_embed: list[tuple[Entry, str]] = []  # (entry, chunk text) for every chunk to embed
        moved: list[tuple[Entry, Entry]] = []  # (old, new) with unchanged text in another partition
        for doc in docs:
            digest = self._digest(doc.text)
            previous = old.get(doc.id)
            # Same digest, same chunking: reuse the spans instead of tokenising the text again.
            spans = previous.chunks if previous is not None and previous.digest == digest else chunk_spans(doc.text)
            entry = Entry(
                id=doc.id,
                pid=self._catalog.pid_for(partition_of(doc.metadata)),
                kind=str(doc.metadata["kind"]),
                path=str(doc.metadata["path"]),
                blob=str(doc.metadata["blob"]),
                digest=digest,
                chunks=spans,
                metadata=dict(doc.metadata),
                body=doc.text,
            )
            if previous is not None and _same(previous, entry):
                continue  # a re-sync of an unchanged entry: nothing to write anywhere
            new.append(entry)
            if previous is None or previous.digest != entry.digest:
                to_embed += [(entry, doc.text[s.start : s.end]) for s in spans]
            elif previous.pid != entry.pid or previous.kind != entry.kind:
                moved.append((previous, entry))  # same vectors, new place or new metadata
        # What the catalog will no longer point at: chunks past the new count, and every chunk in
        # a collection the entry left; with ``obsolete``, every chunk of the entries deleted.
        stale: list[FreshRow] = []
        new_by_id = {entry.id: entry for entry in new}
        for previous in old.values():
            current = new_by_id.get(previous.id)
            if current is None:  # unchanged
                continue
            for place in self._places(previous.pid, previous.kind):
                keep = len(current.chunks) if place in self._places(current.pid, current.kind) else 0
                stale += [FreshRow(place, chunk_id(previous.id, i), previous.id, i, previous.pid, previous.kind, "",
                                   None)
                          for i in range(keep, len(previous.chunks))]
        stale += [FreshRow(place, chunk_id(entry_id, i), entry_id, i, pid, kind, "", None)
                  for entry_id, pid, chunks, kind in obsolete or () for place in self._places(pid, kind)
                  for i in range(chunks)]
        expected = len(stale) + sum(len(self._places(entry.pid, entry.kind)) for entry, _ in to_embed)
        expected += sum(len(entry.chunks) * len(self._places(entry.pid, entry.kind)) for _, entry in moved)
        if obsolete is not None and not self._fresh.accepts(expected):
            return None
        vectors = self.embedder.embed([text for _, text in to_embed]) if to_embed else None
        rows: list[FreshRow] = []  # every vector to write, per collection

        def add(entry: Entry, chunk: int, vector: np.ndarray) -> None:
            owner = self._catalog.partition_key(entry.pid).user
            for place in self._places(entry.pid, entry.kind):
                rows.append(FreshRow(place, chunk_id(entry.id, chunk), entry.id, chunk, entry.pid, entry.kind, owner,
                                     vector))

        embedded = {entry.id for entry, _ in to_embed}
        chunk_of: dict[str, int] = {}
        for row, (entry, _) in enumerate(to_embed):
            chunk = chunk_of.get(entry.id, 0)
            chunk_of[entry.id] = chunk + 1
            assert vectors is not None
            add(entry, chunk, vectors[row])
        for previous, entry in moved:
            wanted = [chunk_id(previous.id, i) for i in range(len(previous.chunks))]
            stored = self._fresh.vectors(wanted)  # not folded into Chroma yet: Chroma's copy is older
            missing = [cid for cid in wanted if cid not in stored]
            if missing:
                stored.update(self._vectors.vectors(self._suffix(previous.pid, previous.kind), missing))
            if len(stored) != len(entry.chunks):  # vectors lost (interrupted write): embed again
                fresh = self.embedder.embed([entry.body[s.start : s.end] for s in entry.chunks])
                stored = {chunk_id(entry.id, i): fresh[i] for i in range(len(entry.chunks))}
                embedded.add(entry.id)
            for i in range(len(entry.chunks)):
                add(entry, i, stored[chunk_id(entry.id, i)])
        gone_ids = [entry_id for entry_id, _, _, _ in obsolete or ()]
        if obsolete is not None or self._fresh.accepts(len(rows) + len(stale)):
            # A small write: vectors and entries in one catalog transaction; Chroma later (fresh.py).
            staged = rows + stale

            def also(conn: sqlite3.Connection) -> None:
                delete_ids_in(conn, gone_ids)
                self._fresh.stage(conn, staged)

            self._catalog.write_entries(new, also=also)
            self._fresh.staged(len(staged))
            return len(embedded)
        with self._fresh.direct():
            for suffix, (ids, vecs, metas) in _by_collection(rows).items():
                self._vectors.upsert(suffix, ids, np.stack(vecs), metas)
            self._catalog.write_entries(new)
            # Only now drop what the catalog no longer points at: an interruption above leaves
            # vectors the catalog does not vouch for (never returned), not entries without vectors.
            for place, cids in _deletes_by_collection(stale).items():
                self._vectors.delete(place, cids)
        return len(embedded)

    def _suffix(self, pid: int, kind: str) -> str:
        """The collection a partition's vectors of ``kind`` are searched in when it is queried on its own."""
        return collection_suffix(self._catalog.partition_key(pid), pid, self._buckets, kind)

    def _places(self, pid: int, kind: str) -> tuple[str, ...]:
        """Every collection holding the partition's vectors of ``kind``: its own, plus the union of
        all active shared partitions' vectors of that kind for those (see :data:`SHARED_UNION`)."""
        key = self._catalog.partition_key(pid)
        if key.active and key.namespace != USER_NAMESPACE:
            return (self._suffix(pid, kind), _union(kind))
        return (self._suffix(pid, kind),)

    def _digest(self, text: str) -> str:
        recipe = f"{self.embedder.name}\0{CHUNK_TOKENS}\0{CHUNK_OVERLAP}\0"
        return hashlib.sha256((recipe + text).encode()).hexdigest()[:32]

    def delete_paths(self, paths: Iterable[str]) -> int:
        """Remove every entry whose metadata ``path`` is in ``paths``; return how many."""
        found = self._catalog.ids_for_paths(paths)
        if not found:
            return 0
        ids = [entry_id for entry_id, _, _, _ in found]
        gone = [FreshRow(place, chunk_id(entry_id, i), entry_id, i, pid, kind, "", None)
                for entry_id, pid, chunks, kind in found for place in self._places(pid, kind) for i in range(chunks)]
        if self._fresh.accepts(len(gone)):  # a few files: hidden now, deleted from Chroma by the next fold
            self._catalog.delete_ids(ids, also=lambda conn: self._fresh.stage(conn, gone))
            self._fresh.staged(len(gone))
            return len(found)
        with self._fresh.direct():
            self._catalog.delete_ids(ids)
            for suffix, cids in _deletes_by_collection(gone).items():
                self._vectors.delete(suffix, cids)
        return len(found)

    def clear(self) -> None:
        """Remove every entry and vector (state values such as the indexed commit stay)."""
        with self._fresh.direct(fold=False):
            self._fresh.clear()
            self._vectors.drop()
            self._catalog.clear()

    def fold(self) -> int:
        """Write the fresh segment's pending vectors into Chroma now; return how many rows were applied.

        A background thread does this once the index is quiet (and :meth:`close` does); call it to
        time a fold or to leave nothing pending.
        """
        return self._fresh.fold()

    def pending(self) -> int:
        """Vector rows in the fresh segment, not yet folded into Chroma."""
        return self._fresh.pending()

    def lost_paths(self) -> list[str]:
        """Paths whose entries were dropped at open because their fresh vectors were unreadable.

        The sync layer re-indexes them; asking empties the list.
        """
        lost, self._lost = self._lost, []
        return lost

    # -- reading -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        kind: str | Sequence[str] | None = None,
        namespace: str | Sequence[str] | None = None,
        user: str | None = None,
        include_inactive: bool = False,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        """The ``k`` best entries for ``query``.

        ``kind`` and ``namespace`` restrict to one value or any of several. ``user`` is who is
        asking: it makes that user's private entries (namespace ``user``) searchable and never
        anyone else's; without it no private entry is returned. Superseded and expired entries
        are skipped unless ``include_inactive``.
        """
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"mode must be 'hybrid', 'dense' or 'lexical', not {mode!r}")
        if self._closed:
            raise RuntimeError("the search index is closed")
        if k <= 0 or not query.strip():
            return []
        kinds = _as_set(kind)
        if kinds is not None and not kinds:
            return []
        spaces = _as_set(namespace)
        # A search asked again within the turn (two threads, or a store's tool after its recall)
        # is this lookup.
        key = ("search", query, k, _frozen(kinds), _frozen(spaces), user or None, include_inactive, mode)
        try:
            return list(self._turn_cached(key, lambda: self._search(query, k, kinds, spaces, user or None,
                                                                    include_inactive, mode)))
        except sqlite3.ProgrammingError as exc:  # the catalog connection closed under this search
            if self._closed:  # what a search racing close() (a heal swapping indexes) always raises
                raise RuntimeError("the search index was closed during the search") from exc
            raise

    def _search(self, query: str, k: int, kinds: set[str] | None, spaces: set[str] | None, user: str | None,
                include_inactive: bool, mode: SearchMode) -> list[Hit]:
        partitions = self._catalog.partitions_of(user or None)
        keys = visible_partitions(partitions, spaces, user or None, include_inactive)
        pids = [partitions[key] for key in keys]
        if not pids:
            return []
        depth = max(FUSION_DEPTH, 3 * k)
        lexical: Future[list[tuple[str, float]]] | None = None
        if mode != "dense":
            lexical = self._lexical_pool.submit(self._lexical, query, pids, kinds, depth)
        dense: list[tuple[str, float, int]] = []
        if mode != "lexical":
            dense = self._dense_search(self.query_vector(query), pids, kinds, depth)
        lexical_hits = lexical.result() if lexical is not None else []
        best_chunk_of = {entry_id: chunk for entry_id, _, chunk in dense}
        if mode == "dense":
            ranked = [(entry_id, score) for entry_id, score, _ in dense]
        elif mode == "lexical":
            ranked = lexical_hits
        else:
            floor, sure = getattr(self.embedder, "cosine_scale", (DENSE_FLOOR, DENSE_SURE))
            ranked = checked_fusion([(e, score) for e, score, _ in dense], lexical_hits, floor, sure)
        return self._hits(ranked[:k], best_chunk_of, query, user or None)

    def _lexical(self, query: str, pids: list[int], kinds: set[str] | None, depth: int) -> list[tuple[str, float]]:
        """BM25 hits of ``kinds`` in ``pids``; a kind-filtered search reads a pass over every kind
        (:func:`lexical_search_by_kind`) that the turn's other stores then reuse."""
        if kinds is None:
            return lexical_search(self._catalog, query, pids, None, depth)
        # One depth for every store of the turn (they ask 90-200 deep), so they share the pass.
        deep = max(depth, LEXICAL_PASS)
        key = ("lexical", query, tuple(pids), deep)
        by_kind = self._turn_cached(key, lambda: lexical_search_by_kind(self._catalog, query, pids, deep))
        if len(kinds) == 1:
            return by_kind.get(next(iter(kinds)), [])[:depth]
        merged = [hit for kind in kinds for hit in by_kind.get(kind, [])[:depth]]
        return sorted(merged, key=lambda hit: -hit[1])[:depth]

    def _turn_cached(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()``, or what it gave for ``key`` within the last :data:`TURN_TTL` seconds if
        neither the catalog nor the vectors changed since (the several searches of one turn).

        A computation in flight is waited for, not repeated: searches from several threads (an
        agent server's concurrent turns) often need the same pass at once.
        """
        version = (self._catalog.version(), self._vectors.generation)
        now = time.monotonic()
        with self._turn_lock:
            known = self._turn_cache.get(key)
            if known is not None and known[0] == version and now - known[1] <= TURN_TTL:
                self._turn_cache.move_to_end(key)
                running = cast("Future[T]", known[2])
            else:
                running = None
                mine: Future[T] = Future()
                self._turn_cache[key] = (version, now, mine)
                while len(self._turn_cache) > TURN_KEPT:
                    self._turn_cache.popitem(last=False)
        if running is not None:
            try:
                return running.result()
            except Exception:  # the other caller's error: compute here, where it is this caller's
                return compute()
        try:
            value = compute()
        except BaseException as exc:
            mine.set_exception(exc)
            self._forget_turn(key, mine)
            raise
        mine.set_result(value)
        if (self._catalog.version(), self._vectors.generation) != version:  # written meanwhile: not for later
            self._forget_turn(key, mine)
        return value

    def _forget_turn(self, key: tuple[object, ...], value: Future[Any]) -> None:
        with self._turn_lock:
            if (known := self._turn_cache.get(key)) is not None and known[2] is value:
                del self._turn_cache[key]

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding, computed once for the several searches of one turn.

        Recall asks each store's search the same message (memories, entities, learnings,
        decisions): one embedding (8-11 ms) instead of four. A small LRU of recent queries,
        keyed by embedder name, so a swapped-in bulk embedder (same model) reuses it too. A
        :meth:`prefetch` of the same query in flight is waited for, not repeated.
        """
        key = (self.embedder.name, query)
        with self._query_lock:
            vector = self._query_vectors.get(key)
            if vector is not None:
                self._query_vectors.move_to_end(key)
                return vector
            pending = self._pending_vectors.get(key)
        if pending is not None:
            try:
                return pending.result()
            except Exception:  # the prefetch failed: embed here, where the error is the caller's
                log.debug("query prefetch failed; embedding again", exc_info=True)
        return self._embed_query(key)

    def prefetch(self, query: str) -> None:
        """Start embedding ``query`` on a worker thread; the turn's first search then waits for it.

        The machine calls this as a turn starts, so the embedding (the largest single cost of a
        turn's recall) overlaps the stores that read files before any of them searches.
        """
        if not query.strip():
            return
        key = (self.embedder.name, query)
        with self._query_lock:
            if key in self._query_vectors or key in self._pending_vectors:
                return
            try:
                future = self._embed_pool.submit(self._embed_and_warm, key)
            except RuntimeError:  # closed: the search that follows says so
                return
            self._pending_vectors[key] = future
        future.add_done_callback(lambda _: self._forget_pending(key, future))

    def _forget_pending(self, key: tuple[str, str], future: Future[np.ndarray]) -> None:
        with self._query_lock:
            if self._pending_vectors.get(key) is future:
                del self._pending_vectors[key]

    def _embed_and_warm(self, key: tuple[str, str]) -> np.ndarray:
        """A prefetch: embed the query, then start the shared neighbour queries recent turns asked.

        A turn's stores search one after another (each store's budget depends on the ones
        before it), and each waits for its own Chroma query (2.6-5 ms). Started here, the same
        queries run side by side as soon as the vector exists (Chroma releases the GIL), and
        each search finds its own done or running. Only queries of shared collections, the same
        for every user, are warmed; what they return is still checked against the catalog and
        the asking user's partitions.
        """
        vector = self._embed_query(key)
        now = time.monotonic()
        with self._turn_lock:
            plans = [plan for plan, asked in self._warm.values() if now - asked <= WARM_TTL]
        if plans:
            self._vectors.warm(vector, plans, then=self._look_up_ahead)
        return vector

    def _look_up_ahead(self, neighbours: list[tuple[str, float]]) -> None:
        """Look a warmed query's neighbours up in the catalog (kept there for the search's check)."""
        self._catalog.places(split_chunk_id(cid)[0] for cid, _ in neighbours[: _Vouching.WINDOW])

    def _note_warm(self, plans: Iterable[QueryPlan]) -> None:
        """Remember the unfiltered shared queries of a search, to warm them at the next prefetch."""
        now = time.monotonic()
        with self._turn_lock:
            for plan in plans:
                key = (plan.collection, repr(plan.where))
                known = self._warm.get(key)
                deepest = plan if known is None or plan.n_results >= known[0].n_results else known[0]
                self._warm[key] = (QueryPlan(0, plan.collection, deepest.n_results, plan.where), now)
                self._warm.move_to_end(key)
            while len(self._warm) > WARM_KEPT:
                self._warm.popitem(last=False)

    def _embed_query(self, key: tuple[str, str]) -> np.ndarray:
        vector = self.embedder.embed([key[1]])[0]
        with self._query_lock:
            self._query_vectors[key] = vector
            self._query_vectors.move_to_end(key)
            while len(self._query_vectors) > QUERY_VECTORS:
                self._query_vectors.popitem(last=False)
        return vector

    def _dense_search(
        self, vector: np.ndarray, pids: list[int], kinds: set[str] | None, depth: int
    ) -> list[tuple[str, float, int]]:
        """(entry id, cosine, best chunk) for up to ``depth`` entries, best first.

        Shared partitions keep a collection per kind (and the active ones a union per kind), so
        a store's search asks its own kind's collection for as many neighbours as it needs,
        unfiltered. A private bucket mixes kinds and owners: it is asked, filtered by owner, for
        the same number of neighbours whatever the kind (:func:`_shared_fetch`), so the stores of
        one turn share one query (the neighbour cache) and one catalog check (:meth:`_vouched`).
        """
        # Before Chroma: a fold writes Chroma first and drops its rows after. Kept for the turn
        # like the passes (the rows live in the catalog: a fold or write changes its version).
        fresh = self._turn_cached(("fresh",), self._fresh.view)
        allowed = list(pids)
        keys = {pid: self._catalog.partition_key(pid) for pid in pids}
        counts = self._catalog.kind_counts(pids)
        n_results = depth + depth // 2  # a long entry may have several chunks among them
        groups: list[tuple[str, list[int]]] = []  # (collection, partitions it answers for)
        plans: list[QueryPlan] = []

        def ask(collection: str, members: list[int], n: int, where: dict[str, Any] | None = None) -> None:
            plans.append(QueryPlan(len(groups), collection, n, where))
            groups.append((collection, members))

        def kinds_in(members: list[int]) -> dict[str, tuple[int, int]]:
            """(vectors, entries) of each asked kind the partitions hold."""
            found: dict[str, tuple[int, int]] = {}
            for pid in members:
                for kind_name, (vectors, entries) in counts.get(pid, {}).items():
                    if vectors > 0 and (kinds is None or kind_name in kinds):
                        had = found.get(kind_name, (0, 0))
                        found[kind_name] = (had[0] + vectors, had[1] + entries)
            return found

        def deep(vectors: int, entries: int) -> int:
            return n_results if vectors > entries else depth + depth // 10  # one chunk each: little spare

        shared = [pid for pid in pids if keys[pid].namespace != USER_NAMESPACE]
        active = [pid for pid in shared if keys[pid].active]
        every_active = {p for k, p in self._catalog.partitions_of(None).items()
                        if k.active and k.namespace != USER_NAMESPACE}
        if len(active) > 1 and set(active) == every_active:  # all of them: one query per kind on the union
            for kind_name, (vectors, entries) in sorted(kinds_in(active).items()):
                ask(_union(kind_name), active, deep(vectors, entries))
            shared = [pid for pid in shared if pid not in every_active]
        for pid in shared:
            for kind_name, (vectors, entries) in sorted(kinds_in([pid]).items()):
                ask(self._suffix(pid, kind_name), [pid], deep(vectors, entries))
        kind_filter = {"kind": {"$in": sorted(kinds)}} if kinds is not None else None
        for pid in pids:
            if keys[pid].namespace != USER_NAMESPACE:
                continue
            # A private partition shares a bucket: Chroma filters by owner (the privacy boundary
            # of the bucket; the catalog check below is the second one).
            mine: dict[str, Any] = {"user": keys[pid].user}
            held = counts.get(pid, {})
            total = sum(vectors for vectors, _ in held.values())
            wanted = sum(vectors for kind_name, (vectors, _) in held.items() if kinds is None or kind_name in kinds)
            if wanted == 0:
                continue
            fetch = _shared_fetch(total, wanted, depth) if kinds is not None else n_results
            if fetch is not None:
                ask(self._suffix(pid, ""), [pid], fetch, mine)
            else:  # a rare kind: Chroma's where filter is cheaper than fetching that many
                ask(self._suffix(pid, ""), [pid], n_results, {"$and": [mine, kind_filter]})
        self._note_warm(plan for plan in plans if plan.where is None)  # shared collections: no owner filter
        found = self._vectors.search_plans(vector, plans) if plans else []
        if fresh:  # pending vectors win over Chroma's copy of the same chunk (older, or deleted since)
            found = [[hit for hit in hits if hit[0] not in fresh.hidden] for hits in found]
            # a plan only to key its catalog check: the pending rows searched, for these kinds
            ask("", allowed, n_results, {"fresh": fresh.stamp, "kinds": sorted(kinds) if kinds is not None else None})
            found.append(fresh.nearest(vector, allowed, kinds, n_results))
        best: dict[str, tuple[float, int]] = {}
        probe = vector.tobytes()
        for plan, neighbours in zip(plans, found, strict=True):
            vouched = self._vouched(probe, plan, groups[plan.tag][1], neighbours, kinds, depth)
            for entry_id, similarity, chunk in vouched:
                if entry_id not in best or similarity > best[entry_id][0]:
                    best[entry_id] = (similarity, chunk)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])
        return [(entry_id, similarity, chunk) for entry_id, (similarity, chunk) in ranked[:depth]]

    def _vouched(
        self, probe: bytes, plan: QueryPlan, members: list[int], neighbours: list[tuple[str, float]],
        kinds: set[str] | None, depth: int,
    ) -> list[tuple[str, float, int]]:
        """(entry id, cosine, chunk) of ``kinds`` among the best neighbours the catalog vouches for (the entry
        is in a partition this collection answers for here, and the chunk still exists), best
        first, at least until ``depth`` entries of ``kinds`` are among them.

        Kept for the other searches of the turn (:meth:`_turn_cached`): the catalog lookup of
        hundreds of neighbours cost more than the vector search itself. Checked a window at a
        time, as far as the deepest search asked: neighbours come best first, so what lies
        past ``depth`` entries of a kind cannot rank among its ``depth`` best.
        """
        key = ("dense", probe, plan.collection, plan.n_results, repr(plan.where), tuple(members), len(neighbours))
        checked = self._turn_cached(key, lambda: _Vouching(neighbours, set(members)))
        return checked.upto(self._catalog, kinds, depth)

    def _hits(
        self, ranked: list[tuple[str, float]], best_chunk_of: dict[str, int], query: str, user: str | None
    ) -> list[Hit]:
        entries = self._catalog.entries((entry_id for entry_id, _ in ranked), with_body=True)
        terms = query_terms(query)
        hits = []
        for entry_id, score in ranked:
            entry = entries.get(entry_id)
            if entry is None:
                continue
            meta = entry.metadata
            # Defence in depth: partitions already keep other users' private entries out.
            if meta["namespace"] == USER_NAMESPACE and meta["user"] != user:
                continue
            chunk = best_chunk_of.get(entry_id)
            span = entry.chunks[chunk] if chunk is not None else best_chunk(entry.body, entry.chunks, terms)
            hits.append(
                Hit(
                    id=entry_id,
                    record_id=str(meta["record_id"]),
                    item_id=str(meta["item_id"]),
                    path=entry.path,
                    kind=entry.kind,
                    namespace=str(meta["namespace"]),
                    user=str(meta["user"]),
                    score=score,
                    snippet=make_snippet(entry.body, span, terms),
                    metadata=meta,
                )
            )
        return hits

    # -- bookkeeping ---------------------------------------------------------------------------

    def entries_for_verify(self) -> Iterator[tuple[str, str]]:
        """(path, blob) of every entry, by path: compare with the repository to find drift."""
        return self._catalog.verify_rows()

    def get_state(self, key: str) -> str | None:
        """A small persistent value (e.g. the commit the index was synced to), or None."""
        return self._catalog.get_value("state", key)

    def set_state(self, key: str, value: str) -> None:
        """Store a small persistent value; it survives reopening and :meth:`clear`."""
        self._catalog.set_value("state", key, value)

    def count(self) -> int:
        """Number of entries (not chunks)."""
        return self._catalog.count()

    def healthy(self) -> bool:
        """Whether the catalog still answers (False once its file was deleted or overwritten)."""
        try:
            self._catalog.count()
            self._catalog.get_value("config", "uid")
        except Exception:
            return False
        return True


def _union(kind: str) -> str:
    """The union collection of every active shared vector of ``kind`` (see :data:`SHARED_UNION`)."""
    return _of_kind(SHARED_UNION, kind)


def _of_kind(collection: str, kind: str) -> str:
    """The collection of ``kind`` split out of a layout-1 collection of every kind."""
    return f"{collection}-{kind_tag(kind)}"


def _by_collection(rows: list[FreshRow]) -> dict[str, tuple[list[str], list[np.ndarray], list[dict[str, str | int]]]]:
    """Vector rows grouped for one Chroma upsert per collection."""
    writes: dict[str, tuple[list[str], list[np.ndarray], list[dict[str, str | int]]]] = {}
    for row in rows:
        assert row.vector is not None
        ids, vecs, metas = writes.setdefault(row.place, ([], [], []))
        ids.append(row.cid)
        vecs.append(row.vector)
        metas.append({"entry": row.entry, "chunk": row.chunk, "kind": row.kind, "user": row.owner})
    return writes


def _deletes_by_collection(rows: list[FreshRow]) -> dict[str, list[str]]:
    gone: dict[str, list[str]] = {}
    for row in rows:
        gone.setdefault(row.place, []).append(row.cid)
    return gone


def _forget_lost(catalog: Catalog, entry_ids: list[str]) -> list[str]:
    """Drop the entries whose fresh vectors were unreadable; return their files' paths (to re-index)."""
    if not entry_ids:
        return []
    entries = catalog.entries(entry_ids)
    catalog.delete_ids(list(entries))
    return sorted({entry.path for entry in entries.values()})


class _Vouching:
    """One neighbour list being checked against the catalog, a window at a time, for a turn.

    What passes is filed by kind, so a store's search walks only its own kind's neighbours.
    """

    WINDOW = 256

    def __init__(self, neighbours: list[tuple[str, float]], allowed: set[int]) -> None:
        self._neighbours = neighbours
        self._allowed = allowed
        self._checked = 0
        self._by_kind: dict[str, list[tuple[str, float, int]]] = {}
        self._entries: dict[str, set[str]] = {}  # kind -> distinct entries among the vouched
        self._lock = threading.Lock()

    def upto(self, catalog: Catalog, kinds: set[str] | None, depth: int) -> list[tuple[str, float, int]]:
        """(entry id, cosine, chunk) of the vouched neighbours of ``kinds`` (every kind: None),
        best first within a kind, checked until ``depth`` entries of them are known (or all are)."""
        with self._lock:
            while self._checked < len(self._neighbours) and self._known(kinds) < depth:
                window = self._neighbours[self._checked : self._checked + self.WINDOW]
                self._checked += len(window)
                places = catalog.places(split_chunk_id(cid)[0] for cid, _ in window)
                for cid, similarity in window:
                    entry_id, chunk = split_chunk_id(cid)
                    place = places.get(entry_id)
                    if place is None or place[0] not in self._allowed or chunk >= place[2]:
                        continue
                    self._by_kind.setdefault(place[1], []).append((entry_id, similarity, chunk))
                    self._entries.setdefault(place[1], set()).add(entry_id)
            wanted = self._by_kind if kinds is None else [kind for kind in kinds if kind in self._by_kind]
            return [hit for kind in wanted for hit in self._by_kind[kind]]

    def _known(self, kinds: set[str] | None) -> int:
        return sum(len(entries) for kind, entries in self._entries.items() if kinds is None or kind in kinds)


def _shared_fetch(total: int, wanted: int, depth: int) -> int | None:
    """How many neighbours to fetch from a collection (or a user's partition) of ``total`` vectors,
    ``wanted`` of them of the kinds asked, to filter by kind afterwards; None: the kinds are too
    rare, use Chroma's filter instead.

    Always :data:`MAX_FETCH` (every vector of a smaller one, stale ones included), whatever the
    kind and the depth: every store of a turn then asks the collection the same question, and they
    share one query (the neighbour cache) and one catalog check. A kind is over-fetched when
    ``depth`` entries of it are expected among them (Chroma's filter cost 5-10x an unfiltered
    query, measured).
    """
    return MAX_FETCH if total <= MAX_FETCH or wanted * MAX_FETCH >= depth * total else None


def _same(stored: Entry, entry: Entry) -> bool:
    """True when writing ``entry`` would change nothing (same text, place and metadata)."""
    return (stored.digest, stored.pid, stored.kind, stored.path, stored.blob, stored.metadata) == (
        entry.digest, entry.pid, entry.kind, entry.path, entry.blob, entry.metadata
    )  # fmt: skip


def _migrate_layout(root: Path, catalog: Catalog, vectors: VectorStore, fresh: FreshSegment, *, writer: bool) -> None:
    """Bring an index of layout 1 (one Chroma collection of every kind per shared partition, one
    union of them) to layout 2 (one per kind; see :func:`collection_suffix`), without re-embedding.

    The pending rows are folded into the old collections first (they name them), then each old
    shared collection's vectors are copied into the collections of their kinds and the old one is
    dropped. Copies are upserts by chunk id: a process killed half-way leaves layout 1 recorded,
    and the next open copies again. Only the process keeping the index current does this.
    """
    if not writer:
        raise IndexMismatchError(
            f"the search index in {root} has layout {catalog.get_value('config', 'schema')}; the process keeping it "
            "current (holding its writer lock) updates it to layout " + SCHEMA_VERSION + " when it next opens it"
        )
    fresh.fold()
    started = time.monotonic()
    moved = 0
    old = [name for name in vectors.suffixes() if name == SHARED_UNION or (name[:1] == "p" and name[1:].isdigit())]
    if old:
        log.warning("search index in %s: regrouping its vectors by kind (index layout %s), once: about a minute per "
                    "50k vectors", root, SCHEMA_VERSION)
    for suffix in old:
        if suffix == SHARED_UNION:
            moved += vectors.regroup(suffix, _union)
        else:
            moved += vectors.regroup(suffix, functools.partial(_of_kind, suffix))
    catalog.set_value("config", "schema", SCHEMA_VERSION)
    if moved:
        log.warning("search index in %s: %d vectors regrouped by kind (index layout %s) in %.0f s", root, moved,
                    SCHEMA_VERSION, time.monotonic() - started)


def _frozen(values: set[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(sorted(values))


def _as_set(value: str | Sequence[str] | None) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def _check_config(catalog: Catalog, embedder: Embedder) -> bool:
    """Refuse to mix vector spaces: an index built with one embedder cannot answer with another.

    Returns True when an empty index that was set up for another embedder is switched over.
    """
    schema = catalog.get_value("config", "schema")
    if schema not in (None, SCHEMA_VERSION, *MIGRATES_FROM):
        raise IndexMismatchError(
            f"index schema {schema} is not {SCHEMA_VERSION}: delete the index directory and rebuild"
        )
    recorded = (catalog.get_value("config", "embedder"), catalog.get_value("config", "dim"))
    current = (embedder.name, str(embedder.dim))
    if recorded != current:
        if recorded[0] is not None and catalog.count():
            raise IndexMismatchError(
                f"the index was built with embedder {recorded[0]} ({recorded[1]}-d), not {current[0]} "
                f"({current[1]}-d): open it with the same embedder, or delete the index directory and rebuild"
            )
        catalog.set_value("config", "schema", SCHEMA_VERSION)
        catalog.set_value("config", "embedder", current[0])
        catalog.set_value("config", "dim", current[1])
        return recorded[0] is not None
    return False
