"""Git-native features: branch writes beside the checkout, reads as of a commit or a date, revert, record history."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

import pytest

from learning_fs import ConflictError, MemoryRepo, RecordNotFoundError
from learning_fs.format import EntityRecord, Item, LearningRecord

if TYPE_CHECKING:
    from tests.repo.conftest import GitView

UTC = dt.timezone.utc


def day(month: int, date: int) -> dt.datetime:
    return dt.datetime(2020, month, date, 12, 0, tzinfo=UTC)


def test_a_branch_write_leaves_the_checkout_and_the_index_alone(memory_repo: MemoryRepo, git: GitView) -> None:
    memory_repo.write(LearningRecord(title="On main"))
    memory_repo.flush()
    head, index = git.head(), hashlib.sha256((memory_repo.git_dir / "index").read_bytes()).hexdigest()
    worktree = sorted(p.relative_to(memory_repo.root) for p in memory_repo.root.rglob("*") if ".git" not in p.parts)
    branch = "proposals/learning/x"

    first, second = LearningRecord(title="Proposed"), LearningRecord(title="Also proposed")
    info = memory_repo.write(first, branch=branch, trailers={"Learning-Mode": "propose"})
    memory_repo.write(second, branch=branch)

    assert info is not None
    assert git.head() == head and memory_repo.branch == "main"
    assert hashlib.sha256((memory_repo.git_dir / "index").read_bytes()).hexdigest() == index
    assert sorted(p.relative_to(memory_repo.root) for p in memory_repo.root.rglob("*")
                  if ".git" not in p.parts) == worktree
    assert git.status() == []
    assert {first.path, second.path} <= git.files(branch)  # the second write built on the first
    assert git("rev-parse", f"{branch}~2").strip() == head  # the branch starts from the checked-out tip
    assert memory_repo.as_of(branch).read(str(first.path)) == first
    assert memory_repo.log(branch=branch, limit=1)[0].trailers["Learning-Kind"] == "learning"


def test_as_of_a_commit_or_a_date_reads_what_was_known_then(memory_repo: MemoryRepo, git: GitView) -> None:
    record = EntityRecord(name="Acme", facts=[Item(id="f-1", text="Uses PostgreSQL 15")])
    with memory_repo.transaction("Learn about Acme", when=day(10, 1)) as tx:
        tx.write(record)
    first = git.head()
    record.facts[0].status = "superseded"
    record.facts.append(Item(id="f-2", text="Uses PostgreSQL 16"))
    with memory_repo.transaction("Acme upgraded", when=day(10, 15)) as tx:
        tx.write(record)
    path = str(record.path)

    def facts(at: str | dt.date | dt.datetime) -> list[str]:
        seen = memory_repo.read_at(path, at)
        assert isinstance(seen, EntityRecord)
        return [f.text for f in seen.facts if f.active]

    assert git("log", "-1", "--format=%cI").strip() == "2020-10-15T12:00:00+00:00"
    assert facts(first) == facts("2020-10-01") == facts(dt.date(2020, 10, 14)) == ["Uses PostgreSQL 15"]
    assert facts(day(10, 14)) == ["Uses PostgreSQL 15"]
    assert facts("2020-10-15") == facts("HEAD") == ["Uses PostgreSQL 16"]
    snapshot = memory_repo.as_of("2020-10-02")
    assert snapshot.sha == first and snapshot.paths("entity") == [path]
    assert [r.id for r in snapshot.list("entity")] == [record.id]
    with pytest.raises(RecordNotFoundError):
        memory_repo.as_of("2019-01-01")
    with pytest.raises(RecordNotFoundError):
        memory_repo.read_at("entities/global/00/nothing.md", "HEAD")


def test_revert_undoes_one_commit_with_a_new_one(memory_repo: MemoryRepo, git: GitView) -> None:
    keep, change = LearningRecord(title="Keep", learning="v1"), LearningRecord(title="Change", learning="v1")
    memory_repo.write_many([keep, change])
    change.learning = "v2, a mistake"
    bad = memory_repo.write(change)
    keep.learning = "v2, fine"
    memory_repo.write(keep)
    assert bad is not None

    info = memory_repo.revert(bad.sha)

    assert info is not None and info.subject == f'Revert "{bad.subject}"'
    assert info.trailers["Learning-Revert"] == bad.sha
    reverted = memory_repo.read(str(change.path))
    assert isinstance(reverted, LearningRecord) and reverted.learning == "v1"
    assert "v1" in git.text(str(change.path)) and "v2, fine" in git.text(str(keep.path))
    memory_repo.flush()
    assert git.status() == []


def test_a_revert_that_conflicts_raises_and_changes_nothing(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Contested", learning="v1")
    memory_repo.write(record)
    record.learning = "v2"
    second = memory_repo.write(record)
    record.learning = "v3"
    memory_repo.write(record)
    assert second is not None
    head, text = git.head(), (memory_repo.root / str(record.path)).read_text()

    with pytest.raises(ConflictError) as caught:
        memory_repo.revert(second.sha)

    assert caught.value.paths == [record.path]
    assert git.head() == head
    assert (memory_repo.root / str(record.path)).read_text() == text


def test_log_follows_one_record_across_a_rename(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Followed", learning="v1")
    memory_repo.write(record, trailers={"Learning-Store": "learned_knowledge"})
    memory_repo.write(LearningRecord(title="Unrelated"))
    record.learning = "v2"
    memory_repo.write(record)
    memory_repo.flush()
    old_path = str(record.path)
    new_path = old_path.replace("followed.md", "followed-renamed.md")
    git("mv", old_path, new_path)
    git("commit", "-qm", "Rename by hand")

    history = memory_repo.log(new_path)

    assert [c.subject for c in history] == ["Rename by hand", "Update learning: Followed", "Add learning: Followed"]
    assert history[-1].trailers["Learning-Store"] == "learned_knowledge"
    assert history[-1].trailers["Learning-Record"] == record.id
    assert len(memory_repo.log()) == git.count() and len(memory_repo.log(limit=2)) == 2
