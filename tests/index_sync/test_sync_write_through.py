"""Write-through: what the library writes is searchable as soon as the write returns."""

from __future__ import annotations

import numpy as np
import pytest

from learning_fs.format import Item, MemoriesRecord
from learning_fs.index import MiniLMEmbedder
from learning_fs.repo import MemoryRepo
from tests.index_sync.conftest import OpenIndex
from tests.index_sync.helpers import learning


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_a_library_write_is_found_by_the_next_search(repo: MemoryRepo, open_index: OpenIndex, mode: str) -> None:
    index = open_index(write_through=mode)
    record = learning("Reschedule long sensors", "Airflow sensors that wait for hours should use reschedule mode.")
    repo.write(record)
    [hit] = index.search("airflow sensor waiting for hours", k=1)
    assert (hit.path, hit.record_id) == (record.path, record.id)
    assert hit.metadata["blob"] == record.blob  # built from exactly the committed file
    assert index.sync.indexed_commit == repo.log(limit=1)[0].sha  # nothing left for catch-up


def test_an_item_removed_from_a_file_leaves_the_index_and_its_siblings_stay(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    index = open_index()
    memories = MemoriesRecord(user="alice", memories=[Item(id="m-tea", text="Drinks green tea every morning."),
                                                      Item(id="m-city", text="Lives in Lisbon.")])
    repo.write(memories)
    assert {hit.item_id for hit in index.search("tea Lisbon", user="alice")} == {"m-tea", "m-city"}
    memories.memories = [memories.memories[0], Item(id="m-dog", text="Has a dog called Rex.")]
    repo.write(memories)
    assert {hit.item_id for hit in index.search("tea Lisbon dog", user="alice")} == {"m-tea", "m-dog"}
    assert index.count() == 2


class CountingEmbedder:
    """The session's embedder, recording every text it is asked to embed."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return self.inner.embed(texts)


def test_a_new_memory_in_a_long_file_embeds_only_that_memory(
    repo: MemoryRepo, open_index: OpenIndex, embedder: MiniLMEmbedder
) -> None:
    counting = CountingEmbedder(embedder)
    index = open_index(embedder=counting, write_through="sync")
    memories = MemoriesRecord(user="alice", memories=[Item(id=f"m-{i}", text=f"Fact number {i}.") for i in range(20)])
    repo.write(memories)
    assert len(counting.texts) == 20
    counting.texts.clear()
    memories.memories.append(Item(id="m-new", text="Plays the cello."))
    repo.write(memories)
    assert counting.texts == ["Plays the cello."]
    assert index.search("cello", user="alice", k=1)[0].item_id == "m-new"
    assert index.sync.refresh([memories.path or ""]).unchanged == 1  # already current: nothing to do


def test_a_deleted_record_is_gone_from_search(repo: MemoryRepo, open_index: OpenIndex) -> None:
    index = open_index()
    record = learning("Temporary insight", "Zebras are striped horses.")
    repo.write(record)
    assert index.search("zebra stripes", k=1)
    repo.delete(record)
    assert index.search("zebra stripes", k=5, mode="lexical") == []


def test_writes_to_another_branch_are_not_indexed(repo: MemoryRepo, open_index: OpenIndex) -> None:
    """A proposal waits on its branch for review: it is not what the agent knows yet."""
    index = open_index()
    repo.write(learning("Proposed lesson", "Quokkas smile for photos."), branch="proposals/learning/x")
    assert index.search("quokka", k=5, mode="lexical") == []
    assert index.count() == 0


def test_a_write_by_another_repo_object_on_the_same_folder_is_indexed_too(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    index = open_index()
    other = MemoryRepo(repo.root)
    try:
        second = open_index(repo=other)
        assert second.index is index.index  # one index per folder in a process
        other.write(learning("Written elsewhere", "Capybaras are the largest rodents."))
        assert index.search("largest rodent", k=1)[0].path.endswith("written-elsewhere.md")
    finally:
        other.close()
