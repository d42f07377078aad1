"""Fixtures for the git-layer tests: look at a repository the way a person does, with git itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from learning_fs import MemoryRepo


class GitView:
    """Run git in a repository (as the isolated test person) and read HEAD, the index and status."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
        for _ in range(40):
            result = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=False,
                                    env={**os.environ, **(env or {})})
            # The library's background index sync holds index.lock for a moment after a write; git then
            # refuses to start, and a person simply runs the command again.
            if result.returncode == 0 or "index.lock': File exists" not in result.stderr:
                break
            time.sleep(0.05)
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def files(self, rev: str = "HEAD") -> set[str]:
        """Every file path in a commit's tree."""
        return set(self("ls-tree", "-r", "--name-only", rev).splitlines())

    def text(self, path: str, rev: str = "HEAD") -> str:
        return self("show", f"{rev}:{path}")

    def status(self) -> list[str]:
        """``git status --porcelain`` lines, untracked files included."""
        return self("status", "--porcelain", "--untracked-files=all").splitlines()

    def count(self, rev: str = "HEAD") -> int:
        return int(self("rev-list", "--count", rev))

    def head(self) -> str:
        return self("rev-parse", "HEAD").strip()


@pytest.fixture
def gitview() -> Callable[[MemoryRepo | Path], GitView]:
    """``gitview(repo)``: git's own view of a memory repository (or any folder)."""
    return lambda repo: GitView(repo.root if isinstance(repo, MemoryRepo) else Path(repo))


@pytest.fixture
def git(memory_repo: MemoryRepo) -> GitView:
    """Git's view of the ``memory_repo`` fixture."""
    return GitView(memory_repo.root)


PROJECT = Path(__file__).resolve().parents[2]


def learning_fs_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``learning-fs ARGS`` in a new process with this checkout's code, as a person would."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run([sys.executable, "-c", "from learning_fs.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, check=False)
