"""learning_fs.ops edits: correct and forget memories, retire facts, archive entities, profiles, sessions.

Each rule is applied by the agent's tools, the CLI, MCP and the demo alike; these tests pin the
rule itself (what changes, what is refused and with which words) and that the repository's
transaction and a store's writer transaction leave the same file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from learning_fs import MemoryRepo, ops
from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.format.records import (
    DecisionRecord,
    EntityRecord,
    InstructionsRecord,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    SessionRecord,
)

ORIGIN = ops.Origin(store="test", user="alice", session="s-1")


@pytest.fixture
def repo(tmp_path: Path):
    with MemoryRepo.init(tmp_path / "mem") as repo:
        yield repo


def _memories(*texts: str) -> MemoriesRecord:
    record = MemoriesRecord(user="alice")
    for text in texts:
        ops.put_memory(record, text, ORIGIN)
    return record


def test_update_memory_keeps_the_id_and_refuses_unknown_ids_and_empty_text():
    record = _memories("Works in Berlin.")
    item = record.memories[0]
    change = ops.update_memory(record, f" {item.id} ", "Works  in Munich.", ORIGIN)
    assert change.changed and change.item is item and item.text == "Works in Munich." and item.updated
    assert not ops.update_memory(record, item.id, "Works in Munich.", ORIGIN).changed
    with pytest.raises(RecordNotFoundError, match="no memory with id 'm-nope'"):
        ops.update_memory(record, "m-nope", "x", ORIGIN)
    with pytest.raises(LearningFSError, match="empty"):
        ops.update_memory(record, item.id, "   ", ORIGIN)


def test_remove_memory_takes_the_line_out_and_only_an_active_one():
    record = _memories("One.", "Two.")
    first, second = record.memories
    second.status = "superseded"
    assert ops.remove_memory(record, first.id) is first
    assert record.memories == [second]
    with pytest.raises(RecordNotFoundError):
        ops.remove_memory(record, second.id)  # a superseded line is history, not a memory to forget


def test_edit_and_forget_memory_commit_once_and_nothing_when_unchanged(repo):
    with ops.write_transaction(repo, "remember", ORIGIN) as tx:
        _, item = ops.add_memory(tx, "alice", "Works in Berlin.", ORIGIN)
    with ops.write_transaction(repo, "same text", ORIGIN) as tx:
        _, change = ops.edit_memory(tx, "alice", item.id, "Works in Berlin.", ORIGIN)
    assert not change.changed and tx.commit is None
    with ops.write_transaction(repo, "move", ORIGIN) as tx:
        record, change = ops.edit_memory(tx, "alice", item.id, "Works in Munich.", ORIGIN)
    assert tx.commit is not None and [m.text for m in repo.read(record.path or "").memories] == ["Works in Munich."]
    with ops.write_transaction(repo, "forget", ORIGIN) as tx:
        ops.forget_memory(tx, "alice", item.id, ORIGIN)
    assert repo.read(record.path or "").memories == []
    with pytest.raises(RecordNotFoundError, match="'bob' has no memories"), \
            ops.write_transaction(repo, "nobody", ORIGIN) as tx:
        ops.forget_memory(tx, "bob", item.id, ORIGIN)


def test_a_store_writer_and_the_repository_transaction_leave_the_same_file(tmp_path: Path):
    texts = []
    for name, door in (("a", "repo"), ("b", "writer")):
        with MemoryRepo.init(tmp_path / name) as repo:
            writer = ops.RecordWriter(repo, store="test", user_id="alice")
            opened = (ops.write_transaction(repo, "m", ORIGIN) if door == "repo"
                      else writer.transaction("m", evidence=ORIGIN))
            with opened as tx:
                _, first = ops.add_memory(tx, "alice", "One.", ORIGIN)
                _, second = ops.add_memory(tx, "alice", "Two.", ORIGIN)
            opened = (ops.write_transaction(repo, "e", ORIGIN) if door == "repo"
                      else writer.transaction("e", evidence=ORIGIN))
            with opened as tx:
                ops.edit_memory(tx, "alice", first.id, "One, corrected.", ORIGIN)
                ops.forget_memory(tx, "alice", second.id, ORIGIN)
            record = repo.read(first_path(repo))
            assert isinstance(record, MemoriesRecord)
            texts.append([(m.text, m.status) for m in record.memories])
    assert texts[0] == texts[1] == [("One, corrected.", "active")]


def test_retire_fact_by_id_or_words_and_archive_an_entity(repo):
    with ops.write_transaction(repo, "facts", ORIGIN) as tx:
        _, kept = ops.add_fact(tx, "Acme Corp", "Runs PostgreSQL 15.", ORIGIN)
        ops.add_fact(tx, "Acme Corp", "Has an office in Berlin.", ORIGIN)
        ops.add_fact(tx, "Acme Corp", "Berlin team: 12 people.", ORIGIN)
    with ops.write_transaction(repo, "retire", ORIGIN) as tx:
        record, retired = ops.forget_fact(tx, "acme corp", "berlin", ORIGIN)
    assert [f.text for f in retired] == ["Has an office in Berlin.", "Berlin team: 12 people."]
    on_disk = repo.read(record.path or "")
    assert isinstance(on_disk, EntityRecord)
    assert [(f.text, f.status) for f in on_disk.facts] == [
        ("Runs PostgreSQL 15.", "active"), ("Has an office in Berlin.", "expired"),
        ("Berlin team: 12 people.", "expired")]
    with pytest.raises(RecordNotFoundError, match="no active fact matching 'berlin'"), \
            ops.write_transaction(repo, "again", ORIGIN) as tx:
        ops.forget_fact(tx, "Acme Corp", "berlin", ORIGIN)
    with ops.write_transaction(repo, "by id", ORIGIN) as tx:
        _, retired = ops.forget_fact(tx, "Acme Corp", kept.id, ORIGIN)
    assert [f.id for f in retired] == [kept.id]

    with ops.write_transaction(repo, "archive", ORIGIN) as tx:
        record, changed = ops.forget_entity(tx, "Acme Corp", ORIGIN)
    assert changed and ops.ARCHIVED in repo.read(record.path or "").tags
    with ops.write_transaction(repo, "archive again", ORIGIN) as tx:
        _, changed = ops.forget_entity(tx, "Acme Corp", ORIGIN)
    assert not changed and tx.commit is None
    with pytest.raises(RecordNotFoundError, match="no entity named 'Nobody'"), \
            ops.write_transaction(repo, "nobody", ORIGIN) as tx:
        ops.forget_entity(tx, "Nobody", ORIGIN)


def test_put_about_merges_by_the_fact_and_event_rules_and_unarchives():
    record = EntityRecord(name="Radar", tags=[ops.ARCHIVED])
    ops.put_fact(record, "status: planned", ORIGIN)
    changes = ops.put_about(record, ORIGIN, entity_type="project", description=" A  radar. ",
                            facts=["status: shipped", "status: shipped", ""],
                            events=["2026-02-01 Launched.", "2025-12-01: Kick-off."], note="see #radar")
    assert record.entity_type == "project"  # "thing" is no type worth keeping
    assert record.description == "A radar."
    assert [(f.text, f.status) for f in record.facts] == [
        ("status: planned", "superseded"), ("status: shipped", "active"), ("note: see #radar", "active")]
    assert [(e.date, e.text) for e in record.events] == [("2025-12-01", "Kick-off."), ("2026-02-01", "Launched.")]
    assert [c.changed for c in changes] == [True, False, True, True, True]
    assert ops.ARCHIVED not in record.tags
    ops.put_about(record, ORIGIN, entity_type="person")
    assert record.entity_type == "project"  # it has facts: a type given in passing does not override it
    assert ops.archive_entity(record) and not ops.archive_entity(record)


def test_profile_fields_change_only_when_given_and_different(repo):
    record = ProfileRecord(user="alice", fields={"name": "Alice"})
    assert ops.update_profile(record, {"name": "Alice", "role": None}) == {}
    assert ops.update_profile(record, {"role": "CTO"}) == {"role": "CTO"}
    assert record.fields == {"name": "Alice", "role": "CTO"}
    with ops.write_transaction(repo, "profile", ORIGIN) as tx:
        profile, changed = ops.set_profile(tx, "alice", {"name": "Alice", "languages": ["en", "de"]}, ORIGIN)
    assert changed and tx.commit is not None
    with ops.write_transaction(repo, "again", ORIGIN) as tx:
        _, changed = ops.set_profile(tx, "alice", {"name": "Alice"}, ORIGIN)
    assert changed == {} and tx.commit is None
    on_disk = repo.read(profile.path or "")
    assert isinstance(on_disk, ProfileRecord) and on_disk.fields == {"name": "Alice", "languages": ["en", "de"]}


def test_session_plan_keeps_done_steps_and_progress_is_not_repeated(repo):
    record = SessionRecord(session_id="s-1", user="alice")
    assert ops.update_session(record, ORIGIN, summary="Moving to Airflow.", plan=["Write DAG", "Port query"],
                              completed_steps=[1, 7]) == ["summary", "plan"]
    done = record.plan[0]
    assert ops.update_session(record, ORIGIN, plan=["write  dag", "Port query", "Add alerts"],
                              progress=["DAG merged", "dag merged"]) == ["plan", "progress"]
    assert record.plan[0] is done and done.done and [s.done for s in record.plan] == [True, False, False]
    assert [p.text for p in record.progress] == ["DAG merged"]
    assert ops.update_session(record, ORIGIN, summary="  ", goal=None, progress=["DAG merged"]) == []

    with ops.write_transaction(repo, "session", ORIGIN) as tx:
        mine, changed = ops.put_session(tx, "alice", "s-9", ORIGIN, goal="Ship it")
    shared_origin = ops.Origin(store="test")
    with ops.write_transaction(repo, "shared", shared_origin) as tx:
        shared, _ = ops.put_session(tx, None, "s-9", shared_origin, goal="Ship it")
    assert changed == ["goal"] and (mine.path or "").startswith("users/")
    assert (shared.path or "").startswith("sessions/")


def test_an_outcome_needs_a_known_quality_and_a_text():
    record = DecisionRecord(title="Use Postgres", decision="Use Postgres.")
    assert ops.put_outcome(record, " Worked well. ", "good")
    assert (record.outcome, record.outcome_quality) == ("Worked well.", "good")
    assert not ops.put_outcome(record, "Worked well.", "good")
    with pytest.raises(LearningFSError, match="quality must be one of"):
        ops.put_outcome(record, "Fine.", "great")
    with pytest.raises(LearningFSError, match="empty"):
        ops.put_outcome(record, " ", "bad")


def first_path(repo: MemoryRepo) -> str:
    return next(record.path or "" for record in repo.list("memories"))


def test_instruction_rules_are_added_once_reworded_and_retired_by_id():
    record = InstructionsRecord(agent="support")
    first = ops.put_rule(record, "Answer  in German.", ORIGIN)
    assert first.changed and not ops.put_rule(record, "answer in german.", ORIGIN).changed
    rule = first.item
    assert ops.reword_rule(record, rule.id, "Answer in German unless asked otherwise.", ORIGIN).changed
    assert not ops.reword_rule(record, rule.id, "Answer in German unless asked otherwise.", ORIGIN).changed
    assert ops.retire_rule(record, rule.id, ORIGIN) is rule and rule.status == "superseded"
    with pytest.raises(RecordNotFoundError, match="no active rule"):
        ops.reword_rule(record, rule.id, "x", ORIGIN)  # a retired rule is history
    assert ops.put_rule(record, "Answer in German.", ORIGIN).changed  # only an active rule counts as a repeat


def test_demote_learning_once():
    record = LearningRecord(title="Prefer uv", learning="Use uv.")
    assert ops.demote_learning(record) and record.extra["demoted"] is True
    assert not ops.demote_learning(record)
