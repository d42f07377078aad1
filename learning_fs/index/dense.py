"""Vectors in Chroma: a collection per shared partition, hashed buckets for private ones.

Chroma is only ever given vectors (``embedding_function=None`` everywhere), so its default
embedding function — which downloads a model — can never run. Each collection holds one
vector per chunk, id ``<entry id>#<chunk number>``, and minimal metadata (entry id, chunk,
kind, owner): the catalog holds the rest, so writes stay cheap (full metadata doubled Chroma's add
time in measurements) and queries ask Chroma for distances only.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from learning_fs.errors import LearningFSError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection as ChromaCollection

    from learning_fs.repo.config import ChromaServer

#: The most neighbours one query over-fetches to filter by kind afterwards; a kind too rare to be
#: found among that many uses Chroma's ``where`` filter (see ``search_index._shared_fetch``).
MAX_FETCH = 1000
#: Neighbour lists kept for reuse within a turn (see ``VectorStore._neighbours``).
RECENT_QUERIES = 32
#: Chroma's own batch limit is larger; smaller batches keep memory flat on bulk loads.
WRITE_BATCH = 2000


def persistent_client(path: Path) -> ClientAPI:
    """A local Chroma client with telemetry off (it would otherwise phone home on start)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings

    try:
        return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    except Exception:
        # Chroma caches a system per folder before starting it; one that failed to start (a corrupt
        # chroma.sqlite3) would be handed out again, so forget it and let the caller heal the folder.
        SharedSystemClient._identifier_to_system.pop(str(path), None)
        raise


def http_client(server: ChromaServer) -> ClientAPI:
    """A client of the Chroma server in ``index.chroma`` (telemetry off), checked with a heartbeat.

    The heartbeat makes an unreachable or misconfigured server an error when the index is
    opened, naming the address, instead of on the first write deep inside a commit listener.
    """
    import chromadb
    from chromadb.config import Settings

    address = f"{'https' if server.ssl else 'http'}://{server.host}:{server.port}"
    try:
        client = chromadb.HttpClient(host=server.host, port=server.port, ssl=server.ssl, tenant=server.tenant,
                                     database=server.database, settings=Settings(anonymized_telemetry=False))
        client.heartbeat()
    except Exception as exc:  # chromadb raises ValueError / httpx errors / its own, depending on the cause
        raise LearningFSError(f"learning_fs.yaml: index.chroma: the Chroma server at {address} (tenant "
                              f"{server.tenant!r}, database {server.database!r}) does not answer: {exc}") from exc
    return client


def chunk_id(entry_id: str, chunk: int) -> str:
    return f"{entry_id}#{chunk}"


def split_chunk_id(value: str) -> tuple[str, int]:
    """Inverse of :func:`chunk_id` (entry ids may themselves contain ``#``)."""
    entry_id, _, chunk = value.rpartition("#")
    return entry_id, int(chunk)


@dataclass(frozen=True)
class QueryPlan:
    """One nearest-neighbour query: which collection, how many neighbours, which metadata filter.

    ``tag`` is handed back with each neighbour so the caller knows which partition asked.
    """

    tag: int
    collection: str
    n_results: int
    where: dict[str, Any] | None = None


