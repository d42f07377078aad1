"""Credit and blame from feedback: how each recalled record fared in the runs it was part of.

A feedback record (``feedback/<namespace>/…``) names the ids that were in its run's context
(``in_context``). Tallying them per id says, for every learning, memory and rule, in how many
failed runs (a correction, a re-ask, a tool error, a bad outcome, a negative rating) and in how
many successful ones (praise, a good outcome, a positive rating) it was recalled. The curator
demotes learnings that keep showing up in failures and keeps those that show up in successes;
the self-improvement analyser uses the same tally. Feedback is read from the working tree, like
recall, so a signal recorded a moment ago counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from learning_fs.errors import RecordNotFoundError, RecordParseError
from learning_fs.format.records import FeedbackRecord

if TYPE_CHECKING:
    from learning_fs.curate.scope import Unit
    from learning_fs.curate.workspace import Workspace
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)


@dataclass
class Credit:
    """How the runs an id was recalled in turned out, with the feedback ids as evidence."""

    failures: list[str] = field(default_factory=list)
    successes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def succeeded(self) -> int:
        return len(self.successes)

    def failure_ratio(self) -> float:
        total = self.failed + self.succeeded
        return self.failed / total if total else 0.0

    def describe(self) -> str:
        return f"in the context of {self.failed} failed and {self.succeeded} successful run(s)"


def load_feedback(repo: MemoryRepo, *, namespace: str | None = None, since: str | None = None) -> list[FeedbackRecord]:
    """Every active feedback record (of ``namespace``; created after ``since``), oldest first."""
    found = []
    for path in repo.paths("feedback", namespace=namespace):
        try:
            record = repo.get(path, copy=False)
        except (RecordParseError, RecordNotFoundError) as exc:
            log.warning("feedback: skipping %s: %s", path, exc)
            continue
        fresh = since is None or (isinstance(record, FeedbackRecord) and record.created > since)
        if isinstance(record, FeedbackRecord) and record.status == "active" and fresh:
            found.append(record)
    return sorted(found, key=lambda r: (r.created, r.id))


def tally(feedback: Iterable[FeedbackRecord]) -> dict[str, Credit]:
    """``{id: Credit}`` over every id the feedback's runs had in their context."""
    credits: dict[str, Credit] = {}
    for record in feedback:
        if record.score == 0:
            continue
        for ident in dict.fromkeys(record.in_context):
            credit = credits.setdefault(ident, Credit())
            (credit.failures if record.negative else credit.successes).append(record.id)
    return credits


def failing(credit: Credit | None, min_failures: int, ratio: float) -> bool:
    """Whether ``credit`` says demote: at least ``min_failures`` failures and failures dominate."""
    return credit is not None and credit.failed >= min_failures and credit.failure_ratio() >= ratio


DEMOTED = "demoted"


def is_demoted_record(record: object) -> bool:
    """Whether a learning (any record) carries ``demoted: true``: out of recall, still searchable."""
    extra = getattr(record, "extra", None) or {}
    value = extra.get(DEMOTED)
    return value is True or str(value).casefold() in ("true", "yes", "1")


def demote_failing(unit: Unit, ws: Workspace, credits: dict[str, Credit]) -> None:
    """Demote the unit's learnings that keep appearing in failed runs; promote demoted ones that now succeed.

    A demoted learning gets ``demoted: true`` in its frontmatter: learned-knowledge recall leaves
    it out of the context, search still finds it, and a person can delete the line to undo it.
    """
    policy = ws.policy
    for path, record in list(unit.records("learning")):
        credit = credits.get(record.id)
        if credit is None or record.status != "active":
            continue
        demoted = is_demoted_record(record)
        evidence = ", ".join([*credit.failures, *credit.successes][:8])
        if not demoted and failing(credit, policy.feedback_min_failures, policy.feedback_failure_ratio):
            unit.edit(path).extra[DEMOTED] = True
            ws.act(unit, "demote", [path], [record.id],
                   f'"{record.title_text()}": {credit.describe()} (feedback {evidence}); '
                   "out of recall, still searchable")
        elif demoted and credit.succeeded > credit.failed:
            del unit.edit(path).extra[DEMOTED]
            ws.act(unit, "promote", [path], [record.id],
                   f'"{record.title_text()}": {credit.describe()} (feedback {evidence})')
