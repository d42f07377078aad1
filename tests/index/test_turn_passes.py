"""One turn, several searches: the shared passes (query embedding, Chroma query, catalog check,
BM25 per kind) must give each search exactly what its own filters allow, and never outlive a write.

A turn's stores search the same message, each for its own kind and namespace; the index answers
them from one embedding, one neighbour query per collection and one BM25 pass, kept briefly.
These tests pin that reuse to the same answers as searching alone, and to the privacy rule.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from learning_fs.index import IndexDoc, MiniLMEmbedder, SearchIndex
from learning_fs.index.dense import QueryPlan, VectorStore
from learning_fs.index.partitions import PartitionKey, collection_suffix
from learning_fs.index.search_index import _Vouching

DocFactory = Callable[..., IndexDoc]
MODES = ("hybrid", "dense", "lexical")


def ids(hits: list) -> list[str]:
    return [hit.id for hit in hits]


class CountingEmbedder:
    """The real MiniLM, counting how many texts it was asked to embed."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return self.inner.embed(texts)


@pytest.fixture
def mixed(index: SearchIndex, make_doc: DocFactory) -> SearchIndex:
    """Learnings, entities and decisions in one shared namespace; two users' memories in one bucket."""
    bucket = collection_suffix(PartitionKey("user", "alice", True), 0)
    twin = next(f"u{n}" for n in range(10_000) if collection_suffix(PartitionKey("user", f"u{n}", True), 0) == bucket)
    docs = mixed_docs(make_doc, twin)
    index.upsert(docs)
    index.twin = twin  # type: ignore[attr-defined]
    return index


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("window", [1, 3, 256])
def test_a_turn_of_searches_answers_as_each_search_alone(
    mixed: SearchIndex, tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory, mode: str,
    window: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stores' searches in a row (sharing passes, neighbours checked ``window`` at a time as
    far as each needs) return what each returns alone on a fresh index that checks them all."""
    monkeypatch.setattr(_Vouching, "WINDOW", window)
    query = "why does the harbour crane jam when boats unload"
    asks = [
        {"kind": "memories", "namespace": "user", "user": "alice"},
        {"kind": "entity", "namespace": "global", "user": "alice"},
        {"kind": "learning", "namespace": "global", "user": "alice"},
        {"kind": "decision", "namespace": "global", "user": "alice"},
        {"kind": "memories", "namespace": "user", "user": mixed.twin},  # type: ignore[attr-defined]
    ]
    in_a_row = [ids(mixed.search(query, k=20, mode=mode, **ask)) for ask in asks]  # type: ignore[arg-type]
    monkeypatch.setattr(_Vouching, "WINDOW", 10**6)
    for ask, got in zip(asks, in_a_row, strict=True):
        # the same search on an index that has nothing cached (same documents, own directory)
        with SearchIndex.open(tmp_path / f"alone-{ask['kind']}-{ask['user']}", embedder=embedder) as alone:
            alone.upsert(mixed_docs(make_doc, mixed.twin))  # type: ignore[attr-defined]
            assert got == ids(alone.search(query, k=20, mode=mode, **ask))  # type: ignore[arg-type]
    assert in_a_row[0] == ["a-key"] and in_a_row[4] == ["t-key"]  # each owner gets their own, only
    assert in_a_row[3] == ["d0"] and len(in_a_row[2]) == 12 and len(in_a_row[1]) == 6


def mixed_docs(make_doc: DocFactory, twin: str) -> list[IndexDoc]:
    docs = [make_doc(f"l{i}", f"Lesson {i}: the harbour crane jams when the boats unload in rain.") for i in range(12)]
    docs += [make_doc(f"e{i}", f"Harbour crane number {i}, serviced by Acme.", kind="entity") for i in range(6)]
    docs += [make_doc("d0", "Decision: unload the boats at the north harbour crane.", kind="decision")]
    docs += [
        make_doc("a-key", "Alice's harbour locker code is 1234.", kind="memories", namespace="user", user="alice"),
        make_doc("t-key", "The harbour locker code of the twin is 9876.", kind="memories", namespace="user", user=twin),
    ]
    return docs


@pytest.mark.parametrize("mode", MODES)
def test_a_private_memory_never_reaches_another_user_through_a_shared_pass(mixed: SearchIndex, mode: str) -> None:
    """Alice's search leaves passes behind; the twin (same Chroma bucket), an anonymous caller and
    a search of every namespace must still never see her memory."""
    query = "harbour locker code"
    assert "a-key" in ids(mixed.search(query, k=20, user="alice", mode=mode))  # type: ignore[arg-type]
    assert "a-key" in ids(mixed.search(query, k=20, kind="memories", user="alice", mode=mode))  # type: ignore[arg-type]
    for who in (mixed.twin, None, ""):  # type: ignore[attr-defined]
        for kind in (None, "memories"):
            for namespace in (None, "user"):
                found = ids(mixed.search(query, k=20, kind=kind, namespace=namespace, user=who, mode=mode))  # type: ignore[arg-type]
                assert "a-key" not in found


@pytest.mark.parametrize("mode", MODES)
def test_a_write_between_two_searches_is_seen_by_the_second(
    mixed: SearchIndex, make_doc: DocFactory, mode: str
) -> None:
    query = "the harbour crane jams when boats unload"
    before = ids(mixed.search(query, k=50, kind="decision", mode=mode))  # type: ignore[arg-type]
    mixed.upsert([make_doc("d1", "Decision: the harbour crane jams, so boats unload by hand.", kind="decision")])
    after = ids(mixed.search(query, k=50, kind="decision", mode=mode))  # type: ignore[arg-type]
    assert "d1" not in before and "d1" in after
    mixed.delete_paths(["global/d1.md"])
    assert "d1" not in ids(mixed.search(query, k=50, kind="decision", mode=mode))  # type: ignore[arg-type]


def test_a_write_by_another_index_on_the_same_directory_is_seen(
    tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory
) -> None:
    """Another writer of the catalog (a second process, ``learning-fs watch``) changes its version:
    the passes kept for a turn are not reused past its write."""
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as reader:
        reader.upsert([make_doc("l0", "Rotate the harbour keys every spring.")])
        assert ids(reader.search("harbour keys", kind="learning", mode="lexical")) == ["l0"]
        with SearchIndex.open(tmp_path / "ix", embedder=embedder) as writer:
            writer.upsert([make_doc("l1", "The harbour keys hang in the office.")])
        assert set(ids(reader.search("harbour keys", kind="learning", mode="lexical"))) == {"l0", "l1"}
        assert set(ids(reader.search("harbour keys", kind="learning"))) == {"l0", "l1"}


def test_a_rare_kind_in_a_large_collection_is_found_with_the_kind_filter(
    index: SearchIndex, make_doc: DocFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_FETCH neighbours a kind too rare to be among them is searched with Chroma's filter."""
    monkeypatch.setattr("learning_fs.index.search_index.MAX_FETCH", 8)
    docs = [make_doc(f"m{i}", f"Memory {i}: the harbour boats leave at dawn.", kind="memories") for i in range(60)]
    docs += [make_doc(f"l{i}", f"Lesson {i}: harbour boats need fuel.") for i in range(30)]
    docs.append(make_doc("rare", "A decision about the harbour boats.", kind="decision"))
    index.upsert(docs)
    for mode in MODES:
        assert ids(index.search("harbour boats", kind="decision", mode=mode)) == ["rare"]  # type: ignore[arg-type]
        lessons = index.search("harbour boats", kind="learning", k=30, mode=mode)  # type: ignore[arg-type]
        assert {h.kind for h in lessons} == {"learning"} and len(lessons) >= (30 if mode != "dense" else 1)


