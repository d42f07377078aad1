"""Fixtures for the store tests: a real memory repository in tmp, writers, and the FakeLLM model."""

from __future__ import annotations

import subprocess
from typing import Any

from learning_fs.machine.writer import RecordWriter
from learning_fs.repo import MemoryRepo
from tests.fakellm import FakeLLM


def writer(repo: MemoryRepo, store: Any, user_id: str | None = "alice", session_id: str | None = "s1",
           message: str | None = None) -> RecordWriter:
    """The writer the machine would hand ``store`` (its mode, on behalf of ``user_id``)."""
    return RecordWriter(repo, store=store.learning_type, mode=store.mode, user_id=user_id, session_id=session_id,
                        quote=message)


def tools(store: Any, repo: MemoryRepo, user_id: str | None = "alice", session_id: str | None = "s1",
          **ctx: Any) -> dict[str, Any]:
    """``{name: tool}`` as ``store.get_tools`` returns them, bound like the machine binds them."""
    bound = store.get_tools(user_id=user_id, session_id=session_id, writer=writer(repo, store, user_id, session_id),
                            repo=repo, **ctx)
    return {tool.__name__: tool for tool in bound}


def commit_count(repo: MemoryRepo) -> int:
    out = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo.root, capture_output=True, text=True,
                         check=True)
    return int(out.stdout)


def turn(user: str, answer: str = "OK.", tool_result: str | None = None) -> list[dict[str, Any]]:
    """A whole turn as the machine hands it to ``process``: user message, tool call and result, answer."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": user}]
    if tool_result is not None:
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "run_check", "arguments": "{}"}}]})
        messages.append({"role": "tool", "tool_call_id": "t1", "content": tool_result})
    messages.append({"role": "assistant", "content": answer})
    return messages


def process(store: Any, repo: MemoryRepo, model: Any, messages: list[dict[str, Any]], user_id: str | None = "alice",
            session_id: str | None = "s1", **ctx: Any) -> None:
    """Run ``store.process`` the way the machine does (a buffered writer, flushed after)."""
    buffered = writer(repo, store, user_id, session_id, messages[0]["content"]).buffered()
    store.process(messages, model=model, writer=buffered, user_id=user_id, session_id=session_id, repo=repo,
                  message=messages[0]["content"], **ctx)
    buffered.flush()


def system_prompt(fake: FakeLLM, index: int = 0) -> str:
    return str(fake.requests[index]["messages"][0]["content"])


def tool_names(fake: FakeLLM, index: int = 0) -> list[str]:
    return [tool["function"]["name"] for tool in fake.requests[index].get("tools") or []]
