"""call_tool: validated calls run; every kind of bad call is reported, logged, and runs nothing."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic
import pytest

from learning_fs.extract import Tool, ToolCall, ToolResult, acall_tool, as_tools, call_tool


@dataclass
class UserProfile:
    name: str | None = field(default=None, metadata={"description": "Preferred name"})
    languages: list[str] = field(default_factory=list)


class Decision(pydantic.BaseModel):
    title: str


class Recorder:
    """Stands in for a store: tools append what they were asked to write."""

    def __init__(self) -> None:
        self.written: list[Any] = []

    def save_learning(
        self, title: str, tags: list[str] | None = None, kind: Literal["fact", "pitfall"] = "fact"
    ) -> str:
        self.written.append((title, tags, kind))
        return f"saved {title}"

    def update_profile(self, profile: UserProfile) -> UserProfile:
        self.written.append(profile)
        return profile

    def record_decision(self, decision: Decision) -> dict[str, Any]:
        self.written.append(decision)
        return {"id": "d1", "title": decision.title}

    def explode(self) -> None:
        raise RuntimeError("disk full")

    def tools(self) -> dict[str, Any]:
        return {
            "save_learning": self.save_learning,
            "update_profile": self.update_profile,
            "record_decision": self.record_decision,
            "explode": self.explode,
        }


@pytest.fixture
def store() -> Recorder:
    return Recorder()


def call(name: str, arguments: dict[str, Any] | str) -> ToolCall:
    return ToolCall.create("call_1", name, arguments)


def test_valid_call_runs_with_converted_arguments(store: Recorder) -> None:
    result = call_tool(store.tools(), call("save_learning", '{"title": "Use uv", "tags": ["python"]}'))
    assert result == ToolResult("call_1", "save_learning", True, "saved Use uv", value="saved Use uv")
    assert store.written == [("Use uv", ["python"], "fact")]  # the function's own default applied
    assert result.to_message() == {"role": "tool", "tool_call_id": "call_1", "content": "saved Use uv"}


def test_dataclass_and_pydantic_arguments_are_built(store: Recorder) -> None:
    result = call_tool(store.tools(), call("update_profile", {"profile": {"name": "Ann", "languages": ["en"]}}))
    assert store.written == [UserProfile("Ann", ["en"])]
    assert result.content == '{"name":"Ann","languages":["en"]}'

    result = call_tool(store.tools(), call("record_decision", {"decision": {"title": "Use Postgres"}}))
    assert store.written[-1] == Decision(title="Use Postgres")
    assert result.value == {"id": "d1", "title": "Use Postgres"}


def test_openai_format_dicts_and_lists_of_functions_are_accepted(store: Recorder) -> None:
    raw = {"id": "c9", "type": "function", "function": {"name": "save_learning", "arguments": '{"title": "x"}'}}
    result = call_tool([store.save_learning], raw)
    assert (result.ok, result.call_id) == (True, "c9")


def test_lax_coercion_of_obvious_types(store: Recorder) -> None:
    def count(n: int) -> int:
        return n * 2

    assert call_tool({"count": count}, call("count", {"n": "21"})).value == 42


@pytest.mark.parametrize(
    ("name", "arguments", "error"),
    [
        ("forget_everything", {}, "unknown tool 'forget_everything'; available tools: explode, record_decision"),
        ("save_learning", '{"title": "Use uv"', "arguments are not valid JSON"),
        ("save_learning", '["Use uv"]', "arguments must be a JSON object"),
        ("save_learning", {}, "missing required argument 'title'"),
        ("save_learning", {"title": "x", "priority": 1}, "unexpected argument 'priority'"),
        ("save_learning", {"title": ["not", "a", "string"]}, "argument 'title': Input should be a valid string"),
        ("save_learning", {"title": "x", "kind": "rumour"}, "argument 'kind': Input should be 'fact' or 'pitfall'"),
        ("save_learning", {"title": "x", "tags": "python"}, "argument 'tags'"),
        ("update_profile", {"profile": {"name": "Ann", "shoe_size": 41}}, "unexpected argument 'profile.shoe_size'"),
        ("record_decision", {"decision": {}}, "missing required argument 'decision.title'"),
    ],
)
def test_bad_calls_return_errors_and_write_nothing(
    store: Recorder, caplog: pytest.LogCaptureFixture, name: str, arguments: Any, error: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="learning_fs.extract"):
        result = call_tool(store.tools(), call(name, arguments))
    assert not result.ok
    assert result.error is not None and error in result.error
    assert result.content == f"Error: {result.error}"
    assert result.to_message()["tool_call_id"] == "call_1"
    assert store.written == []
    assert error in caplog.text


def test_invalid_arguments_error_lists_the_parameters(store: Recorder) -> None:
    result = call_tool(store.tools(), call("save_learning", {"titel": "x"}))
    assert result.error is not None and "(parameters: title, tags, kind)" in result.error


def test_exception_inside_a_tool_is_reported_not_raised(store: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = call_tool(store.tools(), call("explode", {}))
    assert not result.ok
    assert result.error == "tool 'explode' raised RuntimeError: disk full"
    assert "Traceback" in caplog.text  # logged with the stack for whoever debugs the tool


def test_async_tool_in_sync_dispatch_is_an_error_not_a_dangling_coroutine() -> None:
    ran = []

    async def remember(text: str) -> None:
        ran.append(text)

    result = call_tool({"remember": remember}, call("remember", {"text": "x"}))
    assert not result.ok and "acall_tool" in (result.error or "")
    assert ran == []


def test_acall_tool_awaits_async_tools_and_runs_sync_ones(store: Recorder, arun: Any) -> None:
    async def remember(text: str) -> str:
        return text.upper()

    tools = {"remember": remember, **store.tools()}
    assert arun(acall_tool(tools, call("remember", {"text": "hi"}))).content == "HI"
    assert arun(acall_tool(tools, call("save_learning", {"title": "x"}))).ok
    assert not arun(acall_tool(tools, call("remember", {"text": 3}))).ok
    assert not arun(acall_tool(tools, call("explode", {}))).ok


def test_as_tools_names_and_prebuilt_tools(store: Recorder) -> None:
    prebuilt = Tool.from_function(store.save_learning, description="Remember a lesson.")
    tools = as_tools({"remember": prebuilt, "profile": store.update_profile})
    assert set(tools) == {"remember", "profile"}
    assert tools["remember"].schema()["function"]["name"] == "remember"
    assert tools["remember"].description == "Remember a lesson."
    assert call_tool(tools, call("remember", {"title": "x"})).ok


def test_results_of_other_types_become_json(store: Recorder) -> None:
    def stats() -> dict[str, Any]:
        return {"count": 2, "ok": True}

    def nothing() -> None:
        return None

    assert call_tool({"stats": stats}, call("stats", {})).content == '{"count":2,"ok":true}'
    assert call_tool({"nothing": nothing}, call("nothing", "")).content == "ok"


def test_partial_bound_context_cannot_be_overridden_by_the_model() -> None:
    written = []

    def save_memory(text: str, user_id: str) -> None:
        written.append((user_id, text))

    tools = {"save_memory": functools.partial(save_memory, user_id="ann")}
    assert list(as_tools(tools)["save_memory"].parameters["properties"]) == ["text"]
    result = call_tool(tools, call("save_memory", {"text": "x", "user_id": "bob"}))
    assert not result.ok and "unexpected argument 'user_id'" in (result.error or "")
    assert call_tool(tools, call("save_memory", {"text": "y"})).ok
    assert written == [("ann", "y")]
