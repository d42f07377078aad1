"""Plain Python functions as model tools: schemas out, validated calls in.

A store exposes ``def save_learning(title: str, body: str, tags: list[str] | None = None)`` with a
Google-style docstring; ``Tool.from_function`` turns its signature, type hints and docstring into
the JSON schema the model sees, and ``call_tool`` runs the model's call against the same
signature. Schema and validation come from one pydantic model built per function, so what the
model is told and what is accepted cannot drift apart.

Dataclass and pydantic arguments are described to the model field by field, including
``dataclasses.field(metadata={"description": ...})``: that is how a user's ``UserProfile``
subclass tells the model what each field means.

``call_tool`` never raises for anything the model did (unknown tool, arguments that are not JSON,
missing/extra/mistyped arguments, an exception inside the tool). It returns
``ToolResult(ok=False, error=...)``, logs it, and the loop sends the error back so the model can
correct itself. Arguments are validated in full before the tool runs, so a bad call runs nothing.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic
import pydantic_core

from learning_fs.extract.model import Message, ToolCall

logger = logging.getLogger(__name__)

ERROR_PREFIX = "Error:"
"""A tool's text answer starting with this is a refusal: ``ToolResult.ok`` is False."""
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments)\s*:\s*$")
_OTHER_SECTION = re.compile(
    r"^(Returns?|Yields?|Raises|Examples?|Notes?|Warnings?|See Also|Todo|Attributes|References)\s*:\s*$"
)
_ARG_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class Tool:
    """A function the model may call, with its schema and validator built once."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]
    arguments_model: type[pydantic.BaseModel]
    parameter_names: dict[str, str]  # pydantic field name -> Python parameter name

    @classmethod
    def from_function(
        cls, function: Callable[..., Any], *, name: str | None = None, description: str | None = None
    ) -> Tool:
        """Build a tool from a function's signature, type hints and Google-style docstring.

        Bind context the model must not choose (``user_id``) with ``functools.partial``; those
        keywords are hidden from the model and cannot be overridden by it.

        Raises ``TypeError`` for signatures a model cannot call (``*args``, ``**kwargs``,
        positional-only parameters) and ``ValueError`` for names OpenAI would reject.
        """
        target = function.func if isinstance(function, functools.partial) else function
        name = name or getattr(target, "__name__", None) or ""
        if not _TOOL_NAME.match(name):
            raise ValueError(f"tool name {name!r} must match {_TOOL_NAME.pattern} (pass name=...)")
        summary, arg_docs = parse_docstring(inspect.getdoc(target) or "")
        hints = _type_hints(target)
        fields: dict[str, Any] = {}
        parameter_names: dict[str, str] = {}
        # Keywords bound with functools.partial (user_id, namespace, ...) are the application's, not the
        # model's: they are left out of the schema, and a call that sends them is refused as unexpected.
        bound = set(function.keywords) if isinstance(function, functools.partial) else set()
        for index, param in enumerate(inspect.signature(function).parameters.values()):
            if param.name in bound:
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
                raise TypeError(f"tool {name!r}: parameter {param.name!r} must be an ordinary named parameter")
            annotation = hints.get(param.name, Any)
            info: dict[str, Any] = {"alias": param.name}
            if param.name in arg_docs:
                info["description"] = arg_docs[param.name]
            default = ... if param.default is param.empty else param.default
            field_name = f"p{index}"  # aliases keep parameter names like `json` or `model_id` away from pydantic
            fields[field_name] = (annotation, pydantic.Field(default, **info))
            parameter_names[field_name] = param.name
        model = pydantic.create_model(
            f"{name}_arguments", __config__=pydantic.ConfigDict(extra="forbid"), **fields
        )
        parameters = clean_schema(model.model_json_schema())
        parameters.pop("description", None)
        return cls(name, description or summary, parameters, function, model, parameter_names)

    def schema(self) -> dict[str, Any]:
        """The entry for the request's ``tools`` list."""
        function: dict[str, Any] = {"name": self.name, "parameters": self.parameters}
        if self.description:
            function["description"] = self.description
        return {"type": "function", "function": function}

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and convert the model's arguments into keyword arguments for the function.

        Only arguments the model sent are returned, so the function's own defaults apply.
        Raises ``pydantic.ValidationError``.
        """
        validated = self.arguments_model.model_validate(dict(arguments))
        return {self.parameter_names[key]: getattr(validated, key) for key in validated.model_fields_set}


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one tool call; ``content`` is what the model reads in the tool message."""

    call_id: str
    name: str
    ok: bool
    content: str
    value: Any = None
    error: str | None = None
    rejected: bool = False

    @classmethod
    def failure(cls, call: ToolCall, error: str, *, rejected: bool = False) -> ToolResult:
        """A result for a call that did not run or failed; logged, never raised."""
        logger.warning("tool call %s (%s) failed: %s", call.name, call.id, error)
        return cls(call.id, call.name, False, f"Error: {error}", error=error, rejected=rejected)

    @classmethod
    def rejection(cls, call: ToolCall, reason: str | None = None) -> ToolResult:
        """A result for a call the user (or the application) refused to run."""
        error = "The user rejected this tool call; it was not executed." + (f" Reason: {reason}" if reason else "")
        logger.info("tool call %s (%s) rejected by the user", call.name, call.id)
        return cls(call.id, call.name, False, error, error=error, rejected=True)

    def to_message(self) -> Message:
        """The ``tool`` message answering the call."""
        return {"role": "tool", "tool_call_id": self.call_id, "content": self.content}


