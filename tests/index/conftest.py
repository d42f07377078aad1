"""Fixtures for the search-index tests: one real embedder per session, sockets off in every test.

The MiniLM model loads once (about half a second); each test gets its own index directory with
a real Chroma ``PersistentClient``. Every test runs with sockets disabled (pytest-socket), so
a network call anywhere — Chroma telemetry, a model download — fails the test instead of
passing silently on a machine that happens to be online.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from learning_fs.index import IndexDoc, MiniLMEmbedder, SearchIndex
from learning_fs.index.types import MetadataValue

DocFactory = Callable[..., IndexDoc]


@pytest.fixture(autouse=True)
def _no_network(socket_disabled: None) -> None:
    """Any attempt to open a socket raises ``SocketBlockedError``."""


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture
def index(tmp_path: Path, embedder: MiniLMEmbedder) -> Iterator[SearchIndex]:
    with SearchIndex.open(tmp_path / "index", embedder=embedder) as opened:
        yield opened


@pytest.fixture
def make_doc() -> DocFactory:
    """``make_doc(id, text, kind=..., namespace=..., user=..., status=..., path=...)``."""

    def make(
        doc_id: str,
        text: str,
        *,
        kind: str = "learning",
        namespace: str = "global",
        user: str = "",
        status: str = "active",
        path: str | None = None,
        item_id: str = "",
        **extra: MetadataValue,
    ) -> IndexDoc:
        metadata: dict[str, MetadataValue] = {
            "kind": kind,
            "namespace": namespace,
            "user": user,
            "path": path or f"{namespace}/{doc_id}.md",
            "record_id": doc_id,
            "item_id": item_id,
            "status": status,
            "created": "2025-01-02T03:04:05Z",
            "updated": "2025-01-02T03:04:05Z",
            "blob": f"blob-{doc_id}",
            **extra,
        }
        return IndexDoc(doc_id, text, metadata)

    return make
