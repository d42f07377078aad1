"""SearchIndex end to end: real Chroma, real embedder, small corpora."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings
from pytest_socket import SocketBlockedError

from learning_fs.index import IndexDoc, IndexMismatchError, MiniLMEmbedder, SearchIndex
from learning_fs.index.dense import persistent_client
from learning_fs.index.partitions import PartitionKey, collection_suffix

DocFactory = Callable[..., IndexDoc]
MODES = ("hybrid", "dense", "lexical")


@pytest.fixture
def corpus(make_doc: DocFactory) -> list[IndexDoc]:
    return [
        make_doc("db", "We use PostgreSQL for the billing service because it has strong transactions."),
        make_doc("docker", "Deploys fail when the Docker image grows past two gigabytes; keep images slim."),
        make_doc("tabs", "The team formats Python code with four spaces, never tabs.", namespace="team-a"),
        make_doc(
            "retro", "Decision: weekly retrospectives move to Friday afternoons.", kind="decision", namespace="team-a"
        ),
        make_doc("mysql", "We use MySQL for the billing service.", kind="decision", status="superseded"),
        make_doc(
            "alice-tea",
            "Alice drinks green tea every morning and dislikes coffee.",
            kind="profile",
            namespace="user",
            user="alice",
        ),
        make_doc("bob-coffee", "Bob drinks black coffee every morning.", kind="profile", namespace="user", user="bob"),
        make_doc("bob-secret", "Bob's locker combination is 4711.", kind="memories", namespace="user", user="bob"),
    ]


@pytest.fixture
def filled(index: SearchIndex, corpus: list[IndexDoc]) -> SearchIndex:
    assert index.upsert(corpus) == len(corpus)
    return index


def ids(hits: list) -> list[str]:
    return [hit.id for hit in hits]


@pytest.fixture(params=["token", "join"])
def lexical_filter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with each way BM25 is restricted to partitions (in the MATCH, or by a join)."""
    monkeypatch.setattr("learning_fs.index.lexical.TOKEN_FILTER_RATIO", 10**9 if request.param == "token" else 0)
    return str(request.param)


@pytest.mark.parametrize("mode", MODES)
def test_search_finds_the_entry_that_answers_the_question(filled: SearchIndex, mode: str) -> None:
    hits = filled.search("which database does billing use", k=3, mode=mode)  # type: ignore[arg-type]
    assert hits[0].id == "db"
    top = hits[0]
    assert (top.record_id, top.item_id, top.path, top.kind, top.namespace, top.user) == (
        "db",
        "",
        "global/db.md",
        "learning",
        "global",
        "",
    )
    assert "PostgreSQL" in top.snippet and top.metadata["blob"] == "blob-db"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_dense_search_understands_paraphrases_without_shared_words(filled: SearchIndex) -> None:
    assert filled.search("container build is too big to ship", k=1, mode="dense")[0].id == "docker"


def test_kind_and_namespace_filters(filled: SearchIndex, lexical_filter: str) -> None:
    assert set(ids(filled.search("billing retrospectives code", kind="decision"))) == {"retro"}
    assert set(ids(filled.search("billing", kind="decision", include_inactive=True))) == {"retro", "mysql"}
    assert set(ids(filled.search("anything at all", namespace="team-a"))) == {"tabs", "retro"}
    both = filled.search("anything at all", namespace=["team-a", "global"], k=20)
    assert set(ids(both)) == {"db", "docker", "tabs", "retro"}
    assert filled.search("anything", namespace="nowhere") == []


@pytest.mark.parametrize("mode", MODES)
def test_superseded_and_expired_entries_are_skipped_unless_asked_for(filled: SearchIndex, mode: str) -> None:
    assert "mysql" not in ids(filled.search("MySQL billing", k=20, mode=mode))  # type: ignore[arg-type]
    assert "mysql" in ids(filled.search("MySQL billing", k=20, mode=mode, include_inactive=True))  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
def test_privacy_private_entries_reach_only_their_owner(filled: SearchIndex, mode: str, lexical_filter: str) -> None:
    query = "what does he drink in the morning coffee tea locker combination"
    for namespace in (None, "user"):
        for include_inactive in (False, True):
            args = {"k": 50, "namespace": namespace, "include_inactive": include_inactive, "mode": mode}
            anonymous = filled.search(query, **args)  # type: ignore[arg-type]
            assert all(hit.namespace != "user" for hit in anonymous)
            alice = filled.search(query, user="alice", **args)  # type: ignore[arg-type]
            private = {hit.id for hit in alice if hit.namespace == "user"}
            assert private == {"alice-tea"}
            bob = filled.search(query, user="bob", **args)  # type: ignore[arg-type]
            assert {hit.id for hit in bob if hit.namespace == "user"} == {"bob-coffee", "bob-secret"}
    assert filled.search("locker combination", namespace="user") == []
    assert filled.search("locker combination", namespace="user", user="carol") == []


