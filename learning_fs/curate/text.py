"""What makes two texts "the same" for the curator: normalised form, ``attribute: value``, age.

Exact duplicates are texts equal after normalising (Unicode form, case, accents, spacing,
punctuation), so "Prefers short answers." and "prefers  short answers" merge without any model.
"""

from __future__ import annotations

import datetime as dt
import re

from learning_fs.format.items import Item
from learning_fs.format.records import Record
from learning_fs.format.text import normalise

_ATTRIBUTE = re.compile(r"^\s*([A-Za-z][\w '-]{0,39}?)\s*:\s*(\S.*)$")


def attribute_of(text: str) -> tuple[str, str] | None:
    """``("role", "cto")`` for ``"Role: CTO"``; None when the text is not ``attribute: value``.

    A URL (``https://…``) is not an attribute, whatever precedes its colon.
    """
    match = _ATTRIBUTE.match(text)
    if not match or "http" in match.group(1).casefold():
        return None
    return normalise(match.group(1)), normalise(match.group(2))


def item_time(item: Item) -> str:
    """When an item was last stated (``updated``, else ``created``; "" when unknown)."""
    return str(item.updated or item.created or "")


def record_time(record: Record) -> str:
    """When a record was last stated."""
    return str(record.updated or record.created or "")


def parse_time(stamp: str | None) -> float | None:
    """Seconds since the epoch of a timestamp or date as the format writes it (None if unreadable)."""
    if not stamp:
        return None
    text = str(stamp).strip().replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


def is_pinned(thing: Item | Record) -> bool:
    """A person pinned it (``pinned=true`` on an item, ``pinned: true`` in frontmatter): never demote or prune."""
    value = thing.extra.get("pinned") if thing.extra else None
    return value is not None and (value is True or str(value).casefold() in ("true", "yes", "1"))


def is_demoted(item: Item) -> bool:
    """The curator took this memory out of the always-loaded context (it stays searchable)."""
    value = item.extra.get("demoted") if item.extra else None
    return value is not None and str(value).casefold() in ("true", "yes", "1")


def one_line(text: str, limit: int = 80) -> str:
    """Whitespace collapsed and cut to ``limit`` characters (commit message lines)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