def test_a_turn_embeds_its_query_once_and_a_prefetch_is_not_repeated(
    tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory
) -> None:
    counting = CountingEmbedder(embedder)
    with SearchIndex.open(tmp_path / "ix", embedder=counting) as index:  # type: ignore[arg-type]
        index.upsert(mixed_docs(make_doc, "bob"))
        counting.texts.clear()
        query = "why does the harbour crane jam"
        index.prefetch(query)
        for kind in ("memories", "entity", "learning", "decision"):
            index.search(query, kind=kind, user="alice")
        assert counting.texts == [query]
        assert np.allclose(index.query_vector(query), embedder.embed([query])[0], atol=1e-6)
        index.prefetch("   ")  # nothing to embed
        assert counting.texts == [query]


def test_a_prefetch_warms_the_shared_queries_recent_turns_asked_and_each_runs_once(
    mixed: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next turn's embedding starts the shared Chroma queries the last turn made, side by side;
    each search then finds its own done or running (never asked twice), with the same answer."""
    mixed.fold()  # nothing pending: a fold writes Chroma, which rightly forgets every kept query
    asks = [{"kind": kind, "namespace": "global", "user": "alice"} for kind in ("entity", "learning", "decision")]
    for ask in asks:  # a first turn: what its searches ask is remembered
        mixed.search("harbour crane", k=10, **ask)  # type: ignore[arg-type]
    queried: list[str] = []
    real_query = VectorStore._query

    def counted(self: VectorStore, key: object, vector: np.ndarray, plan: QueryPlan) -> list:
        queried.append(plan.collection)
        return real_query(self, key, vector, plan)  # type: ignore[arg-type]

    monkeypatch.setattr(VectorStore, "_query", counted)
    question = "why do the boats wait at the north crane"
    mixed.prefetch(question)
    warmed = [ids(mixed.search(question, k=10, **ask)) for ask in asks]  # type: ignore[arg-type]
    assert sorted(queried) == sorted(set(queried)) and len(queried) == 3  # one query per kind, however they raced
    assert not any(name.startswith("u") for name in queried)  # a user's bucket is never warmed
    monkeypatch.setattr(VectorStore, "warm", lambda self, vector, plans: None)
    mixed._vectors._forget()  # nothing kept: each search asks Chroma itself
    mixed._turn_cache.clear()
    cold = [ids(mixed.search(question, k=10, **ask)) for ask in asks]  # type: ignore[arg-type]
    assert warmed == cold and len(queried) == 6


def test_the_catalog_keeps_places_looked_up_ahead_only_until_it_changes(
    mixed: SearchIndex, make_doc: DocFactory
) -> None:
    catalog = mixed._catalog
    assert catalog.places(["l1", "gone"]) == {"l1": catalog.places(["l1"])["l1"]}
    mixed.delete_paths(["global/l1.md"])
    assert catalog.places(["l1"]) == {}  # a deleted entry is never vouched for from what was kept
    mixed.upsert([make_doc("l1", "Lesson 1 again, now a decision.", kind="decision")])
    assert catalog.places(["l1"])["l1"][1] == "decision"
