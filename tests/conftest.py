"""Fixtures every test shares: an isolated git identity and environment, and a fresh memory repository.

Tests run real git in temporary folders, so nothing about the developer's machine may leak in: no
``~/.gitconfig`` (hooks paths, signing, default branch), no system config, no ``LEARNING_FS_REPO``
pointing at a real repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from learning_fs import MemoryRepo

PERSON = ("Test Person", "person@example.com")


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


@pytest.fixture
def memory_repo(tmp_path: Path) -> Iterator[MemoryRepo]:
    """A freshly initialised memory repository in ``tmp_path / "memory_repo"`` (``LEARNING_FS_REPO``)."""
    repo = MemoryRepo.init(tmp_path / "memory_repo")
    yield repo
    repo.close()
