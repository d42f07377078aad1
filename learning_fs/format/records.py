"""The record kinds and their Markdown form (the public file format: docs/format.md).

A record is one file: YAML frontmatter for structured fields, a Markdown body for text and
one-line lists. Reading then writing a record keeps what the library does not own — unknown
frontmatter keys, free text, extra sections — and prints everything else in a fixed order, so
rewriting an unchanged record is an empty diff.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from learning_fs.errors import RecordParseError
from learning_fs.format import frontmatter
from learning_fs.format.body import parse_body, render_body, split_item_section
from learning_fs.format.ids import new_id, path_id
from learning_fs.format.items import Item, Status, item_from_line, item_to_line
from learning_fs.format.slugs import check_text

Kind = Literal["profile", "memories", "session", "entity", "learning", "decision", "instructions", "feedback"]
KINDS: tuple[str, ...] = ("profile", "memories", "session", "entity", "learning", "decision")
"""The memory kinds: what stores recall, the index indexes and curation curates."""
AGENT_KINDS: tuple[str, ...] = ("instructions", "feedback")
"""Kinds about the agent itself: its standing instructions and the feedback on its runs."""
ALL_KINDS: tuple[str, ...] = KINDS + AGENT_KINDS
USER_NAMESPACE = "user"
SOURCE_PREFIX = "source_"  # provenance keys in the frontmatter: source_user, source_store, …
GLOBAL_NAMESPACE = "global"


def now() -> str:
    """The current time as the format writes it."""
    return frontmatter.format_timestamp(dt.datetime.now(dt.timezone.utc))


class Provenance(BaseModel):
    """Who and what produced a record: shown in the file and in the commit trailers."""

    model_config = ConfigDict(extra="allow")

    user: str | None = None
    session: str | None = None
    agent: str | None = None
    mode: str | None = None
    store: str | None = None


class Record(BaseModel):
    """Fields every record carries; subclasses add their own and say how the body maps to them."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    kind: ClassVar[str] = ""
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ()  # kind-specific frontmatter keys, in order
    PREAMBLE_FIELD: ClassVar[str | None] = None  # field shown as the text under the title
    TEXT_SECTIONS: ClassVar[dict[str, str]] = {}  # field -> "## Heading" holding free text
    ITEM_SECTIONS: ClassVar[dict[str, tuple[str, str]]] = {}  # field -> (heading, item kind)

    id: str = ""
    namespace: str = GLOBAL_NAMESPACE
    user: str | None = None  # owner of a private (namespace "user") record
    tags: list[str] = Field(default_factory=list)
    status: Status = "active"
    superseded_by: str | None = None
    expires: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    created: str = ""
    updated: str = ""
    source: Provenance = Field(default_factory=Provenance)
    # What a person added that the library does not own; written back untouched.
    extra: dict[str, Any] = Field(default_factory=dict)
    notes: str = ""  # free text under the title for kinds that do not own the preamble
    extra_sections: list[tuple[str, str]] = Field(default_factory=list)
    section_text: dict[str, str] = Field(default_factory=dict)  # free text inside owned lists

    _path: str | None = PrivateAttr(default=None)
    _blob: str | None = PrivateAttr(default=None)
    _id_assigned: bool = PrivateAttr(default=False)  # read without an id: ``id`` was derived from the path

    COMMON_HEAD: ClassVar[tuple[str, ...]] = ("id", "kind")
    COMMON_TAIL: ClassVar[tuple[str, ...]] = (
        "namespace", "user", "tags", "status", "superseded_by", "expires", "merged_from",
        "created", "updated", "source",
    )

    def model_post_init(self, context: Any) -> None:
        if not self.id:
            self.id = new_id(self.kind)
        stamp = now()
        if not self.created:
            self.created = stamp
        if not self.updated:
            self.updated = self.created

    # -- identity -----------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        """Same kind and same content; where a copy was read from (``path``, ``blob``) does not count."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, like every pydantic model

    @property
    def path(self) -> str | None:
        """Repository-relative path the record was read from or written to (None if new)."""
        return self._path

    @property
    def id_assigned(self) -> bool:
        """True when the file had no ``id`` and this one was derived from its path (not yet written)."""
        return self._id_assigned

    @property
    def blob(self) -> str | None:
        """Git blob id of the file this record was parsed from, when known."""
        return self._blob

    def title_text(self) -> str:
        """The H1 line of the file; also the human-facing name in logs and commit subjects."""
        return self.id

    def slug_source(self) -> str:
        """The text the file name is derived from."""
        return self.title_text()

    @property
    def private(self) -> bool:
        return self.namespace == USER_NAMESPACE

    # -- writing ------------------------------------------------------------------------------
    def frontmatter_data(self) -> dict[str, Any]:
        values = self.model_dump(exclude={"extra", "notes", "extra_sections", "section_text"})
        data: dict[str, Any] = {"id": self.id, "kind": self.kind}
        for key in self.FRONT_FIELDS:
            data[key] = values.get(key)
        for key in self.COMMON_TAIL:
            data[key] = values.get(key)
        # Provenance as flat, typed keys (source_user: alice) where it was a nested mapping: Obsidian's
        # Properties panel shows and edits flat keys only. A nested ``source:`` is still read.
        data.pop("source", None)
        for key, value in self.source.model_dump().items():
            if value is not None:
                data[f"source_{key}"] = value
        for key, value in self.extra.items():
            if key not in data:
                data[key] = value
        return data

    def to_markdown(self) -> str:
        """The file's text: deterministic, so an unchanged record prints identically."""
        sections: list[tuple[str, str]] = []
        for field, heading in self.TEXT_SECTIONS.items():
            sections.append((heading, str(getattr(self, field) or "")))
        for field, (heading, item_kind) in self.ITEM_SECTIONS.items():
            lines = [item_to_line(item, item_kind) for item in getattr(self, field)]
            free = self.section_text.get(heading, "")
            sections.append((heading, "\n".join(lines + (["", free] if free else []))))
        sections.extend(self.extra_sections)
        preamble = str(getattr(self, self.PREAMBLE_FIELD) or "") if self.PREAMBLE_FIELD else self.notes
        body = render_body(self.title_text(), preamble, sections)
        return check_text(frontmatter.render(self.frontmatter_data(), body), self._path or f"a {self.kind} record")

    def touch(self) -> None:
        """Mark the record as updated now."""
        self.updated = now()

    # -- reading ------------------------------------------------------------------------------
    @classmethod
    def from_parts(cls, data: dict[str, Any], body_text: str, body_line: int, path: str,
                   source: str | None = None) -> Record:
        """Build a record of this kind from parsed frontmatter and body.

        ``source`` (the whole file) lets an error name the line of the offending key.
        """
        flat_source = [k for k in data if k.startswith(SOURCE_PREFIX) and len(k) > len(SOURCE_PREFIX)]
        known = {"kind", *cls.FRONT_FIELDS, *cls.COMMON_HEAD, *cls.COMMON_TAIL, *flat_source}
        fields: dict[str, Any] = {k: v for k, v in data.items() if k in known and k != "kind" and k not in flat_source}
        fields["extra"] = {k: v for k, v in data.items() if k not in known}
        if flat_source and isinstance(fields.get("source", {}), dict):  # source_user: … (and the older source: {…})
            fields["source"] = {**fields.get("source", {}),
                                **{k.removeprefix(SOURCE_PREFIX): data[k] for k in flat_source}}
        body = parse_body(body_text, body_line)
        if cls.PREAMBLE_FIELD:
            fields[cls.PREAMBLE_FIELD] = body.preamble
        else:
            fields["notes"] = body.preamble
        for field, heading in cls.TEXT_SECTIONS.items():
            section = body.take(heading)
            fields[field] = section.text if section else ""
        section_text: dict[str, str] = {}
        for field, (heading, item_kind) in cls.ITEM_SECTIONS.items():
            section = body.take(heading)
            lines, free = split_item_section(section)
            items = []
            for item_line, number in lines:
                try:
                    items.append(item_from_line(item_line, item_kind))
                except ValidationError as exc:
                    error = exc.errors()[0]
                    key = ".".join(str(part) for part in error["loc"]) or "item"
                    raise RecordParseError(path, f"{heading} item {key}: {error['msg']}", line=number) from None
            fields[field] = items
            if free:
                section_text[heading] = free
        fields["section_text"] = section_text
        fields["extra_sections"] = [(s.heading, s.text) for s in body.sections]
        try:
            record = cls(**fields)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = str(error["loc"][0]) if error["loc"] else ""
            key_line = _key_line(source, key) if source is not None else None
            raise RecordParseError(path, f"{key or 'record'}: {error['msg']}", line=key_line) from None
        record._path = path
        return record


