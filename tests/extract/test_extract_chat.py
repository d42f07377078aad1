"""OpenAIChat: request shapes, response parsing, configuration and error mapping, through the real SDK."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from learning_fs.extract import (
    ModelAPIError,
    ModelConfigError,
    ModelOutputError,
    ModelResponse,
    OpenAIChat,
    ToolCall,
    Usage,
)
from tests.fakellm import FakeLLM, make_model

USER = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def save_learning(title: str, tags: list[str] | None = None) -> str:
    """Save a lesson learned.

    Args:
        title: One line naming the lesson.
        tags: Topics it belongs to.
    """
    return "saved"


def test_text_request_and_response_shape(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text("Hello!")
    response = make_model(fake_llm, "gpt-test").complete(USER)

    assert response == ModelResponse(
        content="Hello!", tool_calls=[], finish_reason="stop", usage=Usage(10, 5, 15), model="gpt-test"
    )
    body = fake_llm.last_request
    assert body == {"model": "gpt-test", "messages": USER, "temperature": 0.0, "max_tokens": 1024}
    request = fake_llm.http_requests[-1]
    assert request.url == "http://fake-llm.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-fake"


def test_tools_are_sent_with_descriptions_and_tool_choice(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text("ok")
    make_model(fake_llm).complete(USER, tools=[save_learning], tool_choice="required")

    body = fake_llm.last_request
    assert body["tool_choice"] == "required"
    (tool,) = body["tools"]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "save_learning"
    assert tool["function"]["description"] == "Save a lesson learned."
    properties = tool["function"]["parameters"]["properties"]
    assert properties["title"] == {"type": "string", "description": "One line naming the lesson."}
    assert properties["tags"]["description"] == "Topics it belongs to."
    assert tool["function"]["parameters"]["required"] == ["title"]


def test_tool_calls_are_parsed(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls(
        [("save_learning", {"title": "Use uv"}), ("save_learning", "{not json")], content="Saving."
    )
    response = make_model(fake_llm).complete(USER, tools=[save_learning])

    assert response.content == "Saving."
    assert response.finish_reason == "tool_calls"
    first, second = response.tool_calls
    assert first == ToolCall("call_1", "save_learning", {"title": "Use uv"}, '{"title": "Use uv"}')
    assert second.arguments == {}
    assert second.raw_arguments == "{not json"
    assert second.parse_error is not None and "not valid JSON" in second.parse_error
    assert response.to_message()["tool_calls"][1]["function"]["arguments"] == "{not json"


def test_missing_tool_call_ids_are_filled_in(fake_llm: FakeLLM) -> None:
    message = {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": "f", "arguments": ""}}]}
    fake_llm.enqueue_raw(200, {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}]})
    (call,) = make_model(fake_llm).complete(USER).tool_calls
    assert (call.id, call.name, call.arguments, call.parse_error) == ("call_0", "f", {}, None)


def test_extra_body_and_temperature_none(fake_llm: FakeLLM) -> None:
    fake_llm.allowed_fields = {"options"}  # Ollama's field: OpenAI would refuse it
    fake_llm.enqueue_text("ok")
    make_model(fake_llm, temperature=None, extra_body={"options": {"num_ctx": 8192}}).complete(USER)
    assert fake_llm.last_request == {"model": "fake-model", "messages": USER, "options": {"num_ctx": 8192},
                                     "max_tokens": 1024}


def test_acomplete_uses_the_async_client(fake_llm: FakeLLM, arun: Any) -> None:
    fake_llm.enqueue_tool_calls([("save_learning", {"title": "x"})])
    response = arun(make_model(fake_llm).acomplete(USER, tools=[save_learning]))
    assert response.tool_calls[0].arguments == {"title": "x"}
    assert fake_llm.last_request["tools"][0]["function"]["name"] == "save_learning"


# -- configuration -------------------------------------------------------------------------------


def test_reads_model_base_url_and_key_from_the_environment(fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNING_FS_MODEL", "env-model")
    monkeypatch.setenv("LEARNING_FS_BASE_URL", "http://fake-llm.test/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    model = OpenAIChat(http_client=fake_llm.http_client(), max_retries=0)
    assert (model.id, model.base_url) == ("env-model", "http://fake-llm.test/v1")
    assert "sk-env" not in repr(model)

    fake_llm.enqueue_text("ok")
    model.complete(USER)
    assert fake_llm.last_request["model"] == "env-model"
    assert fake_llm.http_requests[-1].headers["authorization"] == "Bearer sk-env"


def test_missing_key_for_openai_says_how_to_fix_it() -> None:
    model = OpenAIChat("gpt-4.1-mini")  # constructing is free; the key is needed only to send
    assert model.needs_key
    with pytest.raises(ModelConfigError, match="OPENAI_API_KEY") as info:
        model.complete(USER)
    assert "LEARNING_FS_BASE_URL" in str(info.value)


def test_local_server_needs_no_key(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text("ok")
    model = OpenAIChat("qwen2.5:7b", base_url="http://fake-llm.test/v1", http_client=fake_llm.http_client())
    assert not model.needs_key
    model.complete(USER)
    assert fake_llm.http_requests[-1].headers["authorization"] == "Bearer not-needed"


def test_missing_model_id_says_how_to_fix_it(fake_llm: FakeLLM) -> None:
    model = OpenAIChat(base_url="http://fake-llm.test/v1", http_client=fake_llm.http_client())
    with pytest.raises(ModelConfigError, match="LEARNING_FS_MODEL"):
        model.complete(USER)
    assert fake_llm.requests == []


# -- garbage and HTTP errors ---------------------------------------------------------------------


def test_http_500_raises_once_with_the_server_message(fake_llm: FakeLLM, caplog: pytest.LogCaptureFixture) -> None:
    fake_llm.enqueue_raw(500, {"error": {"message": "boom"}})
    with caplog.at_level(logging.WARNING), pytest.raises(ModelAPIError, match=r"HTTP 500.*boom") as info:
        make_model(fake_llm, max_retries=2).complete(USER)  # a 500 is an answer: not sent again
    assert info.value.status_code == 500
    assert len(fake_llm.requests) == 1
    assert caplog.text == ""  # the caller decides what to warn about; no dump from the client


def test_401_from_openai_points_at_the_key(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_raw(401, {"error": {"message": "Incorrect API key"}})
    model = OpenAIChat("m", api_key="sk-bad", http_client=fake_llm.http_client(), max_retries=0)
    model.base_url = "https://api.openai.com/v1"  # the transport is fake whatever the URL says
    with pytest.raises(ModelAPIError, match="check OPENAI_API_KEY"):
        model.complete(USER)


def test_connection_error_is_a_model_api_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    model = OpenAIChat("m", base_url="http://localhost:1/v1", http_client=client, max_retries=0)
    with pytest.raises(ModelAPIError, match="could not reach") as info:
        model.complete(USER)
    assert info.value.status_code is None


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "x", "object": "chat.completion", "choices": [{"index": 0, "mess',  # truncated
        b"<html>Bad gateway</html>",
        b"{}",
        b'{"choices": []}',
        b'{"choices": [{"index": 0, "message": null}]}',
    ],
    ids=["truncated", "html", "empty-object", "no-choices", "no-message"],
)
def test_garbage_200_bodies_raise_model_output_error(fake_llm: FakeLLM, body: bytes) -> None:
    fake_llm.enqueue_raw(200, body)
    with pytest.raises(ModelOutputError):
        make_model(fake_llm).complete(USER)


def test_async_http_error(fake_llm: FakeLLM, arun: Any) -> None:
    fake_llm.enqueue_raw(503, {"error": {"message": "overloaded"}})
    with pytest.raises(ModelAPIError) as info:
        arun(make_model(fake_llm).acomplete(USER))
    assert info.value.status_code == 503
