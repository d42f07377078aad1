"""``OpenAIChat``: the one object in learning_fs that sends requests to a model.

It is a thin wrapper over the official ``openai`` client, pointed at any OpenAI-compatible endpoint
(OpenAI, Ollama, vLLM, llama.cpp's server). Thin on purpose: retries, timeouts and HTTP are the
SDK's job; this class adds only what learning_fs needs on top:

* configuration from the environment (``OPENAI_API_KEY``, ``LEARNING_FS_BASE_URL``,
  ``LEARNING_FS_MODEL``) with an error that says how to fix a missing key;
* typed ``ModelResponse`` objects instead of SDK objects, and three error types instead of the
  SDK's dozen (see ``errors.py``);
* ``complete_json``, structured output that works on servers with either JSON style.

The SDK clients are created on first use, so building an ``OpenAIChat`` never fails and costs
nothing: a machine that only recalls memories can hold one without needing a key.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

import httpx
import openai

from learning_fs.extract.errors import ModelAPIError, ModelConfigError, ModelError, ModelOutputError
from learning_fs.extract.model import ModelResponse, ToolChoice, parse_completion
from learning_fs.extract.structured import (
    Schema,
    json_object_format,
    json_schema_format,
    parse_json_content,
    rejects_json_schema,
    schema_name_and_dict,
    validate_output,
)
from learning_fs.extract.tools import Tool

logger = logging.getLogger(__name__)

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
        timeout: Seconds per request. Local models on CPU can be slow, hence the generous default.
        max_retries: Retries the SDK makes on connection errors, 429 and 5xx.
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
        timeout: float = 120.0,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        self.id = id or os.environ.get("LEARNING_FS_MODEL") or None
        self.base_url = (
            base_url or os.environ.get("LEARNING_FS_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
        self.temperature = temperature
        self.timeout = timeout
        self.max_retries = max_retries
        self.extra_body = dict(extra_body or {})
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None
        self._lock = threading.Lock()
        self._json_style = "json_schema"  # becomes "json_object" once a server has refused json_schema

    def __repr__(self) -> str:
        return f"OpenAIChat(id={self.id!r}, base_url={self.base_url!r})"

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
        try:
            completion = client.chat.completions.create(**body)
        except Exception as exc:
            error = _translate(exc, self)
            if error is None:
                raise
            raise error from exc
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
        try:
            completion = await client.chat.completions.create(**body)
        except Exception as exc:
            error = _translate(exc, self)
            if error is None:
                raise
            raise error from exc
        return _to_response(completion)

    # -- structured output --------------------------------------------------------------------

    def complete_json(
        self, messages: Sequence[Mapping[str, Any]], schema: Schema, *, strict: bool = False
    ) -> dict[str, Any]:
        """Ask for a JSON object following ``schema``; return it validated, or raise ``ModelOutputError``.

        Tries ``response_format={"type": "json_schema", ...}`` first and, if the server refuses it,
        ``{"type": "json_object", "schema": ...}``; the fallback is remembered for later calls.
        With a pydantic model, the result is the validated model dumped to a dict (defaults filled).
        OpenAI's ``strict`` mode needs every property required and ``additionalProperties: false``.
        """
        name, schema_dict = schema_name_and_dict(schema)
        for response_format in self._json_formats(name, schema_dict, strict):
            try:
                response = self.complete(messages, response_format=response_format)
            except ModelAPIError as exc:
                if not self._fall_back(response_format, exc):
                    raise
                continue
            return _validated_json(response, schema)
        raise AssertionError("unreachable")  # pragma: no cover

    async def acomplete_json(
        self, messages: Sequence[Mapping[str, Any]], schema: Schema, *, strict: bool = False
    ) -> dict[str, Any]:
        """Async twin of ``complete_json``."""
        name, schema_dict = schema_name_and_dict(schema)
        for response_format in self._json_formats(name, schema_dict, strict):
            try:
                response = await self.acomplete(messages, response_format=response_format)
            except ModelAPIError as exc:
                if not self._fall_back(response_format, exc):
                    raise
                continue
            return _validated_json(response, schema)
        raise AssertionError("unreachable")  # pragma: no cover

    def _json_formats(self, name: str, schema: dict[str, Any], strict: bool) -> list[dict[str, Any]]:
        if self._json_style == "json_object":
            return [json_object_format(schema)]
        return [json_schema_format(name, schema, strict), json_object_format(schema)]

    def _fall_back(self, response_format: Mapping[str, Any], error: ModelAPIError) -> bool:
        if response_format.get("type") != "json_schema" or not rejects_json_schema(error):
            return False
        logger.info("%s refused response_format json_schema (%s); retrying with json_object", self.base_url, error)
        self._json_style = "json_object"
        return True

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync SDK client (and the ``http_client`` it was given)."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close the async SDK client (and the ``async_http_client`` it was given)."""
        if self._async is not None:
            await self._async.close()
            self._async = None

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
        body: dict[str, Any] = {"model": self.id, "messages": [dict(message) for message in messages]}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if tools:
            body["tools"] = [_tool_schema(tool) for tool in tools]
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        if response_format is not None:
            body["response_format"] = dict(response_format)
        if self.extra_body:
            body["extra_body"] = dict(self.extra_body)
        return body

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
        return {"api_key": self._key(), "base_url": self.base_url, "timeout": self.timeout,
                "max_retries": self.max_retries}

    def _sync_client(self) -> openai.OpenAI:
        with self._lock:
            if self._sync is None:
                self._sync = openai.OpenAI(http_client=self._http_client, **self._client_options())  # type: ignore[arg-type]
            return self._sync

    def _async_client(self) -> openai.AsyncOpenAI:
        with self._lock:
            if self._async is None:
                self._async = openai.AsyncOpenAI(http_client=self._async_http_client, **self._client_options())  # type: ignore[arg-type]
            return self._async


