"""Changes to what is already remembered: correct or forget a memory, retire a fact, archive an
entity, update an entity's details, a profile, a session or a decision's outcome.

Like :mod:`learning_fs.ops.entities` and :mod:`learning_fs.ops.records`, each change is written
once, as a rule on a record (``update_*``, ``remove_*``, ``retire_*``, ``put_*``) that the
agent's tools, extraction, the CLI, MCP and the demo all apply, plus a function of a
:class:`~learning_fs.ops.RecordTx` where a caller names the record rather than holding it
(``edit_memory(tx, "alice", "m-…", …)``). A rule raises :class:`RecordNotFoundError` for an id
that is not there and :class:`LearningFSError` for an empty value, so every adapter refuses the
same calls with the same words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.format.ids import new_id
from learning_fs.format.items import Item
from learning_fs.format.layout import record_path
from learning_fs.format.records import (
    GLOBAL_NAMESPACE,
    USER_NAMESPACE,
    DecisionRecord,
    EntityRecord,
    InstructionsRecord,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    SessionRecord,
)
from learning_fs.ops.entities import find_entity, put_event, put_fact
from learning_fs.ops.origin import save
from learning_fs.ops.provenance import Origin
from learning_fs.ops.transaction import ItemChange, RecordTx

ARCHIVED = "archived"  # the tag an archived entity carries: out of the context, still searchable
QUALITIES = ("good", "bad", "mixed", "unknown")
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})\b[\s:,-]*(.*)$")


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


# -- user memories ---------------------------------------------------------------------------------
def _memory(record: MemoriesRecord, memory_id: str) -> Item:
    wanted = memory_id.strip()
    for item in record.memories:
        if item.id == wanted and item.active:
            return item
    raise RecordNotFoundError(f"no memory with id {memory_id!r}")


def _reword(item: Item, wanted: str, origin: Origin) -> ItemChange:
    """An item's new wording under the same id; the same words again change nothing (no commit)."""
    if item.text == wanted:
        return ItemChange(item, changed=False)
    item.text, item.updated = wanted, origin.timestamp()
    return ItemChange(item, changed=True)


def update_memory(record: MemoriesRecord, memory_id: str, text: str, origin: Origin) -> ItemChange:
    """The one rule for correcting a memory: same id, new text; the same text again changes nothing."""
    wanted = _flat(text)
    if not wanted:
        raise LearningFSError("the memory is empty; forget it instead")
    return _reword(_memory(record, memory_id), wanted, origin)


def remove_memory(record: MemoriesRecord, memory_id: str) -> Item:
    """The one rule for forgetting a memory: its line leaves the file (git history keeps it)."""
    item = _memory(record, memory_id)
    record.memories.remove(item)
    return item


def _memories(tx: RecordTx, user: str) -> MemoriesRecord:
    path = record_path(MemoriesRecord(user=user))
    record = tx.read(path)
    if not isinstance(record, MemoriesRecord):
        raise RecordNotFoundError(f"user {user!r} has no memories")
    return record


def edit_memory(tx: RecordTx, user: str, memory_id: str, text: str,
                origin: Origin) -> tuple[MemoriesRecord, ItemChange]:
    """Correct one of ``user``'s memories (see :func:`update_memory`); written only when it changed."""
    record = _memories(tx, user)
    change = update_memory(record, memory_id, text, origin)
    if change.changed:
        save(tx, record, origin)
    return record, change


def forget_memory(tx: RecordTx, user: str, memory_id: str, origin: Origin) -> tuple[MemoriesRecord, Item]:
    """Forget one of ``user``'s memories (see :func:`remove_memory`)."""
    record = _memories(tx, user)
    item = remove_memory(record, memory_id)
    save(tx, record, origin)
    return record, item


# -- entities --------------------------------------------------------------------------------------
def retire_fact(record: EntityRecord, fact: str, origin: Origin) -> list[Item]:
    """The one rule for a fact that is no longer true: every active fact with that id, or containing
    those words, becomes ``expired`` (kept in the file, out of the context)."""
    wanted = _flat(fact).casefold()
    if not wanted:
        raise LearningFSError("name the fact to retire (its id or its words)")
    matches = [f for f in record.facts if f.active and (f.id == fact.strip() or wanted in f.text.casefold())]
    if not matches:
        raise RecordNotFoundError(f"{record.name} has no active fact matching {fact!r}")
    stamp = origin.timestamp()
    for item in matches:
        item.status, item.updated = "expired", stamp
    return matches


def archive_entity(record: EntityRecord) -> bool:
    """Tag the entity archived (out of the context, still searchable); False when it already was."""
    if ARCHIVED in record.tags:
        return False
    record.tags = sorted({*record.tags, ARCHIVED})
    return True