class VectorStore:
    """The Chroma side of the index. Collections are named ``lfs-<index uid>-<suffix>``.

    The uid keeps two indexes apart when they share one Chroma server (``HttpClient``); the
    suffix (see :func:`learning_fs.index.partitions.collection_suffix`) says which partition
    or bucket of partitions a collection holds.
    """

    def __init__(self, client: ClientAPI, uid: str, owned: bool = False) -> None:
        self._client = client
        self._owned = owned
        self._prefix = f"lfs-{uid}-"
        self._collections: dict[str, ChromaCollection] = {}
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lfs-dense")
        # (query vector, collection, filter) -> the most neighbours fetched so far, for the
        # several searches of one turn; emptied by every write (see :meth:`_neighbours`).
        self._recent: OrderedDict[tuple[bytes, str, str], list[tuple[str, float]]] = OrderedDict()
        self._recent_lock = threading.Lock()
        # The same key's query in flight (n asked, its result): a second asker waits for it.
        self._running: dict[tuple[bytes, str, str], tuple[int, Future[list[tuple[str, float]]]]] = {}
        self._generation = 0  # bumped before and after every write: a query that spans one is not kept

    def close(self) -> None:
        """Stop the query threads; close the client if the index created it.

        Chroma shares one system per persist directory within a process; closing releases it
        (files, memory), so a later open starts clean even if the directory was deleted.
        """
        self._pool.shutdown(wait=True)
        self._collections.clear()
        close = getattr(self._client, "close", None) if self._owned else None
        if close is not None:  # chromadb >= 1.x clients have close(); older ones free on exit
            close()

    def _collection(self, suffix: str, create: bool) -> ChromaCollection | None:
        found = self._collections.get(suffix)
        if found is not None:
            return found
        name = f"{self._prefix}{suffix}"
        if create:
            found = self._client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        else:
            try:
                found = self._client.get_collection(name, embedding_function=None)
            except Exception:  # chromadb raises NotFoundError (or ValueError in older 1.x)
                return None
        self._collections[suffix] = found
        return found

    def upsert(self, suffix: str, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]) -> None:
        self._forget()
        collection = self._collection(suffix, create=True)
        assert collection is not None
        for start in range(0, len(ids), WRITE_BATCH):
            end = start + WRITE_BATCH
            collection.upsert(ids=ids[start:end], embeddings=vectors[start:end], metadatas=metadatas[start:end])  # type: ignore[arg-type]  # our values are str/int/float/bool
        self._forget()

    def delete(self, suffix: str, ids: Sequence[str]) -> None:
        self._forget()
        collection = self._collection(suffix, create=False)
        if collection is not None and ids:
            for start in range(0, len(ids), WRITE_BATCH):
                collection.delete(ids=list(ids[start : start + WRITE_BATCH]))
            self._forget()

    def vectors(self, suffix: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk id (used to move an entry between partitions without re-embedding)."""
        collection = self._collection(suffix, create=False)
        if collection is None or not ids:
            return {}
        got = collection.get(ids=list(ids), include=["embeddings"])
        embeddings = got["embeddings"] if got["embeddings"] is not None else []
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], embeddings, strict=True)}

    def search(self, vector: np.ndarray, plans: Sequence[QueryPlan]) -> list[tuple[int, str, float]]:
        """Run the plans in parallel threads; (tag, chunk id, cosine similarity) per neighbour.

        Chroma's Rust core releases the GIL, so collections are queried side by side (measured:
        4 collections in 5.7 ms instead of 8.3 ms one after another).
        """

        probe = vector.tobytes()

        def run(plan: QueryPlan) -> list[tuple[int, str, float]]:
            return [(plan.tag, i, similarity) for i, similarity in self._neighbours(probe, vector, plan)]

        if len(plans) == 1:
            return run(plans[0])
        return [hit for hits in self._pool.map(run, plans) for hit in hits]

    def search_plans(self, vector: np.ndarray, plans: Sequence[QueryPlan]) -> list[list[tuple[str, float]]]:
        """(chunk id, cosine) neighbours of each plan, best first, in the plans' order.

        :meth:`search` without flattening: a list a turn already fetched comes back as it is kept
        (read-only), not copied neighbour by neighbour for every store that asks.
        """
        probe = vector.tobytes()
        if len(plans) == 1:
            return [self._neighbours(probe, vector, plans[0])]
        return list(self._pool.map(lambda plan: self._neighbours(probe, vector, plan), plans))

    def _neighbours(self, probe: bytes, vector: np.ndarray, plan: QueryPlan) -> list[tuple[str, float]]:
        """(chunk id, cosine) of ``plan.n_results`` neighbours, reusing a wider query of this turn.

        A turn's stores search the same message in the same collections (learnings, entities and
        decisions of a namespace share one), each over-fetching for its own kind: the first query
        is kept, and a later one for as many neighbours or fewer is cut from it (the nearest n of
        a collection do not depend on who asks). Any write empties the cache.
        """
        key = (probe, plan.collection, repr(plan.where))
        with self._recent_lock:
            known = self._recent.get(key)
            running = self._running.get(key)
            mine: Future[list[tuple[str, float]]] | None = None
            if running is None and not _enough(known, plan.n_results):
                mine = Future()
                self._running[key] = (plan.n_results, mine)
        if _enough(known, plan.n_results):
            return known[: plan.n_results]  # type: ignore[index]
        if running is not None and running[0] >= plan.n_results:  # the same query, asked deep enough: wait
            try:
                return running[1].result()[: plan.n_results]
            except Exception:  # its error: ask here, where it is this caller's
                log.debug("a shared neighbour query failed; asking again", exc_info=True)
        try:
            found = self._query(key, vector, plan)
        except BaseException as exc:
            if mine is not None:
                mine.set_exception(exc)
            raise
        finally:
            if mine is not None:
                with self._recent_lock:
                    if self._running.get(key, (0, None))[1] is mine:
                        del self._running[key]
        if mine is not None:
            mine.set_result(found)
        return found

    def _query(self, key: tuple[bytes, str, str], vector: np.ndarray, plan: QueryPlan) -> list[tuple[str, float]]:
        collection = self._collection(plan.collection, create=False)
        if collection is None or plan.n_results <= 0:
            return []
        generation = self._generation
        result = collection.query(
            query_embeddings=[vector], n_results=plan.n_results, where=plan.where, include=["distances"]
        )
        distances = result["distances"][0] if result["distances"] else []
        found = _Neighbours((i, 1.0 - float(d)) for i, d in zip(result["ids"][0], distances, strict=True))
        found.asked = plan.n_results
        with self._recent_lock:
            if generation == self._generation:
                self._recent[key] = found
                while len(self._recent) > RECENT_QUERIES:
                    self._recent.popitem(last=False)
        return found

    def warm(self, vector: np.ndarray, plans: Sequence[QueryPlan],
             then: Callable[[list[tuple[str, float]]], object] | None = None) -> None:
        """Start ``plans``' queries, one after another in the order given, on a query thread, and
        return: the searches that follow find them done or running (see :meth:`_neighbours`).

        In order, not side by side: the stores search in order, so the first one's query done
        first lets it go on while the next ones' run (three at once on two cores took ~9 ms
        for the three, the first one's included). ``then(neighbours)`` runs after each one (the
        index looks their entries up in the catalog).
        """
        try:
            self._pool.submit(self._warm_all, vector.tobytes(), vector, list(plans), then)
        except RuntimeError:  # closed
            return

    def _warm_all(self, probe: bytes, vector: np.ndarray, plans: list[QueryPlan],
                  then: Callable[[list[tuple[str, float]]], object] | None) -> None:
        for plan in plans:
            try:
                neighbours = self._neighbours(probe, vector, plan)
                if then is not None:
                    then(neighbours)
            except Exception:  # only a head start: the search that needs it asks again and reports
                log.debug("warming %s failed", plan.collection, exc_info=True)

    @property
    def generation(self) -> int:
        """Changes with every write (before and after it): what a cached search result is keyed on."""
        return self._generation

    def _forget(self) -> None:
        with self._recent_lock:
            self._generation += 1
            self._recent.clear()

    def suffixes(self) -> list[str]:
        """The suffixes of every collection of this index (on the server or in the folder)."""
        found = []
        for listed in self._client.list_collections():
            name = listed if isinstance(listed, str) else listed.name
            if name.startswith(self._prefix):
                found.append(name[len(self._prefix) :])
        return sorted(found)

    def regroup(self, suffix: str, target: Callable[[str], str]) -> int:
        """Copy every vector of collection ``suffix`` into collection ``target(kind)`` (its
        metadata's kind), then drop ``suffix``; return how many were copied.

        An index layout change (``search_index._migrate_layout``): no vector is embedded again.
        Read by pages in Chroma's order and written as upserts, so it can run again after an
        interruption.
        """
        collection = self._collection(suffix, create=False)
        if collection is None:
            return 0
        copied = 0
        while True:
            page = collection.get(limit=WRITE_BATCH, offset=copied, include=["embeddings", "metadatas"])
            ids = page["ids"]
            if not ids:
                break
            embeddings = page["embeddings"] if page["embeddings"] is not None else []
            metadatas = page["metadatas"] or [{} for _ in ids]
            writes: dict[str, tuple[list[str], list[Any], list[dict[str, Any]]]] = {}
            for cid, vector, meta in zip(ids, embeddings, metadatas, strict=True):
                group = writes.setdefault(target(str((meta or {}).get("kind", ""))), ([], [], []))
                group[0].append(cid)
                group[1].append(vector)
                group[2].append(dict(meta or {}))
            for name, (cids, vecs, metas) in writes.items():
                self.upsert(name, cids, np.asarray(vecs, dtype=np.float32), metas)
            copied += len(ids)
        self._forget()
        self._client.delete_collection(f"{self._prefix}{suffix}")
        self._collections.pop(suffix, None)
        return copied

    def drop(self) -> None:
        """Delete every collection of this index."""
        self._forget()
        for listed in self._client.list_collections():
            name = listed if isinstance(listed, str) else listed.name
            if name.startswith(self._prefix):
                self._client.delete_collection(name)
        self._collections.clear()


def _enough(known: list[tuple[str, float]] | None, n: int) -> bool:
    """Whether a kept neighbour list answers a query for ``n`` (it has n, or all there were)."""
    return known is not None and (len(known) >= n or len(known) < getattr(known, "asked", 0))


class _Neighbours(list[tuple[str, float]]):
    """A neighbour list that remembers how many were asked for (fewer came back: that was all)."""

    asked = 0
