"""Structured output: ask for JSON that follows a schema, and refuse anything else.

Two request styles exist in the wild. OpenAI, vLLM, Ollama and recent llama.cpp accept
``{"type": "json_schema", "json_schema": {"name", "schema"}}``; llama-cpp-python's server rejects it
and wants ``{"type": "json_object", "schema": {...}}`` (it turns the schema into a grammar). The
client tries the first and falls back to the second when the server rejects the request
(``rejects_json_schema``). Either way the answer is validated here, because some servers accept a
schema and silently ignore it.

Validation is all-or-nothing: the caller gets a dict that passed, or a ``ModelOutputError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

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


def validate_output(data: dict[str, Any], schema: Schema, content: str | None = None) -> dict[str, Any]:
    """Check ``data`` against ``schema``; return it (pydantic: the validated model dumped) or raise."""
    if isinstance(schema, type) and issubclass(schema, pydantic.BaseModel):
        try:
            return schema.model_validate(data).model_dump()
        except pydantic.ValidationError as exc:
            raise ModelOutputError(f"the model's JSON does not match {schema.__name__}: {exc}", content) from exc
    errors = check_json_schema(data, schema)
    if errors:
        raise ModelOutputError("the model's JSON does not match the schema: " + "; ".join(errors[:10]), content)
    return data


def check_json_schema(value: Any, schema: Mapping[str, Any]) -> list[str]:
    """Validate ``value`` against the common subset of JSON Schema; return the problems found.

    Supported: ``type``, ``enum``, ``const``, ``properties``, ``required``, ``additionalProperties``,
    ``items``, ``anyOf``/``oneOf``/``allOf`` and local ``$ref`` (``#/$defs/...``). Other keywords are
    ignored, which errs on the side of accepting; pass a pydantic model for full validation.
    """
    errors: list[str] = []
    _check(value, schema, schema, "$", errors)
    return errors


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _check(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str, errors: list[str]) -> None:
    if "$ref" in schema:
        schema = _resolve(schema["$ref"], root)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            if not any(not _errors_at(value, sub, root) for sub in schema[key]):
                errors.append(f"{path}: matches none of the allowed shapes")
            return
    for sub in schema.get("allOf", []):
        _check(value, sub, root, path, errors)
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else list(expected)
        if not any(_is_type(value, name) for name in names):
            errors.append(f"{path}: expected {'/'.join(names)}, got {type(value).__name__}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: expected {schema['const']!r}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{path}: missing required property {name!r}")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                _check(item, properties[name], root, f"{path}.{name}", errors)
            elif extra is False:
                errors.append(f"{path}: unexpected property {name!r}")
            elif isinstance(extra, Mapping):
                _check(item, extra, root, f"{path}.{name}", errors)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            _check(item, schema["items"], root, f"{path}[{index}]", errors)


def _errors_at(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    _check(value, schema, root, "$", errors)
    return errors


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False  # JSON has no bool-as-int; Python does
    if name == "number" and isinstance(value, float):
        return True
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = root
    if not ref.startswith("#/"):
        return {}  # remote refs are not fetched; accept rather than guess
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


def _clean_name(name: str) -> str:
    return _NAME_CHARS.sub("_", name).strip("_")[:64] or "output"
