"""``MemoryRepo.advance``: bring another branch's commits into a branch, as approving a proposal does."""

from __future__ import annotations

import pytest

from learning_fs import MemoryRepo
from learning_fs.errors import ConflictError
from learning_fs.format import LearningRecord
from learning_fs.repo import CommitEvent
from tests.repo.conftest import GitView

BRANCH = "proposals/learning/x"


def _propose(repo: MemoryRepo, title: str, text: str) -> str:
    info = repo.write(LearningRecord(title=title, learning=text), branch=BRANCH)
    assert info is not None
    return info.sha


def test_a_branch_made_from_the_tip_fast_forwards_and_the_checkout_follows(memory_repo: MemoryRepo,
                                                                           git: GitView) -> None:
    events: list[CommitEvent] = []
    memory_repo.on_commit(events.append)
    tip = _propose(memory_repo, "Use uv", "Install with uv.")
    before = git.head()

    info = memory_repo.advance("main", tip, expected_tip=before)

    assert info is not None and info.sha == tip == git.head()
    assert git("rev-parse", "HEAD~1").strip() == before  # no merge commit: the proposal's own commit
    [path] = [p for p in git.files() if p.startswith("learnings/")]
    assert "Install with uv." in (memory_repo.root / path).read_text()
    assert memory_repo.read(path).title == "Use uv"  # type: ignore[attr-defined]
    memory_repo.flush()
    assert git.status() == []  # .git/index follows: a person's `git commit -a` undoes nothing
    [event] = events[-1:]
    assert event.checked_out and event.branch == "main" and event.commit == tip
    assert set(event.changes) == {path} and event.records[path] is not None


def test_when_main_moved_a_real_merge_commit_with_two_parents(memory_repo: MemoryRepo, git: GitView) -> None:
    tip = _propose(memory_repo, "Use uv", "Install with uv.")
    moved = memory_repo.write(LearningRecord(title="Pin versions", learning="Pin tool versions in CI."))
    assert moved is not None

    info = memory_repo.advance("main", tip, expected_tip=moved.sha, message="Approve proposal x",
                               trailers={"Learning-Proposal": "x"})

    assert info is not None and info.sha == git.head()
    assert git("rev-parse", "HEAD^1").strip() == moved.sha and git("rev-parse", "HEAD^2").strip() == tip
    assert "Learning-Proposal: x" in git("log", "-1", "--format=%B")
    assert len([p for p in git.files() if p.startswith("learnings/")]) == 2
    memory_repo.flush()
    assert git.status() == []


def test_no_fast_forward_records_a_merge_commit_even_when_nothing_moved(memory_repo: MemoryRepo,
                                                                        git: GitView) -> None:
    tip = _propose(memory_repo, "Use uv", "Install with uv.")
    before = git.head()

    info = memory_repo.advance("main", tip, message="Approve x", fast_forward=False)

    assert info is not None and info.sha == git.head() != tip
    assert git("rev-list", "--parents", "-n1", "HEAD").split()[1:] == [before, tip]
    assert git("rev-parse", "HEAD^{tree}") == git("rev-parse", f"{tip}^{{tree}}")


def test_conflicting_edits_raise_and_change_nothing(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Use uv", learning="Install with uv.")
    memory_repo.write(record)
    path = record.path or ""
    proposed = memory_repo.read(path)
    proposed.learning = "Install with uv, pinned."  # type: ignore[attr-defined]
    tip = memory_repo.write(proposed, branch=BRANCH)
    ours = memory_repo.read(path)
    ours.learning = "Install with pip."  # type: ignore[attr-defined]
    memory_repo.write(ours)
    head, text = git.head(), (memory_repo.root / path).read_text()

    with pytest.raises(ConflictError) as caught:
        memory_repo.advance("main", tip.sha if tip else "", expected_tip=head)

    assert caught.value.paths == [path]
    assert git.head() == head and (memory_repo.root / path).read_text() == text


def test_a_stale_expected_tip_is_refused(memory_repo: MemoryRepo, git: GitView) -> None:
    stale = git.head()
    tip = _propose(memory_repo, "Use uv", "Install with uv.")
    memory_repo.write(LearningRecord(title="Other", learning="Something else."))
    head = git.head()

    with pytest.raises(ConflictError, match="moved since it was read"):
        memory_repo.advance("main", tip, expected_tip=stale)
    assert git.head() == head


def test_work_already_in_the_branch_is_a_no_op(memory_repo: MemoryRepo, git: GitView) -> None:
    tip = _propose(memory_repo, "Use uv", "Install with uv.")
    memory_repo.advance("main", tip)
    count = git.count()

    assert memory_repo.advance("main", tip) is None
    assert git.count() == count


def test_advancing_another_branch_leaves_the_checkout_alone(memory_repo: MemoryRepo, git: GitView) -> None:
    git("branch", "release")
    tip = _propose(memory_repo, "Use uv", "Install with uv.")

    memory_repo.advance("release", tip)

    assert git("rev-parse", "release").strip() == tip
    assert not (memory_repo.root / "learnings").exists()
