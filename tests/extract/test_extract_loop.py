"""run_tool_loop end to end through FakeLLM: multi-step runs, garbage, max_steps, pause/resume, async."""

from __future__ import annotations

from typing import Any

import pytest

from learning_fs.extract import (
    LoopResult,
    ModelAPIError,
    ToolCall,
    aresume_tool_loop,
    arun_tool_loop,
    resume_tool_loop,
    run_tool_loop,
)
from tests.fakellm import FakeLLM, make_model

CONVERSATION = [
    {"role": "system", "content": "Extract what the conversation taught."},
    {"role": "user", "content": "We moved to uv; pip-tools kept breaking. I'm Ann."},
]


class Store:
    def __init__(self) -> None:
        self.written: list[tuple[str, Any]] = []

    def save_learning(self, title: str, tags: list[str] | None = None) -> str:
        """Save a lesson.

        Args:
            title: One line naming the lesson.
            tags: Topics.
        """
        self.written.append(("learning", title))
        return f"saved learning {title!r}"

    def update_profile(self, name: str) -> str:
        """Record the user's name."""
        self.written.append(("profile", name))
        return "profile updated"

    def delete_memory(self, memory_id: str) -> str:
        """Delete a memory (needs the user's confirmation)."""
        self.written.append(("deleted", memory_id))
        return "deleted"

    def tools(self) -> dict[str, Any]:
        return {
            "save_learning": self.save_learning,
            "update_profile": self.update_profile,
            "delete_memory": self.delete_memory,
        }


@pytest.fixture
def store() -> Store:
    return Store()


def test_multi_step_loop(fake_llm: FakeLLM, store: Store) -> None:
    fake_llm.enqueue_tool_calls([("save_learning", {"title": "Use uv", "tags": ["python"]})])
    fake_llm.enqueue_tool_calls([("update_profile", {"name": "Ann"})], content="Also the name.")
    fake_llm.enqueue_text("Saved one learning and the user's name.")

    result = run_tool_loop(make_model(fake_llm), CONVERSATION, store.tools())

    assert (result.stop_reason, result.steps, result.pending) == ("done", 3, [])
    assert result.final_content == "Saved one learning and the user's name."
    assert store.written == [("learning", "Use uv"), ("profile", "Ann")]
    assert [r.ok for r in result.tool_results] == [True, True]

    # every request carries the tool schemas, with descriptions
    for request in fake_llm.requests:
        names = [tool["function"]["name"] for tool in request["tools"]]
        assert names == ["save_learning", "update_profile", "delete_memory"]
    schema = fake_llm.requests[0]["tools"][0]["function"]
    assert schema["parameters"]["properties"]["title"]["description"] == "One line naming the lesson."

    # the second request replays the first turn: assistant tool call, then the tool result
    second = fake_llm.requests[1]["messages"]
    assert second[:2] == CONVERSATION
    assert second[2] == {
        "role": "assistant",
        "content": "",  # never null: llama.cpp answers 500 to it
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "save_learning", "arguments": '{"title": "Use uv", "tags": ["python"]}'},
            }
        ],
    }
    assert second[3] == {"role": "tool", "tool_call_id": "call_1", "content": "saved learning 'Use uv'"}
    assert fake_llm.requests[2]["messages"][4]["content"] == "Also the name."
    assert result.messages == [*fake_llm.requests[2]["messages"], result.messages[-1]]
    assert result.messages[-1]["role"] == "assistant"


def test_input_messages_are_not_mutated(fake_llm: FakeLLM, store: Store) -> None:
    messages = [dict(m) for m in CONVERSATION]
    fake_llm.enqueue_text("Nothing to save.")
    result = run_tool_loop(make_model(fake_llm), messages, store.tools())
    assert messages == CONVERSATION
    assert (result.final_content, result.tool_results, store.written) == ("Nothing to save.", [], [])