def _tool_schema(tool: Mapping[str, Any] | Tool | Callable[..., Any]) -> dict[str, Any]:
    if isinstance(tool, Tool):
        return tool.schema()
    if isinstance(tool, Mapping):
        return dict(tool)
    return Tool.from_function(tool).schema()


def _to_response(completion: Any) -> ModelResponse:
    data = completion.model_dump() if hasattr(completion, "model_dump") else completion
    return parse_completion(data)


def _validated_json(response: ModelResponse, schema: Schema) -> dict[str, Any]:
    if response.finish_reason == "length":
        raise ModelOutputError("the model's JSON was cut off (finish_reason=length)", response.content)
    return validate_output(parse_json_content(response.content), schema, response.content)


def _translate(exc: Exception, model: OpenAIChat) -> ModelError | None:
    """Map SDK and decoding errors onto ``ModelAPIError``/``ModelOutputError``; ``None`` leaves bugs alone."""
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = f"{model.base_url} answered HTTP {exc.status_code}: {exc.message}"
        if exc.status_code == 401:
            message += " (check OPENAI_API_KEY)" if model.needs_key else " (check the server's API key)"
        if exc.status_code == 404:
            message += f" (is {model.id!r} a model this server serves?)"
        logger.warning("%s", message)
        return ModelAPIError(message, exc.status_code, body)
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        message = f"could not reach {model.base_url}: {exc}"
        logger.warning("%s", message)
        return ModelAPIError(message)
    if isinstance(exc, json.JSONDecodeError):  # a 200 whose body is truncated or not JSON
        logger.warning("%s sent a response body that is not JSON: %s", model.base_url, exc)
        return ModelOutputError(f"the response body is not valid JSON ({exc.msg})", exc.doc[:500])
    if isinstance(exc, openai.APIResponseValidationError):
        return ModelOutputError(f"the response does not have the expected shape: {exc}")
    return None
