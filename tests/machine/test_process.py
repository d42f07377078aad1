"""Extraction after a turn: off the hot path, one commit per store, proposals in PROPOSE, garbage writes nothing."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from learning_fs.machine import Evidence, LearningMachine, LearningMode
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig
from tests.fakellm import FakeLLM
from tests.machine.fixtures import Switchboard, branches, git, head, offered_tools, text_of

TURN = [
    {"role": "user", "content": "I moved to Berlin last month. What's the weather like?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_w", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Berlin"}'}}]},
    {"role": "tool", "tool_call_id": "call_w", "content": "Berlin: 4°C and drizzle"},
    {"role": "assistant", "content": "It's 4°C and drizzly in Berlin; bring a coat."},
]


def _memory_machine(repo: MemoryRepo, board: Switchboard, mode: LearningMode = LearningMode.ALWAYS,
                    **kwargs: object) -> LearningMachine:
    return LearningMachine(repo, model=board.model(), user_memory=UserMemoryConfig(mode=mode), agent_id="bot",
                           **kwargs)  # type: ignore[arg-type]


def test_background_extraction_reads_the_whole_turn_and_commits_once(
    repo: MemoryRepo, switchboard: Switchboard
) -> None:
    extractor = switchboard.extraction("add_memory")
    extractor.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin (moved recently)"}),
                                  ("add_memory", {"memory": "Asks about the weather"})])
    extractor.enqueue_text("Saved two memories.")
    machine = _memory_machine(repo, switchboard)
    before = head(repo)

    machine.process(TURN, user_id="alice", session_id="s1")
    assert machine.wait(timeout=10)

    prompt = text_of(extractor.requests[0])
    assert "I moved to Berlin" in prompt and "bring a coat" in prompt and "4°C and drizzle" in prompt
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    message = git(repo, "log", "-1", "--format=%B")
    assert "Learning-Mode: always" in message and "Learning-Store: user_memory" in message
    assert "> I moved to Berlin last month." in message
    assert "Lives in Berlin" in machine.build_context(user_id="alice", message="where do I live? Berlin")


def test_process_does_not_wait_for_a_slow_model(repo: MemoryRepo, switchboard: Switchboard) -> None:
    gate = threading.Event()
    extractor = switchboard.extraction("add_memory", gate=gate)
    extractor.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})]).enqueue_text("ok")
    machine = _memory_machine(repo, switchboard)
    before = head(repo)

    started = time.perf_counter()
    future = machine.process(TURN, user_id="alice", session_id="s1")
    returned_after = time.perf_counter() - started

    assert returned_after < 0.5 and future is not None and not future.done()
    assert not machine.wait(timeout=0.05)  # still blocked on the model
    assert head(repo) == before
    gate.set()
    assert machine.wait(timeout=10)
    assert head(repo) != before


def test_propose_mode_extraction_lands_on_a_proposal_branch(repo: MemoryRepo, switchboard: Switchboard) -> None:
    extractor = switchboard.extraction("add_memory")
    extractor.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})]).enqueue_text("ok")
    machine = _memory_machine(repo, switchboard, LearningMode.PROPOSE)
    main_before = head(repo, "main")

    machine.process(TURN, user_id="alice", session_id="s1", background=False)

    assert head(repo, "main") == main_before
    [proposal] = [b for b in branches(repo) if b.startswith("proposals/")]
    assert proposal.startswith("proposals/memories/")
    evidence = Evidence.from_commit_message(git(repo, "log", "-1", "--format=%B", proposal))
    assert (evidence.mode, evidence.user_id, evidence.agent_id) == ("propose", "alice", "bot")
    assert "Lives in Berlin" not in machine.build_context(user_id="alice", message="Berlin")


@pytest.mark.parametrize("script", ["not json", "bad arguments", "unknown tool", "http error"])
def test_model_garbage_writes_nothing(repo: MemoryRepo, switchboard: Switchboard, script: str,
                                      caplog: pytest.LogCaptureFixture) -> None:
    extractor = switchboard.extraction("add_memory")
    if script == "not json":
        extractor.enqueue_raw(200, "<html>502 Bad Gateway</html>")
    elif script == "bad arguments":
        extractor.enqueue_tool_calls([("add_memory", '{"memory": "Lives in Ber')]).enqueue_text("done")
    elif script == "unknown tool":
        extractor.enqueue_tool_calls([("rm_rf", {"path": "/"}), ("add_memory", {"wrong": 1})]).enqueue_text("done")
    else:
        extractor.enqueue_raw(500, {"error": {"message": "overloaded"}})
    machine = _memory_machine(repo, switchboard)
    before = head(repo)

    with caplog.at_level(logging.WARNING):
        machine.process(TURN, user_id="alice", session_id="s1", background=False)

    assert head(repo) == before
    assert branches(repo) == ["main"]
    assert caplog.records  # logged, not silent


def test_without_a_model_process_warns_once_and_writes_nothing(
    repo: MemoryRepo, caplog: pytest.LogCaptureFixture
) -> None:
    machine = LearningMachine(repo, learning=True)
    before = head(repo)
    with caplog.at_level(logging.WARNING):
        machine.process(TURN, user_id="alice", background=False)
        machine.process(TURN, user_id="alice", background=False)
    assert head(repo) == before
    assert caplog.text.count("no model configured") == 1


class PhraseStore:
    """A custom store that learns without a model: ``process`` declares no ``model``."""

    learning_type = "phrases"

    def __init__(self) -> None:
        self.turns: list[list[dict[str, object]]] = []

    def process(self, messages: list[dict[str, object]]) -> None:
        self.turns.append(messages)


class ModelStore(PhraseStore):
    """A custom store whose extraction takes the machine's model, so learns nothing without one."""

    learning_type = "model_phrases"

    def process(self, messages: list[dict[str, object]], model: object = None) -> None:  # type: ignore[override]
        if model is not None:
            self.turns.append(messages)


