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

_META = re.compile(r"\s*<!--\s*(.*?)\s*-->\s*$")
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
    """Split a Markdown body into title, preamble and ``##`` sections (fenced code is respected)."""
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
        if not in_fence and line.startswith("## "):
            current = []
            body.sections.append(Section(line[3:].strip(), current, first_line + offset))
            continue
        current.append(line)
    body.preamble = "\n".join(preamble or []).strip("\n")
    return body


def render_body(title: str | None, preamble: str, sections: list[tuple[str, str]]) -> str:
    """Print a body deterministically; sections with no text are left out."""
    parts: list[str] = []
    if title:
        parts.append(f"# {title}")
    if preamble.strip():
        parts.append(preamble.strip("\n"))
    for heading, content in sections:
        content = content.strip("\n")
        if content:
            parts.append(f"## {heading}\n{content}")
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
    if match:
        for key, value in _PAIR.findall(match.group(1)):
            meta[key] = json.loads(value) if value.startswith('"') else value
        rest = rest[: match.start()]
    checked = None
    if rest[:4] in ("[ ] ", "[x] ", "[X] "):
        checked = rest[1] in "xX"
        rest = rest[4:]
    rest = rest.strip()
    struck = len(rest) > 4 and rest.startswith("~~") and rest.endswith("~~")
    if struck:
        rest = rest[2:-2].strip()
    return ItemLine(rest, meta, checked, struck)


def render_item_line(item: ItemLine) -> str:
    """Print an item line; metadata keys keep the order given (callers pass a canonical order)."""
    text = " ".join(item.text.split())  # one item, one line
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
