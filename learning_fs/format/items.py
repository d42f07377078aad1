"""List items inside records: memories, facts, events, relationships, plan steps, alternatives.

An item is a sub-record: it has its own stable id and lifecycle (a superseded fact stays in the
file, struck through, for history) so curation and the index can address it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from learning_fs.format.body import ItemLine, parse_item_line, render_item_line
from learning_fs.format.ids import content_id
from learning_fs.format.slugs import check_text, slugify

Status = Literal["active", "superseded", "expired"]

_EVENT = re.compile(r"^(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?):\s*(.*)$")
_RELATION = re.compile(
    r"^(?P<rel>[^\[]*?)\s*\[\[(?P<file>[^\]|]+)(?:\|(?P<shown>[^\]]*))?\]\](?:\s*:\s*(?P<desc>.*))?$")
_ITEM_META_ORDER = ("id", "created", "updated", "status", "superseded_by", "expires", "user", "session")


class Item(BaseModel):
    """One line of an owned list section."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str = ""
    created: str | None = None
    updated: str | None = None
    status: Status = "active"
    superseded_by: str | None = None
    expires: str | None = None
    user: str | None = None
    session: str | None = None
    date: str | None = None  # events: when it happened
    relation: str | None = None  # relationships: the edge label …
    target: str | None = None  # … and the other entity's name (a [[wikilink]]) …
    link: str | None = None  # … and the file the link points at, when that is not the name (see link_text)
    done: bool | None = None  # plan steps
    extra: dict[str, str] = Field(default_factory=dict)  # item metadata we do not own, kept

    @field_validator("text")
    @classmethod
    def _one_line(cls, text: str) -> str:
        """An item is one line in the file, so its text is kept on one line from the start."""
        return " ".join(check_text(text, "an item's text").split())

    @property
    def active(self) -> bool:
        return self.status == "active"


_LINE_FIELDS = frozenset(Item.model_fields) - {"extra", "text"}  # looked up per key: pydantic's property is slow


def item_from_line(line: ItemLine, item_kind: str) -> Item:
    """Build an item from a parsed line, interpreting the grammar of its section."""
    fields: dict[str, Any] = {}
    text = line.text
    if item_kind == "event":
        match = _EVENT.match(text)
        if match:
            fields["date"], text = match.group(1), match.group(2)
    elif item_kind == "relationship":
        match = _RELATION.match(text)
        if match:
            fields["relation"] = match.group("rel").strip() or "related_to"
            file, shown = match.group("file").strip(), (match.group("shown") or "").strip()
            # [[file|Name]]: Obsidian's form, the file it opens and the name it shows, both kept.
            # [[Name]]: a name; written back in the form that resolves (see link_text).
            fields["target"] = shown or file
            if shown and file != slugify(shown):  # the default file needs no field (see link_text)
                fields["link"] = file
            text = (match.group("desc") or "").strip()
    if line.checked is not None:
        fields["done"] = line.checked
    meta = dict(line.meta)
    known = {k: meta.pop(k) for k in list(meta) if k in _LINE_FIELDS}
    if line.struck and "status" not in known:
        known["status"] = "superseded"
    identity = line.text if item_kind != "relationship" else f"{fields.get('relation')} {fields.get('target')}"
    if not known.get("id"):  # a line a person typed (or an emptied ``id=``): derive a stable id
        known["id"] = content_id(item_kind, identity)
    if known.get("status") not in (None, "active", "superseded", "expired"):
        known["status"] = "active"
    return Item(text=text, extra=meta, **fields, **known)


def item_to_line(item: Item, item_kind: str) -> str:
    """Print an item with its section's grammar and metadata in canonical order."""
    text = item.text
    if item_kind == "event" and item.date:
        text = f"{item.date}: {text}"
    elif item_kind == "relationship" and item.target:
        text = f"{item.relation or 'related_to'} {link_text(item)}" + (f": {item.text}" if item.text else "")
    values = item.model_dump()
    meta = {key: values[key] for key in _ITEM_META_ORDER if values.get(key) not in (None, "")}
    if meta.get("status") == "active":
        del meta["status"]
    meta.update(item.extra)
    line = ItemLine(text=text, meta=meta, checked=item.done if item_kind == "step" else None,
                    struck=item.status == "superseded")
    return render_item_line(line)


def link_text(item: Item) -> str:
    """The ``[[wikilink]]`` of a relationship, written so that it opens the target's file in Obsidian.

    Obsidian resolves a link by *file name* (case-insensitively), never by title or alias, and
    entity files are named by slug (``acme-corp.md``). So a link the library writes is ``[[Name]]``
    only when the name is its own slug (``[[Airflow]]`` → ``airflow.md``) and
    ``[[acme-corp|Acme Corp]]`` otherwise: the file, then the name Obsidian shows. A
    ``[[file|Name]]`` read from a file keeps its file part (``link``), so a rewrite prints it
    unchanged; writers that know the target's actual file (hash-suffixed, or named before a
    rename) set ``link``. A bare ``[[Acme Corp]]`` (older files, hand edits) is rewritten as
    ``[[acme-corp|Acme Corp]]`` by the next write, the form that opens the entity's file.
    """
    target = item.target or ""
    file = item.link or slugify(target)
    if file.casefold() == target.casefold():
        return f"[[{target}]]"
    return f"[[{file}|{target}]]"


def parse_items(lines: list[str], item_kind: str) -> list[Item]:
    """Parse bullet lines (used by tests and tools that build items from plain text)."""
    items = []
    for raw in lines:
        parsed = parse_item_line(raw)
        if parsed is not None and parsed.text:
            items.append(item_from_line(parsed, item_kind))
    return items
