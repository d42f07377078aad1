"""Fixtures of the Agno migration tests: the scripted model behind Agno-shaped code, cookbook runs.

``Cookbook`` is the FakeLLM at the HTTP boundary, split in two: the agent's own requests are
served from ``cookbook.agent`` (a strict FakeLLM: a request beyond the script fails the test),
background extractions from one FakeLLM per store, chosen by the write tools the request offers
(``cookbook.store("update_user_profile")``). A store whose script has run out answers "Nothing
new to save." — a turn that teaches nothing — so a test scripts only what the cookbook's story
needs. ``run_example`` runs a ported cookbook file as ``__main__`` in ``tmp_path`` with
``learning_fs.OpenAIChat`` wired to this router (its ``model=`` line is what Agno users change).
"""

from __future__ import annotations

import json
import runpy
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import learning_fs
from learning_fs.extract import OpenAIChat
from tests.fakellm import BASE_URL, FakeLLM
from tests.machine.fixtures import *  # noqa: F403

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "agno"
NOTHING = "Nothing new to save."


def offered(body: dict[str, Any]) -> set[str]:
    return {tool["function"]["name"] for tool in body.get("tools") or []}


def is_extraction(body: dict[str, Any]) -> bool:
    """Background extraction prompts hand the model the turn as 'The conversation turn: ...'."""
    return any(m.get("role") == "user" and str(m.get("content") or "").startswith("The conversation turn:")
               for m in body.get("messages", [])[:3])


class Cookbook:
    """Routes each chat request: the agent's to ``agent``, extractions to their store's script."""

    def __init__(self) -> None:
        self.agent = FakeLLM()
        self.stores: dict[str, FakeLLM] = {}
        self.extractions: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.output = ""

    def store(self, tool_name: str) -> FakeLLM:
        """The script of the extraction that offers ``tool_name`` (one per store)."""
        return self.stores.setdefault(tool_name, FakeLLM())

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        if not is_extraction(body):
            return self.agent.handle(request)
        with self._lock:
            self.extractions.append(body)
        tools = offered(body)
        for name, fake in self.stores.items():
            if name in tools and fake.remaining:
                return fake.handle(request)
        return FakeLLM().enqueue_text(NOTHING).handle(request)

    def model(self, id: str = "fake-model", **_: Any) -> OpenAIChat:
        transport = httpx.MockTransport(self.handle)
        return OpenAIChat(id, base_url=BASE_URL, api_key="sk-fake", max_retries=0,
                          http_client=httpx.Client(transport=transport),
                          async_http_client=httpx.AsyncClient(transport=transport))

    def unexpected(self) -> list[dict[str, Any]]:
        return [*self.agent.unexpected, *(b for f in self.stores.values() for b in f.unexpected)]

    def agent_text(self, index: int) -> str:
        """Everything the agent's ``index``-th model request carried (system prompt included)."""
        return "\n".join(str(m.get("content") or "") for m in self.agent.requests[index]["messages"])


@pytest.fixture
def cookbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cookbook]:
    """A Cookbook whose model every ``OpenAIChat(id=...)`` of a ported example talks to, cwd = tmp_path."""
    book = Cookbook()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(learning_fs, "OpenAIChat", book.model, raising=False)  # the examples' model line
    yield book
    assert not book.unexpected(), f"requests beyond the script: {book.unexpected()}"


def run_example(relative: str, capsys: pytest.CaptureFixture[str] | None = None) -> dict[str, Any]:
    """Run ``examples/agno/<relative>`` as a script; close every agent and machine it left open."""
    path = EXAMPLES / relative
    sys.path.insert(0, str(path.parent))
    try:
        namespace = runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.path.remove(str(path.parent))
        sys.modules.pop("agents", None)  # 10_demo's helper module
    close_all(namespace)
    return namespace


def close_all(namespace: dict[str, Any]) -> None:
    from learning_fs import Agent, LearningMachine

    for value in list(namespace.values()):
        if isinstance(value, (Agent, LearningMachine)):
            value.close()
