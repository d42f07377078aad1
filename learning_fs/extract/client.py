"""``OpenAIChat``: the one object in learning_fs that sends requests to a model.

It is a thin wrapper over the official ``openai`` client, pointed at any OpenAI-compatible endpoint
(OpenAI, Ollama, vLLM, llama.cpp's server). HTTP is the SDK's job; this class adds what
learning_fs needs on top, and what every popular server accepts (docs/models.md lists the rules):

* every request carries ``max_tokens`` and a timeout for its kind of call (``options.py``), every
  request with ``tools`` carries ``tool_choice``, and no message has ``"content": null``;
* a server that refuses ``tool_choice="required"`` (llama-cpp-python answers 500) or ``json_schema``
  is asked once more the way it understands, and that choice is remembered for the endpoint;
* retries only for what a retry can fix (connection refused, 429, 502-504), never for a timeout
  (a long generation that timed out would only time out again, holding the server) or a 500;

* configuration from the environment (``OPENAI_API_KEY``, ``LEARNING_FS_BASE_URL``,
  ``LEARNING_FS_MODEL``) with an error that says how to fix a missing key;
* typed ``ModelResponse`` objects instead of SDK objects, and three error types instead of the
  SDK's dozen (see ``errors.py``);
* ``complete_json``, structured output that works on servers with either JSON style.

The SDK clients are created on first use, so building an ``OpenAIChat`` never fails and costs
nothing: a machine that only recalls memories can hold one without needing a key.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

import httpx
import openai

from learning_fs.extract.errors import ModelAPIError, ModelConfigError, ModelError, ModelOutputError
from learning_fs.extract.model import ModelResponse, ToolChoice, parse_completion, wire_messages
from learning_fs.extract.options import CALL_KINDS, CallLimits, resolve_limits
from learning_fs.extract.structured import (
    Schema,
    json_object_format,
    json_schema_format,
    parse_json_content,
    rejects_json_schema,
    schema_name_and_dict,
    strict_schema,
    validate_output,
)
from learning_fs.extract.tools import Tool

logger = logging.getLogger(__name__)

TOOL_CHOICE_FALLBACK = {"required": "named", "auto": "named"}
"""What to send instead when a server refuses a ``tool_choice``: ``"named"`` forces the first tool that
is not a search. For ``"required"`` that is the nearest meaning, and on llama-cpp-python (which
refuses it) the named function is also the one mode that honours ``max_tokens``: its ``"auto"``
generates tool arguments without a cap."""
RETRY_STATUS = frozenset({429, 502, 503, 504})
"""HTTP statuses worth a retry: the server is busy or a proxy lost it. A 500 is a real answer."""
MAX_BACKOFF = 8.0


class _Endpoint:
    """What an ``OpenAIChat`` and its :meth:`OpenAIChat.for_kind` views share: clients and what the server takes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sync: openai.OpenAI | None = None
        self.async_: openai.AsyncOpenAI | None = None
        self.json_style = "json_schema"  # becomes "json_object" once the server has refused json_schema
        self.tool_choice: dict[str, str] = {}  # requested -> what this server accepted instead
        self.token_field = "max_tokens"  # "max_completion_tokens" for OpenAI models that refuse max_tokens

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_API_KEY = "not-needed"
"""Sent to endpoints other than api.openai.com when no key is configured; local servers ignore it."""