def describe_entity(record: EntityRecord, *, entity_type: str | None = None, description: str | None = None,
                    aliases: Iterable[str] = ()) -> None:
    """Set an entity's type and description and add aliases (a blank value keeps the old one)."""
    record.entity_type = _flat(entity_type) or record.entity_type
    if _flat(description):
        record.description = _flat(description)
    record.aliases = sorted({*record.aliases, *(a.strip() for a in aliases if a.strip())})


def put_about(record: EntityRecord, origin: Origin, *, entity_type: str | None = None,
              description: str | None = None, facts: Iterable[str] = (), events: Iterable[str] = (),
              note: str | None = None) -> list[ItemChange]:
    """The one rule for "what I learned about X": details, facts and events merged into what is known.

    The type is taken when the entity had none worth keeping (``thing``, or no facts yet); facts
    follow :func:`put_fact` (no repeats, ``attribute: value`` supersedes), ``note`` becomes a
    ``note: …`` fact, and each event may start with its date (``2026-10-01 Signed``; today
    otherwise) and follows :func:`put_event`. News about an archived entity brings it back.
    Returns the changes to facts and events, in order.
    """
    if entity_type and (record.entity_type in ("thing", "unknown") or not record.facts):
        record.entity_type = entity_type
    if _flat(description):
        record.description = _flat(description)
    texts = [*facts, *([f"note: {note}"] if _flat(note) else [])]
    changes = [put_fact(record, str(text), origin) for text in texts if _flat(str(text))]
    had_events = False
    for event in events:
        dated = _DATED.match(_flat(event))
        when, text = (dated.group(1), dated.group(2)) if dated else (origin.timestamp()[:10], _flat(event))
        if text:
            changes.append(put_event(record, when, text, origin))
            had_events = True
    record.events.sort(key=lambda e: e.date or "")
    if ARCHIVED in record.tags and (had_events or any(c.changed for c in changes)):
        record.tags = [t for t in record.tags if t != ARCHIVED]
    return changes


def _entity(tx: RecordTx, name: str, namespace: str, origin: Origin) -> EntityRecord:
    user = origin.user if namespace == USER_NAMESPACE else None
    record = find_entity(tx, name, namespace=namespace, user=user)
    if record is None:
        raise RecordNotFoundError(f"no entity named {name!r} in namespace {namespace!r}")
    return record


def forget_fact(tx: RecordTx, entity: str, fact: str, origin: Origin, *,
                namespace: str = GLOBAL_NAMESPACE) -> tuple[EntityRecord, list[Item]]:
    """Retire the entity's facts matching ``fact`` (see :func:`retire_fact`)."""
    record = _entity(tx, entity, namespace, origin)
    retired = retire_fact(record, fact, origin)
    save(tx, record, origin)
    return record, retired


def forget_entity(tx: RecordTx, entity: str, origin: Origin, *,
                  namespace: str = GLOBAL_NAMESPACE) -> tuple[EntityRecord, bool]:
    """Archive an entity (see :func:`archive_entity`); returns it and whether it changed."""
    record = _entity(tx, entity, namespace, origin)
    changed = archive_entity(record)
    if changed:
        save(tx, record, origin)
    return record, changed


# -- profiles, sessions, decisions -----------------------------------------------------------------
def update_profile(record: ProfileRecord, values: Mapping[str, Any]) -> dict[str, Any]:
    """The one rule for a profile: each given field (``None`` means "not given") takes its new value.

    Returns the fields that changed; a value equal to the stored one is no change.
    """
    given = {name: value for name, value in values.items() if value is not None}
    changed = {name: value for name, value in given.items() if record.fields.get(name) != value}
    record.fields.update(changed)
    return changed


def set_profile(tx: RecordTx, user: str, values: Mapping[str, Any],
                origin: Origin) -> tuple[ProfileRecord, dict[str, Any]]:
    """Update ``user``'s profile (created on first use); written only when a field changed."""
    probe = ProfileRecord(user=user, namespace=USER_NAMESPACE, source=origin.provenance(),
                          created=origin.timestamp())
    record = tx.read(record_path(probe))
    if not isinstance(record, ProfileRecord):
        record = probe
    changed = update_profile(record, values)
    if changed:
        save(tx, record, origin)
    return record, changed


