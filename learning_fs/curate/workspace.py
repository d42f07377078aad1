"""What every curation pass shares: the policy, the clock, recall times, and the action list."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from learning_fs.curate.plan import Action, Operation
from learning_fs.curate.policy import CurationPolicy
from learning_fs.curate.scope import Unit
from learning_fs.format.frontmatter import format_timestamp
from learning_fs.format.items import Item
from learning_fs.format.records import Record

DAY = 86_400.0
# Item lists the curator dedups (field -> item kind); near-duplicates and supersede only in the first two.
ITEM_FIELDS = {"memories": "memory", "facts": "fact", "events": "event", "relationships": "relationship",
               "alternatives": "alternative"}
STATEMENT_FIELDS = ("memories", "facts")


@dataclass
class Workspace:
    """One run's shared state (passes append to ``actions``)."""

    policy: CurationPolicy
    now: float = field(default_factory=time.time)
    recalls: dict[str, float] = field(default_factory=dict)  # id -> last recall (epoch seconds)
    tracking_since: float | None = None  # when recall times started being recorded
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    stamp: str = ""  # ``now`` as the format writes timestamps (what ``expires`` is compared with)

    def __post_init__(self) -> None:
        self.stamp = self.stamp or format_timestamp(dt.datetime.fromtimestamp(self.now, dt.timezone.utc))

    def act(self, unit: Unit, op: Operation, paths: list[str] | tuple[str, ...], ids: list[str] | tuple[str, ...],
            reason: str) -> None:
        self.actions.append(Action(op, tuple(dict.fromkeys(paths)), tuple(ids), reason, unit.key))

    def days_ago(self, days: float) -> float:
        return self.now - days * DAY


def item_lists(record: Record, fields: tuple[str, ...] | None = None) -> list[tuple[str, str, list[Item]]]:
    """``(field, item kind, items)`` of the item lists a record has (all curated ones, or ``fields``)."""
    out = []
    for name, (_heading, item_kind) in type(record).ITEM_SECTIONS.items():
        if name in ITEM_FIELDS and (fields is None or name in fields):
            out.append((name, item_kind, getattr(record, name)))
    return out
