"""Fixtures shared by the machine, agent and end-to-end tests (star-imported by their conftests).

Everything is real — git repositories in ``tmp_path``, the ``openai`` client — except the model,
which is the scripted FakeLLM at the HTTP boundary.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # `tests.fakellm` (see tests/extract/conftest.py)
    sys.path.insert(0, _ROOT)

from learning_fs.extract import OpenAIChat  # noqa: E402
from learning_fs.repo import MemoryRepo  # noqa: E402
from tests.fakellm import FakeLLM, make_model  # noqa: E402

_MODEL_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LEARNING_FS_BASE_URL", "LEARNING_FS_MODEL", "LEARNING_FS_REPO")


@pytest.fixture(autouse=True)
def _no_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real key, local server or repository must never leak into a test."""
    for name in _MODEL_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[MemoryRepo]:
    memory = MemoryRepo.init(tmp_path / "memory")
    yield memory
    memory.close()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A FakeLLM with an empty script; fails the test if the code asked for more than was scripted."""
    fake = FakeLLM()
    yield fake
    assert not fake.unexpected, f"requests beyond the script: {fake.unexpected}"


@pytest.fixture
def model(fake_llm: FakeLLM) -> OpenAIChat:
    return make_model(fake_llm)


def git(repo: MemoryRepo, *args: str) -> str:
    """Run git in the memory repository (the ground truth the tests check against)."""
    result = subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=True)
    return result.stdout


def branches(repo: MemoryRepo) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


def head(repo: MemoryRepo, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", ref).strip()
