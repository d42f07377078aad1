"""Structured output: ask for JSON that follows a schema, and refuse anything else.

Two request styles exist in the wild. OpenAI, vLLM, Ollama and recent llama.cpp accept
``{"type": "json_schema", "json_schema": {"name", "schema"}}``; llama-cpp-python's server rejects it
and wants ``{"type": "json_object", "schema": {...}}`` (it turns the schema into a grammar). The
client tries the first and falls back to the second when the server rejects the request
(``rejects_json_schema``). Either way the answer is validated here with ``jsonschema`` against the
very schema that was sent, because some servers accept a schema and silently ignore it.

Validation is all-or-nothing: the caller gets a dict that passed, or a ``ModelOutputError``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

import jsonschema
import pydantic

from learning_fs.extract.errors import ModelAPIError, ModelOutputError

Schema = type[pydantic.BaseModel] | Mapping[str, Any]
"""A pydantic model class, or a JSON Schema as a dict."""

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n(.*)\n```$", re.DOTALL)
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_-]+")


def schema_name_and_dict(schema: Schema) -> tuple[str, dict[str, Any]]:
    """The ``name`` OpenAI wants next to a schema, and the schema itself as a dict."""
    if isinstance(schema, type) and issubclass(schema, pydantic.BaseModel):
        return _clean_name(schema.__name__), schema.model_json_schema()
    if isinstance(schema, Mapping):
        return _clean_name(str(schema.get("title") or "output")), dict(schema)
    raise TypeError(f"schema must be a pydantic BaseModel subclass or a dict, not {schema!r}")


def json_schema_format(name: str, schema: Mapping[str, Any], strict: bool = False) -> dict[str, Any]:
    """``response_format`` in the OpenAI structured-output style."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": dict(schema), "strict": strict}}


def json_object_format(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``response_format`` in the llama-cpp-python style (grammar built from ``schema``)."""
    return {"type": "json_object", "schema": dict(schema)}


def rejects_json_schema(error: ModelAPIError) -> bool:
    """Whether an HTTP error means "this server does not do ``json_schema``", so a fallback is worth a try.

    400 and 422 are how OpenAI-compatible servers refuse a request field; some llama.cpp builds
    answer 500 with a message naming ``response_format``. Other 5xx errors are real failures.
    """
    if error.status_code in (400, 422):
        return True
    if error.status_code == 500:
        text = f"{error} {json.dumps(error.body, default=str)}"
        return "json_schema" in text or "response_format" in text
    return False


def parse_json_content(content: str | None) -> dict[str, Any]:
    """Decode the model's text as one JSON object; a single Markdown code fence around it is tolerated."""
    if content is None or not content.strip():
        raise ModelOutputError("the model returned no content where JSON was expected", content)
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelOutputError(f"the model's answer is not valid JSON ({exc.msg} at char {exc.pos})", content) from exc
    if not isinstance(data, dict):
        raise ModelOutputError(f"expected a JSON object, got {type(data).__name__}", content)
    return data


def validate_output(data: dict[str, Any], schema: Schema, content: str | None = None, *,
                    sent: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check ``data`` against the schema that was sent; return it (pydantic: the validated model dumped) or raise.

    ``sent`` is the JSON Schema exactly as the request carried it (strict-shaped or not); the
    answer is validated against it with ``jsonschema``, every keyword included (``minLength``,
    ``maximum``, ``pattern``, ``maxItems``, ``uniqueItems`` …), so the server cannot get away with
    ignoring part of the schema. A pydantic model is then applied on top (its validators, its
    defaults); the ``null`` a strict-shaped schema asks for in place of a left-out optional
    property is dropped first, so the model's default applies.
    """
    shape = dict(sent) if sent is not None else schema_name_and_dict(schema)[1]
    errors = check_json_schema(data, shape)
    if errors:
        raise ModelOutputError("the model's JSON does not match the schema: " + "; ".join(errors[:10]), content)
    if isinstance(schema, type) and issubclass(schema, pydantic.BaseModel):
        original = schema.model_json_schema()
        required = set(original.get("required", []))
        data = {key: value for key, value in data.items() if value is not None or key in required}
        try:
            return schema.model_validate(data).model_dump()
        except pydantic.ValidationError as exc:
            raise ModelOutputError(f"the model's JSON does not match {schema.__name__}: {exc}", content) from exc
    return data


def check_json_schema(value: Any, schema: Mapping[str, Any]) -> list[str]:
    """Validate ``value`` against ``schema`` with ``jsonschema`` (the draft the schema names, else 2020-12).

    Returns the problems found, each as ``$.path: message``; an empty list means it passed. A schema
    that is itself invalid is reported as a problem rather than raised: it came from a caller's
    dict and the answer cannot be trusted against it.
    """
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return [f"the schema itself is invalid: {exc.message}"]
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    problems = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        path = "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
        problems.append(f"{path}: {error.message}")
    return problems


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema in the shape OpenAI's ``strict: true`` requires, meaning the same thing.

    Every object gets ``additionalProperties: false`` and lists all its properties as required; a
    property that was optional becomes nullable instead (``anyOf: [..., {"type": "null"}]``), so
    "left out" is spelled ``null``. Defaults are dropped (strict mode refuses them), ``$defs`` are
    converted too. The input is not changed.
    """
    return _strict(copy.deepcopy(dict(schema)))


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node.pop("default", None)
    for key in ("$defs", "definitions", "properties", "patternProperties"):
        if isinstance(node.get(key), dict):
            node[key] = {name: _strict(sub) for name, sub in node[key].items()}
    for key in ("items", "additionalItems", "not", "if", "then", "else", "contains"):
        if isinstance(node.get(key), dict):
            node[key] = _strict(node[key])
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        if isinstance(node.get(key), list):
            node[key] = [_strict(sub) for sub in node[key]]
    if node.get("type") == "object" or "properties" in node:
        properties = node.setdefault("properties", {})
        required = set(node.get("required", []))
        for name in properties:
            if name not in required:
                properties[name] = _nullable(properties[name])
        node["required"] = list(properties)
        node["additionalProperties"] = False
    return node


def _nullable(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return schema
    if any(isinstance(sub, dict) and sub.get("type") == "null" for sub in schema.get("anyOf", [])):
        return schema
    if isinstance(kind, str) and set(schema) <= {"type", "description"}:
        return {**schema, "type": [kind, "null"]}
    description = schema.get("description")
    inner = {key: value for key, value in schema.items() if key != "description"}
    result: dict[str, Any] = {"anyOf": [inner, {"type": "null"}]}
    if description:
        result["description"] = description
    return result


def _clean_name(name: str) -> str:
    return _NAME_CHARS.sub("_", name).strip("_")[:64] or "output"
