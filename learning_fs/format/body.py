"""The Markdown body: an H1 title, a preamble, ``## Sections``, and one-line list items.

Lists that the library owns (facts, events, memories, plan steps…) are written one item per line
so that a PR diff shows one changed fact as one changed line. Each item carries its id and
lifecycle in a trailing HTML comment, invisible when the file is rendered (GitHub, Obsidian) but
visible and editable in the source::

    - Uses PostgreSQL 16 for billing <!-- id=f-9k2m1a7c3d created=2026-11-21T12:00:00Z -->
    - ~~Uses PostgreSQL 15~~ <!-- id=f-1a2b3c4d5e status=superseded superseded_by=f-9k2m1a7c3d -->

A line a person types without a comment is still an item; it gets an id derived from its text.
Sections the library does not own are kept verbatim, in order, when it rewrites the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_META = re.compile(r"\s*<!--\s*((?:(?!-->|<!--).)*?)\s*-->\s*$")  # the last comment on the line
_ESCAPED_HEADING = re.compile(r"^\\+## ")
_HEADING_LIKE = re.compile(r"^\\*## ")
_ESCAPED_ITEM = re.compile(r"^\\*(\[[ xX]\] |~~)")  # text that would read as a checkbox or as struck
_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)')
_SAFE_VALUE = re.compile(r"^[^\s\"<>]+$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class Section:
    """A ``## Heading`` and the lines under it (without the heading line)."""

    heading: str
    lines: list[str]
    line_number: int = 0  # 1-based line of the heading in the file, for error messages

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip("\n")


@dataclass
class Body:
    """A parsed body: the title line, the free text before the first section, and sections."""

    title: str | None = None
    preamble: str = ""
    sections: list[Section] = field(default_factory=list)

    def take(self, heading: str) -> Section | None:
        """Remove and return the section with this heading (case-insensitive), if present."""
        wanted = heading.casefold()
        for index, section in enumerate(self.sections):
            if section.heading.casefold() == wanted:
                return self.sections.pop(index)
        return None


def parse_body(text: str, first_line: int = 1) -> Body:
    """Split a Markdown body into title, preamble and ``##`` sections (fenced code is respected).

    A text line the library escaped when printing (``\\## not a heading``) gets its backslash back
    off, so a ``## `` line inside a learning or a summary stays text instead of cutting it short.
    """
    body = Body()
    lines = text.split("\n")
    current: list[str] = []
    preamble: list[str] | None = current
    in_fence = False
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and lines[start].startswith("# "):
        body.title = lines[start][2:].strip()
        start += 1
    for offset, line in enumerate(lines[start:], start=start):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            if line.startswith("## "):
                current = []
                body.sections.append(Section(line[3:].strip(), current, first_line + offset))
                continue
            if _ESCAPED_HEADING.match(line):
                line = line[1:]
        current.append(line)
    body.preamble = "\n".join(preamble or []).strip("\n")
    return body


def escape_text(text: str) -> str:
    """Make free text safe to print inside a body: its lines can never start a new ``##`` section.

    A ``## `` line outside code fences gets a backslash (Markdown shows ``## …`` as plain text, and
    :func:`parse_body` takes the backslash off again); a code fence left open is closed, so it
    cannot swallow the sections that follow.
    """
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if match:
            fence = None if fence else match.group(1)
        elif fence is None and _HEADING_LIKE.match(line):
            line = "\\" + line
        out.append(line)
    if fence:
        out.append(fence)
    return "\n".join(out)


def render_body(title: str | None, preamble: str, sections: list[tuple[str, str]]) -> str:
    """Print a body deterministically; sections with no text are left out."""
    parts: list[str] = []
    if title:
        parts.append(f"# {' '.join(title.split())}")  # the H1 is one line whatever the title holds
    if preamble.strip():
        parts.append(escape_text(preamble.strip("\n")))
    for heading, content in sections:
        content = content.strip("\n")
        if content:
            parts.append(f"## {heading}\n{escape_text(content)}")
    return "\n\n".join(parts)


@dataclass
class ItemLine:
    """One ``- text <!-- k=v … -->`` line, split into its parts."""

    text: str
    meta: dict[str, str]
    checked: bool | None = None  # ``- [x]`` / ``- [ ]`` task items; None when not a task
    struck: bool = False  # ``~~text~~``: how superseded items are shown


def parse_item_line(line: str) -> ItemLine | None:
    """Parse a list line; ``None`` for anything that is not a ``-``/``*`` bullet."""
    stripped = line.strip()
    if not (stripped.startswith(("- ", "* "))):
        return None
    rest = stripped[2:]
    meta: dict[str, str] = {}
    match = _META.search(rest)
    pairs = _PAIR.findall(match.group(1)) if match else []
    if match and pairs:  # a comment without key=value pairs is a person's text, not metadata
        for key, value in pairs:
            meta[key] = _unquote(value)
        rest = rest[: match.start()]
    checked = None
    if rest[:4] in ("[ ] ", "[x] ", "[X] "):
        checked = rest[1] in "xX"
        rest = rest[4:]
    rest = rest.strip()
    struck = len(rest) > 4 and rest.startswith("~~") and rest.endswith("~~")
    if struck:
        rest = rest[2:-2].strip()
    if rest.startswith("\\") and _ESCAPED_ITEM.match(rest):
        rest = rest[1:]  # text that only looks like a checkbox or a strike-through (see render_item_line)
    return ItemLine(rest, meta, checked, struck)


def _unquote(value: str) -> str:
    """A metadata value as written: JSON-quoted when it has spaces, bare otherwise (hand edits may be half-quoted)."""
    if value.startswith('"'):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value.strip('"')
        return decoded if isinstance(decoded, str) else value
    return value


def render_item_line(item: ItemLine) -> str:
    """Print an item line; metadata keys keep the order given (callers pass a canonical order)."""
    text = " ".join(item.text.split())  # one item, one line
    if _ESCAPED_ITEM.match(text):
        text = "\\" + text  # "[ ] …" or "~~…" typed as text must not read back as a task or struck item
    if item.struck:
        text = f"~~{text}~~"
    if item.checked is not None:
        text = f"[{'x' if item.checked else ' '}] {text}"
    pairs = []
    for key, value in item.meta.items():
        if value is None or value == "":
            continue
        value = str(value)
        pairs.append(f"{key}={value if _SAFE_VALUE.match(value) else json.dumps(value, ensure_ascii=False)}")
    return f"- {text} <!-- {' '.join(pairs)} -->" if pairs else f"- {text}"


def split_item_section(section: Section | None) -> tuple[list[tuple[ItemLine, int]], str]:
    """Items of an owned list section plus any free text a person wrote among them (kept)."""
    if section is None:
        return [], ""
    items: list[tuple[ItemLine, int]] = []
    other: list[str] = []
    for offset, line in enumerate(section.lines, start=1):
        parsed = parse_item_line(line)
        if parsed is not None and parsed.text:
            items.append((parsed, section.line_number + offset))
        elif line.strip():
            other.append(line)
    return items, "\n".join(other)