def test_privacy_holds_between_users_whose_vectors_share_a_collection(index: SearchIndex, make_doc: DocFactory) -> None:
    """Private partitions are hashed into shared Chroma collections: owners must still never mix."""
    bucket = collection_suffix(PartitionKey("user", "alice", True), 0)
    twin = next(f"u{n}" for n in range(10_000) if collection_suffix(PartitionKey("user", f"u{n}", True), 0) == bucket)
    index.upsert(
        [
            make_doc("a1", "Alice keeps her spare key under the blue flowerpot.", namespace="user", user="alice"),
            make_doc("t1", "The spare key is under the blue flowerpot by the door.", namespace="user", user=twin),
        ]
    )
    for mode in MODES:
        assert ids(index.search("where is the spare key", user="alice", mode=mode)) == ["a1"]  # type: ignore[arg-type]
        assert ids(index.search("where is the spare key", user=twin, mode=mode)) == ["t1"]  # type: ignore[arg-type]
    # Ownership moves within the same collection: the vectors follow, the old owner loses them.
    index.upsert([make_doc("a1", "Alice keeps her spare key under the blue flowerpot.", namespace="user", user=twin)])
    assert ids(index.search("where is the spare key", user="alice", mode="dense")) == []
    assert set(ids(index.search("where is the spare key", user=twin, mode="dense"))) == {"a1", "t1"}


def test_private_entry_without_an_owner_is_refused(index: SearchIndex, make_doc: DocFactory) -> None:
    with pytest.raises(ValueError, match="names no user"):
        index.upsert([make_doc("orphan", "a private thought", namespace="user", user="")])
    with pytest.raises(ValueError, match="lacks metadata"):
        index.upsert([IndexDoc("x", "text", {"kind": "learning"})])


def test_a_phrase_near_the_end_of_a_long_record_is_found(index: SearchIndex, make_doc: DocFactory) -> None:
    filler = " ".join(f"On day {n} the weather was mild and nothing happened." for n in range(250))
    long_text = filler + " Finally the submarine crew celebrated the birthday of their captain."
    docs = [
        make_doc("long", long_text, kind="session"),
        make_doc("other", "Notes about a garden party with friends."),
        make_doc("third", "A calm day with mild weather and nothing new."),
    ]
    index.upsert(docs)
    hit = index.search("birthday party on a submarine", k=1, mode="dense")[0]
    assert hit.id == "long"
    assert "submarine" in hit.snippet  # the snippet is the matching passage, not the record's start


def test_hybrid_returns_results_when_only_one_side_matches(index: SearchIndex, make_doc: DocFactory) -> None:
    index.upsert(
        [
            make_doc("code", "Error XK-4711-zeta appears when the cache warms up."),
            make_doc("cats", "Cats sleep for most of the day."),
            make_doc("dogs", "Dogs enjoy long walks in the park."),
        ]
    )
    # No query word occurs in any entry: only the dense side can answer.
    assert index.search("kittens nap a lot", k=3, mode="lexical") == []
    assert index.search("kittens nap a lot", k=3)[0].id == "cats"
    # A code no sentence model knows: the lexical side finds it, and hybrid keeps it on top.
    assert index.search("zeta", k=1, mode="lexical")[0].id == "code"
    assert index.search("zeta", k=1)[0].id == "code"
    # Only function words: no lexical query at all, dense still answers.
    assert len(index.search("what is it", k=2)) == 2


def test_delete_paths_removes_every_entry_of_those_files(index: SearchIndex, make_doc: DocFactory) -> None:
    index.upsert(
        [
            make_doc("rec#1", "Alpha item about rockets.", path="learnings/a.md", item_id="1"),
            make_doc("rec#2", "Beta item about rockets.", path="learnings/a.md", item_id="2"),
            make_doc("keep", "Gamma note about rockets.", path="learnings/b.md"),
        ]
    )
    assert index.delete_paths(["learnings/a.md", "missing.md"]) == 2
    assert index.count() == 1
    for mode in MODES:
        assert ids(index.search("rockets", k=10, mode=mode)) == ["keep"]  # type: ignore[arg-type]
    assert list(index.entries_for_verify()) == [("learnings/b.md", "blob-keep")]


def test_unchanged_text_is_not_embedded_again_and_a_status_change_moves_the_entry(
    filled: SearchIndex, corpus: list[IndexDoc], make_doc: DocFactory
) -> None:
    assert filled.upsert(corpus) == 0
    filled.upsert([make_doc("docker", corpus[1].text, status="expired")])  # same text, now expired
    assert "docker" not in ids(filled.search("docker image size", k=10))
    assert ids(filled.search("docker image size", k=1, include_inactive=True, mode="dense")) == ["docker"]
    assert filled.upsert([make_doc("docker", "Docker images are now limited to 500 MB.")]) == 1
    hits = filled.search("docker image limit", k=1)
    assert hits[0].id == "docker" and "500 MB" in hits[0].snippet
    assert filled.count() == len(corpus)


