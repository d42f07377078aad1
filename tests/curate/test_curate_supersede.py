"""Contradictions: the older statement is superseded, kept in the file and in history, and leaves recall."""

from __future__ import annotations

from learning_fs import LearningMachine
from learning_fs.format import EntityRecord, Item, LearningRecord, MemoriesRecord, record_path
from learning_fs.repo import MemoryRepo
from learning_fs.search import LexicalSearcher
from learning_fs.stores import UserMemoryStore
from tests.curate.conftest import MakeCurator
from tests.curate.helpers import git, learning, memories, memory, stamp

MEMORIES = record_path(MemoriesRecord(user="alice"))


def test_a_contradicting_memory_is_superseded_and_leaves_recall_but_stays_in_history(
        repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-1", "city: Berlin", 40), memory("m-2", "Drinks green tea", 30),
                        memory("m-3", "City: Lisbon", 2)))

    result = curator(near_duplicates=False).run()

    assert result.commit is not None
    record = repo.read(MEMORIES)
    assert isinstance(record, MemoriesRecord)
    old = record.memories[0]
    assert (old.id, old.status, old.superseded_by) == ("m-1", "superseded", "m-3")
    assert "~~city: Berlin~~" in (repo.root / MEMORIES).read_text()  # still in the file, struck through
    assert "supersede m-1 by m-3" in result.commit.message and 'same attribute "city"' in result.commit.message
    recalled = [m.text for m in UserMemoryStore(repo=repo).recall(user_id="alice", message="Which city?")]
    assert "city: Berlin" not in recalled and "City: Lisbon" in recalled
    with LearningMachine(repo) as machine:
        context = machine.build_context("alice", message="where does she live, which city")
    assert "Berlin" not in context and "Lisbon" in context
    assert "- city: Berlin <!-- id=m-1" in git(repo, "show", f"HEAD~1:{MEMORIES}")  # before: active


def test_entity_facts_with_the_same_attribute_keep_the_newest(repo: MemoryRepo, curator: MakeCurator) -> None:
    acme = EntityRecord(name="Acme", facts=[Item(id="f-1", text="CEO: Wile E.", created=stamp(90)),
                                            Item(id="f-2", text="ceo: Road Runner", created=stamp(3)),
                                            Item(id="f-3", text="See https://acme.example: the site",
                                                 created=stamp(3))])
    repo.write(acme)

    curator(near_duplicates=False).run()

    record = repo.read(acme.path or "")
    assert isinstance(record, EntityRecord)
    assert [(f.id, f.status) for f in record.facts] == [("f-1", "superseded"), ("f-2", "active"),
                                                         ("f-3", "active")]


def test_a_learning_restated_under_the_same_title_supersedes_the_older_one(repo: MemoryRepo,
                                                                          curator: MakeCurator) -> None:
    old = learning("Deploy window", "Deploy on Fridays after 4pm.", 60)
    new = learning("Deploy window", "Never deploy on Fridays.", 2)
    repo.write(old)
    repo.write(new)

    curator(near_duplicates=False).run()

    stored = repo.read(old.path or "")
    assert isinstance(stored, LearningRecord)
    assert (stored.status, stored.superseded_by) == ("superseded", new.id)
    hits = LexicalSearcher(repo).search("deploy Fridays", kind="learning")
    assert [hit.record_id for hit in hits] == [new.id]
    assert old.id in [hit.record_id for hit in LexicalSearcher(repo).search("deploy Fridays", include_inactive=True)]


def test_the_model_finds_a_contradiction_in_free_text(repo: MemoryRepo, curator: MakeCurator, fake_llm,
                                                      model) -> None:
    repo.write(memories("alice", memory("m-1", "Prefers answers in German", 40),
                        memory("m-2", "Prefers answers in English", 1)))
    fake_llm.enqueue_json({"verdicts": [{"pair": 1, "verdict": "contradiction"}]})

    result = curator(model=model).run()

    record = repo.read(MEMORIES)
    assert isinstance(record, MemoriesRecord)
    assert [(m.id, m.status, m.superseded_by) for m in record.memories] == [
        ("m-1", "superseded", "m-2"), ("m-2", "active", None)]
    assert "contradiction" in (result.commit.message if result.commit else "")


def test_without_a_model_a_close_contradiction_is_not_merged(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-1", "Prefers answers in German", 40),
                        memory("m-2", "Prefers answers in English", 1)))

    assert curator().plan().empty  # cosine ~0.88: below the no-model threshold, so nothing is lost
