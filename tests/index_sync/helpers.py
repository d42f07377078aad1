"""Helpers for the index-sync tests: hand edits, plain git, polling."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from learning_fs.format import LearningRecord, Record, record_path
from learning_fs.index.service import RepoIndex
from learning_fs.index.sync import clean_path
from learning_fs.repo import MemoryRepo


def write_file(repo: MemoryRepo, path: str, text: str) -> Path:
    """Write a file the way a person would (no library, no commit)."""
    full = repo.root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_text(text, encoding="utf-8")
    return full


def hand_written(repo: MemoryRepo, record: Record) -> str:
    """Put a record's Markdown in the working tree by hand; returns its path."""
    path = record_path(record)
    write_file(repo, path, record.to_markdown())
    return path


def learning(title: str, text: str, **fields: object) -> LearningRecord:
    return LearningRecord(title=title, learning=text, **fields)  # type: ignore[arg-type]


def git(repo: MemoryRepo, *args: str) -> str:
    """Real git in the repository, as a script runs it: after ``flush()``, as docs/architecture.md asks.

    Without it, a commit started in the ~0.1-0.3 s the background .git/index sync holds index.lock
    fails (a person would simply re-run it; a test must not be flaky).
    """
    repo.flush()
    result = subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=True)
    return result.stdout


def paths_found(index: RepoIndex, query: str, **filters: object) -> list[str]:
    """Paths of the hits for ``query`` straight from the engine (no barrier, no catch-up)."""
    return [clean_path(hit.path) for hit in index.index.search(query, k=10, **filters)]  # type: ignore[arg-type]


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, step: float = 0.05) -> float:
    """Poll ``predicate`` until it is truthy; the seconds it took. Fails the test on timeout."""
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(step)
    return time.monotonic() - began
