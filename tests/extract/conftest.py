"""Fixtures for the model-facing tests: a scripted FakeLLM and an environment without real keys."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

# Make `tests.fakellm` importable until pyproject sets `pythonpath = ["."]` for pytest (lead's call);
# remove this insert then.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


T = TypeVar("T")
_REAL_SOCKET = socket.socket  # conftest imports before pytest-socket guards the first test







@pytest.fixture
def arun(request: pytest.FixtureRequest) -> Callable[[Coroutine[Any, Any, T]], T]:
    """``asyncio.run`` that also works under ``pytest --disable-socket``.

    An asyncio event loop wakes itself through an AF_UNIX ``socket.socketpair()``, which pytest-socket
    blocks unless ``--allow-unix-socket`` is given. Unix sockets are allowed only while the loop is
    created; network sockets stay blocked throughout, so the test still proves it is offline.
    """

    def run(coro: Coroutine[Any, Any, T]) -> T:
        guarded = socket.socket is not _REAL_SOCKET
        if guarded:
            import pytest_socket

            pytest_socket.enable_socket()  # guards stack: lift the current one before adding a looser one
            pytest_socket.disable_socket(allow_unix_socket=True)
        try:
            loop = asyncio.new_event_loop()
        finally:
            if guarded:
                allow_unix = bool(request.config.getoption("--allow-unix-socket", default=False))
                pytest_socket.enable_socket()
                pytest_socket.disable_socket(allow_unix_socket=allow_unix)
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    return run
