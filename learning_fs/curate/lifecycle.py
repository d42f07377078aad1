"""Expire and prune: records and items leave recall when their time is up, and the tree when policy says.

Expiry only changes a status (``expired``; the text stays for history). Pruning deletes — a file
or an item line — and git history keeps what was deleted; every pruning rule is off until the
policy sets it (see :class:`~learning_fs.curate.policy.CurationPolicy`). Anything pinned by a
person is never pruned.
"""

from __future__ import annotations

import datetime as dt

from learning_fs.curate.scope import Unit
from learning_fs.curate.text import is_pinned, item_time, one_line, parse_time, record_time
from learning_fs.curate.workspace import ITEM_FIELDS, Workspace, item_lists
from learning_fs.format.items import Item, item_to_line
from learning_fs.format.records import MemoriesRecord, Record

STALE_KINDS = ("learning", "entity", "decision")  # records recalled by search (memories: by item)
AGED_KINDS = ("session", "learning", "entity", "decision")  # a user's profile and memories file are never aged out
SIZED_FIELDS = ("memories", "facts", "events", "relationships")


def expire(unit: Unit, ws: Workspace) -> None:
    """``expires`` in the past: the record or item gets ``status: expired``."""
    stamp = ws.stamp
    for path, record in list(unit.records()):
        if record.status == "active" and record.expires and str(record.expires) <= stamp:
            unit.edit(path).status = "expired"
            ws.act(unit, "expire", [path], [record.id], f"expired on {record.expires}")
        for field, _kind, items in item_lists(record):
            due = [i for i, item in enumerate(items) if item.active and item.expires and str(item.expires) <= stamp]
            if not due:
                continue
            copies: list[Item] = getattr(unit.edit(path), field)
            for i in due:
                copies[i].status, copies[i].updated = "expired", stamp
                ws.act(unit, "expire", [path], [copies[i].id], f'"{one_line(copies[i].text)}" expired on '
                                                              f"{copies[i].expires}")


def prune(unit: Unit, ws: Workspace) -> None:
    """Apply the policy's pruning rules in order: inactive, age, staleness, count, size."""
    policy = ws.policy
    if policy.inactive_days is not None:
        _prune_inactive(unit, ws, policy.inactive_days)
    if policy.max_age_days:
        _prune_old(unit, ws, policy.max_age_days)
    if policy.stale_days is not None:
        _prune_stale(unit, ws, policy.stale_days)
    if policy.max_memories is not None:
        _prune_count(unit, ws, policy.max_memories)
    if policy.max_file_bytes is not None:
        _prune_size(unit, ws, policy.max_file_bytes)


def priority(ws: Workspace, thing: Item | Record) -> tuple[float, float]:
    """How much keeping something is worth: last recalled, then last stated (bigger is better)."""
    stated = item_time(thing) if isinstance(thing, Item) else record_time(thing)
    return ws.recalls.get(thing.id, 0.0), parse_time(stated) or 0.0


def _older_than(stamp: str | None, cutoff: float) -> bool:
    moment = parse_time(stamp)
    return moment is not None and moment < cutoff


def _date(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).date().isoformat()


def _remove_items(unit: Unit, ws: Workspace, path: str, field: str, indices: list[int],
                  reasons: dict[int, str]) -> None:
    items: list[Item] = getattr(unit.edit(path), field)
    for i in sorted(set(indices), reverse=True):
        ws.act(unit, "prune", [path], [items[i].id], reasons[i])
        del items[i]


def _prune_inactive(unit: Unit, ws: Workspace, days: int) -> None:
    cutoff = ws.days_ago(days)
    for path, record in list(unit.records()):
        if record.status != "active" and not is_pinned(record) and _older_than(record_time(record), cutoff):
            unit.delete(path)
            ws.act(unit, "prune", [path], [record.id], f"{record.status} since before {_date(cutoff)} "
                                                      f"(inactive_days={days})")
            continue
        for field, _kind, items in item_lists(record):
            old = [i for i, item in enumerate(items)
                   if not item.active and not is_pinned(item) and _older_than(item_time(item), cutoff)]
            if old:
                reasons = {i: f'{items[i].status} "{one_line(items[i].text)}" since before {_date(cutoff)} '
                              f"(inactive_days={days})" for i in old}
                _remove_items(unit, ws, path, field, old, reasons)


