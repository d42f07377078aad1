"""Who made a change and why: the one provenance type of every write.

An :class:`Origin` names the writer (``store``, ``mode``), the conversation (``user``,
``session``, ``agent``), optionally when (``at``, for imports and examples) and the evidence
for the change (``quote``: what the user said; ``reasoning``: why it is worth keeping). It is
written twice on purpose: into the record (``source_*`` keys in the frontmatter, so the file explains
itself) and into the commit (trailers and body, so ``git log`` says who wrote what and why). A
person reviewing a proposal or a paused HITL tool call reads the same object.

The CLI, the demo, the agent's tools (through :class:`~learning_fs.machine.RecordWriter`), the
curator and review all build commits from it; the trailer names come from
:mod:`learning_fs.repo.trailers`. ``Evidence`` is the same type under the writer's older field
names (``user_id``, ``session_id``, ``agent_id``), kept for existing callers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from learning_fs.format.frontmatter import format_timestamp
from learning_fs.format.records import Provenance, now
from learning_fs.repo import trailers as names
from learning_fs.repo.history import parse_trailers

QUOTE_LIMIT = 2000  # characters of the user's message kept as evidence; enough to judge, not a transcript


def mode_value(mode: Any) -> str:
    """``"propose"`` for ``LearningMode.PROPOSE`` or ``"propose"``: writers only need the value."""
    return str(getattr(mode, "value", mode) or "always").lower()


@dataclass(frozen=True)
class Origin:
    """Provenance of one write: ``store`` and ``mode`` name the writer, the rest the conversation.

    ``at`` dates the change in the past (importing old conversations, building example
    repositories): records, items and the commit then carry that time instead of the clock's.
    ``quote`` and ``reasoning`` become the commit body (``Said:`` / ``Why:``).
    """

    store: str = "api"
    mode: str = "manual"
    user: str | None = None
    session: str | None = None
    agent: str | None = None
    at: dt.datetime | None = None
    quote: str | None = None  # the user's message the change came from
    reasoning: str | None = None  # the model's (or the person's) reason for keeping it

    def __eq__(self, other: object) -> bool:
        """Equal when every field is (an ``Evidence`` equals the ``Origin`` with the same values)."""
        if not isinstance(other, Origin):
            return NotImplemented
        return dataclasses.astuple(self) == dataclasses.astuple(other)

    def __hash__(self) -> int:
        return hash(dataclasses.astuple(self))

    # -- the writer's names for the same fields ---------------------------------------------------
    @property
    def user_id(self) -> str | None:
        return self.user

    @property
    def session_id(self) -> str | None:
        return self.session

    @property
    def agent_id(self) -> str | None:
        return self.agent

    # -- into the record --------------------------------------------------------------------------
    def timestamp(self) -> str:
        """The time to stamp on new records and items, as the format writes it."""
        return format_timestamp(self.at) if self.at is not None else now()

    def provenance(self) -> Provenance:
        """The provenance stored in the record (its ``source_*`` frontmatter keys)."""
        return Provenance(user=self.user, session=self.session, agent=self.agent, mode=self.mode or None,
                          store=self.store or None)

    # -- into the commit --------------------------------------------------------------------------
    def trailers(self) -> dict[str, str]:
        """The ``Learning-*`` trailers that say who made the change, in a fixed order (empty ones left out)."""
        values = (self.store, self.mode, self.user, self.session, self.agent)
        return {key: str(value) for key, value in zip(names.ORIGIN_KEYS, values, strict=True) if value}

    def body(self) -> str:
        """The commit-body paragraph: the quoted message and the reasoning."""
        parts = []
        if self.quote:
            quote = self.quote.strip()
            if len(quote) > QUOTE_LIMIT:
                quote = quote[:QUOTE_LIMIT].rstrip() + " […]"
            parts.append("Said:\n" + "\n".join(f"> {line}".rstrip() for line in quote.splitlines()))
        if self.reasoning:
            parts.append("Why: " + " ".join(self.reasoning.split()))
        return "\n\n".join(parts)

    def render(self) -> str:
        """A short block a reviewer reads: who, where, what they said, why it is worth keeping."""
        where = [f"store {self.store or '?'} ({self.mode or '?'})"]
        if self.user:
            where.append(f"user {self.user}")
        if self.session:
            where.append(f"session {self.session}")
        if self.agent:
            where.append(f"agent {self.agent}")
        body = self.body()
        return " · ".join(where) + (f"\n{body}" if body else "")

    # -- combining and reading back ----------------------------------------------------------------
    def filled_from(self, defaults: Origin) -> Origin:
        """A copy with every empty field taken from ``defaults`` (the mode as its plain value)."""
        values = {f.name: getattr(self, f.name) or getattr(defaults, f.name) for f in fields(Origin)}
        values["mode"] = mode_value(values["mode"]) if values["mode"] else ""
        return dataclasses.replace(self, **values)

    @classmethod
    def from_commit_message(cls, message: str) -> Origin:
        """Read the provenance back from a commit the library made (review and history views)."""
        found = parse_trailers(message)
        values: dict[str, Any] = {
            "store": found.get(names.STORE) or "", "mode": found.get(names.MODE) or "",
            "user": found.get(names.USER), "session": found.get(names.SESSION), "agent": found.get(names.AGENT),
        }
        for paragraph in message.strip().split("\n\n"):
            if paragraph.startswith("Said:\n"):
                lines = paragraph.splitlines()[1:]
                values["quote"] = "\n".join(line[2:] if line.startswith("> ") else line.lstrip(">") for line in lines)
            elif paragraph.startswith("Why: "):
                values["reasoning"] = paragraph[5:]
        return cls(**values)


class Evidence(Origin):
    """:class:`Origin` under the names the writer used first (``user_id``, ``session_id``, ``agent_id``).

    The same type (``isinstance(evidence, Origin)``); its ``store`` and ``mode`` default to empty so
    a writer fills them (:meth:`Origin.filled_from`). New code can use ``Origin`` directly.
    """

    def __init__(self, user_id: str | None = None, session_id: str | None = None, quote: str | None = None,
                 reasoning: str | None = None, store: str = "", mode: str = "", agent_id: str | None = None, *,
                 user: str | None = None, session: str | None = None, agent: str | None = None,
                 at: dt.datetime | None = None) -> None:
        # An old name given explicitly wins: dataclasses.replace(evidence, user_id=...) passes both.
        super().__init__(store=store, mode=mode, user=user_id if user_id is not None else user,
                         session=session_id if session_id is not None else session,
                         agent=agent_id if agent_id is not None else agent, at=at, quote=quote, reasoning=reasoning)
