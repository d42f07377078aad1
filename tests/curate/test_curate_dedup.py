"""Duplicates merge into one record or item that keeps the merged ids (``merged_from``), in one commit."""

from __future__ import annotations

from learning_fs.format import EntityRecord, Item, LearningRecord, MemoriesRecord, record_path
from learning_fs.repo import MemoryRepo
from tests.curate.conftest import MakeCurator
from tests.curate.helpers import git, head, learning, memories, memory, stamp


def test_exact_duplicate_memories_merge_into_the_oldest_keeping_its_id(repo: MemoryRepo,
                                                                       curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-old", "Prefers short answers.", 40),
                        memory("m-new", "prefers  SHORT answers", 10),
                        memory("m-other", "Lives near the sea", 20)))
    before = head(repo)

    result = curator(near_duplicates=False).run()

    assert result.commit is not None
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    record = repo.read(record_path(MemoriesRecord(user="alice")))
    assert isinstance(record, MemoriesRecord)
    assert [m.id for m in record.memories] == ["m-old", "m-other"]
    survivor = record.memories[0]
    assert survivor.extra["merged_from"] == "m-new"
    assert survivor.text == "Prefers short answers."  # an exact duplicate keeps the first wording
    assert survivor.created == stamp(40)  # first learned 40 days ago: the oldest statement's time
    assert "merge m-new into m-old" in result.commit.message
    assert "exact duplicate memory" in result.commit.message


def test_exact_duplicate_learnings_merge_and_the_other_file_is_removed_in_the_same_commit(
        repo: MemoryRepo, curator: MakeCurator) -> None:
    first = learning("Use uv in CI", "Use uv to install Python packages in CI.", 40, tags=["python"])
    second = learning("Use UV in CI!", "use uv to install python packages in CI", 5, tags=["ci"])
    repo.write(first)
    repo.write(second)
    assert first.path != second.path

    result = curator(near_duplicates=False).run()

    assert result.commit is not None
    changed = git(repo, "show", "--name-status", "--format=", "HEAD").split("\n")
    assert f"D\t{second.path}" in changed and f"M\t{first.path}" in changed
    merged = repo.read(first.path or "")
    assert isinstance(merged, LearningRecord)
    assert merged.id == first.id and merged.merged_from == [second.id]
    assert merged.tags == ["ci", "python"]
    assert not (repo.root / (second.path or "")).exists()
    # The merged file is still in history, with its provenance.
    assert second.id in git(repo, "show", f"HEAD~1:{second.path}")


def test_merged_from_accumulates_over_runs(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-a", "Likes tea", 30), memory("m-b", "likes tea.", 20)))
    curator(near_duplicates=False).run()
    with repo.transaction("Add a third") as tx:
        record = tx.read(record_path(MemoriesRecord(user="alice")))
        assert isinstance(record, MemoriesRecord)
        record.memories.append(memory("m-c", "Likes TEA", 1))
        tx.write(record)

    curator(near_duplicates=False).run()

    record = repo.read(record_path(MemoriesRecord(user="alice")))
    assert isinstance(record, MemoriesRecord)
    assert [(m.id, m.extra.get("merged_from")) for m in record.memories] == [("m-a", "m-b,m-c")]


def test_near_duplicate_learnings_merge_by_embedding_without_a_model(repo: MemoryRepo,
                                                                    curator: MakeCurator) -> None:
    old = learning("uv", "Use uv to install Python packages in CI", 40)
    new = learning("uv in pipelines", "Install Python packages with uv in CI pipelines", 3)
    unrelated = learning("Pin versions", "Pin every dependency version in lock files", 20)
    for record in (old, new, unrelated):
        repo.write(record)

    result = curator(near_threshold=0.85).run()

    assert [a.op for a in result.plan.actions] == ["merge"]
    assert "near duplicate (cosine" in result.plan.actions[0].reason
    survivor = repo.read(old.path or "")
    assert isinstance(survivor, LearningRecord)
    assert survivor.merged_from == [new.id]
    assert survivor.learning == new.learning  # the newest wording wins
    assert not (repo.root / (new.path or "")).exists()
    assert (repo.root / (unrelated.path or "")).exists()


def test_near_duplicates_below_the_threshold_stay_without_a_model(repo: MemoryRepo, curator: MakeCurator) -> None:
    repo.write(memories("alice", memory("m-1", "Prefers short answers", 30), memory("m-2", "Likes short answers", 5)))

    plan = curator().plan()  # cosine ~0.81: a paraphrase, but without a model only >= 0.93 merges

    assert plan.empty


def test_the_model_confirms_a_near_duplicate_and_words_the_merge(repo: MemoryRepo, curator: MakeCurator,
                                                                 fake_llm, model) -> None:
    repo.write(memories("alice", memory("m-1", "Prefers short answers", 30), memory("m-2", "Likes short answers", 5),
                        memory("m-3", "Is learning to sail", 10)))
    fake_llm.enqueue_json({"verdicts": [{"pair": 1, "verdict": "duplicate",
                                         "merged": "Prefers short, direct answers"}]})

    result = curator(model=model).run()

    pair = fake_llm.requests[0]["messages"][1]["content"]
    assert "A: Prefers short answers" in pair and "B: Likes short answers" in pair  # older first
    record = repo.read(record_path(MemoriesRecord(user="alice")))
    assert isinstance(record, MemoriesRecord)
    assert [(m.id, m.text) for m in record.memories] == [("m-1", "Prefers short, direct answers"),
                                                          ("m-3", "Is learning to sail")]
    assert record.memories[0].extra["merged_from"] == "m-2"
    assert "judged a duplicate by the model" in (result.commit.message if result.commit else "")


def test_a_model_that_fails_changes_nothing_it_was_asked_about(repo: MemoryRepo, curator: MakeCurator,
                                                                fake_llm, model) -> None:
    repo.write(memories("alice", memory("m-1", "Prefers short answers", 30), memory("m-2", "Likes short answers", 5)))
    fake_llm.enqueue_text("not json at all")

    plan = curator(model=model).plan()

    assert plan.empty
    assert any("the model failed" in note for note in plan.notes)


def test_entities_with_a_shared_name_merge_keeping_every_fact_and_name(repo: MemoryRepo,
                                                                        curator: MakeCurator) -> None:
    first = EntityRecord(name="Acme Corp", entity_type="organization", created=stamp(50),
                         facts=[Item(id="f-1", text="Sells anvils", created=stamp(50))])
    second = EntityRecord(name="ACME", aliases=["Acme Corp", "Acme Inc"], created=stamp(10),
                          facts=[Item(id="f-2", text="Based in Arizona", created=stamp(10)),
                                 Item(id="f-3", text="sells anvils", created=stamp(10))])
    repo.write(first)
    repo.write(second)

    curator(near_duplicates=False).run()

    merged = repo.read(first.path or "")
    assert isinstance(merged, EntityRecord)
    assert merged.merged_from == [second.id]
    assert merged.aliases == ["ACME", "Acme Inc"]
    assert [(f.id, f.extra.get("merged_from")) for f in merged.facts] == [("f-1", "f-3"), ("f-2", None)]
    assert not (repo.root / (second.path or "")).exists()