def test_garbage_tool_calls_write_nothing_and_the_model_sees_the_errors(fake_llm: FakeLLM, store: Store) -> None:
    fake_llm.enqueue_tool_calls(
        [
            ("save_learning", '{"title": "Use uv"'),  # invalid JSON
            ("forget_everything", {}),  # unknown tool
            ("save_learning", {"title": 42.5, "tags": "python"}),  # bad types
            ("update_profile", {}),  # missing argument
        ]
    )
    fake_llm.enqueue_text("Sorry, giving up.")

    result = run_tool_loop(make_model(fake_llm), CONVERSATION, store.tools())

    assert store.written == []
    assert [r.ok for r in result.tool_results] == [False, False, False, False]
    tool_messages = [m for m in fake_llm.requests[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["call_1", "call_2", "call_3", "call_4"]
    assert all(m["content"].startswith("Error: ") for m in tool_messages)
    assert "unknown tool 'forget_everything'" in tool_messages[1]["content"]
    assert result.final_content == "Sorry, giving up."


def test_model_errors_stop_the_loop_before_any_write(fake_llm: FakeLLM, store: Store) -> None:
    fake_llm.enqueue_raw(500, {"error": {"message": "boom"}})
    with pytest.raises(ModelAPIError):
        run_tool_loop(make_model(fake_llm), CONVERSATION, store.tools())
    assert store.written == []


def test_max_steps_stops_a_model_that_never_finishes(fake_llm: FakeLLM, store: Store) -> None:
    for index in range(2):
        fake_llm.enqueue_tool_calls([("save_learning", {"title": f"t{index}"})])
    result = run_tool_loop(make_model(fake_llm), CONVERSATION, store.tools(), max_steps=2)
    assert (result.stop_reason, result.steps, result.final_content) == ("max_steps", 2, None)
    assert result.messages[-1]["role"] == "tool"  # every call answered: the transcript can be continued
    assert len(fake_llm.requests) == 2


def ask_before_deleting(call: ToolCall) -> str | None:
    return "pause" if call.name == "delete_memory" else None


def test_pause_then_confirm_one_and_reject_another(fake_llm: FakeLLM, store: Store) -> None:
    fake_llm.enqueue_tool_calls(
        [
            ("save_learning", {"title": "Use uv"}),
            ("delete_memory", {"memory_id": "m1"}),
            ("delete_memory", {"memory_id": "m2"}),
        ]
    )
    model = make_model(fake_llm)
    paused = run_tool_loop(model, CONVERSATION, store.tools(), on_tool_call=ask_before_deleting)

    assert paused.paused and paused.stop_reason == "paused" and paused.final_content is None
    assert [(p.name, p.arguments) for p in paused.pending] == [
        ("delete_memory", {"memory_id": "m1"}),
        ("delete_memory", {"memory_id": "m2"}),
    ]
    assert store.written == [("learning", "Use uv")]  # the unpaused call in the same turn ran
    assert len(fake_llm.requests) == 1

    with pytest.raises(ValueError, match="undecided"):
        resume_tool_loop(model, paused, store.tools())

    paused.pending[0].confirm()
    paused.pending[1].reject("keep m2, it is still true")
    fake_llm.enqueue_text("Deleted m1; kept m2 as you asked.")
    result = resume_tool_loop(model, paused, store.tools(), on_tool_call=ask_before_deleting)

    assert result.stop_reason == "done"
    assert result.final_content == "Deleted m1; kept m2 as you asked."
    assert store.written == [("learning", "Use uv"), ("deleted", "m1")]
    assert [(r.name, r.ok, r.rejected) for r in result.tool_results] == [
        ("save_learning", True, False),
        ("delete_memory", True, False),
        ("delete_memory", False, True),
    ]
    tool_messages = {m["tool_call_id"]: m["content"] for m in fake_llm.last_request["messages"] if m["role"] == "tool"}
    assert tool_messages == {
        "call_1": "saved learning 'Use uv'",
        "call_2": "deleted",
        "call_3": "The user rejected this tool call; it was not executed. Reason: keep m2, it is still true",
    }
    assert len(paused.messages) == 4  # resuming did not touch the paused result


def test_on_tool_call_can_reject_without_pausing(fake_llm: FakeLLM, store: Store) -> None:
    fake_llm.enqueue_tool_calls([("delete_memory", {"memory_id": "m1"})])
    fake_llm.enqueue_text("Okay, not deleting.")
    result = run_tool_loop(
        make_model(fake_llm),
        CONVERSATION,
        store.tools(),
        on_tool_call=lambda call: "reject" if call.name == "delete_memory" else "run",
    )
    assert store.written == []
    assert result.tool_results[0].rejected
    assert "rejected" in fake_llm.last_request["messages"][-1]["content"]


def test_resume_refuses_a_result_that_is_not_paused() -> None:
    with pytest.raises(ValueError, match="paused"):
        resume_tool_loop(object(), LoopResult([], "done", []), {})  # type: ignore[arg-type]


def test_bad_on_tool_call_answer_is_a_programming_error(fake_llm: FakeLLM, store: Store) -> None:
    fake_llm.enqueue_tool_calls([("save_learning", {"title": "x"})])
    with pytest.raises(ValueError, match="on_tool_call returned True"):
        run_tool_loop(make_model(fake_llm), CONVERSATION, store.tools(), on_tool_call=lambda call: True)  # type: ignore[arg-type,return-value]
    assert store.written == []


def test_async_loop_with_async_tools_and_async_pause(fake_llm: FakeLLM, store: Store, arun: Any) -> None:
    async def save_async(title: str) -> str:
        """Save a lesson, asynchronously."""
        store.written.append(("async", title))
        return "saved"

    async def decide(call: ToolCall) -> str | None:
        return "pause" if call.name == "delete_memory" else None

    tools = {"save_async": save_async, **store.tools()}
    fake_llm.enqueue_tool_calls([("save_async", {"title": "Use uv"})])
    fake_llm.enqueue_tool_calls([("delete_memory", {"memory_id": "m1"}), ("save_async", {"title": 3})])
    model = make_model(fake_llm)

    paused = arun(arun_tool_loop(model, CONVERSATION, tools, on_tool_call=decide))
    assert paused.paused and [p.call.id for p in paused.pending] == ["call_2"]
    assert store.written == [("async", "Use uv")]
    assert not paused.tool_results[-1].ok  # the bad-typed async call in the paused turn was refused

    paused.pending[0].reject()
    fake_llm.enqueue_text("Done.")
    result = arun(aresume_tool_loop(model, paused, tools, on_tool_call=decide))
    assert (result.stop_reason, result.final_content) == ("done", "Done.")
    assert store.written == [("async", "Use uv")]
    assert fake_llm.last_request["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_2",
        "content": "The user rejected this tool call; it was not executed.",
    }