def _key_line(source: str, key: str) -> int | None:
    """The 1-based line of a top-level frontmatter key in the file (None when not found)."""
    if not key:
        return None
    pattern = re.compile(rf"""^(?:{re.escape(key)}|'{re.escape(key)}'|"{re.escape(key)}")\s*:""")
    lines = source.removeprefix("\ufeff").split("\n")
    for number, line in enumerate(lines[1:], start=2):
        if line.rstrip() in (frontmatter.DELIMITER, "..."):
            break
        if pattern.match(line):
            return number
    return None


class ProfileRecord(Record):
    """One per user: structured fields (custom schemas add their own keys under ``fields``)."""

    kind: ClassVar[str] = "profile"
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ("fields",)
    namespace: str = USER_NAMESPACE
    fields: dict[str, Any] = Field(default_factory=dict)

    def title_text(self) -> str:
        name = self.fields.get("name") or self.fields.get("preferred_name")
        return f"{name} ({self.user})" if name and name != self.user else str(self.user or self.id)


class MemoriesRecord(Record):
    """One per user: unstructured observations about the user, one per line, each with an id."""

    kind: ClassVar[str] = "memories"
    ITEM_SECTIONS: ClassVar[dict[str, tuple[str, str]]] = {"memories": ("Memories", "memory")}
    namespace: str = USER_NAMESPACE
    memories: list[Item] = Field(default_factory=list)

    def title_text(self) -> str:
        return f"Memories about {self.user}"


