"""The always-loaded budget: memories beyond it are demoted (out of the prompt, still searchable)."""

from __future__ import annotations

from pathlib import Path

from learning_fs.curate import RecallLog
from learning_fs.format import Item, MemoriesRecord, ProfileRecord, record_path
from learning_fs.repo import MemoryRepo
from learning_fs.search import LexicalSearcher
from learning_fs.search.semantic import IndexSearcher
from learning_fs.stores import UserMemoryConfig, UserMemoryStore
from tests.curate.conftest import MakeCurator
from tests.curate.helpers import NOW, memories, memory

MEMORIES = record_path(MemoriesRecord(user="alice"))
TEXTS = ["Works night shifts at the hospital", "Has two cats called Miso and Tofu", "Is training for a marathon",
         "Prefers answers in bullet points", "Learns Portuguese on weekends", "Drives an electric car"]


def _flags(repo: MemoryRepo) -> dict[str, str | None]:
    record = repo.read(MEMORIES)
    assert isinstance(record, MemoriesRecord)
    return {m.id: m.extra.get("demoted") for m in record.memories}


def test_memories_beyond_the_budget_are_demoted_newest_and_pinned_kept(repo: MemoryRepo,
                                                                      curator: MakeCurator) -> None:
    items = [memory(f"m-{i}", text, 60 - i) for i, text in enumerate(TEXTS)]
    items[0].extra["pinned"] = "true"
    repo.write(memories("alice", *items))
    repo.write(ProfileRecord(user="alice", fields={"name": "Alice"}))

    result = curator(near_duplicates=False, budget_tokens=40).run()

    assert _flags(repo) == {"m-0": None, "m-1": "true", "m-2": "true", "m-3": "true", "m-4": None, "m-5": None}
    assert {a.op for a in result.plan.actions} == {"demote"}
    store = UserMemoryStore(UserMemoryConfig(context_budget=1000), repo=repo)
    assert [m.id for m in store.recall(user_id="alice")] == ["m-5", "m-4", "m-0"]  # the always-loaded set
    assert "m-2" in [m.id for m in store.recall(user_id="alice", message="any tips for my marathon?")]
    hits = LexicalSearcher(repo).search("cats Miso", user="alice")
    assert [hit.item_id for hit in hits] == ["m-1"]  # demoted, still searchable


def test_a_demoted_memory_recalled_recently_is_promoted_back(repo: MemoryRepo, curator: MakeCurator,
                                                              tmp_path: Path) -> None:
    repo.write(memories("alice", *(memory(f"m-{i}", text, 60 - i) for i, text in enumerate(TEXTS))))
    curator(near_duplicates=False, budget_tokens=30).run()
    assert _flags(repo)["m-1"] == "true"
    log = RecallLog(tmp_path / "recalls")
    log.note({"user_memory": [Item(id="m-1", text="")]}, when=NOW.timestamp() - 60)
    log.flush()

    result = curator(near_duplicates=False, budget_tokens=30, recall_log=log).run()

    flags = _flags(repo)
    assert flags["m-1"] is None and flags["m-3"] == "true"  # m-3 was the least recent of the loaded ones
    assert sorted((a.op, a.ids[0]) for a in result.plan.actions) == [("demote", "m-3"), ("promote", "m-1")]


def test_a_repository_within_budget_is_left_alone(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-1", "Likes tea")))

    assert curator(near_duplicates=False).plan().empty


def test_with_the_semantic_index_a_demoted_memory_still_needs_a_message_about_it(
        repo: MemoryRepo, curator: MakeCurator) -> None:
    from learning_fs.index.service import RepoIndex

    repo.write(memories("alice", *(memory(f"m-{i}", text, 60 - i) for i, text in enumerate(TEXTS))))
    curator(near_duplicates=False, budget_tokens=30).run()
    store = UserMemoryStore(UserMemoryConfig(context_budget=1000), repo=repo)

    with RepoIndex.open(repo) as index:
        searcher = IndexSearcher(index)
        unrelated = [m.id for m in store.recall(user_id="alice", message="What is the weather today?",
                                                searcher=searcher)]
        about = [m.id for m in store.recall(user_id="alice", message="my cats Miso and Tofu", searcher=searcher)]

    assert sorted(unrelated) == ["m-3", "m-4", "m-5"]  # the always-loaded ones only
    assert "m-1" in about
