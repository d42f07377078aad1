"""Approving proposals that touch the same record one after the other: merged as records, never a conflict."""

from __future__ import annotations

import pytest

from learning_fs import MemoryRepo
from learning_fs.errors import ConflictError
from learning_fs.format import EntityRecord, Item, MemoriesRecord
from learning_fs.machine.writer import RecordWriter
from learning_fs.ops import validate_repo
from learning_fs.review import approve, list_proposals
from tests.repo.conftest import GitView


def _propose_fact(repo: MemoryRepo, path: str, fact: str) -> str:
    entity = repo.read(path)
    assert isinstance(entity, EntityRecord)
    entity.facts.append(Item(id=f"f-{len(fact):02d}{fact[:3].lower()}", text=fact))
    entity.touch()
    saved = RecordWriter(repo, store="entity_memory", mode="propose").save([entity], summary=f"Add fact: {fact}")
    assert saved.proposal_id is not None
    return saved.proposal_id


def test_two_proposals_adding_facts_to_one_entity_are_approved_in_turn(memory_repo: MemoryRepo,
                                                                       git: GitView) -> None:
    entity = EntityRecord(name="Acme Corp", facts=[Item(id="f-0", text="Bills monthly.")])
    memory_repo.write(entity)
    path = entity.path or ""
    first = _propose_fact(memory_repo, path, "Uses Postgres.")
    second = _propose_fact(memory_repo, path, "Based in Berlin.")
    assert {p.id for p in list_proposals(memory_repo)} == {first, second}

    approve(memory_repo, first)
    approval = approve(memory_repo, second)  # its branch forked before the first landed

    assert not approval.fast_forward
    facts = [item.text for item in memory_repo.read(path).facts]  # type: ignore[attr-defined]
    assert facts == ["Bills monthly.", "Uses Postgres.", "Based in Berlin."]
    assert git.text(path) == (memory_repo.root / path).read_text()  # the checkout followed the merge
    assert "merge_conflict" not in git.text(path)
    assert [p for p in validate_repo(memory_repo) if p.severity == "error"] == []
    assert list_proposals(memory_repo) == []


def test_advance_merges_a_user_s_memories_changed_on_both_branches(memory_repo: MemoryRepo, git: GitView) -> None:
    memories = MemoriesRecord(user="alice", memories=[Item(id="m-1", text="Likes tea")])
    memory_repo.write(memories)
    path = memories.path or ""
    side = memory_repo.read(path)
    side.memories.append(Item(id="m-2", text="From the branch"))  # type: ignore[attr-defined]
    tip = memory_repo.write(side, branch="proposals/memories/x")
    ours = memory_repo.read(path)
    ours.memories.append(Item(id="m-3", text="From main"))  # type: ignore[attr-defined]
    memory_repo.write(ours)

    info = memory_repo.advance("main", tip.sha if tip else "")

    assert info is not None and git("rev-list", "--parents", "-1", "HEAD").count(" ") == 2  # a merge commit
    assert [i.id for i in memory_repo.read(path).memories] == ["m-1", "m-3", "m-2"]  # type: ignore[attr-defined]


def test_the_same_memory_changed_differently_still_raises_naming_the_file(memory_repo: MemoryRepo,
                                                                          git: GitView) -> None:
    memories = MemoriesRecord(user="alice", memories=[Item(id="m-1", text="Likes tea")])
    memory_repo.write(memories)
    path = memories.path or ""
    side = memory_repo.read(path)
    side.memories[0].text = "Likes green tea"  # type: ignore[attr-defined]
    tip = memory_repo.write(side, branch="proposals/memories/x")
    ours = memory_repo.read(path)
    ours.memories[0].text = "Likes black tea"  # type: ignore[attr-defined]
    memory_repo.write(ours)
    head = git.head()

    with pytest.raises(ConflictError) as caught:
        memory_repo.advance("main", tip.sha if tip else "")

    assert caught.value.paths == [path]
    assert git.head() == head and "Likes black tea" in (memory_repo.root / path).read_text()


def test_proposals_that_only_add_to_one_file_are_listed_as_mergeable(memory_repo: MemoryRepo) -> None:
    entity = EntityRecord(name="Acme Corp", facts=[Item(id="f-0", text="Bills monthly.")])
    memory_repo.write(entity)
    first = _propose_fact(memory_repo, entity.path or "", "Uses Postgres.")
    second = _propose_fact(memory_repo, entity.path or "", "Based in Berlin.")
    approve(memory_repo, first)

    [left] = list_proposals(memory_repo)

    assert left.id == second and left.behind and left.mergeable and left.conflicts == []