class SessionRecord(Record):
    """One per session: what it is about, where it stands; survives truncated chat history."""

    kind: ClassVar[str] = "session"
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ("session_id",)
    TEXT_SECTIONS: ClassVar[dict[str, str]] = {"summary": "Summary", "goal": "Goal"}
    ITEM_SECTIONS: ClassVar[dict[str, tuple[str, str]]] = {
        "plan": ("Plan", "step"),
        "progress": ("Progress", "progress"),
    }
    namespace: str = USER_NAMESPACE
    session_id: str = ""
    summary: str = ""
    goal: str = ""
    plan: list[Item] = Field(default_factory=list)
    progress: list[Item] = Field(default_factory=list)

    def title_text(self) -> str:
        return f"Session {self.session_id}"


class EntityRecord(Record):
    """One per entity and namespace: facts, dated events and ``[[wikilink]]`` relationships."""

    kind: ClassVar[str] = "entity"
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ("name", "entity_type", "aliases")
    PREAMBLE_FIELD: ClassVar[str | None] = "description"
    ITEM_SECTIONS: ClassVar[dict[str, tuple[str, str]]] = {
        "facts": ("Facts", "fact"),
        "events": ("Events", "event"),
        "relationships": ("Relationships", "relationship"),
    }
    name: str = ""
    entity_type: str = "thing"
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    facts: list[Item] = Field(default_factory=list)
    events: list[Item] = Field(default_factory=list)
    relationships: list[Item] = Field(default_factory=list)

    def title_text(self) -> str:
        return self.name or self.id

    @property
    def entity_id(self) -> str:
        """Agno's name for the entity's id."""
        return self.id


class LearningRecord(Record):
    """One per insight: a specific, actionable, generalizable lesson with its context."""

    kind: ClassVar[str] = "learning"
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ("title",)
    PREAMBLE_FIELD: ClassVar[str | None] = "learning"
    TEXT_SECTIONS: ClassVar[dict[str, str]] = {"context": "Context"}
    title: str = ""
    learning: str = ""
    context: str = ""

    def title_text(self) -> str:
        return self.title or self.id


