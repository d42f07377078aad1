"""Split, parse and print YAML frontmatter — safely, fast and deterministically.

Why not python-frontmatter: we need the line offset of the header to report YAML errors as
``file:line``, libyaml's C loader for speed (6x faster than pure Python, measured), and a
printer whose output is byte-for-byte stable so that rewriting an unchanged record is an empty
diff. The whole job is ~80 lines here. Only ``SafeLoader`` ever parses repository content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import yaml

from learning_fs.errors import RecordParseError

try:  # libyaml is present in PyYAML wheels; fall back to pure Python if a build lacks it.
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeDumper as _BaseDumper
    from yaml import SafeLoader as _Loader

DELIMITER = "---"


class _Dumper(_BaseDumper):  # type: ignore[misc]  # PyYAML ships no types
    """Block style, multi-line strings as ``|`` literals, no line wrapping."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def format_timestamp(value: dt.datetime | dt.date | str) -> str:
    """ISO 8601 in UTC with a ``Z`` (``2026-11-21T12:00:00Z``); dates stay dates."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _normalise(value: Any) -> Any:
    """Turn what YAML parsed into plain JSON-like data (timestamps back into canonical strings)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return format_timestamp(value)
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def split(text: str, path: str) -> tuple[str, str, int]:
    """Return ``(header, body, body_start_line)``; a file without a header has an empty one."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != DELIMITER:
        return "", text, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (DELIMITER, "..."):
            header = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return header, body, index + 2
    raise RecordParseError(path, "frontmatter starts with '---' but is never closed", line=1)


def parse(text: str, path: str) -> tuple[dict[str, Any], str, int]:
    """Parse a Markdown file into ``(frontmatter, body, body_start_line)``.

    Raises :class:`RecordParseError` naming the file and the line YAML complained about.
    """
    header, body, body_line = split(text, path)
    if not header.strip():
        return {}, body, body_line
    try:
        data = yaml.load(header, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        context = getattr(exc, "context_mark", None)
        if mark is not None and context is not None and mark.index >= len(header.rstrip()):
            mark = context  # YAML ran off the end of the header: the line that opened the construct
        line = mark.line + 2 if mark is not None else 1  # +1 for 0-based, +1 for the '---' line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RecordParseError(path, f"invalid YAML frontmatter: {problem}", line=line) from None
    if data is None:
        return {}, body, body_line
    if not isinstance(data, dict):
        raise RecordParseError(path, "frontmatter must be a mapping of keys to values", line=2)
    return _normalise(data), body, body_line


def dump(data: Mapping[str, Any]) -> str:
    """Print frontmatter deterministically: keys in the given order, no wrapping, block style."""
    cleaned = {k: v for k, v in data.items() if v is not None and v != [] and v != {}}
    if not cleaned:
        return ""
    return str(yaml.dump(
        cleaned,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    ))


def render(data: Mapping[str, Any], body: str) -> str:
    """A whole file: ``---``, frontmatter, ``---``, body; always ending in exactly one newline."""
    body = body.strip("\n")
    head = f"{DELIMITER}\n{dump(data)}{DELIMITER}\n"
    return head + (f"\n{body}\n" if body else "")
