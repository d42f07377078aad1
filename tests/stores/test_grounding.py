"""Grounded saves: junk never reaches the repository, whoever calls the tool; good saves still do."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import pytest

from learning_fs.format import MemoriesRecord, ProfileRecord
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig, UserProfileConfig
from learning_fs.stores.grounding import CONVERSATION_CHARS, SYSTEM_CHARS, Grounder, conversation_text
from tests.fakellm import FakeLLM
from tests.stores.conftest import process, turn

BERLIN = turn("I moved to Berlin last month for a job at Zalando.", "Welcome to Berlin!")


def memories(repo: MemoryRepo, user: str = "alice") -> list[str]:
    record = repo.get(UserMemoryConfig().build(repo).path(user))
    return [m.text for m in record.memories] if isinstance(record, MemoriesRecord) else []


@pytest.mark.parametrize(("value", "why"), [
    ("The new text of the memory.", "copies the tool's description"),
    ("m-0a1b2c3d4e", "looks like an id"),
    ("", "empty"),
    ("<memory>", "placeholder"),
    ("Lives in Munich", "'Munich', which the conversation does not"),
    ("Enjoys gardening with tulips", "not supported by the conversation"),
    ("Read https://example.org/berlin-guide", "mentions 'https://example.org/berlin-guide'"),
])
def test_junk_from_the_model_writes_nothing_and_the_model_is_told_why(
    repo: MemoryRepo, fake_llm: FakeLLM, model: Any, value: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": value})]).enqueue_text("Done.")
    before = repo.log(limit=1)[0].sha
    with caplog.at_level(logging.INFO):
        process(UserMemoryConfig(grounding=0.5).build(repo), repo, model, BERLIN)
    assert repo.log(limit=1)[0].sha == before and memories(repo) == []
    told = fake_llm.requests[1]["messages"][-1]
    assert told["role"] == "tool" and told["content"].startswith("Error: not saved") and why in told["content"]
    assert any(why in r.getMessage() for r in caplog.records)  # logged with the reason


def test_a_grounded_save_and_a_paraphrase_are_written(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Moved to Berlin for a job at Zalando"}),
                                 ("add_memory", {"memory": "Relocated to Berlin last month"})]).enqueue_text("Done.")
    process(UserMemoryConfig(grounding=0.5).build(repo), repo, model, BERLIN)
    assert memories(repo) == ["Moved to Berlin for a job at Zalando", "Relocated to Berlin last month"]


def test_an_empty_profile_name_is_refused_and_empty_optional_fields_are_dropped(
    repo: MemoryRepo, fake_llm: FakeLLM, model: Any
) -> None:
    fake_llm.enqueue_tool_calls([("update_user_profile", {"name": ""})]).enqueue_text("Done.")
    store = UserProfileConfig(grounding=0.5).build(repo)
    process(store, repo, model, turn("Hi, I'm Ann Lee.", "Hello Ann!"))
    assert not isinstance(_profile(repo, store), ProfileRecord)
    fake_llm.enqueue_tool_calls([("update_user_profile", {"name": "Ann Lee", "preferred_name": " "})])
    fake_llm.enqueue_text("ok")
    process(store, repo, model, turn("Hi, I'm Ann Lee.", "Hello Ann!"))
    record = _profile(repo, store)
    assert isinstance(record, ProfileRecord) and record.fields.get("name") == "Ann Lee"
    assert "preferred_name" not in record.fields


def _profile(repo: MemoryRepo, store: Any) -> Any:
    try:
        return repo.get(store.path("alice"))
    except Exception:
        return None


def test_the_agents_tools_are_grounded_too(repo: MemoryRepo) -> None:
    store = UserMemoryConfig(mode="agentic").build(repo)
    from learning_fs.machine.writer import RecordWriter

    writer = RecordWriter(repo, store="user_memory", mode="agentic", user_id="alice",
                          quote="Remember that I drink my coffee black.")
    tools = {t.__name__: t for t in store.get_tools(user_id="alice", writer=writer, repo=repo,
                                                     message="Remember that I drink my coffee black.")}
    assert tools["add_memory"]("The new text of the memory.").startswith("Error: not saved")
    assert tools["add_memory"]("Lives in Paris").startswith("Error: not saved")  # a name nobody said
    assert tools["add_memory"]("Drinks coffee black").startswith("Remembered")
    assert memories(repo) == ["Drinks coffee black"]


def test_grounding_none_turns_it_off_and_zero_keeps_the_shape_checks(repo: MemoryRepo) -> None:
    grounder = Grounder("I moved to Berlin.", threshold=0)
    assert grounder.check({"memory": "Lives on the moon"}, required={"memory"}).ok
    assert not grounder.check({"memory": "m-0a1b2c3d4e"}, required={"memory"}).ok
    off = UserMemoryConfig(mode="agentic", grounding=None).build(repo)
    from learning_fs.machine.writer import RecordWriter

    writer = RecordWriter(repo, store="user_memory", mode="agentic", user_id="alice", quote="hello")
    [add, *_rest] = off.get_tools(user_id="alice", writer=writer, repo=repo, message="hello")
    assert add("Lives on the moon").startswith("Remembered")


def test_the_labelled_set_stays_within_target() -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "extraction_bench.py"
    spec = importlib.util.spec_from_file_location("extraction_bench", path)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    docs = bench.tool_docs()
    items = bench.labelled_set(docs)
    assert len(items) >= 200
    junk = [i for i in items if i["label"] == "junk"]
    good = [i for i in items if i["label"] == "good"]
    junk_accepted = sum(bench.judge(i, docs, 0.5) is None for i in junk) / len(junk)
    good_rejected = sum(bench.judge(i, docs, 0.5) is not None for i in good) / len(good)
    assert junk_accepted <= 0.05 and good_rejected <= 0.05, (junk_accepted, good_rejected)
    # The same outputs made as an agent's tool calls, checked against the conversation they are in.
    junk_accepted = sum(bench.judge_as_agent(i, docs, 0.5) is None for i in junk) / len(junk)
    good_rejected = sum(bench.judge_as_agent(i, docs, 0.5) is not None for i in good) / len(good)
    assert junk_accepted <= 0.05 and good_rejected <= 0.05, (junk_accepted, good_rejected)


def test_the_conversation_an_agent_is_checked_against_is_bounded_and_leaves_out_its_own_words() -> None:
    old = [{"role": "user", "content": f"Old message {i}: " + "words " * 200} for i in range(60)]
    messages = [{"role": "system", "content": "Recalled: works at Zalando. " + "x" * 20_000}, *old,
                {"role": "user", "content": "I moved to Berlin."},
                {"role": "assistant", "content": None,
                 "tool_calls": [{"id": "c1", "type": "function",
                                 "function": {"name": "add_memory", "arguments": '{"memory": "Lives in Munich"}'}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "Error: not saved: mentions 'Munich'"},
                {"role": "assistant", "content": "You live in Hamburg, I will save that.", "tool_calls": []}]
    text = conversation_text(messages)
    assert len(text) <= CONVERSATION_CHARS + len(messages)  # newest first within the bound (plus newlines)
    assert "I moved to Berlin." in text and "Old message 59" in text and "Old message 0:" not in text
    assert "Munich" not in text and "Hamburg" not in text  # a refusal's quote, the call's own reply
    short = conversation_text(messages[:1] + messages[-4:])
    assert "works at Zalando" in short and short.count("x") <= SYSTEM_CHARS


def test_the_default_is_on_and_the_environment_sets_it_for_every_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from learning_fs.stores import DecisionLogConfig
    from learning_fs.stores.protocol import GROUNDING_ENV

    monkeypatch.delenv(GROUNDING_ENV, raising=False)
    assert UserMemoryConfig().grounding == 0.5 and DecisionLogConfig().grounding == 0.5
    monkeypatch.setenv(GROUNDING_ENV, "0.7")
    assert UserMemoryConfig().grounding == 0.7 and UserMemoryConfig(grounding=0.2).grounding == 0.2
    monkeypatch.setenv(GROUNDING_ENV, "off")
    assert UserProfileConfig().grounding is None
    monkeypatch.setenv(GROUNDING_ENV, "lots")
    with pytest.raises(ValueError, match="LEARNING_FS_GROUNDING='lots'"):
        UserMemoryConfig()