class DecisionRecord(Record):
    """A decision the agent made, why, what else it considered, and how it turned out."""

    kind: ClassVar[str] = "decision"
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ("title", "confidence", "outcome_quality")
    PREAMBLE_FIELD: ClassVar[str | None] = "decision"
    TEXT_SECTIONS: ClassVar[dict[str, str]] = {"reasoning": "Reasoning", "outcome": "Outcome"}
    ITEM_SECTIONS: ClassVar[dict[str, tuple[str, str]]] = {"alternatives": ("Alternatives", "alternative")}
    title: str = ""
    decision: str = ""
    reasoning: str = ""
    confidence: float | None = None
    alternatives: list[Item] = Field(default_factory=list)
    outcome: str = ""
    outcome_quality: str | None = None

    def title_text(self) -> str:
        return self.title or (self.decision[:60] if self.decision else self.id)


class InstructionsRecord(Record):
    """One per agent (``agents/<agent>/instructions.md``): its standing rules, one per line, each with an id.

    A person edits them by hand like any memory; the self-improvement analyser proposes changes
    to them on ``proposals/instructions/…`` branches. A superseded (struck-through) rule is retired:
    kept for history, never shown to the model.
    """

    kind: ClassVar[str] = "instructions"
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ("agent",)
    ITEM_SECTIONS: ClassVar[dict[str, tuple[str, str]]] = {"rules": ("Rules", "rule")}
    agent: str = ""
    rules: list[Item] = Field(default_factory=list)

    def title_text(self) -> str:
        return f"Instructions for {self.agent or 'the agent'}"


FEEDBACK_SIGNALS: tuple[str, ...] = ("rating", "correction", "reask", "praise", "tool_error", "outcome")
"""What a feedback record can be: a person's rating or words, a failed tool call, a decision's result."""


class FeedbackRecord(Record):
    """One signal about one run: a rating, a correction, a re-ask, a tool error or a decision's outcome.

    ``in_context`` lists the ids of the records and items that were in that run's prompt, so credit
    and blame can be given to what was recalled; ``about`` is what the signal is about in a few
    normalised words (the correction's wish, the tool's name), which is what patterns are counted on.
    """

    kind: ClassVar[str] = "feedback"
    FRONT_FIELDS: ClassVar[tuple[str, ...]] = ("signal", "score", "about", "run_id", "session_id", "agent",
                                               "in_context")
    PREAMBLE_FIELD: ClassVar[str | None] = "comment"
    TEXT_SECTIONS: ClassVar[dict[str, str]] = {"reply": "Reply"}
    signal: str = "rating"
    score: float = 0.0
    about: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    agent: str | None = None
    in_context: list[str] = Field(default_factory=list)
    comment: str = ""
    reply: str = ""

    def title_text(self) -> str:
        return f"{self.signal.capitalize()} on {self.run_id or self.session_id or self.id}"

    def slug_source(self) -> str:
        return self.id  # one file per signal: the id keeps names unique and stable

    @property
    def negative(self) -> bool:
        return self.score < 0

    @property
    def positive(self) -> bool:
        return self.score > 0


RECORD_TYPES: dict[str, type[Record]] = {
    cls.kind: cls
    for cls in (ProfileRecord, MemoriesRecord, SessionRecord, EntityRecord, LearningRecord, DecisionRecord,
                InstructionsRecord, FeedbackRecord)
}


def parse_record(text: str, path: str) -> Record:
    """Parse a memory file; raises :class:`RecordParseError` with file and line on bad input."""
    data, body, body_line = frontmatter.parse(text, path)
    kind = data.get("kind")
    if kind is None:
        raise RecordParseError(path, "frontmatter has no 'kind' (one of: " + ", ".join(ALL_KINDS) + "): add a "
                               "'kind:' line, or run `learning-fs validate --fix` (it takes the kind from the "
                               "folder)", line=1)
    cls = RECORD_TYPES.get(str(kind))
    if cls is None:
        raise RecordParseError(
            path, f"unknown kind {kind!r} (one of: {', '.join(ALL_KINDS)})", line=_key_line(text, "kind")
        )
    if not data.get("id"):
        # A note written by hand: readable at once, with an id derived from its path that the library
        # writes into the file the first time it changes it (``learning-fs validate --fix`` does it now).
        record = cls.from_parts({**data, "id": path_id(cls.kind, path)}, body, body_line, path, source=text)
        record._id_assigned = True
        return record
    return cls.from_parts(data, body, body_line, path, source=text)
