"""Expiry and pruning: by date, age, count, size and staleness (last recall), never what a person pinned."""

from __future__ import annotations

from pathlib import Path

from learning_fs.curate import RecallLog
from learning_fs.format import EntityRecord, Item, LearningRecord, MemoriesRecord, SessionRecord, record_path
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryStore
from tests.curate.conftest import MakeCurator
from tests.curate.helpers import NOW, learning, memories, memory, stamp

MEMORIES = record_path(MemoriesRecord(user="alice"))


def _memory_ids(repo: MemoryRepo) -> list[str]:
    record = repo.read(MEMORIES)
    assert isinstance(record, MemoriesRecord)
    return [m.id for m in record.memories]


def test_records_and_items_past_their_expiry_are_marked_expired(repo: MemoryRepo, curator: MakeCurator) -> None:
    offer = learning("Spring offer", "Quote the spring discount.", 60, expires="2026-05-01")
    lasting = learning("Greet by name", "Greet returning users by name.", 60, expires="2027-01-01")
    repo.write(offer)
    repo.write(lasting)
    repo.write(memories("alice", memory("m-1", "Is on holiday", 10, expires=stamp(1)),
                        memory("m-2", "Likes jazz", 10)))

    result = curator(near_duplicates=False).run()

    assert sorted(a.ids[0] for a in result.plan.actions if a.op == "expire") == [offer.id, "m-1"]
    assert repo.read(offer.path or "").status == "expired"
    assert repo.read(lasting.path or "").status == "active"
    record = repo.read(MEMORIES)
    assert isinstance(record, MemoriesRecord)
    assert [(m.id, m.status) for m in record.memories] == [("m-1", "expired"), ("m-2", "active")]
    assert [m.id for m in UserMemoryStore(repo=repo).recall(user_id="alice")] == ["m-2"]


def test_pruning_is_off_by_default(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(SessionRecord(user="alice", session_id="s-old", summary="An old chat", created=stamp(400)))
    repo.write(memories("alice", *(memory(f"m-{i}", f"Fact number {i} about alice", 300 + i) for i in range(30))))

    assert not [a for a in curator(near_duplicates=False, budget=False).plan().actions if a.op == "prune"]


def test_max_age_prunes_old_sessions_and_memories_but_not_pinned_ones(repo: MemoryRepo, curator: MakeCurator) -> None:
    old = SessionRecord(user="alice", session_id="s-old", summary="An old chat", created=stamp(200))
    recent = SessionRecord(user="alice", session_id="s-new", summary="A recent chat", created=stamp(5))
    for record in (old, recent):
        repo.write(record)
    repo.write(memories("alice", memory("m-1", "Owned a bike", 400), memory("m-2", "Allergic to nuts", 400,
                                                                            extra={"pinned": "true"}),
                        memory("m-3", "Plays chess", 10)))

    result = curator(near_duplicates=False, budget=False, max_age_days={"session": 90, "memory": 365}).run()

    assert not (repo.root / (old.path or "")).exists()
    assert (repo.root / (recent.path or "")).exists()
    assert _memory_ids(repo) == ["m-2", "m-3"]
    assert "max_age_days.session=90" in (result.commit.message if result.commit else "")


def test_max_age_never_deletes_a_users_profile_or_memories_file(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-1", "Plays chess", 10)))  # the file itself is 60 days old

    plan = curator(near_duplicates=False, budget=False, max_age_days={"memories": 1, "profile": 1}).plan()

    assert plan.empty


def test_max_memories_keeps_the_most_recently_recalled(repo: MemoryRepo, curator: MakeCurator,
                                                       tmp_path: Path) -> None:
    repo.write(memories("alice", *(memory(f"m-{i}", f"Fact number {i} about alice", 50 - i) for i in range(5))))
    log = RecallLog(tmp_path / "recalls")
    log.note({"user_memory": [Item(id="m-0", text="")]}, when=NOW.timestamp() - 3600)
    log.flush()

    curator(near_duplicates=False, budget=False, max_memories=3, recall_log=log).run()

    assert _memory_ids(repo) == ["m-0", "m-3", "m-4"]  # recalled first, then the newest


def test_inactive_items_and_records_are_pruned_after_inactive_days(repo: MemoryRepo, curator: MakeCurator) -> None:
    gone = LearningRecord(title="Old way", learning="The old way.", status="superseded", created=stamp(100))
    repo.write(gone)
    repo.write(memories("alice", memory("m-1", "Lived in Rome", 100, status="superseded", superseded_by="m-2"),
                        memory("m-2", "Lives in Oslo", 100)))

    curator(near_duplicates=False, budget=False, inactive_days=30).run()

    assert not (repo.root / (gone.path or "")).exists()
    assert _memory_ids(repo) == ["m-2"]


def test_max_file_bytes_drops_inactive_then_least_used_items(repo: MemoryRepo, curator: MakeCurator) -> None:
    facts = [Item(id=f"f-{i}", text=f"Fact {i}: " + "x" * 80, created=stamp(100 - i)) for i in range(12)]
    facts[0].status = "superseded"
    acme = EntityRecord(name="Acme", facts=facts, created=stamp(100))
    repo.write(acme)

    curator(near_duplicates=False, supersede=False, max_file_bytes=1024).run()

    record = repo.read(acme.path or "")
    assert isinstance(record, EntityRecord)
    assert len((repo.root / (acme.path or "")).read_bytes()) <= 1024 + 200  # the new "updated" line aside
    kept = [f.id for f in record.facts]
    assert "f-0" not in kept and "f-1" not in kept and "f-11" in kept


def test_stale_memories_and_learnings_are_pruned_by_last_recall(repo: MemoryRepo, curator: MakeCurator,
                                                                tmp_path: Path) -> None:
    used = learning("Used", "A learning agents recall.", 200)
    unused = learning("Unused", "A learning nobody recalls.", 200)
    fresh = learning("Fresh", "Too new to be stale.", 5)
    for record in (used, unused, fresh):
        repo.write(record)
    repo.write(memories("alice", memory("m-1", "Recalled last week", 200), memory("m-2", "Never recalled", 200),
                        memory("m-3", "Recalled long ago", 200)))
    log = RecallLog(tmp_path / "recalls")
    log.note({"x": [Item(id="m-3", text="")]}, when=NOW.timestamp() - 150 * 86400)
    log.note({"x": [Item(id="m-1", text=""), used]}, when=NOW.timestamp() - 7 * 86400)
    log.flush()

    result = curator(near_duplicates=False, budget=False, stale_days=90, recall_log=log).run()

    assert _memory_ids(repo) == ["m-1"]
    assert (repo.root / (used.path or "")).exists() and (repo.root / (fresh.path or "")).exists()
    assert not (repo.root / (unused.path or "")).exists()
    message = result.commit.message if result.commit else ""
    assert "never recalled; stale after 90 days" in message and "last recalled 2026-01-02" in message


def test_staleness_waits_until_recalls_were_tracked_long_enough(repo: MemoryRepo, curator: MakeCurator,
                                                                tmp_path: Path) -> None:
    repo.write(memories("alice", memory("m-1", "Never recalled", 200)))
    log = RecallLog(tmp_path / "recalls")
    log.note({"x": [Item(id="m-other", text="")]}, when=NOW.timestamp() - 10 * 86400)
    log.flush()

    plan = curator(near_duplicates=False, budget=False, stale_days=90, recall_log=log).plan()

    assert plan.empty
    assert any("recall times are recorded only since" in note for note in plan.notes)
