"""learning_fs.ops: the operations behind `learning-fs add`, used directly as the agent's tools will."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from pathlib import Path

import pytest

from learning_fs import EntityRecord, MemoryRepo, ops
from learning_fs.errors import LearningFSError, RecordNotFoundError

ORIGIN = ops.Origin(store="test", user="alice", session="s-1")


@pytest.fixture
def repo(tmp_path: Path):
    with MemoryRepo.init(tmp_path / "mem") as repo:
        yield repo


def test_concurrent_writers_to_one_entity_lose_no_fact(repo):
    """Each writer reads the entity, appends, commits: without the lock held throughout, facts vanish."""

    def writer(worker: int) -> None:
        with MemoryRepo(repo.root) as own:  # a separate repository object: the file lock must serialise
            for n in range(8):
                with ops.write_transaction(own, f"fact {worker}-{n}", ORIGIN) as tx:
                    ops.add_fact(tx, "Acme Corp", f"Fact {worker}-{n}.", ORIGIN)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with ops.write_transaction(repo, "read", ORIGIN) as tx:
        entity = ops.find_entity(tx, "Acme Corp")
    assert entity is not None
    assert sorted(f.text for f in entity.facts) == sorted(f"Fact {w}-{n}." for w in range(4) for n in range(8))
    assert subprocess.run(["git", "fsck", "--strict"], cwd=repo.root, capture_output=True).returncode == 0


def test_names_that_slug_alike_stay_apart(repo):
    for name, fact in (("C++", "Has templates."), ("C", "Has pointers."), ("c", "Dates from 1972.")):
        with ops.write_transaction(repo, f"fact about {name}", ORIGIN) as tx:
            ops.add_fact(tx, name, fact, ORIGIN)
    entities = {e.name: e for e in repo.list("entity")}
    assert sorted(entities) == ["C", "C++"]  # "c" is the same entity as "C" (names ignore case)
    assert (entities["C++"].path or "").endswith("/c.md")  # first come keeps the plain name
    assert (entities["C"].path or "").rsplit("/", 1)[1].startswith("c-")  # the next gets a hash suffix
    c = entities["C"]
    assert [f.text for f in c.facts] == ["Has pointers.", "Dates from 1972."]
    assert [f.text for f in entities["C++"].facts] == ["Has templates."]


def test_relationship_labels_and_their_inverse():
    assert ops.inverse_relation("works_at") == "employs"
    assert ops.inverse_relation("employs") in {"works_at", "works_for"}
    assert ops.inverse_relation("manages") == "managed_by"
    assert ops.inverse_relation("knows") == "knows"
    assert ops.inverse_relation("admires") == "admires (inverse)"


def test_a_private_entity_lives_under_its_user(repo):
    with ops.write_transaction(repo, "private", ORIGIN) as tx:
        source, other = ops.add_relationship(tx, "Mum", "parent_of", "Alice", ORIGIN, namespace="user")
    assert source.path and source.path.startswith("users/") and "/alice/entities/" in source.path
    assert other.path and "/alice/entities/" in other.path
    assert [r.relation for r in other.relationships] == ["child_of"]
    with pytest.raises(LearningFSError, match="needs a user"), \
            ops.write_transaction(repo, "x", ops.Origin()) as tx:
        ops.add_fact(tx, "Mum", "x", ops.Origin(), namespace="user")


def test_replace_fact_keeps_the_old_one_struck_through(repo):
    with ops.write_transaction(repo, "first", ORIGIN) as tx:
        record, old = ops.add_fact(tx, "Acme", "Runs PostgreSQL 15.", ORIGIN)
    with ops.write_transaction(repo, "second", ORIGIN) as tx:
        record, new = ops.replace_fact(tx, "Acme", old.id, "Runs PostgreSQL 16.", ORIGIN)
    text = (repo.root / (record.path or "")).read_text()
    assert f"- ~~Runs PostgreSQL 15.~~ <!-- id={old.id} " in text and f"superseded_by={new.id}" in text
    with pytest.raises(RecordNotFoundError), ops.write_transaction(repo, "third", ORIGIN) as tx:
        ops.replace_fact(tx, "Acme", "Runs PostgreSQL 15.", "x", ORIGIN)  # no longer active


def test_origin_at_dates_records_items_and_the_commit(repo):
    when = dt.datetime(2026, 10, 1, 9, 30, tzinfo=dt.timezone.utc)
    origin = ops.Origin(store="import", user="alice", at=when)
    with ops.write_transaction(repo, "import", origin) as tx:
        memories, item = ops.add_memory(tx, "alice", "Likes tea.", origin)
    assert memories.created == memories.updated == item.created == "2026-10-01T09:30:00Z"
    assert repo.log(limit=1)[0].date.startswith("2026-10-01T09:30:00")
    assert repo.read_at(memories.path or "", "2026-10-01").id == memories.id


def test_entity_found_by_alias(repo):
    with ops.write_transaction(repo, "x", ORIGIN) as tx:
        record, _ = ops.add_fact(tx, "Acme Corp", "A fact.", ORIGIN)
        record.aliases = ["ACME"]
        ops.save(tx, record, ORIGIN)
    with ops.write_transaction(repo, "y", ORIGIN) as tx:
        again = ops.find_entity(tx, "acme corp")
    assert isinstance(again, EntityRecord) and again.aliases == ["ACME"]