def test_moving_between_shared_namespaces_and_deleting_keeps_every_collection_in_step(
    index: SearchIndex, make_doc: DocFactory
) -> None:
    """Active shared vectors live in their namespace's collection and in the all-shared union."""
    text = "Rotate the API keys every ninety days."
    index.upsert([make_doc("keys", text, namespace="team-a"), make_doc("other", "Lunch is at noon.")])
    index.upsert([make_doc("keys", text, namespace="team-b", path="team-a/keys.md")])
    for namespace in (None, "team-b"):
        assert ids(index.search("key rotation policy", k=1, namespace=namespace, mode="dense")) == ["keys"]
    assert index.search("key rotation policy", namespace="team-a", mode="dense") == []
    index.delete_paths(["team-a/keys.md"])
    assert ids(index.search("key rotation policy", k=5, mode="dense")) == ["other"]
    assert index.search("key rotation policy", namespace="team-b", mode="dense") == []


def test_kind_filter_is_exact_for_common_and_rare_kinds(
    index: SearchIndex, make_doc: DocFactory, lexical_filter: str
) -> None:
    docs = [make_doc(f"m{i}", f"Memory number {i} about the harbour and boats.", kind="memories") for i in range(40)]
    docs.append(make_doc("rare", "A decision about the harbour boats.", kind="decision"))
    index.upsert(docs)
    for mode in MODES:
        assert ids(index.search("harbour boats", kind="decision", mode=mode)) == ["rare"]  # type: ignore[arg-type]
        common = index.search("harbour boats", kind="memories", k=50, mode=mode)  # type: ignore[arg-type]
        assert len(common) == 40 and {h.kind for h in common} == {"memories"}


def test_entries_and_state_survive_reopening(tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory) -> None:
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as index:
        index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
        index.set_state("indexed_commit", "abc123")
        assert index.get_state("missing") is None
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as index:
        assert index.get_state("indexed_commit") == "abc123"
        assert index.count() == 1
        assert ids(index.search("postgres billing", mode="dense")) == ["db"]
        index.clear()
        assert index.count() == 0 and index.search("postgres billing") == []
        assert index.get_state("indexed_commit") == "abc123"  # clear() keeps state


def test_an_index_whose_vectors_were_deleted_forgets_its_entries(
    tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory
) -> None:
    """Derived data may be deleted by hand; the catalog must not keep claiming what is gone."""
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as index:
        index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
        index.set_state("indexed_commit", "abc123")
    shutil.rmtree(tmp_path / "ix" / "chroma")
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as index:
        assert index.count() == 0 and list(index.entries_for_verify()) == []
        assert index.get_state("indexed_commit") == "abc123"
        assert index.upsert([make_doc("db", "We use PostgreSQL for billing.")]) == 1
        assert ids(index.search("postgres", mode="dense")) == ["db"]


class TinyEmbedder:
    name = "tiny"
    dim = 4

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.tile(np.array([0.5, 0.5, 0.5, 0.5], dtype=np.float32), (len(texts), 1))


def test_an_index_refuses_another_embedder_unless_empty(
    tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory
) -> None:
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as index:
        index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
    with pytest.raises(IndexMismatchError, match="all-MiniLM"):
        SearchIndex.open(tmp_path / "ix", embedder=TinyEmbedder())
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as index:
        index.clear()
    with SearchIndex.open(tmp_path / "ix", embedder=TinyEmbedder()) as index:
        index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
        assert ids(index.search("billing")) == ["db"]


def test_any_chroma_client_can_hold_the_vectors(tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory) -> None:
    client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
    with SearchIndex.open(tmp_path / "ix", embedder=embedder, client=client) as index:
        index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
        assert ids(index.search("postgres", mode="dense")) == ["db"]
    assert any(c.name.startswith("lfs-") for c in client.list_collections())
    assert not (tmp_path / "ix" / "chroma").exists()


def test_the_default_chroma_client_has_telemetry_off(tmp_path: Path) -> None:
    client = persistent_client(tmp_path / "chroma")
    assert client.get_settings().anonymized_telemetry is False


@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket")
def test_sockets_are_blocked_while_the_index_works(index: SearchIndex, make_doc: DocFactory) -> None:
    """The guard is real: every test here (opening Chroma, embedding, searching) ran without network."""
    index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
    assert ids(index.search("billing")) == ["db"]
    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_a_search_of_a_closed_index_says_so(tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory) -> None:
    """A heal swaps a closed index for a rebuilt one: a search that raced it gets one clear error."""
    index = SearchIndex.open(tmp_path / "index", embedder=embedder)
    index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
    assert ids(index.search("billing", k=1)) == ["db"]
    index.close()
    for mode in MODES:
        with pytest.raises(RuntimeError, match="closed"):
            index.search("billing", k=1, mode=mode)  # type: ignore[arg-type]
