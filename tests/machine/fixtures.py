"""Fixtures shared by the machine, agent and end-to-end tests (star-imported by their conftests).

Everything is real — git repositories in ``tmp_path``, the ``openai`` client — except the model,
which is the scripted FakeLLM at the HTTP boundary.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from learning_fs.extract import OpenAIChat
from learning_fs.repo import MemoryRepo
from tests.fakellm import BASE_URL, FakeLLM


def git(repo: MemoryRepo, *args: str) -> str:
    """Run git in the memory repository (the ground truth the tests check against)."""
    result = subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=True)
    return result.stdout


def branches(repo: MemoryRepo) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


def head(repo: MemoryRepo, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", ref).strip()


class Switchboard:
    """Routes each chat request to its own FakeLLM, so stores extracting in parallel get their own script.

    Background extraction runs the stores of a turn side by side; one shared queue would hand
    them each other's answers. A route is chosen by the tools a request offers (each store's
    extraction offers its own write tools); everything else — the agent's own requests — goes to
    ``agent``. A route may be *gated*: its requests wait until the test opens the gate (a slow model).
    """

    def __init__(self) -> None:
        self.agent = FakeLLM()
        self.routes: list[tuple[frozenset[str], FakeLLM, threading.Event | None]] = []

    def extraction(self, *tool_names: str, gate: threading.Event | None = None) -> FakeLLM:
        """The FakeLLM answering requests that offer any of ``tool_names``."""
        fake = FakeLLM()
        self.routes.append((frozenset(tool_names), fake, gate))
        return fake

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        offered = {tool["function"]["name"] for tool in body.get("tools") or []}
        for names, fake, gate in self.routes:
            if offered & names:
                if gate is not None:
                    gate.wait(timeout=30)
                return fake.handle(request)
        return self.agent.handle(request)

    def model(self) -> OpenAIChat:
        transport = httpx.MockTransport(self.handle)
        return OpenAIChat("fake-model", base_url=BASE_URL, api_key="sk-fake", max_retries=0,
                          http_client=httpx.Client(transport=transport),
                          async_http_client=httpx.AsyncClient(transport=transport))

    def unexpected(self) -> list[str]:
        return [problem for fake in [self.agent, *(r[1] for r in self.routes)] for problem in fake.problems()]


@pytest.fixture
def switchboard() -> Iterator[Switchboard]:
    board = Switchboard()
    yield board
    assert not board.unexpected(), f"requests beyond the script: {board.unexpected()}"


def offered_tools(request: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in request.get("tools") or []]


def text_of(request: dict[str, Any]) -> str:
    """Everything the model was sent, as one string (for 'does the prompt carry X' checks)."""
    return "\n".join(str(m.get("content") or "") for m in request["messages"])