def update_session(record: SessionRecord, origin: Origin, *, summary: str | None = None, goal: str | None = None,
                   plan: list[str] | None = None, completed_steps: Iterable[int] = (),
                   progress: Iterable[str] = ()) -> list[str]:
    """The one rule for a session's context; returns the parts that changed (``summary``, ``goal``…).

    A blank summary or goal keeps the old one. A new ``plan`` replaces the steps, and a step with
    the text of an old one keeps its id and done state. ``completed_steps`` are 1-based plan
    step numbers (out of range: ignored). Progress lines already there are not repeated.
    """
    changed: list[str] = []
    stamp = origin.timestamp()
    if summary is not None and summary.strip() and summary.strip() != record.summary:
        record.summary = summary.strip()
        changed.append("summary")
    if goal is not None and goal.strip() and goal.strip() != record.goal:
        record.goal = goal.strip()
        changed.append("goal")
    if plan is not None:
        old = {step.text.casefold(): step for step in record.plan}
        steps = [old.get(_flat(t).casefold()) or Item(id=new_id("step"), text=_flat(t), created=stamp, done=False)
                 for t in plan if t.strip()]
        if [s.id for s in steps] != [s.id for s in record.plan]:
            record.plan = steps
            changed.append("plan")
    for number in completed_steps:
        if 1 <= number <= len(record.plan) and not record.plan[number - 1].done:
            record.plan[number - 1].done = True
            record.plan[number - 1].updated = stamp
            if "plan" not in changed:
                changed.append("plan")
    known = {item.text.casefold() for item in record.progress}
    for line in progress:
        text = _flat(line)
        if text and text.casefold() not in known:
            record.progress.append(Item(id=new_id("progress"), text=text, created=stamp))
            known.add(text.casefold())
            if "progress" not in changed:
                changed.append("progress")
    return changed


def put_session(tx: RecordTx, user: str | None, session_id: str, origin: Origin, *, summary: str | None = None,
                goal: str | None = None, plan: list[str] | None = None, completed_steps: Iterable[int] = (),
                progress: Iterable[str] = ()) -> tuple[SessionRecord, list[str]]:
    """Update a session's context (created on first use; the parts as :func:`update_session`).

    The session is ``user``'s (private) or, with ``None``, kept in the shared sessions folder.
    """
    if not session_id.strip():
        raise LearningFSError("a session context needs a session id")
    user = user or None
    probe = SessionRecord(session_id=session_id, user=user, namespace=USER_NAMESPACE if user else GLOBAL_NAMESPACE,
                          source=origin.provenance(), created=origin.timestamp())
    record = tx.read(record_path(probe))
    if not isinstance(record, SessionRecord):
        record = probe
    changed = update_session(record, origin, summary=summary, goal=goal, plan=plan,
                             completed_steps=completed_steps, progress=progress)
    if changed:
        save(tx, record, origin)
    return record, changed


def put_outcome(record: DecisionRecord, outcome: str, quality: str = "unknown") -> bool:
    """The one rule for how a decision turned out: the outcome text and its quality; False if unchanged."""
    if quality not in QUALITIES:
        raise LearningFSError(f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}")
    text = outcome.strip()
    if not text:
        raise LearningFSError("the outcome is empty")
    if record.outcome == text and record.outcome_quality == quality:
        return False
    record.outcome, record.outcome_quality = text, quality
    return True


# -- the agent's instructions and a learning's place in the context -------------------------------------
def _rule(record: InstructionsRecord, rule_id: str) -> Item:
    for rule in record.rules:
        if rule.id == rule_id.strip() and rule.active:
            return rule
    raise RecordNotFoundError(f"{record.agent or 'the agent'} has no active rule {rule_id!r}")


def put_rule(record: InstructionsRecord, text: str, origin: Origin) -> ItemChange:
    """The one rule for adding an instruction: appended last; an active rule saying the same is not repeated."""
    wanted = _flat(text)
    if not wanted:
        raise LearningFSError("the rule is empty")
    for rule in record.rules:
        if rule.active and rule.text.casefold() == wanted.casefold():
            return ItemChange(rule, changed=False)
    rule = Item(id=new_id("rule"), text=wanted, created=origin.timestamp())
    record.rules.append(rule)
    return ItemChange(rule, changed=True)


def reword_rule(record: InstructionsRecord, rule_id: str, text: str, origin: Origin) -> ItemChange:
    """A rule's new wording, same id (the same words again: no change)."""
    wanted = _flat(text)
    if not wanted:
        raise LearningFSError("the rule is empty; retire it instead")
    return _reword(_rule(record, rule_id), wanted, origin)


def retire_rule(record: InstructionsRecord, rule_id: str, origin: Origin) -> Item:
    """A rule the agent should no longer follow: ``superseded``, kept in the file for history."""
    rule = _rule(record, rule_id)
    rule.status, rule.updated = "superseded", origin.timestamp()
    return rule


def demote_learning(record: LearningRecord) -> bool:
    """Keep a learning out of the always-loaded context (``demoted: true``; search still finds it)."""
    if record.extra.get("demoted") is True:
        return False
    record.extra["demoted"] = True
    return True
