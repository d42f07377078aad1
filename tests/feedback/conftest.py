"""Fixtures for the feedback and self-improvement tests: real git repositories, machines, the CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from learning_fs import LearningMachine
from learning_fs.cli import cli
from learning_fs.repo import MemoryRepo


@pytest.fixture(autouse=True)
def _offline(socket_disabled: None) -> None:
    """No network: feedback is read by rules, the analyser counts; a model is only ever the FakeLLM."""


@pytest.fixture
def machine(repo: MemoryRepo) -> Iterator[LearningMachine]:
    """Instructions + feedback + user memory + learned knowledge, extracting inline (no model)."""
    with LearningMachine(repo, instructions=True, feedback=True, user_memory=True, learned_knowledge=True,
                         background=False, agent_id="bot", track_recalls=False) as built:
        yield built


Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    runner = CliRunner()

    def run(*args: str, env: dict[str, Any] | None = None) -> Result:
        return runner.invoke(cli, list(args), env=env, prog_name="learning-fs", catch_exceptions=False)

    return run