ToolsLike = Mapping[str, "Callable[..., Any] | Tool"] | Iterable["Callable[..., Any] | Tool"]


def as_tools(tools: ToolsLike) -> dict[str, Tool]:
    """Normalise a ``{name: function}`` mapping or a list of functions/``Tool``s into ``{name: Tool}``."""
    if isinstance(tools, Mapping):
        return {
            key: tool if isinstance(tool, Tool) and tool.name == key else _as_tool(tool, key)
            for key, tool in tools.items()
        }
    result: dict[str, Tool] = {}
    for item in tools:
        tool = item if isinstance(item, Tool) else Tool.from_function(item)
        result[tool.name] = tool
    return result


def tool_schema(function: Callable[..., Any], *, name: str | None = None) -> dict[str, Any]:
    """The OpenAI ``tools`` entry for a function (shortcut for ``Tool.from_function(...).schema()``)."""
    return Tool.from_function(function, name=name).schema()


def call_tool(tools: ToolsLike, tool_call: ToolCall | Mapping[str, Any]) -> ToolResult:
    """Run one tool call safely: validate, execute, and turn every failure into a ``ToolResult``."""
    call, tool, kwargs, failure = _prepare(tools, tool_call)
    if failure is not None:
        return failure
    assert tool is not None and kwargs is not None
    if inspect.iscoroutinefunction(tool.function):
        return ToolResult.failure(call, f"tool {call.name!r} is async; run it with acall_tool/arun_tool_loop")
    try:
        value = tool.function(**kwargs)
    except Exception as exc:
        return _raised(call, exc)
    if inspect.isawaitable(value):
        getattr(value, "close", lambda: None)()
        return ToolResult.failure(call, f"tool {call.name!r} returned an awaitable; use acall_tool")
    return _success(call, value)


async def acall_tool(tools: ToolsLike, tool_call: ToolCall | Mapping[str, Any]) -> ToolResult:
    """Async twin of ``call_tool``: awaits async tools, runs sync ones inline."""
    call, tool, kwargs, failure = _prepare(tools, tool_call)
    if failure is not None:
        return failure
    assert tool is not None and kwargs is not None
    try:
        value = tool.function(**kwargs)
        if inspect.isawaitable(value):
            value = await value
    except Exception as exc:
        return _raised(call, exc)
    return _success(call, value)


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into (summary text, {argument: description})."""
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    base_indent = 0
    for line in inspect.cleandoc(doc).splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent == 0 and _SECTION.match(stripped):
            section, current = "args", None
            continue
        if indent == 0 and _OTHER_SECTION.match(stripped):
            section, current = "other", None
            continue
        if section is None:
            summary.append(line)
        elif section == "args" and stripped:
            match = _ARG_LINE.match(stripped)
            if match and (current is None or indent <= base_indent):
                current, base_indent = match.group(1), indent
                args[current] = match.group(2).strip()
            elif current is not None:
                args[current] = f"{args[current]} {stripped}".strip()
    return "\n".join(summary).strip(), args


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Make a pydantic JSON schema easier for models: inline ``$ref``s (unless recursive), drop titles."""
    defs = schema.get("$defs", {})
    try:
        inlined = _inline(schema, defs, ())
    except _Recursive:
        inlined = schema
    return _drop_titles(inlined)


class _Recursive(Exception):
    """A schema refers to itself; it cannot be inlined into a flat tool schema."""


