"""What goes on the wire: requests every popular server accepts, fallbacks remembered, no pointless retries.

The strict fake (tests/fakellm.py) refuses what OpenAI, llama-cpp-python, vLLM or Ollama refuse;
these tests check the fake does, and that the client never sends such a request.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from learning_fs.extract import ModelAPIError, OpenAIChat, ToolCall, ToolResult, call_tool, run_tool_loop
from learning_fs.extract.structured import check_json_schema, strict_schema
from tests.fakellm import BASE_URL, RULES, FakeLLM, check_request, make_model

USER = [{"role": "user", "content": "I moved to Berlin."}]
OK_BODY: dict[str, Any] = {"model": "m", "messages": USER, "max_tokens": 10}
TOOL = {"type": "function", "function": {"name": "add_memory", "parameters": {"type": "object", "properties": {}}}}


def search_memories(query: str) -> str:
    """Search memories.

    Args:
        query: Words to look for.
    """
    return "nothing found"


def add_memory(memory: str) -> str:
    """Remember something.

    Args:
        memory: The new text of the memory.
    """
    return "Remembered."


# -- the strict fake refuses what real servers refuse -------------------------------------------

@pytest.mark.parametrize(("change", "rule"), [
    ({"max_tokens": None}, "max-tokens"),
    ({"frobnicate": 1}, "unknown-field"),
    ({"tools": [TOOL]}, "tools-without-tool-choice"),
    ({"tool_choice": "auto"}, "tool-choice-without-tools"),
    ({"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool-choice-value"),
    ({"messages": [*USER, {"role": "assistant", "content": None}]}, "null-content"),
    ({"messages": [*USER, {"role": "tool", "tool_call_id": "c9", "content": "ok"}]}, "tool-message-id"),
    ({"messages": [*USER, {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, *USER]},
     "unanswered-tool-call"),
    ({"messages": [*USER, {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {}}}]}]}, "tool-call-shape"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "role"),
    ({"response_format": {"type": "json_object"}}, "json-word"),
    ({"response_format": {"type": "json_schema", "json_schema": {
        "name": "x", "strict": True, "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}},
     "strict-schema"),
    ({"temperature": 3}, "temperature"),
])
def test_the_fake_refuses_what_some_server_refuses(change: dict[str, Any], rule: str) -> None:
    body = {**OK_BODY, **change}
    body = {key: value for key, value in body.items() if value is not None}
    problem = check_request(body)
    assert problem is not None and problem[0] == rule
    assert rule in RULES


def test_a_well_formed_tool_turn_passes_and_the_llama_profile_refuses_required() -> None:
    body = {**OK_BODY, "tools": [TOOL], "tool_choice": "required", "messages": [*USER, 
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "add_memory", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"}]}
    assert check_request(body) is None
    assert check_request(body, "llama-cpp-python") == ("llama-tool-choice-required", "AssertionError")


def test_every_rule_is_documented() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "models.md").read_text(encoding="utf-8")
    missing = [rule for rule in RULES if f"`{rule}`" not in text]
    assert not missing, f"docs/models.md does not list: {missing}"


# -- what the client sends -----------------------------------------------------------------------

def test_a_tool_loop_sends_tool_choice_max_tokens_and_never_null_content(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})])  # content: null, as OpenAI sends
    fake_llm.enqueue_text("Saved.")
    result = run_tool_loop(make_model(fake_llm), USER, [add_memory], tool_choice="required")
    assert result.final_content == "Saved."
    first, second = fake_llm.requests
    assert first["tool_choice"] == "required" and second["tool_choice"] == "auto"
    assert all(request["max_tokens"] > 0 for request in fake_llm.requests)
    assert all(m["content"] is not None for request in fake_llm.requests for m in request["messages"])


def test_history_with_null_content_is_sent_as_empty_text(fake_llm: FakeLLM) -> None:
    history = [*USER, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add_memory", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": None}, {"role": "user", "content": "thanks"}]
    fake_llm.enqueue_text("You're welcome.")
    make_model(fake_llm).complete(history)
    assert [m["content"] for m in fake_llm.last_request["messages"]] == [USER[0]["content"], "", "", "thanks"]


def test_max_tokens_and_timeout_per_kind(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNING_FS_MAX_TOKENS_EXTRACT", "200")
    model = make_model(fake_llm, timeout={"extract": 7})
    extract = model.for_kind("extract")
    assert (model.max_tokens, extract.max_tokens, extract.timeout) == (1024, 200, 7.0)
    fake_llm.enqueue_text("a").enqueue_text("b")
    model.complete(USER)
    extract.complete(USER)
    assert [r["max_tokens"] for r in fake_llm.requests] == [1024, 200]
    with pytest.raises(ValueError, match="unknown call kind"):
        model.for_kind("dream")
    with pytest.raises(ValueError, match="positive"):
        make_model(fake_llm, max_tokens=0)


def test_a_refused_required_falls_back_to_a_named_function_once_and_is_remembered(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeLLM(server="llama-cpp-python")
    fake.expect_rejections = True
    fake.enqueue_tool_calls([("add_memory", {"memory": "Lives in Berlin"})]).enqueue_text("ok")
    fake.enqueue_text("nothing here")
    model = make_model(fake)
    with caplog.at_level(logging.INFO, logger="learning_fs.extract"):
        run_tool_loop(model.for_kind("extract"), USER, [search_memories, add_memory], tool_choice="required")
        run_tool_loop(model, USER, [add_memory], tool_choice="required")  # another view: same endpoint memory
    named = {"type": "function", "function": {"name": "add_memory"}}  # the first tool that is not a search
    assert [r["tool_choice"] for r in fake.requests] == ["required", named, "auto", named]
    assert [rule for rule, _detail, _body in fake.rejected] == ["llama-tool-choice-required"]
    lines = [r.getMessage() for r in caplog.records if "refused tool_choice" in r.getMessage()]
    assert len(lines) == 1 and len(lines[0]) < 200


def test_a_refused_auto_falls_back_to_a_named_function() -> None:
    fake = FakeLLM()
    fake.enqueue_raw(400, {"error": {"message": "tool_choice 'auto' is not supported"}})
    fake.enqueue_tool_calls([("add_memory", {"memory": "x"})], finish_reason="stop")
    make_model(fake).complete(USER, tools=[add_memory])
    assert fake.requests[1]["tool_choice"] == {"type": "function", "function": {"name": "add_memory"}}


def test_a_500_that_names_nothing_is_not_a_refusal_and_is_not_resent(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_raw(500, {"error": {"message": "out of memory"}})
    with pytest.raises(ModelAPIError, match="out of memory"):
        make_model(fake_llm, max_retries=2).complete(USER, tools=[add_memory], tool_choice="auto")
    assert len(fake_llm.requests) == 1


def test_a_timeout_is_not_retried() -> None:
    calls = []

    def slow(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    model = OpenAIChat("m", base_url=BASE_URL, api_key="k", max_retries=3, timeout=0.5,
                       http_client=httpx.Client(transport=httpx.MockTransport(slow)))
    with pytest.raises(ModelAPIError, match=r"did not answer within 0\.5 s") as info:
        model.complete(USER)
    assert info.value.timed_out and len(calls) == 1


def test_a_busy_server_is_retried(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("learning_fs.extract.client.time.sleep", lambda seconds: None)
    fake_llm.enqueue_raw(503, {"error": {"message": "loading model"}}).enqueue_text("hi")
    assert make_model(fake_llm, max_retries=1).complete(USER).content == "hi"
    assert len(fake_llm.requests) == 2


def test_max_completion_tokens_when_the_model_refuses_max_tokens(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_raw(400, {"error": {"message": "Unsupported parameter: 'max_tokens'. Use "
                                                    "'max_completion_tokens' instead."}})
    fake_llm.enqueue_text("a").enqueue_text("b")
    model = make_model(fake_llm)
    model.complete(USER)
    model.complete(USER)
    assert "max_tokens" not in fake_llm.requests[2] and fake_llm.requests[2]["max_completion_tokens"] == 1024


def test_json_schema_fallback_is_one_short_line_and_two_requests(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeLLM(server="llama-cpp-python")
    fake.expect_rejections = True
    fake.enqueue_json({"name": "Ann"})
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    with caplog.at_level(logging.INFO):
        data = make_model(fake, max_retries=2).complete_json(
            [{"role": "user", "content": "Answer in JSON: who?"}], schema)
    assert data == {"name": "Ann"}
    assert [r["response_format"]["type"] for r in fake.requests] == ["json_schema", "json_object"]
    ours = [r for r in caplog.records if r.name.startswith("learning_fs")]
    assert len(ours) == 1 and len(ours[0].getMessage()) < 160
    assert not [r for r in ours if r.levelno >= logging.WARNING]


# -- results: errors are never ok; a save before a model error stands ------------------------------

def test_a_tool_answering_error_is_not_ok() -> None:
    def refuse(memory: str) -> str:
        return "Error: the memory is empty."

    result = call_tool([refuse], ToolCall("c1", "refuse", {"memory": ""}, '{"memory": ""}'))
    assert isinstance(result, ToolResult) and not result.ok and result.error == "the memory is empty."


def test_a_model_error_after_a_tool_call_returns_what_ran(fake_llm: FakeLLM) -> None:
    saved = []

    def save(memory: str) -> str:
        saved.append(memory)
        return "Remembered."

    fake_llm.enqueue_tool_calls([("save", {"memory": "Lives in Berlin"})])
    fake_llm.enqueue_raw(500, {"error": {"message": "boom"}})
    result = run_tool_loop(make_model(fake_llm), USER, [save])
    assert saved == ["Lives in Berlin"]
    assert result.stop_reason == "error" and "boom" in (result.error or "")
    assert [r.ok for r in result.tool_results] == [True]


def test_a_model_error_before_any_tool_call_raises(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_raw(500, {"error": {"message": "boom"}})
    with pytest.raises(ModelAPIError):
        run_tool_loop(make_model(fake_llm), USER, [add_memory])


# -- structured output: jsonschema against the schema sent; strict shape --------------------------

def test_jsonschema_checks_every_keyword() -> None:
    schema = {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 2, "pattern": "^[A-Z]"},
        "age": {"type": "integer", "maximum": 130},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": True}}}
    assert check_json_schema({"name": "Ann", "age": 41, "tags": ["a"]}, schema) == []
    problems = check_json_schema({"name": "a", "age": 200, "tags": ["x", "x", "y"]}, schema)
    assert len(problems) == 5  # minLength, pattern, maximum, maxItems, uniqueItems


def test_strict_schema_requires_everything_and_makes_optional_nullable() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "default": 1},
                                               "pet": {"type": "object", "properties": {"kind": {"type": "string"}}}},
              "required": ["name"]}
    shaped = strict_schema(schema)
    assert shaped["required"] == ["name", "age", "pet"] and shaped["additionalProperties"] is False
    assert shaped["properties"]["age"] == {"type": ["integer", "null"]}
    assert shaped["properties"]["pet"]["anyOf"][0]["additionalProperties"] is False
    assert schema["required"] == ["name"]  # the input is untouched
    assert check_json_schema({"name": "A", "age": None, "pet": None}, shaped) == []
    assert check_json_schema({"name": "A", "age": None}, shaped)  # "left out" is spelled null


def test_complete_json_strict_sends_the_strict_shape_and_validates_against_it(fake_llm: FakeLLM) -> None:
    from pydantic import BaseModel

    class Person(BaseModel):
        name: str
        age: int = 7

    fake_llm.enqueue_json({"name": "Ann", "age": None})
    data = make_model(fake_llm).complete_json([{"role": "user", "content": "JSON please"}], Person, strict=True)
    sent = fake_llm.last_request["response_format"]["json_schema"]
    assert sent["strict"] is True and sent["schema"]["additionalProperties"] is False
    assert data == {"name": "Ann", "age": 7}  # null = left out: the model's default applies
