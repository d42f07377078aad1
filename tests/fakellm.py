"""FakeLLM: the project's only test double, a scripted OpenAI-compatible server at the HTTP boundary.

It plugs into the real ``openai`` client through ``httpx.MockTransport``, so every test exercises
the real request building, SDK parsing and error mapping, and nothing touches the network (the
suite runs under ``pytest --disable-socket``). Script answers in order, run the code under test,
then assert on ``fake.requests`` (the parsed JSON bodies the client sent)::

    fake = FakeLLM()
    fake.enqueue_tool_calls([("save_learning", {"title": "Use uv"})])
    fake.enqueue_text("Saved.")
    model = make_model(fake)
    result = run_tool_loop(model, [{"role": "user", "content": "..."}], {"save_learning": save})
    assert fake.requests[1]["messages"][-1]["role"] == "tool"

A request that finds the queue empty gets an HTTP 500 naming the problem and is recorded in
``fake.unexpected``; the ``fake_llm`` fixture fails the test if that happened.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from learning_fs.extract import OpenAIChat

BASE_URL = "http://fake-llm.test/v1"

Reply = Callable[[dict[str, Any]], httpx.Response]


class FakeLLM:
    """A queue of scripted Chat Completions answers, served through ``httpx.MockTransport``."""

    def __init__(self) -> None:
        self._replies: deque[Reply] = deque()
        self._ids = itertools.count(1)
        self.requests: list[dict[str, Any]] = []
        """Parsed JSON body of every chat request, in order (``model``, ``messages``, ``tools``, ...)."""
        self.http_requests: list[httpx.Request] = []
        """The raw ``httpx.Request`` objects, for headers and URLs."""
        self.unexpected: list[dict[str, Any]] = []
        """Requests that arrived after the script ran out."""

    # -- scripting ----------------------------------------------------------------------------

    def enqueue_text(self, text: str | None, *, finish_reason: str = "stop") -> FakeLLM:
        """Answer with an assistant message holding ``text``."""
        return self._enqueue_message({"role": "assistant", "content": text}, finish_reason)

    def enqueue_tool_calls(
        self,
        calls: Sequence[tuple[str, Mapping[str, Any] | str]],
        *,
        content: str | None = None,
        finish_reason: str = "tool_calls",
    ) -> FakeLLM:
        """Answer with tool calls: ``[(name, arguments), ...]``.

        A dict is sent as JSON; a string is sent verbatim, to script malformed arguments.
        Call ids are ``call_1``, ``call_2``, ... across the whole script.
        """
        tool_calls = [
            {
                "id": f"call_{next(self._ids)}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
            for name, arguments in calls
        ]
        message = {"role": "assistant", "content": content, "tool_calls": tool_calls}
        return self._enqueue_message(message, finish_reason)

    def enqueue_json(self, data: Any, *, finish_reason: str = "stop") -> FakeLLM:
        """Answer with ``data`` serialized as the message content (for ``complete_json``)."""
        return self.enqueue_text(json.dumps(data), finish_reason=finish_reason)

    def enqueue_raw(
        self, status: int, body: str | bytes | Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> FakeLLM:
        """Answer with any status and body: HTTP errors, truncated JSON, HTML error pages."""
        if isinstance(body, Mapping):
            content = json.dumps(body).encode()
        else:
            content = body.encode() if isinstance(body, str) else body
        all_headers = {"content-type": "application/json", **(headers or {})}
        self._replies.append(lambda request: httpx.Response(status, content=content, headers=all_headers))
        return self

    # -- wiring -------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """A transport serving the script; works for both ``httpx.Client`` and ``httpx.AsyncClient``."""
        return httpx.MockTransport(self.handle)

    def http_client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport())

    def async_http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport())

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler: record the request, pop the next scripted answer."""
        self.http_requests.append(request)
        if not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404, json={"error": {"message": f"FakeLLM serves no {request.url.path}"}})
        body = json.loads(request.content) if request.content else {}
        self.requests.append(body)
        if not self._replies:
            self.unexpected.append(body)
            message = f"FakeLLM: no scripted response left for request #{len(self.requests)}"
            return httpx.Response(500, json={"error": {"message": message}})
        return self._replies.popleft()(body)

    # -- inspection ---------------------------------------------------------------------------

    @property
    def last_request(self) -> dict[str, Any]:
        """The most recent request body (``AssertionError`` if there was none)."""
        assert self.requests, "FakeLLM received no request"
        return self.requests[-1]

    @property
    def remaining(self) -> int:
        """Scripted answers not yet served."""
        return len(self._replies)

    def _enqueue_message(self, message: dict[str, Any], finish_reason: str) -> FakeLLM:
        def reply(request: dict[str, Any]) -> httpx.Response:
            return httpx.Response(
                200,
                json={
                    "id": f"chatcmpl-fake-{len(self.requests)}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": request.get("model", "fake-model"),
                    "choices": [{"index": 0, "finish_reason": finish_reason, "message": message}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                },
            )

        self._replies.append(reply)
        return self


def make_model(fake: FakeLLM, id: str = "fake-model", **kwargs: Any) -> OpenAIChat:
    """An ``OpenAIChat`` wired to ``fake`` (sync and async), with SDK retries off so errors surface at once."""
    kwargs.setdefault("max_retries", 0)
    return OpenAIChat(
        id,
        base_url=BASE_URL,
        api_key="sk-fake",
        http_client=fake.http_client(),
        async_http_client=fake.async_http_client(),
        **kwargs,
    )
