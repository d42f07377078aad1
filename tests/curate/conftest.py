"""Fixtures for the curator tests: real git repositories, the real offline embedder, the FakeLLM model.

The clock is fixed at ``helpers.NOW`` so ages, expiry and staleness do not depend on the day the tests
run. Sockets are disabled: an embedder or a model that tried the network would fail the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from learning_fs.curate import CurationPolicy, Curator, RecallLog
from learning_fs.extract import OpenAIChat
from learning_fs.index import MiniLMEmbedder
from learning_fs.repo import MemoryRepo
from tests.curate.helpers import NOW
from tests.fakellm import FakeLLM, make_model

_MODEL_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LEARNING_FS_BASE_URL", "LEARNING_FS_MODEL")


@pytest.fixture(autouse=True)
def _offline(socket_disabled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _MODEL_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(autouse=True)
def _one_embedder(embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    """A curator that loads the default embedder by itself (the CLI, the machine) gets the session's."""
    monkeypatch.setattr("learning_fs.index.service._embedder", embedder)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[MemoryRepo]:
    memory = MemoryRepo.init(tmp_path / "memory")
    yield memory
    memory.close()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    yield fake
    assert not fake.unexpected, f"requests beyond the script: {fake.unexpected}"


@pytest.fixture
def model(fake_llm: FakeLLM) -> OpenAIChat:
    return make_model(fake_llm)


MakeCurator = Callable[..., Curator]


@pytest.fixture
def curator(repo: MemoryRepo, embedder: MiniLMEmbedder) -> MakeCurator:
    """``curator(model=None, **policy)``: a Curator on ``repo`` at :data:`NOW`."""

    def make(model: Any = None, recall_log: RecallLog | None = None, **policy: Any) -> Curator:
        return Curator(repo, model=model, policy=CurationPolicy(**policy), embedder=embedder,
                       recall_log=recall_log, clock=NOW.timestamp)

    return make
