"""Fixtures every test shares: an isolated environment, a fresh memory repository, the fake model.

Tests run real git in temporary folders, so nothing about the developer's machine may leak in: no
``~/.gitconfig`` (hooks paths, signing, default branch), no system config, no ``LEARNING_FS_REPO``
pointing at a real repository, no real API key or local model server. The only fake is the model,
at the HTTP boundary (``tests/fakellm.py``); the embedder is the real offline MiniLM, loaded once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from learning_fs import MemoryRepo
from tests.fakellm import FakeLLM, make_model

if TYPE_CHECKING:
    from learning_fs.extract import OpenAIChat
    from learning_fs.index import MiniLMEmbedder

PERSON = ("Test Person", "person@example.com")
MODEL_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LEARNING_FS_BASE_URL", "LEARNING_FS_MODEL",
             "LEARNING_FS_CURATE_MODEL")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git sees no global or system config and commits as a known person; the default repo is temporary."""
    config = tmp_path / ".gitconfig-isolated"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", PERSON[0])
        monkeypatch.setenv(f"GIT_{role}_EMAIL", PERSON[1])
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEARNING_FS_REPO", str(tmp_path / "memory_repo"))
    for name in MODEL_ENV:  # a developer's real key or local server must never reach a test
        monkeypatch.delenv(name, raising=False)
    # A machine in a fresh repository builds the semantic index at its first search (MiniLM and
    # Chroma: a second or so per repository). Most tests are about other things and stay on the
    # lexical searcher; tests/index_sync/test_sync_lazy_semantic.py deletes this to test the default.
    monkeypatch.setenv("LEARNING_FS_SEMANTIC", "off")


@pytest.fixture
def memory_repo(tmp_path: Path) -> Iterator[MemoryRepo]:
    """A freshly initialised memory repository in ``tmp_path / "memory_repo"`` (``LEARNING_FS_REPO``)."""
    repo = MemoryRepo.init(tmp_path / "memory_repo")
    yield repo
    repo.close()


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[MemoryRepo]:
    """A freshly initialised memory repository in ``tmp_path / "memory"``."""
    memory = MemoryRepo.init(tmp_path / "memory")
    yield memory
    memory.close()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A FakeLLM with an empty script; fails the test if the code asked for more than was scripted."""
    fake = FakeLLM()
    yield fake
    problems = fake.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def model(fake_llm: FakeLLM) -> OpenAIChat:
    """The real ``openai`` client, wired to ``fake_llm`` through ``httpx.MockTransport``."""
    return make_model(fake_llm)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """The offline MiniLM, loaded once per test session."""
    from learning_fs.index import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture
def one_embedder(embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    """What opens an index by itself (the CLI, the machine, check, the curator) gets the session's embedder.

    Test folders that touch the index request it from an autouse fixture of their conftest.
    """
    monkeypatch.setattr("learning_fs.index.service._embedder", embedder)

