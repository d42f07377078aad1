"""Fixtures for the command-line tests: a fresh memory repository and a runner bound to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from learning_fs.cli import cli


@pytest.fixture(autouse=True)
def _no_repo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's LEARNING_FS_REPO must never point a test at a real repository."""
    monkeypatch.delenv("LEARNING_FS_REPO", raising=False)


Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """``invoke(*args, input=None)`` runs the CLI in-process and returns click's Result."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, env=env, prog_name="learning-fs",
                             catch_exceptions=False)

    return run


@pytest.fixture
def repo_dir(tmp_path: Path, invoke: Invoke) -> Path:
    """An initialised, empty memory repository."""
    path = tmp_path / "memory"
    result = invoke("--repo", str(path), "init")
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def lfs(repo_dir: Path, invoke: Invoke) -> Invoke:
    """The CLI bound to ``repo_dir`` (``lfs("ls", "--json")``)."""

    def run(*args: str, **kwargs: Any) -> Result:
        return invoke("--repo", str(repo_dir), *args, **kwargs)

    return run
