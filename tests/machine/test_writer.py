"""RecordWriter: one save is one commit, PROPOSE never touches main, evidence travels with the change."""

from __future__ import annotations

import pytest

from learning_fs.errors import UnsafePathError
from learning_fs.format import LearningRecord, MemoriesRecord
from learning_fs.format.items import Item
from learning_fs.machine import Evidence, RecordWriter
from learning_fs.repo import MemoryRepo
from tests.machine.fixtures import branches, git, head


def _learning(title: str = "Use uv for Python projects") -> LearningRecord:
    return LearningRecord(title=title, learning="uv resolves and installs in one step.", context="packaging")


def _writer(repo: MemoryRepo, mode: str = "always", **kwargs: str) -> RecordWriter:
    kwargs.setdefault("user_id", "alice")
    return RecordWriter(repo, store="learned_knowledge", mode=mode, session_id="s1", agent_id="helper",
                        quote="How do I set up a Python project?", **kwargs)


def test_save_commits_once_on_the_checked_out_branch_with_evidence(repo: MemoryRepo) -> None:
    before = head(repo)
    result = _writer(repo, "agentic").save(
        [_learning()], summary="Save learning: Use uv", evidence=Evidence(reasoning="the user confirmed it worked")
    )

    assert result.saved and result.branch == "main" and result.proposal_id is None
    assert git(repo, "rev-list", "--count", f"{before}..main").strip() == "1"
    path = result.paths[0]
    assert (repo.root / path).is_file()
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Save learning: Use uv\n")
    assert "> How do I set up a Python project?" in message
    assert "Why: the user confirmed it worked" in message
    for trailer in ("Learning-Store: learned_knowledge", "Learning-User: alice", "Learning-Session: s1",
                    "Learning-Mode: agentic", "Learning-Agent: helper"):
        assert trailer in message
    saved = repo.read(path)
    assert (saved.source.user, saved.source.session, saved.source.mode) == ("alice", "s1", "agentic")


def test_propose_writes_a_branch_and_leaves_main_and_the_checkout_alone(repo: MemoryRepo) -> None:
    main_before = head(repo, "main")
    writer = _writer(repo, "propose")
    result = writer.save([_learning()], summary="Propose learning: Use uv")

    assert result.branch == "proposals/learning/use-uv-for-python-projects"
    assert result.proposal_id == "learning/use-uv-for-python-projects"
    assert head(repo, "main") == main_before
    assert not (repo.root / result.paths[0]).exists()
    repo.flush()
    assert git(repo, "status", "--porcelain") == ""
    shown = git(repo, "show", f"{result.branch}:{result.paths[0]}")
    assert "uv resolves and installs in one step." in shown
    message = git(repo, "log", "-1", "--format=%B", result.branch)
    assert "Learning-Proposal: learning/use-uv-for-python-projects" in message
    assert "Learning-Mode: propose" in message
    evidence = Evidence.from_commit_message(message)
    assert (evidence.user_id, evidence.session_id, evidence.store) == ("alice", "s1", "learned_knowledge")
    assert evidence.quote == "How do I set up a Python project?"

    second = writer.save([_learning()], summary="Propose learning: Use uv again")
    assert second.branch == "proposals/learning/use-uv-for-python-projects-2"
    assert sorted(b for b in branches(repo) if b.startswith("proposals/")) == [
        "proposals/learning/use-uv-for-python-projects", "proposals/learning/use-uv-for-python-projects-2",
    ]
    assert head(repo, "main") == main_before


def test_a_private_record_of_another_user_is_refused_and_nothing_is_written(repo: MemoryRepo) -> None:
    before = head(repo)
    bob = MemoriesRecord(user="bob", memories=[Item(id="m-1", text="Bob's secret")])
    with pytest.raises(UnsafePathError, match="bob"):
        _writer(repo).save([bob], summary="Remember Bob")
    with pytest.raises(UnsafePathError):
        RecordWriter(repo, store="user_memory").save([bob], summary="no user bound")
    alice = _writer(repo).save([MemoriesRecord(user="alice")], summary="Remember Alice")
    with pytest.raises(UnsafePathError):
        _writer(repo, user_id="bob").read(alice.paths[0])
    with pytest.raises(UnsafePathError):
        _writer(repo, user_id="bob").save([], deletes=[alice.paths[0]], summary="delete Alice's memories")
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"


def test_buffered_saves_of_a_turn_become_one_commit(repo: MemoryRepo) -> None:
    buffered = _writer(repo).buffered()
    first = buffered.save([MemoriesRecord(user="alice", memories=[Item(id="m-1", text="Likes tea")])],
                          summary="Remember: likes tea")
    assert first.pending and not first.saved
    seen = buffered.read(first.paths[0])
    assert seen is not None and [m.text for m in seen.memories] == ["Likes tea"]
    seen.memories.append(Item(id="m-2", text="Works at night"))
    buffered.save([seen], summary="Remember: works at night", evidence=Evidence(reasoning="said so twice"))
    buffered.save([_learning()], summary="Save learning: Use uv")
    before = head(repo)
    assert repo.get(first.paths[0]) is None  # nothing written before the flush

    result = buffered.flush()

    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert [m.text for m in repo.read(first.paths[0]).memories] == ["Likes tea", "Works at night"]
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("learned_knowledge: 3 changes from one turn")
    assert "- Remember: works at night\n  Why: said so twice" in message
    assert len(result.paths) == 2
    assert buffered.flush().commit is None  # nothing left


def test_discard_writes_nothing(repo: MemoryRepo) -> None:
    buffered = _writer(repo).buffered()
    buffered.save([_learning()], summary="half a turn")
    before = head(repo)
    buffered.discard()
    assert buffered.flush().commit is None
    assert head(repo) == before


def test_unchanged_records_and_empty_saves_make_no_commit(repo: MemoryRepo) -> None:
    writer = _writer(repo)
    record = _learning()
    writer.save([record], summary="first")
    before = head(repo)
    assert writer.save([record], summary="again").commit is None
    assert writer.save([], summary="nothing").commit is None
    assert head(repo) == before


def test_deletes_in_propose_mode_stay_on_the_proposal(repo: MemoryRepo) -> None:
    path = _writer(repo).save([_learning()], summary="add").paths[0]
    result = _writer(repo, "propose").save([], deletes=[path], summary="Forget: Use uv")
    assert result.branch == "proposals/learning/delete-use-uv-for-python-projects"
    assert (repo.root / path).is_file()
    assert path not in git(repo, "ls-tree", "-r", "--name-only", result.branch)


def test_flush_records_the_models_reasoning_for_saves_that_gave_none(repo: MemoryRepo) -> None:
    buffered = _writer(repo).buffered()
    buffered.save([_learning()], summary="Save learning: Use uv")
    buffered.flush(reasoning="The user confirmed uv fixed their CI.")
    evidence = Evidence.from_commit_message(git(repo, "log", "-1", "--format=%B"))
    assert evidence.reasoning == "The user confirmed uv fixed their CI."
