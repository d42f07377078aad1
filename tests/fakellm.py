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

The fake is **strict**: before it serves a scripted answer it checks the request against
:data:`RULES`, each something at least one of OpenAI, llama.cpp (llama-cpp-python's server),
vLLM or Ollama refuses or mishandles (docs/models.md lists them with their sources). A request
that breaks one is answered the way that server answers (HTTP 400, or 500 where llama.cpp does),
consumes no scripted answer and is recorded in ``fake.rejected``; the fixtures fail the test unless
it set ``fake.expect_rejections = True``. ``FakeLLM(server="llama-cpp-python")`` also refuses what
that server cannot do (``tool_choice="required"``, ``json_schema``), for testing the fallbacks.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from learning_fs.extract import OpenAIChat

BASE_URL = "http://fake-llm.test/v1"

Reply = Callable[[dict[str, Any]], httpx.Response]


KNOWN_FIELDS = frozenset({
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stop", "stream",
    "stream_options", "tools", "tool_choice", "parallel_tool_calls", "response_format", "seed", "user",
    "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "metadata", "store",
    "service_tier", "reasoning_effort", "modalities", "prediction", "audio",
})
"""The Chat Completions request fields OpenAI documents; anything else is refused with 400."""
ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
SERVERS = ("strict", "llama-cpp-python")

RULES: dict[str, tuple[int, str]] = {
    "model": (400, "OpenAI: 'you must provide a model parameter'"),
    "messages": (400, "OpenAI: messages must be a non-empty array"),
    "unknown-field": (400, "OpenAI: 'Unrecognized request argument supplied'"),
    "max-tokens": (400, "llama-cpp-python: without max_tokens a generation runs to the end of n_ctx (128 s "
                        "measured); refused here so every call states its cap"),
    "tools-without-tool-choice": (400, "llama-cpp-python chatml-function-calling drops tools when "
                                       "tool_choice is absent (answers in text, no tool call)"),
    "tool-choice-without-tools": (400, "OpenAI: 'tool_choice' is only allowed when 'tools' are specified"),
    "tool-choice-value": (400, "OpenAI: tool_choice must be none, auto, required or a named function in tools"),
    "tool-schema": (400, "OpenAI: 'Invalid tools': type function, a valid name, parameters an object schema"),
    "role": (400, "OpenAI: message role must be system, developer, user, assistant or tool"),
    "null-content": (500, "llama-cpp-python: an assistant message with content null is an HTTP 500; OpenAI "
                          "refuses null content for system, user and tool messages (400)"),
    "tool-call-shape": (400, "OpenAI: tool_calls need id, type function, function.name and string arguments"),
    "tool-message-id": (400, "OpenAI: 'messages with role tool must be a response to a preceding message "
                             "with tool_calls' (tool_call_id must match an unanswered call)"),
    "unanswered-tool-call": (400, "OpenAI: 'an assistant message with tool_calls must be followed by tool "
                                  "messages responding to each tool_call_id'"),
    "response-format": (400, "OpenAI: response_format type text, json_object or json_schema with name and schema"),
    "json-word": (400, "OpenAI: 'messages must contain the word json in some form to use response_format "
                       "json_object'"),
    "strict-schema": (400, "OpenAI strict mode: every object needs additionalProperties false and all "
                           "properties required"),
    "temperature": (400, "OpenAI: temperature must be between 0 and 2"),
    "llama-tool-choice-required": (500, "llama-cpp-python 0.3.36: tool_choice 'required' fails an assertion "
                                        "(HTTP 500) in chatml-function-calling"),
    "llama-json-schema": (500, "llama-cpp-python 0.3.36: response_format json_schema is an HTTP 500; it takes "
                               "json_object with a schema"),
}
"""Rule id -> (the status the server answers, who refuses it and how). docs/models.md has the same table."""


def check_request(body: Mapping[str, Any], server: str = "strict") -> tuple[str, str] | None:
    """The first rule ``body`` breaks, as ``(rule id, detail)``, or ``None`` when every server would take it."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model", "no model"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages", "messages missing or empty"
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        return "unknown-field", f"unrecognized request argument(s): {', '.join(unknown)}"
    tokens = body.get("max_tokens", body.get("max_completion_tokens"))
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens <= 0:
        return "max-tokens", f"max_tokens is {tokens!r}"
    temperature = body.get("temperature", 1)
    if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        return "temperature", f"temperature {temperature!r}"
    problem = _check_tools(body, server) or _check_messages(messages) or _check_format(body, messages, server)
    return problem


def _check_tools(body: Mapping[str, Any], server: str) -> tuple[str, str] | None:
    tools, choice = body.get("tools"), body.get("tool_choice")
    if tools is None:
        return ("tool-choice-without-tools", "tool_choice without tools") if choice is not None else None
    if not isinstance(tools, list) or not tools:
        return "tool-schema", "tools must be a non-empty list"
    names = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if tool.get("type") != "function" or not isinstance(function, Mapping):
            return "tool-schema", f"not a function tool: {tool!r:.80}"
        if not TOOL_NAME.match(str(function.get("name"))):
            return "tool-schema", f"bad tool name {function.get('name')!r}"
        parameters = function.get("parameters", {"type": "object"})
        if not isinstance(parameters, Mapping) or parameters.get("type") != "object":
            return "tool-schema", f"parameters of {function['name']} are not an object schema"
        names.append(function["name"])
    if choice is None:
        return "tools-without-tool-choice", "tools sent without tool_choice"
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            return "tool-choice-value", f"tool_choice {choice!r}"
        if choice == "required" and server == "llama-cpp-python":
            return "llama-tool-choice-required", "AssertionError"
        return None
    named = choice.get("function", {}).get("name") if isinstance(choice, Mapping) else None
    if not isinstance(choice, Mapping) or choice.get("type") != "function" or named not in names:
        return "tool-choice-value", f"tool_choice {choice!r} names no tool that was sent"
    return None


def _check_messages(messages: list[Any]) -> tuple[str, str] | None:
    open_calls: set[str] = set()
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in ROLES:
            return "role", f"message {index} has role {getattr(message, 'get', lambda _: None)('role')!r}"
        role, content = message["role"], message.get("content")
        if role != "tool" and open_calls:
            return "unanswered-tool-call", f"message {index} ({role}) comes before answers to {sorted(open_calls)}"
        if content is None:
            return "null-content", f"message {index} ({role}) has content null"
        if not isinstance(content, str | list):
            return "null-content", f"message {index} ({role}) content is {type(content).__name__}"
        if role == "assistant":
            for call in message.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, Mapping) else None
                if (not isinstance(call.get("id"), str) or not call["id"] or call.get("type") != "function"
                        or not isinstance(function, Mapping) or not isinstance(function.get("name"), str)
                        or not isinstance(function.get("arguments"), str)):
                    return "tool-call-shape", f"message {index}: malformed tool call {call!r:.120}"
                open_calls.add(call["id"])
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in open_calls:
                return "tool-message-id", f"message {index}: tool_call_id {call_id!r} answers no open call"
            open_calls.discard(call_id)
    if open_calls:
        return "unanswered-tool-call", f"the conversation ends before answers to {sorted(open_calls)}"
    return None


def _check_format(body: Mapping[str, Any], messages: list[Any], server: str) -> tuple[str, str] | None:
    fmt = body.get("response_format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if kind == "text":
        return None
    if kind == "json_object":
        said = " ".join(str(m.get("content")) for m in messages if isinstance(m, Mapping)).lower()
        return None if "json" in said else ("json-word", "no message mentions JSON")
    if kind != "json_schema":
        return "response-format", f"response_format {fmt!r:.80}"
    spec = fmt.get("json_schema")
    if not isinstance(spec, Mapping) or not spec.get("name") or not isinstance(spec.get("schema"), Mapping):
        return "response-format", "json_schema needs a name and a schema"
    if server == "llama-cpp-python":
        return "llama-json-schema", "json_schema is not supported"
    if spec.get("strict") and not _strict_shaped(spec["schema"]):
        return "strict-schema", "schema is not strict-shaped"
    return None


def _strict_shaped(schema: Any) -> bool:
    if isinstance(schema, list):
        return all(_strict_shaped(item) for item in schema)
    if not isinstance(schema, Mapping):
        return True
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False or set(schema.get("required", [])) != set(properties):
            return False
    return all(_strict_shaped(value) for key, value in schema.items() if isinstance(value, Mapping | list)
               and key not in ("enum", "const", "default", "required"))


class FakeLLM:
    """A queue of scripted Chat Completions answers, served through ``httpx.MockTransport``."""

    def __init__(self, server: str = "strict") -> None:
        if server not in SERVERS:
            raise ValueError(f"server must be one of {SERVERS}")
        self.server = server
        self.rejected: list[tuple[str, str, dict[str, Any]]] = []
        """Requests the strict checks refused: ``(rule id, detail, body)``."""
        self.allowed_fields: set[str] = set()
        """Server-specific request fields a test sends on purpose (``extra_body``: Ollama's ``options``)."""
        self.expect_rejections = False
        """Set by a test that provokes refusals on purpose; otherwise the fixtures fail on any."""
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
        problem = check_request({k: v for k, v in body.items() if k not in self.allowed_fields}, self.server)
        if problem is not None:
            rule, detail = problem
            self.rejected.append((rule, detail, body))
            status, source = RULES[rule]
            text = "" if rule == "llama-tool-choice-required" else f"{detail} [{rule}: {source}]"  # as it answers
            return httpx.Response(status, json={"error": {"message": text, "type": "invalid_request_error",
                                                          "code": rule}})
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

    def problems(self) -> list[str]:
        """What should fail the test: requests beyond the script, and refusals nobody expected."""
        found = [f"request beyond the script: {json.dumps(body)[:300]}" for body in self.unexpected]
        if not self.expect_rejections:
            found += [f"strict fake refused a request ({rule}): {detail}" for rule, detail, _body in self.rejected]
        return found

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