def _prune_old(unit: Unit, ws: Workspace, ages: dict[str, int]) -> None:
    item_fields = {kind: field for field, kind in ITEM_FIELDS.items()}
    for path, record in list(unit.records()):
        days = ages.get(record.kind) if record.kind in AGED_KINDS else None
        if days is not None and not is_pinned(record) and _older_than(record_time(record), ws.days_ago(days)):
            unit.delete(path)
            ws.act(unit, "prune", [path], [record.id], f"{record.kind} not updated since "
                                                      f"{_date(parse_time(record_time(record)) or 0)} "
                                                      f"(max_age_days.{record.kind}={days})")
            continue
        for item_kind, days in ages.items():
            field = item_fields.get(item_kind)
            if field is None or field not in type(record).ITEM_SECTIONS:
                continue
            items: list[Item] = getattr(record, field)
            cutoff = ws.days_ago(days)
            old = [i for i, item in enumerate(items) if not is_pinned(item) and _older_than(item_time(item), cutoff)]
            if old:
                reasons = {i: f'"{one_line(items[i].text)}" not updated since '
                              f"{_date(parse_time(item_time(items[i])) or 0)} (max_age_days.{item_kind}={days})"
                           for i in old}
                _remove_items(unit, ws, path, field, old, reasons)


def _prune_stale(unit: Unit, ws: Workspace, days: int) -> None:
    cutoff = ws.days_ago(days)
    if ws.tracking_since is None or ws.tracking_since > cutoff:
        since = f"only since {_date(ws.tracking_since)}" if ws.tracking_since else "not yet"
        note = f"stale pruning (stale_days={days}) skipped: recall times are recorded {since}"
        if note not in ws.notes:
            ws.notes.append(note)
        return

    def stale(thing: Item | Record, stated: str) -> str | None:
        last = ws.recalls.get(thing.id)
        if is_pinned(thing) or not _older_than(stated, cutoff) or (last is not None and last >= cutoff):
            return None
        return f"last recalled {_date(last)}" if last else "never recalled"

    for path, record in list(unit.records()):
        if record.kind in STALE_KINDS and record.status == "active":
            why = stale(record, str(record.created or ""))
            if why:
                unit.delete(path)
                ws.act(unit, "prune", [path], [record.id], f"{why}; stale after {days} days (stale_days={days})")
        elif isinstance(record, MemoriesRecord):
            items = record.memories
            found = {i: stale(item, str(item.created or "")) for i, item in enumerate(items) if item.active}
            reasons = {i: f'"{one_line(items[i].text)}": {why}; stale after {days} days (stale_days={days})'
                       for i, why in found.items() if why}
            if reasons:
                _remove_items(unit, ws, path, "memories", list(reasons), reasons)


def _prune_count(unit: Unit, ws: Workspace, limit: int) -> None:
    for path, record in list(unit.records("memories")):
        assert isinstance(record, MemoriesRecord)
        items = record.memories
        active = [i for i, item in enumerate(items) if item.active]
        if len(active) <= limit:
            continue
        candidates = sorted((i for i in active if not is_pinned(items[i])), key=lambda i: (priority(ws, items[i]), i))
        excess = candidates[: len(active) - limit]
        reasons = {i: f'"{one_line(items[i].text)}": over max_memories={limit}, least recently recalled or stated'
                   for i in excess}
        if excess:
            _remove_items(unit, ws, path, "memories", excess, reasons)


def _prune_size(unit: Unit, ws: Workspace, limit: int) -> None:
    for path, record in list(unit.records()):
        size = len(record.to_markdown().encode("utf-8"))
        if size <= limit:
            continue
        lines: list[tuple[tuple[int, tuple[float, float], int], str, int, int]] = []  # (order, field, index, bytes)
        for field, kind, items in item_lists(record, SIZED_FIELDS):
            for i, item in enumerate(items):
                if not is_pinned(item):
                    order = (1 if item.active else 0, priority(ws, item), i)
                    lines.append((order, field, i, len(item_to_line(item, kind).encode("utf-8")) + 1))
        chosen: dict[str, list[int]] = {}
        for _order, field, i, cost in sorted(lines):
            if size <= limit:
                break
            chosen.setdefault(field, []).append(i)
            size -= cost
        for field, indices in chosen.items():
            items = getattr(record, field)
            reasons = {i: f'"{one_line(items[i].text)}": file over max_file_bytes={limit}, '
                          f"{'inactive' if not items[i].active else 'least recently recalled or stated'}"
                       for i in indices}
            _remove_items(unit, ws, path, field, indices, reasons)