def test_without_a_model_only_stores_that_need_one_are_named(
    repo: MemoryRepo, caplog: pytest.LogCaptureFixture
) -> None:
    phrases, needs_model = PhraseStore(), ModelStore()
    alone = LearningMachine(repo, learning=False, custom_stores={"phrases": phrases})
    with caplog.at_level(logging.WARNING):
        alone.process(TURN, user_id="alice", background=False)
    assert phrases.turns and "no model configured" not in caplog.text  # it learned: no false alarm

    caplog.clear()
    mixed = LearningMachine(repo, user_memory=True,
                            custom_stores={"phrases": phrases, "model_phrases": needs_model})
    with caplog.at_level(logging.WARNING):
        mixed.process(TURN, user_id="alice", background=False)
    [warning] = [r.getMessage() for r in caplog.records if "no model configured" in r.getMessage()]
    assert "user_memory, model_phrases will not learn" in warning and "phrases," not in warning
    assert needs_model.turns == []


def test_agentic_stores_do_not_extract(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    from tests.fakellm import make_model

    machine = LearningMachine(repo, model=make_model(fake_llm),
                              user_memory=UserMemoryConfig(mode=LearningMode.AGENTIC))
    assert machine.process(TURN, user_id="alice") is None
    assert fake_llm.requests == []


def test_aprocess_extracts_and_returns_when_committed(repo: MemoryRepo, switchboard: Switchboard) -> None:
    extractor = switchboard.extraction("add_memory")
    extractor.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})]).enqueue_text("ok")
    machine = _memory_machine(repo, switchboard)
    before = head(repo)
    asyncio.run(machine.aprocess(TURN, user_id="alice", session_id="s1"))
    assert head(repo) != before
    assert offered_tools(extractor.requests[0]) == ["add_memory", "update_memory", "delete_memory",
                                                        "nothing_to_save"]


def test_close_finishes_queued_extraction(repo: MemoryRepo, switchboard: Switchboard) -> None:
    extractor = switchboard.extraction("add_memory")
    extractor.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})]).enqueue_text("ok")
    machine = _memory_machine(repo, switchboard)
    before = head(repo)
    machine.process(TURN, user_id="alice", session_id="s1")
    machine.close()
    assert head(repo) != before


def test_last_turn_says_what_each_store_did(repo: MemoryRepo, switchboard: Switchboard,
                                            caplog: pytest.LogCaptureFixture) -> None:
    extractor = switchboard.extraction("add_memory")
    extractor.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})]).enqueue_text("done")
    machine = _memory_machine(repo, switchboard)
    machine.process(TURN, user_id="alice", session_id="s1", background=False)
    outcome = machine.last_turn["user_memory"]
    assert (outcome.status, outcome.saved, outcome.commit) == ("saved", 1, head(repo))
    assert str(outcome).startswith("saved 1")

    extractor.enqueue_text("Sure, the weather in Berlin is mild.")  # no tool call at all
    with caplog.at_level(logging.WARNING):
        machine.process(TURN, user_id="alice", session_id="s2", background=False)
    outcome = machine.last_turn["user_memory"]
    assert outcome.status == "nothing" and "without calling a tool" in (outcome.reason or "")
    assert [r for r in caplog.records if "without calling a tool" in r.getMessage()]

    extractor.enqueue_raw(500, {"error": {"message": "overloaded"}})
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        machine.process(TURN, user_id="alice", session_id="s3", background=False)
    outcome = machine.last_turn["user_memory"]
    assert outcome.status == "failed" and "overloaded" in (outcome.reason or "") and not outcome.ok
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1  # one line per store, not a dump per layer


def test_nothing_to_save_is_reported_as_such(repo: MemoryRepo, switchboard: Switchboard) -> None:
    extractor = switchboard.extraction("add_memory")
    extractor.enqueue_tool_calls([("nothing_to_save", {"reason": "small talk only"})]).enqueue_text("ok")
    machine = _memory_machine(repo, switchboard)
    before = head(repo)
    machine.process(TURN, user_id="alice", session_id="s1", background=False)
    assert head(repo) == before
    assert str(machine.last_turn["user_memory"]) == "nothing to save: small talk only"
    assert extractor.requests[0]["tool_choice"] == "required"