class OpenAIChat:
    """A chat model behind an OpenAI-compatible endpoint.

    Args:
        id: Model id, e.g. ``"gpt-4.1-mini"`` or ``"qwen2.5:7b"`` (Ollama). Default: ``$LEARNING_FS_MODEL``.
        base_url: Endpoint root, e.g. ``"http://localhost:11434/v1"``. Default: ``$LEARNING_FS_BASE_URL``,
            then ``$OPENAI_BASE_URL``, then OpenAI.
        api_key: Default: ``$OPENAI_API_KEY``. Required only for api.openai.com.
        temperature: Sent with every request; ``None`` leaves it out (some reasoning models reject it).
        timeout: Seconds per request: one number for every kind of call, or ``{"extract": 60, ...}``
            (kinds: ``chat``, ``extract``, ``judge``, ``probe``). Default: the environment, then
            ``settings``, then ``options.DEFAULTS``.
        max_tokens: Completion tokens per request, a number or per kind like ``timeout``.
        max_retries: Retries on connection errors, 429 and 502-504 (never on timeouts or 500).
        settings: The ``model:`` section of ``learning_fs.yaml`` (``max_tokens``, ``timeout``).
        kind: The kind of call this object makes; :meth:`for_kind` gives a view for another kind.
        http_client: An ``httpx.Client`` (or ``httpx2.Client`` with openai 3) for proxies or tests.
        async_http_client: The same for ``acomplete``: an ``httpx.AsyncClient``.
        extra_body: Merged into every request body, for server-specific options
            (Ollama ``{"options": {"num_ctx": 8192}}``, vLLM ``{"top_k": 20}``).
    """

    def __init__(
        self,
        id: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        temperature: float | None = 0.0,
        timeout: float | Mapping[str, float] | None = None,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        extra_body: Mapping[str, Any] | None = None,
        max_tokens: int | Mapping[str, int] | None = None,
        settings: Mapping[str, Any] | None = None,
        kind: str = "chat",
    ) -> None:
        self.id = id or os.environ.get("LEARNING_FS_MODEL") or None
        self.base_url = (
            base_url or os.environ.get("LEARNING_FS_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        self.temperature = temperature
        self.limits: dict[str, CallLimits] = resolve_limits(max_tokens, timeout, settings)
        self.max_retries = max_retries
        self.extra_body = dict(extra_body or {})
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._endpoint = _Endpoint()
        self._adapt = True  # fallbacks and retries on; the probe (doctor) turns them off to see the raw answer
        self.kind = _check_kind(kind)

    def __repr__(self) -> str:
        return f"OpenAIChat(id={self.id!r}, base_url={self.base_url!r})"

    def for_kind(self, kind: str) -> OpenAIChat:
        """A view of this model for another kind of call: its own limits, the same clients and endpoint memory."""
        view = copy.copy(self)
        view.kind = _check_kind(kind)
        return view

    @property
    def timeout(self) -> float:
        """Seconds a request of this object's kind may take."""
        return self.limits[self.kind].timeout

    @property
    def max_tokens(self) -> int:
        """Completion tokens a request of this object's kind may generate."""
        return self.limits[self.kind].max_tokens

    @property
    def needs_key(self) -> bool:
        """True for OpenAI's own endpoint, the only one where a missing key is certainly an error."""
        return urlparse(self.base_url).hostname == urlparse(DEFAULT_BASE_URL).hostname

    # -- chat ---------------------------------------------------------------------------------

    def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any] | Tool | Callable[..., Any]] | None = None,
        tool_choice: ToolChoice | None = None,
        response_format: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        """Send one chat request; return the assistant's turn.

        ``tools`` may mix OpenAI tool dicts, ``Tool`` objects and plain functions (their schema is
        built from the signature and docstring). Raises ``ModelAPIError`` or ``ModelOutputError``.
        """
        body = self._body(messages, tools, tool_choice, response_format)
        client = self._sync_client()
        attempt = 0
        while True:
            try:
                completion = client.chat.completions.create(**body, timeout=self.timeout)
            except Exception as exc:
                error = _translate(exc, self)
                if error is None:
                    raise
                attempt += 1
                retry, delay = self._after_error(body, error, attempt)
                if retry is None:
                    raise error from exc
                body = retry
                time.sleep(delay)
                continue
            return _to_response(completion)

    async def acomplete(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any] | Tool | Callable[..., Any]] | None = None,
        tool_choice: ToolChoice | None = None,
        response_format: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        """Async twin of ``complete`` (uses ``openai.AsyncOpenAI``)."""
        body = self._body(messages, tools, tool_choice, response_format)
        client = self._async_client()
        attempt = 0
        while True:
            try:
                completion = await client.chat.completions.create(**body, timeout=self.timeout)
            except Exception as exc:
                error = _translate(exc, self)
                if error is None:
                    raise
                attempt += 1
                retry, delay = self._after_error(body, error, attempt)
                if retry is None:
                    raise error from exc
                body = retry
                await asyncio.sleep(delay)
                continue
            return _to_response(completion)

    def _after_error(self, body: dict[str, Any], error: ModelError,
                     attempt: int) -> tuple[dict[str, Any] | None, float]:
        """The request to send next after ``error`` (and how long to wait first), or ``None`` to give up.

        A refused ``tool_choice`` or ``max_tokens`` is sent once more the way the server takes it
        (and remembered); a busy server or a refused connection is retried ``max_retries`` times
        with backoff; everything else, timeouts and 500s included, is not sent again.
        """
        if not isinstance(error, ModelAPIError) or attempt > self.max_retries + 3 or not self._adapt:
            return None, 0.0
        fallback = self._tool_choice_fallback(body, error)
        if fallback is not None:
            return fallback, 0.0
        if "max_tokens" in body and _names(error, "max_completion_tokens"):
            logger.info("%s takes max_completion_tokens instead of max_tokens; using it from now on", self.base_url)
            self._endpoint.token_field = "max_completion_tokens"
            fixed = dict(body)
            fixed["max_completion_tokens"] = fixed.pop("max_tokens")
            return fixed, 0.0
        if error.transient and attempt <= self.max_retries:  # every attempt so far counts, fallbacks too
            return body, min(MAX_BACKOFF, error.retry_after or 0.5 * 2 ** (attempt - 1))
        return None, 0.0

    def _tool_choice_fallback(self, body: dict[str, Any], error: ModelAPIError) -> dict[str, Any] | None:
        sent = body.get("tool_choice")
        requested = sent if isinstance(sent, str) else "named" if isinstance(sent, Mapping) else None
        if requested not in TOOL_CHOICE_FALLBACK or error.status_code not in (400, 422, 500):
            return None
        if error.status_code == 500 and not _names(error, "tool_choice") and not (
                requested == "required" and not _server_message(error).strip()):
            return None  # a 500 that names nothing is the server failing (llama-cpp-python's "required": empty)
        instead = TOOL_CHOICE_FALLBACK[requested]
        logger.info("%s refused tool_choice=%r (HTTP %s); using %r from now on", self.base_url, requested,
                    error.status_code, instead)
        for key, value in list(self._endpoint.tool_choice.items()):
            if value == requested:
                self._endpoint.tool_choice[key] = instead
        self._endpoint.tool_choice[requested] = instead
        fixed = dict(body)
        fixed["tool_choice"] = _tool_choice_value(instead, body.get("tools") or [])
        return fixed

    # -- structured output --------------------------------------------------------------------

    def complete_json(
        self, messages: Sequence[Mapping[str, Any]], schema: Schema, *, strict: bool = False
    ) -> dict[str, Any]:
        """Ask for a JSON object following ``schema``; return it validated, or raise ``ModelOutputError``.

        Tries ``response_format={"type": "json_schema", ...}`` first and, if the server refuses it,
        ``{"type": "json_object", "schema": ...}``; the fallback is remembered for later calls.
        With a pydantic model, the result is the validated model dumped to a dict (defaults filled).
        With ``strict=True`` the schema sent is strict-shaped (``strict_schema``: every property
        required, optional ones nullable, ``additionalProperties: false``), as OpenAI's strict mode
        requires; the answer is validated with ``jsonschema`` against exactly the schema sent.
        """
        name, schema_dict = schema_name_and_dict(schema)
        if strict:
            schema_dict = strict_schema(schema_dict)
        for response_format in self._json_formats(name, schema_dict, strict):
            try:
                response = self.complete(messages, response_format=response_format)
            except ModelAPIError as exc:
                if not self._fall_back(response_format, exc):
                    raise
                continue
            return _validated_json(response, schema, schema_dict)
        raise AssertionError("unreachable")  # pragma: no cover

    async def acomplete_json(
        self, messages: Sequence[Mapping[str, Any]], schema: Schema, *, strict: bool = False
    ) -> dict[str, Any]:
        """Async twin of ``complete_json``."""
        name, schema_dict = schema_name_and_dict(schema)
        if strict:
            schema_dict = strict_schema(schema_dict)
        for response_format in self._json_formats(name, schema_dict, strict):
            try:
                response = await self.acomplete(messages, response_format=response_format)
            except ModelAPIError as exc:
                if not self._fall_back(response_format, exc):
                    raise
                continue
            return _validated_json(response, schema, schema_dict)
        raise AssertionError("unreachable")  # pragma: no cover

    def _json_formats(self, name: str, schema: dict[str, Any], strict: bool) -> list[dict[str, Any]]:
        if self._endpoint.json_style == "json_object":
            return [json_object_format(schema)]
        return [json_schema_format(name, schema, strict), json_object_format(schema)]

    def _fall_back(self, response_format: Mapping[str, Any], error: ModelAPIError) -> bool:
        if response_format.get("type") != "json_schema" or not rejects_json_schema(error):
            return False
        logger.info("%s refused response_format json_schema (HTTP %s); using json_object from now on",
                    self.base_url, error.status_code)
        self._endpoint.json_style = "json_object"
        return True

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync SDK client (and the ``http_client`` it was given)."""
        if self._endpoint.sync is not None:
            self._endpoint.sync.close()
            self._endpoint.sync = None

    async def aclose(self) -> None:
        """Close the async SDK client (and the ``async_http_client`` it was given)."""
        if self._endpoint.async_ is not None:
            await self._endpoint.async_.close()
            self._endpoint.async_ = None

    def __enter__(self) -> OpenAIChat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------

    def _body(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any] | Tool | Callable[..., Any]] | None,
        tool_choice: ToolChoice | None,
        response_format: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        if not self.id:
            raise ModelConfigError(
                "No model id: pass one, e.g. OpenAIChat('gpt-4.1-mini'), or set LEARNING_FS_MODEL "
                "(for Ollama, the name shown by `ollama list`)."
            )
        body: dict[str, Any] = {"model": self.id, "messages": wire_messages(messages)}
        body[self._endpoint.token_field] = self.max_tokens
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if tools:
            body["tools"] = [_tool_schema(tool) for tool in tools]
            body["tool_choice"] = self._tool_choice(tool_choice, body["tools"])
        if response_format is not None:
            body["response_format"] = dict(response_format)
        if self.extra_body:
            body["extra_body"] = dict(self.extra_body)
        return body

    def tool_choice_for(self, requested: str) -> str:
        """What this endpoint is sent for ``requested`` (``"required"`` -> ``"named"`` once the server refused it)."""
        return self._endpoint.tool_choice.get(requested, requested)

    def _tool_choice(self, requested: ToolChoice | None, tools: list[dict[str, Any]]) -> Any:
        """``requested`` (default ``"auto"``), or what this endpoint accepted instead when it refused it."""
        if isinstance(requested, Mapping):
            return dict(requested)
        choice: str = requested or "auto"
        if self._adapt:
            choice = self._endpoint.tool_choice.get(choice, choice)
        return _tool_choice_value(choice, tools)

    def _key(self) -> str:
        if self._api_key:
            return self._api_key
        if self.needs_key:
            raise ModelConfigError(
                "No OpenAI API key: set the OPENAI_API_KEY environment variable, pass "
                "OpenAIChat(api_key=...), or point LEARNING_FS_BASE_URL at a local OpenAI-compatible "
                "server (e.g. http://localhost:11434/v1 for Ollama), which needs no key."
            )
        return LOCAL_API_KEY

    def _client_options(self) -> dict[str, Any]:
        """What the sync and async SDK clients share (one place, so the twins cannot drift)."""
        # max_retries=0: the SDK would retry timeouts and 500s; _after_error retries only what can succeed
        return {"api_key": self._key(), "base_url": self.base_url, "timeout": self.limits["chat"].timeout,
                "max_retries": 0}

    def _sync_client(self) -> openai.OpenAI:
        endpoint = self._endpoint
        with endpoint.lock:
            if endpoint.sync is None:
                endpoint.sync = openai.OpenAI(http_client=self._http_client, **self._client_options())  # type: ignore[arg-type]
            return endpoint.sync

    def _async_client(self) -> openai.AsyncOpenAI:
        endpoint = self._endpoint
        with endpoint.lock:
            if endpoint.async_ is None:
                endpoint.async_ = openai.AsyncOpenAI(
                    http_client=self._async_http_client, **self._client_options())  # type: ignore[arg-type]
            return endpoint.async_


def for_kind(model: Any, kind: str) -> Any:
    """``model`` set up for ``kind`` of call (``OpenAIChat.for_kind``); any other ``ChatModel`` unchanged."""
    view = getattr(model, "for_kind", None)
    return view(kind) if callable(view) else model


def _check_kind(kind: str) -> str:
    if kind not in CALL_KINDS:
        raise ValueError(f"unknown call kind {kind!r}; known: {', '.join(CALL_KINDS)}")
    return kind


def _tool_choice_value(choice: str, tools: Sequence[Mapping[str, Any]]) -> Any:
    if choice != "named":
        return choice
    names = [str((tool.get("function") or {}).get("name")) for tool in tools if isinstance(tool, Mapping)]
    writes = [name for name in names if not name.startswith(("search_", "get_", "list_", "find_"))]
    chosen = (writes or names)[:1]
    return {"type": "function", "function": {"name": chosen[0]}} if chosen else "auto"


def _server_message(error: ModelAPIError) -> str:
    body = error.body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        return str(inner.get("message", "") if isinstance(inner, Mapping) else inner)
    return str(body or "")


def _names(error: ModelAPIError, word: str) -> bool:
    return word in f"{error} {json.dumps(error.body, default=str)}"


def _tool_schema(tool: Mapping[str, Any] | Tool | Callable[..., Any]) -> dict[str, Any]:
    if isinstance(tool, Tool):
        return tool.schema()
    if isinstance(tool, Mapping):
        return dict(tool)
    return Tool.from_function(tool).schema()


def _to_response(completion: Any) -> ModelResponse:
    data = completion.model_dump() if hasattr(completion, "model_dump") else completion
    return parse_completion(data)


def _validated_json(response: ModelResponse, schema: Schema, sent: Mapping[str, Any]) -> dict[str, Any]:
    if response.finish_reason == "length":
        raise ModelOutputError("the model's JSON was cut off (finish_reason=length)", response.content)
    return validate_output(parse_json_content(response.content), schema, response.content, sent=sent)


def _translate(exc: Exception, model: OpenAIChat) -> ModelError | None:
    """Map SDK and decoding errors onto ``ModelAPIError``/``ModelOutputError``; ``None`` leaves bugs alone."""
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = f"{model.base_url} answered HTTP {exc.status_code}: {_short(exc.message)}"
        if exc.status_code == 401:
            message += " (check OPENAI_API_KEY)" if model.needs_key else " (check the server's API key)"
        if exc.status_code == 404:
            message += f" (is {model.id!r} a model this server serves?)"
        logger.debug("%s", message)  # the caller decides what is worth a warning (fallbacks are not)
        return ModelAPIError(message, exc.status_code, body, transient=exc.status_code in RETRY_STATUS,
                             retry_after=_retry_after(exc.response))
    if isinstance(exc, openai.APITimeoutError):
        message = f"{model.base_url} did not answer within {model.timeout:g} s ({model.kind} call); not retried"
        logger.debug("%s", message)
        return ModelAPIError(message, timed_out=True)
    if isinstance(exc, openai.APIConnectionError):
        message = f"could not reach {model.base_url}: {exc}"
        logger.debug("%s", message)
        return ModelAPIError(message, transient=True)
    if isinstance(exc, json.JSONDecodeError):  # a 200 whose body is truncated or not JSON
        logger.debug("%s sent a response body that is not JSON: %s", model.base_url, exc)
        return ModelOutputError(f"the response body is not valid JSON ({exc.msg})", exc.doc[:500])
    if isinstance(exc, openai.APIResponseValidationError):
        return ModelOutputError(f"the response does not have the expected shape: {exc}")
    return None


def _short(text: str, limit: int = 300) -> str:
    """One line of a server's error message: llama.cpp's can be a whole traceback."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None
