"""Background extraction across stores: garbage from the model writes nothing, no model does nothing."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from learning_fs.machine import Evidence
from learning_fs.repo import MemoryRepo
from learning_fs.stores import (
    DecisionLogConfig,
    EntityMemoryConfig,
    LearnedKnowledgeConfig,
    SessionContextConfig,
    UserMemoryConfig,
    UserProfileConfig,
)
from learning_fs.stores.base import transcript
from tests.fakellm import FakeLLM
from tests.stores.conftest import commit_count, process, turn

STORES: dict[str, Callable[[], Any]] = {
    "user_profile": lambda: UserProfileConfig(),
    "user_memory": lambda: UserMemoryConfig(),
    "session_context": lambda: SessionContextConfig(),
    "entity_memory": lambda: EntityMemoryConfig(mode="always"),
    "learned_knowledge": lambda: LearnedKnowledgeConfig(mode="always"),
    "decision_log": lambda: DecisionLogConfig(mode="always"),
}
JAZZ = "I'm Alice. I love jazz, especially Miles Davis: Kind of Blue is the classic to recommend first."
VALID_CALL = {
    "user_profile": ("update_user_profile", {"name": "Alice"}),
    "user_memory": ("add_memory", {"memory": "Likes jazz"}),
    "session_context": ("update_session_context", {"summary": "Talking about jazz"}),
    "entity_memory": ("add_fact", {"entity": "Miles Davis", "fact": "genre: jazz"}),
    "learned_knowledge": ("save_learning", {"title": "Jazz", "learning": "Recommend Kind of Blue first."}),
    "decision_log": ("log_decision", {"decision": "Recommend Kind of Blue", "reasoning": "Classic"}),
}


def _garbage(kind: str, fake: FakeLLM, name: str) -> None:
    if kind == "not-json-arguments":
        fake.enqueue_tool_calls([(name, "{not json")]).enqueue_text("Sorry.")
    elif kind == "unknown-tool":
        fake.enqueue_tool_calls([("drop_all_tables", {})]).enqueue_text("Sorry.")
    elif kind == "wrong-arguments":
        fake.enqueue_tool_calls([(name, {"bogus": 1, "memory": 5})]).enqueue_text("Sorry.")
    elif kind == "html-instead-of-json":
        fake.enqueue_raw(200, "<html>502 Bad Gateway</html>", headers={"content-type": "text/html"})
    elif kind == "valid-call-then-server-error":  # half a turn is never written
        fake.enqueue_tool_calls([VALID_CALL[name]]).enqueue_raw(500, {"error": {"message": "boom"}})


@pytest.mark.parametrize("kind", ["not-json-arguments", "unknown-tool", "wrong-arguments", "html-instead-of-json",
                                  "valid-call-then-server-error"])
@pytest.mark.parametrize("name", list(STORES))
def test_model_garbage_writes_nothing(name: str, kind: str, repo: MemoryRepo, fake_llm: FakeLLM, model: Any,
                                      caplog: pytest.LogCaptureFixture) -> None:
    store = STORES[name]().build(repo)
    tool = VALID_CALL[name][0] if kind != "valid-call-then-server-error" else name
    _garbage(kind, fake_llm, tool)
    before = commit_count(repo)
    with caplog.at_level(logging.INFO):
        process(store, repo, model, turn(JAZZ))
    assert commit_count(repo) == before
    assert caplog.records  # logged, never raised


@pytest.mark.parametrize("name", list(STORES))
def test_a_valid_call_is_saved_by_every_store(name: str, repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = STORES[name]().build(repo)
    fake_llm.enqueue_tool_calls([VALID_CALL[name]]).enqueue_text("Done.")
    before = commit_count(repo)
    process(store, repo, model, turn(JAZZ))
    assert commit_count(repo) == before + 1


@pytest.mark.parametrize("name", list(STORES))
def test_the_extraction_commit_says_why_in_the_models_words(name: str, repo: MemoryRepo, fake_llm: FakeLLM,
                                                            model: Any) -> None:
    store = STORES[name]().build(repo)
    fake_llm.enqueue_tool_calls([("drop_all_tables", {})], content="Let me try something.")  # refused: not a why
    fake_llm.enqueue_tool_calls([VALID_CALL[name]], content="The user  named a favourite\nmusician.")
    fake_llm.enqueue_text("Done.")
    process(store, repo, model, turn(JAZZ))
    message = subprocess.run(["git", "log", "-1", "--format=%B"], cwd=repo.root, capture_output=True, text=True,
                             check=True).stdout
    assert "\nWhy: The user named a favourite musician.\n" in message  # as a HITL requirement records it
    assert Evidence.from_commit_message(message).reasoning == "The user named a favourite musician."


@pytest.mark.parametrize("name", list(STORES))
def test_no_model_no_request_no_write(name: str, repo: MemoryRepo) -> None:
    store = STORES[name]().build(repo)
    before = commit_count(repo)
    process(store, repo, None, turn("I love jazz"))
    assert commit_count(repo) == before


def test_agentic_stores_do_not_extract(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    process(UserMemoryConfig(mode="agentic").build(repo), repo, model, turn("I love jazz"))
    assert fake_llm.requests == []


def test_transcript_keeps_every_role_and_the_tail_of_long_turns() -> None:
    text = transcript(turn("Hi", "Hello!", tool_result="42 rows"))
    assert text.splitlines() == ["User: Hi", "Assistant called run_check({})", "Tool result (t1): 42 rows",
                                 "Assistant: Hello!"]
    long = transcript([{"role": "user", "content": "x" * 50_000}], limit=100)
    assert len(long) == 101 and long.startswith("…")
