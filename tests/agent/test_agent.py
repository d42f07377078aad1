"""The reference Agent: loop, history out of git, learning after the reply, HITL pause and resume."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from learning_fs.agent import Agent
from learning_fs.format import MemoriesRecord, ProfileRecord
from learning_fs.format.items import Item
from learning_fs.machine import LearningMachine, LearningMode
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig
from tests.fakellm import FakeLLM, make_model
from tests.machine.fixtures import Switchboard, git, head, offered_tools, text_of


def weather(city: str) -> str:
    """Current weather in a city.

    Args:
        city: The city name.
    """
    return f"{city}: 4°C and drizzle"


def test_a_run_answers_through_the_tool_loop_and_keeps_session_history(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("weather", {"city": "Berlin"})]).enqueue_text("4°C, bring a coat.")
    fake_llm.enqueue_text("Still cold.")
    agent = Agent(model=make_model(fake_llm), instructions="You are terse.", tools=[weather])

    first = agent.run("Weather in Berlin?", user_id="alice", session_id="s1")
    second = agent.run("And now?", user_id="alice", session_id="s1")

    assert first.content == "4°C, bring a coat." and not first.is_paused
    assert [(r.name, r.ok) for r in first.tool_calls] == [("weather", True)]
    assert fake_llm.requests[0]["messages"][0] == {"role": "system", "content": "You are terse."}
    assert offered_tools(fake_llm.requests[0]) == ["weather"]
    replay = [m.get("content") for m in fake_llm.requests[2]["messages"]]
    assert replay[1:] == ["Weather in Berlin?", "", "Berlin: 4°C and drizzle", "4°C, bring a coat.", "And now?"]
    assert second.content == "Still cold."


def test_without_a_model_the_agent_takes_the_same_default_as_chat_and_the_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from learning_fs.agent import model_from_env
    from learning_fs.agent.environment import DEFAULT_OPENAI_MODEL
    from learning_fs.extract import ModelConfigError

    with pytest.raises(ModelConfigError, match="No model is configured"):  # at once, not at the first request
        Agent(learning=True, repo=tmp_path / "never")
    assert not (tmp_path / "never").exists()  # it stopped before creating a repository

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert Agent().model.id == model_from_env().id == DEFAULT_OPENAI_MODEL == "gpt-4.1-mini"
    monkeypatch.setenv("LEARNING_FS_BASE_URL", "http://localhost:11434/v1")
    monkeypatch.setenv("LEARNING_FS_MODEL", "qwen2.5:7b")
    assert Agent().model.id == "qwen2.5:7b"


def test_a_session_id_is_made_up_when_none_is_given(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text("hi")
    response = Agent(model=make_model(fake_llm)).run("hello")
    assert response.session_id and response.session_id.startswith("ses-")


def test_history_lives_in_the_gitignored_folder_and_is_replayed_across_agents(
    repo: MemoryRepo, fake_llm: FakeLLM
) -> None:
    fake_llm.enqueue_text("Nice to meet you.").enqueue_text("You said hello.")
    Agent(model=make_model(fake_llm), repo=repo).run("hello", user_id="alice", session_id="s1")

    [file] = (repo.root / ".learning_fs" / "sessions").rglob("*.jsonl")
    assert file.relative_to(repo.root).as_posix() == ".learning_fs/sessions/alice/s1.jsonl"
    assert json.loads(file.read_text())["messages"][0] == {"role": "user", "content": "hello"}
    repo.flush()
    assert git(repo, "status", "--porcelain") == ""

    Agent(model=make_model(fake_llm), repo=repo).run("what did I say?", user_id="alice", session_id="s1")
    assert "hello" in text_of(fake_llm.requests[1])


def test_learning_context_reaches_the_model_and_the_reply_does_not_wait_for_extraction(
    repo: MemoryRepo, switchboard: Switchboard
) -> None:
    repo.write_many([ProfileRecord(user="alice", fields={"name": "Alice"}),
                     MemoriesRecord(user="alice", memories=[Item(id="m-1", text="Prefers metric units")])])
    gate = threading.Event()
    extractor = switchboard.extraction("add_memory", gate=gate)
    extractor.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})]).enqueue_text("ok")
    profile = switchboard.extraction("update_user_profile")
    profile.enqueue_text("nothing to update")
    switchboard.agent.enqueue_text("It's 4°C.")
    agent = Agent(model=switchboard.model(), learning=LearningMachine(repo, learning=True))
    before = head(repo)

    started = time.perf_counter()
    response = agent.run("I live in Berlin. Weather?", user_id="alice", session_id="s1")
    elapsed = time.perf_counter() - started

    assert response.content == "It's 4°C." and elapsed < 5
    system = switchboard.agent.requests[0]["messages"][0]["content"]
    assert "<user_profile>" in system and "Alice" in system and "Prefers metric units" in system
    assert "<user_profile>" in response.context
    assert head(repo) == before  # extraction still waiting on the model
    gate.set()
    assert agent.learning is not None and agent.learning.wait(timeout=10)
    assert "Lives in Berlin" in agent.learning.build_context(user_id="alice", message="Berlin")
    assert "It's 4°C." in text_of(extractor.requests[0])  # extraction saw the answer, not only the question


def test_learning_true_builds_a_machine_on_the_repo_and_shares_the_model(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    model = make_model(fake_llm)
    agent = Agent(model=model, learning=True, repo=repo)
    assert agent.learning is not None and agent.learning.model is model
    assert list(agent.learning.stores) == ["user_profile", "user_memory"]


def _hitl_agent(repo: MemoryRepo, fake: FakeLLM) -> Agent:
    machine = LearningMachine(repo, user_memory=UserMemoryConfig(mode=LearningMode.HITL), agent_id="bot")
    return Agent(model=make_model(fake), learning=machine)


def test_hitl_pauses_and_a_confirmed_call_writes_on_main(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Is vegetarian"})],
                                content="The user told me a lasting dietary preference.")
    fake_llm.enqueue_text("Noted, no meat.")
    agent = _hitl_agent(repo, fake_llm)
    before = head(repo)

    paused = agent.run("I'm vegetarian, suggest dinner.", user_id="alice", session_id="s1")

    assert paused.is_paused and paused.content is None
    [requirement] = paused.requirements
    assert (requirement.tool_name, requirement.arguments, requirement.store) == (
        "add_memory", {"memory": "Is vegetarian"}, "user_memory")
    evidence = requirement.evidence
    assert (evidence.user_id, evidence.session_id, evidence.mode) == ("alice", "s1", "hitl")
    assert evidence.quote == "I'm vegetarian, suggest dinner."
    assert evidence.reasoning == "The user told me a lasting dietary preference."
    rendered = requirement.render()
    assert "add_memory(memory='Is vegetarian')" in rendered and "> I'm vegetarian" in rendered
    assert head(repo) == before
    with pytest.raises(ValueError, match="undecided: add_memory"):
        agent.continue_run(paused)

    requirement.confirm()
    done = agent.continue_run(paused)

    assert done.content == "Noted, no meat." and not done.is_paused
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    message = git(repo, "log", "-1", "--format=%B")
    assert "Learning-Mode: hitl" in message and "Learning-Agent: bot" in message
    assert "Is vegetarian" in agent.learning.build_context(user_id="alice", message="vegetarian")  # type: ignore[union-attr]
    assert fake_llm.requests[1]["messages"][-1]["content"].startswith("Remembered")


def test_hitl_rejection_writes_nothing_and_tells_the_model(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Hates Mondays"})]).enqueue_text("Fine, forgotten.")
    agent = _hitl_agent(repo, fake_llm)
    before = head(repo)

    paused = agent.run("Ugh, Mondays.", user_id="alice", session_id="s1")
    paused.requirements[0].reject("just venting")
    done = agent.continue_run(paused)

    assert done.content == "Fine, forgotten."
    assert head(repo) == before
    tool_message = fake_llm.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool" and "rejected" in tool_message["content"]
    assert "just venting" in tool_message["content"]


def test_print_response_shows_requirements_and_the_answer(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Is vegetarian"})]).enqueue_text("**Noted.**")
    agent = _hitl_agent(repo, fake_llm)
    out = io.StringIO()
    seen = []

    response = agent.print_response("I'm vegetarian.", user_id="alice", session_id="s1",
                                    console=Console(file=out, width=100), confirm=lambda r: seen.append(r) or True)

    assert response.content == "**Noted.**" and len(seen) == 1
    printed = out.getvalue()
    assert "add_memory" in printed and "Noted." in printed and "**" not in printed


def test_arun_and_acontinue_run(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Is vegetarian"})]).enqueue_text("ok")
    agent = _hitl_agent(repo, fake_llm)

    async def scenario() -> str | None:
        paused = await agent.arun("I'm vegetarian.", user_id="alice", session_id="s1")
        paused.requirements[0].confirm()
        return (await agent.acontinue_run(paused)).content

    assert asyncio.run(scenario()) == "ok"
    assert "Is vegetarian" in (repo.root / "users").joinpath(*_memories_path(repo, "alice")).read_text()


def _memories_path(repo: MemoryRepo, user: str) -> list[str]:
    [path] = repo.paths("memories", user=user)
    return path.split("/")[1:]


def test_a_broken_learning_tool_is_left_out_not_fatal(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    class OddStore:
        learning_type = "odd"

        def get_tools(self) -> list[object]:
            def variadic(*args: object) -> str:
                return "never offered"

            return [variadic]

    fake_llm.enqueue_text("fine")
    machine = LearningMachine(repo, custom_stores={"odd": OddStore()})
    response = Agent(model=make_model(fake_llm), learning=machine).run("hi", user_id="alice")
    assert response.content == "fine"
    assert "tools" not in fake_llm.requests[0]


def test_a_store_failing_everywhere_does_not_break_the_run(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    from tests.machine.test_machine import BrokenStore

    repo.write(ProfileRecord(user="alice", fields={"name": "Alice"}))
    fake_llm.enqueue_text("Hello Alice.").enqueue_text("nothing to update")  # the answer, then the extraction
    machine = LearningMachine(repo, user_profile=True, custom_stores={"broken": BrokenStore()})
    response = Agent(model=make_model(fake_llm), learning=machine).run("hi", user_id="alice", session_id="s1")
    assert machine.wait(timeout=10)
    assert response.content == "Hello Alice."
    assert "Alice" in fake_llm.requests[0]["messages"][0]["content"]


def test_agentic_save_then_model_error_is_reported_not_raised(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    """The save is committed; the model's next step fails: the run must not raise for a save that happened."""
    machine = LearningMachine(repo, user_memory=UserMemoryConfig(mode=LearningMode.AGENTIC), agent_id="bot",
                              background=False)
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})])
    fake_llm.enqueue_raw(500, {"error": {"message": "llama.cpp fell over"}})
    agent = Agent(model=make_model(fake_llm), learning=machine)
    before = head(repo)

    response = agent.run("I live in Berlin now.", user_id="alice", session_id="s1")

    assert response.stop_reason == "error" and "fell over" in (response.error or "")
    assert [(r.name, r.ok) for r in response.tool_calls] == [("add_memory", True)]
    assert head(repo) != before
    record = repo.get(machine.stores["user_memory"].path("alice"))
    assert isinstance(record, MemoriesRecord) and [m.text for m in record.memories] == ["Lives in Berlin"]
    agent.close()


def test_model_settings_come_from_arguments_then_environment_then_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    from learning_fs.agent import model_from_env

    for name in ("LEARNING_FS_BASE_URL", "LEARNING_FS_MODEL", "LEARNING_FS_MAX_TOKENS", "LEARNING_FS_TIMEOUT",
                 "LEARNING_FS_MAX_TOKENS_EXTRACT"):
        monkeypatch.delenv(name, raising=False)
    settings = {"base_url": "http://localhost:8080/v1", "id": "smollm2", "max_tokens": {"extract": 100},
                "timeout": 5}
    model = model_from_env(settings=settings)
    assert (model.base_url, model.id) == ("http://localhost:8080/v1", "smollm2")
    assert model.for_kind("extract").max_tokens == 100 and model.timeout == 5
    monkeypatch.setenv("LEARNING_FS_MODEL", "qwen")
    monkeypatch.setenv("LEARNING_FS_MAX_TOKENS_EXTRACT", "200")
    model = model_from_env(settings=settings, max_tokens={"chat": 7})
    assert model.id == "qwen" and model.for_kind("extract").max_tokens == 200 and model.max_tokens == 7
