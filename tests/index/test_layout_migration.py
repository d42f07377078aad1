"""Index layout 2: shared vectors in one Chroma collection per kind, and the move from layout 1.

Layout 1 kept every kind of a shared partition in one collection (``p<pid>``) and one union of
them (``shared-a``); a kind-filtered search over-fetched 1,000 neighbours there to filter by kind.
An index written by that layout must keep working after an upgrade, without re-embedding: the
first writer to open it regroups the vectors, and a process killed half-way finishes next time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from learning_fs.index import IndexDoc, IndexMismatchError, MiniLMEmbedder, SearchIndex
from learning_fs.index.dense import VectorStore

DocFactory = Callable[..., IndexDoc]
QUERIES = ["which database does billing use", "when are retrospectives", "what does Alice drink", "deploy images"]


@pytest.fixture
def corpus(make_doc: DocFactory) -> list[IndexDoc]:
    return [
        make_doc("db", "We use PostgreSQL for the billing service because it has strong transactions."),
        make_doc("docker", "Deploys fail when the Docker image grows past two gigabytes; keep images slim."),
        make_doc("retro", "Decision: weekly retrospectives move to Friday afternoons.", kind="decision"),
        make_doc("acme", "Acme Corp: our biggest customer, billed monthly.", kind="entity", namespace="team-a"),
        make_doc("tabs", "The team formats Python code with four spaces, never tabs.", namespace="team-a"),
        make_doc("old", "We used MySQL for billing.", kind="decision", status="superseded"),
        make_doc("tea", "Alice drinks green tea every morning.", kind="memories", namespace="user", user="alice"),
    ]


def _collections(index: SearchIndex) -> list[str]:
    return index._vectors.suffixes()


def _answers(index: SearchIndex) -> dict[tuple[str, str | None], list[str]]:
    found = {}
    for query in QUERIES:
        for kind in (None, "learning", "decision", "entity"):
            found[(query, kind)] = [hit.id for hit in index.search(query, k=5, kind=kind, user="alice")]
    return found


def _downgrade(directory: Path, embedder: MiniLMEmbedder) -> None:
    """Rewrite a layout-2 index as layout 1 wrote it: each shared kind's vectors back in one collection."""
    with SearchIndex.open(directory, embedder=embedder) as index:
        index.fold()
        store = index._vectors
        for suffix in store.suffixes():
            base = suffix.rpartition("-")[0]
            if not suffix.startswith(("p", "shared-a-")) or not base:
                continue
            got = store._collection(suffix, create=False).get(include=["embeddings", "metadatas"])  # type: ignore[union-attr]
            store.upsert(base, got["ids"], np.asarray(got["embeddings"], dtype=np.float32), got["metadatas"])
            store._client.delete_collection(f"{store._prefix}{suffix}")
            store._collections.pop(suffix, None)
        index._catalog.set_value("config", "schema", "1")


def _layout_1(directory: Path, embedder: MiniLMEmbedder, corpus: list[IndexDoc]) -> dict:
    """An index of ``corpus`` written as layout 1 wrote it; what it answered before (layout 2)."""
    with SearchIndex.open(directory, embedder=embedder) as index:
        index.upsert(corpus)
        before = _answers(index)
    _downgrade(directory, embedder)
    return before


def test_shared_kinds_live_in_collections_of_their_own(index: SearchIndex, corpus: list[IndexDoc]) -> None:
    index.upsert(corpus)
    index.fold()
    names = _collections(index)
    assert {"shared-a-learning", "shared-a-decision", "shared-a-entity"} <= set(names)
    assert not [name for name in names if name == "shared-a" or (name[1:].isdigit() and name[0] == "p")]
    # a kind filter reads only its kind, whatever the others hold
    assert [hit.id for hit in index.search("billing", k=5, kind="entity")] == ["acme"]
    assert {hit.kind for hit in index.search("billing database", k=10, kind="decision", mode="dense")} == {"decision"}


def test_a_layout_1_index_is_regrouped_on_open_without_embedding(
    tmp_path: Path, embedder: MiniLMEmbedder, corpus: list[IndexDoc], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "index"
    before = _layout_1(directory, embedder, corpus)
    calls: list[int] = []
    real_embed = embedder.embed
    monkeypatch.setattr(embedder, "embed", lambda texts: calls.append(len(texts)) or real_embed(texts))
    with SearchIndex.open(directory, embedder=embedder) as index:
        assert index._catalog.get_value("config", "schema") == "2"
        names = _collections(index)
        assert "shared-a" not in names and not [n for n in names if n[0] == "p" and n[1:].isdigit()]
        assert _answers(index) == before
    assert calls == [] or all(n == 1 for n in calls)  # queries only: no entry embedded again


def test_a_regrouping_cut_short_finishes_at_the_next_open(
    tmp_path: Path, embedder: MiniLMEmbedder, corpus: list[IndexDoc], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "index"
    before = _layout_1(directory, embedder, corpus)
    real_upsert = VectorStore.upsert
    written: list[str] = []

    def dies_after_one(self: VectorStore, suffix: str, *args: object) -> None:
        if written:
            raise KeyboardInterrupt("killed")  # what a kill leaves: some vectors copied, layout 1 recorded
        written.append(suffix)
        real_upsert(self, suffix, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(VectorStore, "upsert", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        SearchIndex.open(directory, embedder=embedder)
    monkeypatch.setattr(VectorStore, "upsert", real_upsert)
    with SearchIndex.open(directory, embedder=embedder) as index:
        assert index._catalog.get_value("config", "schema") == "2"
        assert _answers(index) == before


def test_a_reader_of_a_layout_1_index_says_who_updates_it(
    tmp_path: Path, embedder: MiniLMEmbedder, corpus: list[IndexDoc]
) -> None:
    directory = tmp_path / "index"
    _layout_1(directory, embedder, corpus)
    with pytest.raises(IndexMismatchError, match="writer lock"):
        SearchIndex.open(directory, embedder=embedder, writer=False)
    with SearchIndex.open(directory, embedder=embedder) as index:  # the writer then updates it
        assert index.search("billing", k=1, kind="entity")[0].id == "acme"
