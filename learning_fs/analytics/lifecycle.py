"""What happened *inside* the files: items and records added, removed, superseded, expired, merged.

File-level changes say a memories file was updated; the reader wants to know that a memory was
added to it, or that a fact was superseded. Every version of every changed record file is one
blob the history already names, so this reads them all with one ``git cat-file --batch`` and
compares each version with the one before, item by item (items carry stable ids in their
``<!-- id=… -->`` comments; a line typed by a person without one is keyed by its text).

Also here, because they need the same per-item timeline: duplicate and junk rates over time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from learning_fs.analytics.blobs import blob_texts
from learning_fs.analytics.growth import _bucket, _range_freq
from learning_fs.analytics.history import History
from learning_fs.format.body import parse_item_line
from learning_fs.format.ids import PREFIXES
from learning_fs.format.records import KINDS
from learning_fs.format.text import normalise

EVENTS = ("add", "delete", "supersede", "expire", "merge")
_FRONT_ID = re.compile(r"^id:\s*['\"]?([^'\"\s]+)", re.MULTILINE)
_FRONT_STATUS = re.compile(r"^status:\s*['\"]?(\w+)", re.MULTILINE)
_TITLE = re.compile(r"^# (.+)$", re.MULTILINE)


@dataclass
class _Version:
    """The parts of one file version the lifecycle compares."""

    record_id: str | None = None
    status: str = "active"
    title: str = ""
    merged_from: set[str] = field(default_factory=set)  # ids folded into this record or its items
    items: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (status, normalised text)


def parse_version(text: str | None) -> _Version:
    """Pull id, status, title, merged ids and items out of a record file (tolerantly: no validation)."""
    if not text:
        return _Version()
    head, _, body = text.partition("\n---\n") if text.startswith("---") else ("", "", text)
    version = _Version()
    match = _FRONT_ID.search(head)
    version.record_id = match.group(1) if match else None
    match = _FRONT_STATUS.search(head)
    version.status = match.group(1) if match else "active"
    version.merged_from = set(_list_values(head, "merged_from"))
    match = _TITLE.search(body)
    version.title = normalise(match.group(1)) if match else ""
    for line in body.split("\n"):
        if not line.startswith(("- ", "* ")):
            continue
        item = parse_item_line(line)
        if item is None or not item.text:
            continue
        text = normalise(item.text)
        status = item.meta.get("status") or ("superseded" if item.struck else "active")
        version.items[item.meta.get("id") or f"text:{text}"] = (status, text)
        version.merged_from.update(m for m in item.meta.get("merged_from", "").split(",") if m)
    return version


def _list_values(head: str, key: str) -> list[str]:
    """A top-level YAML list of plain values in the frontmatter (``key: [a, b]`` or ``key:`` + ``- a`` lines)."""
    lines = head.split("\n")
    for index, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            rest = line[len(key) + 1:].strip()
            if rest.startswith("["):
                return [p.strip(" '\"") for p in rest.strip("[]").split(",") if p.strip(" '\"")]
            values = []
            for follow in lines[index + 1:]:
                if not follow.startswith("- "):
                    break
                values.append(follow[2:].strip(" '\""))
            return values
    return []


def lifecycle(history: History) -> pd.DataFrame:
    """One row per event in a record or item's life on the checked-out branch, in history order.

    Columns: ``date, sha, path, kind, namespace, user, editor, store, unit`` (``record`` or
    ``item``), ``id``, ``event``, ``text`` (the normalised item text or record title) and
    ``count`` (1). Events: ``add``, ``delete``, ``supersede``, ``expire``, and ``merge`` for a
    unit folded into another (the curator lists it in the survivor's ``merged_from``; its
    removal in the same commit is that merge, not a delete).
    """
    changes = history.mainline_changes
    texts = blob_texts(history.root, [*changes["old_blob"], *changes["new_blob"]])
    rows: list[tuple[object, ...]] = []
    merged_in: dict[str, set[str]] = {}  # sha -> ids merged into something by that commit
    for row in changes.itertuples(index=False):
        old = parse_version(texts.get(row.old_blob) if row.old_blob else None)
        new = parse_version(texts.get(row.new_blob) if row.new_blob else None)
        base = (row.date, row.sha, row.path, row.kind, row.namespace, row.user, row.editor, row.store)
        rid = new.record_id or old.record_id or row.path
        merged = new.merged_from - old.merged_from
        merged_in.setdefault(row.sha, set()).update(merged)
        rows += [(*base, "record" if m.split("-")[0] in _RECORD_PREFIXES else "item", m, "merge",
                  old.items.get(m, ("", ""))[1], 1) for m in sorted(merged)]
        if row.action == "add":
            rows.append((*base, "record", rid, "add", new.title, 1))
        elif row.action == "delete":
            rows.append((*base, "record", rid, "delete", old.title, 1))
        if new.status != old.status and row.action != "delete" and new.status in _EVENT_OF:
            rows.append((*base, "record", rid, _EVENT_OF[new.status], new.title, 1))
        for key, (status, text) in new.items.items():
            before = old.items.get(key)
            if before is None:
                rows.append((*base, "item", key, "add", text, 1))
                if status in _EVENT_OF:
                    rows.append((*base, "item", key, _EVENT_OF[status], text, 1))
            elif before[0] != status and status in _EVENT_OF:
                rows.append((*base, "item", key, _EVENT_OF[status], text, 1))
        for key, (_, text) in old.items.items():
            if key not in new.items:
                rows.append((*base, "item", key, "delete", text, 1))
    columns = ["date", "sha", "path", "kind", "namespace", "user", "editor", "store", "unit", "id", "event",
               "text", "count"]
    events = pd.DataFrame(rows, columns=columns)
    folded = [event == "delete" and ident in merged_in.get(sha, ()) for event, ident, sha in
              zip(events["event"], events["id"], events["sha"], strict=True)]
    return events[~pd.Series(folded, index=events.index, dtype=bool)].reset_index(drop=True)


_RECORD_PREFIXES = {PREFIXES[kind] for kind in KINDS}  # "lrn", "ent", …: a merged id names a record
_EVENT_OF = {"superseded": "supersede", "expired": "expire"}


def lifecycle_counts(events: pd.DataFrame, freq: str = "W", unit: str | None = None) -> pd.DataFrame:
    """Events per period (columns add, delete, supersede, expire, merge), of ``unit`` or both."""
    if unit is not None:
        events = events[events["unit"] == unit]
    if events.empty:
        return pd.DataFrame(columns=list(EVENTS), index=pd.DatetimeIndex([], tz="UTC", name="date"))
    frame = events.assign(period=_bucket(events["date"], freq))
    table = frame.pivot_table(index="period", columns="event", values="count", aggfunc="sum", fill_value=0)
    table = table.reindex(pd.date_range(table.index.min(), table.index.max(), freq=_range_freq(freq)), fill_value=0)
    table = table.reindex(columns=list(EVENTS), fill_value=0)
    table.index.name, table.columns.name = "date", "event"
    return table.astype("int64")


def quality_over_time(events: pd.DataFrame, freq: str = "W", junk_days: int = 14) -> pd.DataFrame:
    """Per period of additions: ``added``, ``duplicates``, ``junk`` and their rates.

    A *duplicate* is an addition whose normalised text equals one still alive in the same file
    or, for records, the same kind and namespace (what exact dedup would merge). *Junk* is an
    addition deleted again less than ``junk_days`` later (a superseded fact was true once: not
    junk; a duplicate the curator merged away is counted as a duplicate, not as junk).
    """
    columns = ["added", "duplicates", "junk", "duplicate_rate", "junk_rate"]
    live: dict[tuple[object, ...], int] = {}
    alive: dict[tuple[str, str], tuple[tuple[object, ...], int]] = {}  # unit id -> (text key, add row)
    adds: list[list[object]] = []  # [date, duplicate, junk]
    window = pd.Timedelta(days=junk_days)
    for row in events.itertuples(index=False):
        ident = (row.unit, row.id)
        if row.event == "add":
            key = (row.path, row.text) if row.unit == "item" else (row.kind, row.namespace, row.text)
            adds.append([row.date, bool(row.text) and live.get(key, 0) > 0, False])
            live[key] = live.get(key, 0) + 1
            alive[ident] = (key, len(adds) - 1)
        elif row.event in ("delete", "supersede", "expire", "merge") and ident in alive:
            added_key, index = alive.pop(ident)
            live[added_key] = max(live.get(added_key, 1) - 1, 0)
            if row.event == "delete" and row.date - adds[index][0] < window:
                adds[index][2] = True
    if not adds:
        return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], tz="UTC", name="date"))
    frame = pd.DataFrame(adds, columns=["date", "duplicate", "junk"])
    frame["period"] = _bucket(frame["date"], freq)
    table = frame.groupby("period").agg(added=("date", "size"), duplicates=("duplicate", "sum"), junk=("junk", "sum"))
    table = table.reindex(pd.date_range(table.index.min(), table.index.max(), freq=_range_freq(freq)), fill_value=0)
    table["duplicate_rate"] = (table["duplicates"] / table["added"]).where(table["added"] > 0)
    table["junk_rate"] = (table["junk"] / table["added"]).where(table["added"] > 0)
    table.index.name = "date"
    return table[columns]
