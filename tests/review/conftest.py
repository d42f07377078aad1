"""Fixtures for the review tests: real git repositories (and a bare one as the remote), the CLI, one embedder.

Everything is real: git in ``tmp_path``, the offline MiniLM embedder (loaded once per session and
shared with anything that would load its own), the command line through click's runner.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from learning_fs.cli import cli
from learning_fs.format import LearningRecord
from learning_fs.repo import MemoryRepo

Invoke = Callable[..., Result]




@pytest.fixture(autouse=True)
def _one_embedder(one_embedder: None) -> None:
    """`check` and the search index use the session's embedder instead of loading their own."""




@pytest.fixture
def lfs(repo: MemoryRepo) -> Invoke:
    """``lfs("proposals", "--json")``: the CLI on ``repo``, in process."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, ["--repo", str(repo.root), *args], input=input, env=env, prog_name="learning-fs",
                             catch_exceptions=False)

    return run


def git(root: Path | MemoryRepo, *args: str, check: bool = True) -> str:
    """Plain git, as a person runs it (retried while the library's index sync holds index.lock)."""
    where = root.root if isinstance(root, MemoryRepo) else root
    for _ in range(40):
        result = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, check=False,
                                env={**os.environ, "GIT_EDITOR": "true"})
        if result.returncode == 0 or "index.lock" not in result.stderr:
            break
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def head(repo: MemoryRepo, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", ref).strip()


def branches(repo: MemoryRepo) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


def learn(repo: MemoryRepo, title: str, text: str, **fields: Any) -> LearningRecord:
    """Write a learning straight to main (what an ALWAYS store or `learning-fs add` does)."""
    record = LearningRecord(title=title, learning=text, **fields)
    repo.write(record)
    return record


def configure_check(repo: MemoryRepo, **settings: Any) -> None:
    """Set ``review.check`` in learning_fs.yaml (uncommitted, as a person editing it would leave it)."""
    path = repo.root / "learning_fs.yaml"
    data = yaml.safe_load(path.read_text())
    data.setdefault("review", {}).setdefault("check", {}).update(settings)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def propose(lfs: Invoke, title: str, text: str, *extra: str) -> str:
    """`learning-fs propose learning`; returns the proposal id it printed."""
    result = lfs("propose", "learning", "--title", title, *extra, text)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()
