"""A curation run as data: the :class:`Action` list and the :class:`CurationPlan` a person reads.

The same plan is what ``--dry-run`` prints, what the commit message lists (one line per action:
what was merged, superseded, expired, pruned, demoted or promoted, and why) and what
:meth:`Curator.apply` commits, so what a reviewer reads is exactly what lands.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from learning_fs.format.records import Record

Operation = Literal["merge", "supersede", "expire", "prune", "demote", "promote"]
OPERATIONS: tuple[Operation, ...] = ("merge", "supersede", "expire", "prune", "demote", "promote")
_PAST = {"merge": "merged", "supersede": "superseded", "expire": "expired", "prune": "pruned",
         "demote": "demoted", "promote": "promoted"}


@dataclass(frozen=True)
class Action:
    """One change: ``op`` on ``ids`` (for a merge or a supersede the first id is the one kept) in ``paths``."""

    op: Operation
    paths: tuple[str, ...]
    ids: tuple[str, ...]
    reason: str
    unit: str = ""

    def line(self) -> str:
        """One line of the commit message: ``merge m-b into m-a (users/…/memories.md): exact duplicate``."""
        where = ", ".join(self.paths)
        if self.op == "merge":
            what = f"{', '.join(self.ids[1:])} into {self.ids[0]}"
        elif self.op == "supersede":
            what = f"{', '.join(self.ids[1:])} by {self.ids[0]}"
        else:
            what = ", ".join(self.ids)
        return f"{self.op} {what} ({where}): {self.reason}"

    def to_dict(self) -> dict[str, object]:
        return {"op": self.op, "ids": list(self.ids), "paths": list(self.paths), "reason": self.reason,
                "unit": self.unit}


@dataclass
class CurationStats:
    """Where a run's time went; ``model_seconds`` is what the curator spent waiting on models."""

    records: int = 0
    units: int = 0
    parsed: int = 0  # files parsed this run (the rest came from the parsed-record cache)
    load_seconds: float = 0.0
    analyse_seconds: float = 0.0  # everything but loading and model calls
    embed_seconds: float = 0.0  # embedding texts the vector cache did not have
    embedded: int = 0
    judge_seconds: float = 0.0  # chat-model requests confirming pairs
    judged_pairs: int = 0
    commit_seconds: float = 0.0

    @property
    def model_seconds(self) -> float:
        return self.embed_seconds + self.judge_seconds

    def to_dict(self) -> dict[str, float | int]:
        return {name: round(value, 4) if isinstance(value, float) else value
                for name, value in {**self.__dict__, "model_seconds": self.model_seconds}.items()}


@dataclass
class CurationPlan:
    """What a run would change, planned against ``base`` (a commit) of ``branch``."""

    branch: str
    base: str | None
    scope: str
    user: str | None = None  # the one user whose folder the run covers, if that is all it covers
    actions: list[Action] = field(default_factory=list)
    changes: dict[str, Record | None] = field(default_factory=dict)  # path -> new record (None: delete)
    before: dict[str, str] = field(default_factory=dict)  # path -> text at ``base`` (for the diff)
    blobs: dict[str, str] = field(default_factory=dict)  # path -> blob id at ``base``
    skipped: list[str] = field(default_factory=list)  # files left alone, with the reason
    notes: list[str] = field(default_factory=list)  # passes that could not run, and why
    stats: CurationStats = field(default_factory=CurationStats)

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> Counter[str]:
        return Counter(action.op for action in self.actions)

    def summary(self) -> str:
        """``merged 3, superseded 1, pruned 2`` (or ``nothing to do``)."""
        counts = self.counts()
        parts = [f"{_PAST[op]} {counts[op]}" for op in OPERATIONS if counts[op]]
        return ", ".join(parts) or "nothing to do"

    def subject(self) -> str:
        return f"Curate {self.scope}: {self.summary()}"

    def body(self, limit: int) -> str:
        """The commit body: every action on its own line (up to ``limit``), grouped by operation."""
        ordered = sorted(self.actions, key=lambda a: (OPERATIONS.index(a.op), a.unit))
        lines = [f"- {action.line()}" for action in ordered[:limit]]
        if len(ordered) > limit:
            rest = Counter(action.op for action in ordered[limit:])
            lines.append(f"- … and {len(ordered) - limit} more: "
                         + ", ".join(f"{_PAST[op]} {n}" for op, n in sorted(rest.items())))
        text = "\n".join(lines)
        if self.notes:
            text += "\n\n" + "\n".join(f"Note: {note}" for note in self.notes)
        return text

    def diff(self) -> str:
        """A unified diff of every changed file, as ``git diff`` would show the commit."""
        chunks: list[str] = []
        for path, record in self.changes.items():
            old = self.before.get(path, "")
            new = record.to_markdown() if record is not None else ""
            chunks.extend(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"a/{path}", tofile=f"b/{path}" if record is not None else "/dev/null",
            ))
            if chunks and not chunks[-1].endswith("\n"):
                chunks[-1] += "\n"
        return "".join(chunks)

    def render(self, limit: int = 2000) -> str:
        """The plan as a person reads it: subject, one line per action, files left alone."""
        parts = [self.subject()]
        if self.actions:
            parts.append(self.body(limit))
        elif self.notes:
            parts.append("\n".join(f"Note: {note}" for note in self.notes))
        if self.skipped:
            parts.append("\n".join(f"skipped: {line}" for line in self.skipped))
        return "\n\n".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {"branch": self.branch, "base": self.base, "scope": self.scope, "summary": self.summary(),
                "actions": [action.to_dict() for action in self.actions],
                "changes": {path: ("delete" if record is None else "write") for path, record in self.changes.items()},
                "skipped": self.skipped, "notes": self.notes, "stats": self.stats.to_dict()}
