"""Fixtures for the index-sync tests: real git, real Chroma, real watchdog, one embedder per session.

Every test runs with sockets disabled (pytest-socket): a model download or telemetry call would
fail the test. Every ``RepoIndex`` a test opens is closed in teardown (it stops the watcher's
inotify instances: a user gets 128).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from learning_fs.index import MiniLMEmbedder
from learning_fs.index.service import RepoIndex
from learning_fs.repo import MemoryRepo

OpenIndex = Callable[..., RepoIndex]


@pytest.fixture(autouse=True)
def _no_network(socket_disabled: None) -> None:
    """Any attempt to open a socket raises ``SocketBlockedError``."""




@pytest.fixture(autouse=True)
def _one_embedder(one_embedder: None) -> None:
    """What opens an index by itself (the CLI, the machine) gets the session's embedder too."""




@pytest.fixture
def open_index(repo: MemoryRepo, embedder: MiniLMEmbedder) -> Iterator[OpenIndex]:
    """``open_index(**options)``: a RepoIndex on ``repo`` with the session's embedder, closed at teardown."""
    opened: list[RepoIndex] = []

    def open_(**options: object) -> RepoIndex:
        options.setdefault("embedder", embedder)
        handle = RepoIndex.open(options.pop("repo", repo), **options)  # type: ignore[arg-type]
        opened.append(handle)
        return handle

    yield open_
    for handle in reversed(opened):
        handle.close()
