"""Fixtures for the curator tests: real git repositories, the real offline embedder, the FakeLLM model.

The clock is fixed at ``helpers.NOW`` so ages, expiry and staleness do not depend on the day the tests
run. Sockets are disabled: an embedder or a model that tried the network would fail the test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from learning_fs.curate import CurationPolicy, Curator, RecallLog
from learning_fs.index import MiniLMEmbedder
from learning_fs.repo import MemoryRepo
from tests.curate.helpers import NOW


@pytest.fixture(autouse=True)
def _offline(socket_disabled: None) -> None:
    """No network: the curator works on files, the embedder and (faked) model only."""




@pytest.fixture(autouse=True)
def _one_embedder(one_embedder: None) -> None:
    """A curator that loads the default embedder by itself (the CLI, the machine) gets the session's."""








MakeCurator = Callable[..., Curator]


@pytest.fixture
def curator(repo: MemoryRepo, embedder: MiniLMEmbedder) -> MakeCurator:
    """``curator(model=None, **policy)``: a Curator on ``repo`` at :data:`NOW`."""

    def make(model: Any = None, recall_log: RecallLog | None = None, **policy: Any) -> Curator:
        return Curator(repo, model=model, policy=CurationPolicy(**policy), embedder=embedder,
                       recall_log=recall_log, clock=NOW.timestamp)

    return make
