"""What a chat model is to learning_fs, and what it returns.

The rest of the package sees the model only through ``ChatModel`` (two methods) and the typed
``ModelResponse`` below, never through ``openai`` objects. That keeps the SDK's types (which change
between major versions) out of the stores and the agent, and lets anything with the same two
methods stand in for ``OpenAIChat``.

``parse_completion`` turns a Chat Completions JSON body into a ``ModelResponse``. It works on the
plain dict rather than the SDK's models because OpenAI-compatible servers (Ollama, vLLM, llama.cpp)
omit or vary fields the SDK would accept without checking; here a missing ``choices`` or ``message``
is a ``ModelOutputError`` instead of an ``AttributeError`` three calls later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from learning_fs.extract.errors import ModelOutputError

logger = logging.getLogger(__name__)

Message = dict[str, Any]
"""One Chat Completions message, e.g. ``{"role": "user", "content": "..."}``."""

ToolChoice = Literal["auto", "none", "required"] | dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Token counts as reported by the server (local servers sometimes report zeros)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asked for.

    ``arguments`` is the decoded JSON object; ``raw_arguments`` is exactly what the model sent, kept
    so the transcript can be replayed verbatim. When the model sent something that is not a JSON
    object, ``arguments`` is ``{}`` and ``parse_error`` says why: the dispatcher refuses such a call
    instead of running the tool with no arguments.
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str = "{}"
    parse_error: str | None = None

    @classmethod
    def create(cls, id: str, name: str, raw_arguments: str | Mapping[str, Any] | None) -> ToolCall:
        """Build a call from the model's raw ``arguments`` (a JSON string, or already a dict)."""
        if isinstance(raw_arguments, Mapping):
            return cls(id, name, dict(raw_arguments), json.dumps(raw_arguments, ensure_ascii=False))
        raw = raw_arguments or ""
        if not raw.strip():  # several local servers send "" for a call without arguments
            return cls(id, name, {}, raw)
        try:
            decoded = json.loads(raw)
        except json.JSONDecodeError as exc:
            return cls(id, name, {}, raw, f"arguments are not valid JSON ({exc.msg} at char {exc.pos})")
        if not isinstance(decoded, dict):
            return cls(id, name, {}, raw, f"arguments must be a JSON object, got {type(decoded).__name__}")
        return cls(id, name, decoded, raw)

    @classmethod
    def from_openai(cls, data: Mapping[str, Any]) -> ToolCall:
        """Build a call from an OpenAI-format dict: ``{"id", "function": {"name", "arguments"}}``."""
        function = data.get("function") or {}
        return cls.create(str(data.get("id") or ""), str(function.get("name") or ""), function.get("arguments"))

    def to_openai(self) -> dict[str, Any]:
        """The call as it appears inside an assistant message's ``tool_calls``."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.raw_arguments}}


@dataclass(frozen=True)
class ModelResponse:
    """One assistant turn: text, tool calls, or both."""

    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_message(self) -> Message:
        """The assistant message to append to the transcript before sending tool results back.

        ``content`` is ``""`` rather than ``None`` when the model only called tools: llama.cpp's
        server answers HTTP 500 to ``"content": null`` (see ``wire_messages``).
        """
        message: Message = {"role": "assistant", "content": self.content or ""}
        if self.tool_calls:
            message["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        return message


@runtime_checkable
class ChatModel(Protocol):
    """Anything that can complete a chat, sync and async. ``OpenAIChat`` is the implementation."""

    def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Any] | None = None,
        tool_choice: ToolChoice | None = None,
        response_format: Mapping[str, Any] | None = None,
    ) -> ModelResponse: ...

    async def acomplete(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Any] | None = None,
        tool_choice: ToolChoice | None = None,
        response_format: Mapping[str, Any] | None = None,
    ) -> ModelResponse: ...


def wire_messages(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Copies of ``messages`` every server accepts: no ``"content": null``, tool results as text.

    Transcripts from elsewhere (saved sessions, other frameworks) may hold an assistant turn with
    ``content: None`` (the OpenAI SDK's own shape for a tool-call turn); OpenAI takes it, llama.cpp's
    server answers 500. ``""`` means the same to every server. A tool result that is not a string
    is sent as JSON.
    """
    wired: list[Message] = []
    for message in messages:
        copy = dict(message)
        role = copy.get("role")
        if copy.get("content") is None and role in ("assistant", "tool", "user", "system"):
            copy["content"] = ""
        elif role == "tool" and not isinstance(copy["content"], str):
            copy["content"] = json.dumps(copy["content"], default=str, ensure_ascii=False)
        wired.append(copy)
    return wired


def parse_completion(data: object) -> ModelResponse:
    """Turn a Chat Completions response body into a ``ModelResponse``, or raise ``ModelOutputError``."""
    if not isinstance(data, Mapping):
        raise ModelOutputError(f"response is not a JSON object: {data!r:.200}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise ModelOutputError(f"response has no choices: {json.dumps(data, default=str)[:200]}")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, Mapping):
        raise ModelOutputError("response choice has no message")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise ModelOutputError(f"message content is not text: {content!r:.200}")
    calls = []
    for index, item in enumerate(message.get("tool_calls") or []):
        if not isinstance(item, Mapping) or not isinstance(item.get("function"), Mapping):
            logger.warning("ignoring a tool call that is not a function call: %r", item)
            continue
        call = ToolCall.from_openai(item)
        if not call.id:  # some local servers omit ids; the tool message must still point at the call
            call = ToolCall(f"call_{index}", call.name, call.arguments, call.raw_arguments, call.parse_error)
        calls.append(call)
    usage = data.get("usage")
    return ModelResponse(
        content=content,
        tool_calls=calls,
        finish_reason=choice.get("finish_reason"),
        usage=_usage(usage) if isinstance(usage, Mapping) else None,
        model=data.get("model"),
        raw=dict(data),
    )


def _usage(data: Mapping[str, Any]) -> Usage:
    def count(key: str) -> int:
        value = data.get(key)
        return value if isinstance(value, int) else 0

    return Usage(count("prompt_tokens"), count("completion_tokens"), count("total_tokens"))