def _inline(node: Any, defs: Mapping[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        key = ref.removeprefix("#/$defs/")
        if key in seen or key not in defs:
            raise _Recursive(key)
        resolved = _inline(defs[key], defs, (*seen, key))
        siblings = {k: _inline(v, defs, seen) for k, v in node.items() if k != "$ref"}
        return {**resolved, **siblings}
    result = {key: _inline(value, defs, seen) for key, value in node.items() if key != "$defs"}
    all_of = result.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        # pydantic < 2.9 wraps a described $ref as {"allOf": [{"$ref": ...}], "description": ...}
        del result["allOf"]
        result = {**all_of[0], **result}
    return result


def _drop_titles(node: Any, in_properties: bool = False) -> Any:
    if isinstance(node, list):
        return [_drop_titles(item) for item in node]
    if not isinstance(node, dict):
        return node
    if in_properties:  # keys are property names, not keywords: a property may be called "title"
        return {key: _drop_titles(value) for key, value in node.items()}
    return {
        key: _drop_titles(value, in_properties=key in ("properties", "$defs"))
        for key, value in node.items()
        if not (key == "title" and isinstance(value, str))
    }


def _type_hints(target: Any) -> dict[str, Any]:
    for candidate in (target, getattr(target, "__call__", None)):  # noqa: B004 - callable objects
        if candidate is None:
            continue
        try:
            return typing.get_type_hints(candidate, include_extras=True)
        except Exception:  # unresolvable forward references: fall back to Any
            continue
    return {}


def _as_tool(function: Callable[..., Any] | Tool, name: str) -> Tool:
    if isinstance(function, Tool):
        return Tool.from_function(function.function, name=name, description=function.description)
    return Tool.from_function(function, name=name)


def _prepare(
    tools: ToolsLike, tool_call: ToolCall | Mapping[str, Any]
) -> tuple[ToolCall, Tool | None, dict[str, Any] | None, ToolResult | None]:
    call = tool_call if isinstance(tool_call, ToolCall) else ToolCall.from_openai(tool_call)
    try:
        available = tools if isinstance(tools, Mapping) else as_tools(tools)
        entry = available.get(call.name)
        if entry is None:
            names = ", ".join(sorted(available)) or "none"
            return call, None, None, ToolResult.failure(call, f"unknown tool {call.name!r}; available tools: {names}")
        tool = entry if isinstance(entry, Tool) else Tool.from_function(entry, name=call.name)
    except (TypeError, ValueError) as exc:  # a tool we cannot describe is our bug, but must not crash the loop
        logger.error("cannot build tool %r: %s", call.name, exc)
        return call, None, None, ToolResult.failure(call, f"tool {call.name!r} is misconfigured: {exc}")
    if call.parse_error is not None:
        return call, tool, None, ToolResult.failure(call, f"{call.parse_error}; send a JSON object of arguments")
    try:
        kwargs = tool.validate(call.arguments)
    except pydantic.ValidationError as exc:
        expected = ", ".join(tool.parameter_names.values()) or "none"
        detail = "; ".join(_describe(error) for error in exc.errors())
        return call, tool, None, ToolResult.failure(call, f"invalid arguments: {detail} (parameters: {expected})")
    return call, tool, kwargs, None


def _describe(error: Any) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ())) or "arguments"
    kind = error.get("type")
    if kind == "missing":
        return f"missing required argument {loc!r}"
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"unexpected argument {loc!r}"
    return f"argument {loc!r}: {error.get('msg')} (got {error.get('input')!r:.60})"


def _raised(call: ToolCall, exc: Exception) -> ToolResult:
    logger.warning("tool %s raised", call.name, exc_info=True)
    return ToolResult.failure(call, f"tool {call.name!r} raised {type(exc).__name__}: {exc}")


def _success(call: ToolCall, value: Any) -> ToolResult:
    if isinstance(value, str) and value.lstrip().startswith(ERROR_PREFIX):
        # A tool that refuses by answering "Error: …" (store tools do) did not succeed: never report it as ok.
        error = value.lstrip()[len(ERROR_PREFIX):].strip()
        logger.info("tool call %s (%s) refused: %s", call.name, call.id, error)
        return ToolResult(call.id, call.name, False, value, value=value, error=error)
    logger.debug("tool call %s (%s) succeeded", call.name, call.id)
    return ToolResult(call.id, call.name, True, _content(value), value=value)


def _content(value: Any) -> str:
    """What the model reads back: text as is, anything else as JSON."""
    if value is None:
        return "ok"
    if isinstance(value, str):
        return value
    try:
        return pydantic_core.to_json(value, fallback=str).decode()
    except Exception:
        return str(value)
