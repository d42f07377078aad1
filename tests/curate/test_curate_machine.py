"""The machine records recall times without commits, and curates in the background every N turns."""

from __future__ import annotations

import datetime as dt

import pytest

from learning_fs import LearningMachine
from learning_fs.curate import RecallLog
from learning_fs.curate.schedule import CurationSchedule
from learning_fs.format import MemoriesRecord, ProfileRecord, record_path
from learning_fs.repo import MemoryRepo
from tests.curate.helpers import git, head, memories, memory

TURN = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "Hi!"}]


def test_recall_records_when_memories_were_recalled_without_a_commit(repo: MemoryRepo) -> None:
    repo.write(memories("alice", memory("m-1", "Likes tea"), memory("m-2", "Plays the cello")))
    repo.write(ProfileRecord(id="usr-alice", user="alice", fields={"name": "Alice"}))
    before = head(repo)

    with LearningMachine(repo) as machine:
        machine.build_context("alice", message="tea?")
        machine.recall("bob", message="tea?")

    assert head(repo) == before
    times = RecallLog.for_repo(repo).last_recalled()
    assert set(times) == {"m-1", "m-2", "usr-alice"}
    repo.flush()  # .git/index is synced off the write path
    assert git(repo, "status", "--porcelain") == ""  # .learning_fs/ is derived and gitignored


def test_recall_tracking_can_be_switched_off(repo: MemoryRepo) -> None:
    repo.write(memories("alice", memory("m-1", "Likes tea")))

    with LearningMachine(repo, track_recalls=False) as machine:
        machine.recall("alice")

    assert not (repo.derived_dir / "recall.sqlite").exists()


def test_the_machine_curates_the_users_it_served_every_n_turns(repo: MemoryRepo) -> None:
    repo.write(memories("alice", memory("m-1", "Likes tea", 30), memory("m-2", "likes tea", 3)))
    repo.write(memories("bob", memory("m-3", "Likes tea", 30), memory("m-4", "likes tea", 3)))
    before = head(repo)

    with LearningMachine(repo, curate_every=2, track_recalls=False) as machine:
        machine.process(TURN, user_id="alice")
        machine.wait()
        assert head(repo) == before  # one turn: not yet
        machine.process(TURN, user_id="alice")
        machine.wait()

    assert git(repo, "log", "-1", "--format=%s") == "Curate user alice + namespace global: merged 1\n"
    bob = repo.read(record_path(MemoriesRecord(user="bob")))
    assert isinstance(bob, MemoriesRecord) and len(bob.memories) == 2  # Bob did not talk: not curated


def test_the_machine_hands_out_a_curator_with_its_model(repo: MemoryRepo, model) -> None:
    with LearningMachine(repo, model=model, track_recalls=False) as machine:
        assert machine.curator.model is model and machine.curator.repo is repo


def test_an_interval_schedule_runs_at_most_once_per_interval() -> None:
    now = [0.0]
    schedule = CurationSchedule(dt.timedelta(minutes=10), clock=lambda: now[0])

    assert schedule.turn("alice") is None
    now[0] = 601.0
    assert schedule.turn("bob") == ["alice", "bob"]
    now[0] = 900.0
    assert schedule.turn("carol") is None


@pytest.mark.parametrize("every", [0, -1, True, "daily", dt.timedelta(0)])
def test_a_bad_schedule_is_refused(every: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        CurationSchedule(every)  # type: ignore[arg-type]
