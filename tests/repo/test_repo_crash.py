"""``kill -9`` at any point of a write leaves nothing hidden: the next writer or opener catches up.

A writer is killed between its blob write, the branch move, the working-tree update and the
``.git/index`` sync. Afterwards the working tree must show every committed memory (recall reads it),
``git status`` must be clean once the next write is done, no acknowledged write may be missing
from HEAD, and ``git fsck --strict`` must stay clean. The writers are forked processes (a real
SIGKILL, no interpreter start per kill), so 60 kills take a few seconds.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from learning_fs import MemoryRepo
from learning_fs.errors import LearningFSError
from learning_fs.format import Item, MemoriesRecord
from learning_fs.format.layout import user_folder
from learning_fs.format.records import parse_record
from learning_fs.machine.writer import RecordWriter
from learning_fs.repo import gitindex, memory_repo, worktree
from tests.repo.conftest import learning_fs_cli

if TYPE_CHECKING:
    from tests.repo.conftest import GitView

USERS = [f"user{i}" for i in range(6)]


def memories_path(user: str) -> str:
    return f"{user_folder(user)}/memories.md"


def write_round(repo: MemoryRepo, rnd: random.Random, tag: str, acknowledged: Path) -> None:
    """One write as the library's users make them: a store's single save or a batch in one commit."""
    if rnd.random() < 0.5:  # a store's write: RecordWriter reads (from the tip) and saves one record
        user = rnd.choice(USERS)
        writer = RecordWriter(repo, store="memories", user_id=user)
        with repo.write_lock():
            record = writer.read(memories_path(user)) or MemoriesRecord(user=user)
            assert isinstance(record, MemoriesRecord)
            record.memories.append(Item(id=f"m-{tag}", text=f"Memory {tag}"))
            writer.save([record], summary=f"Remember {tag}")
        ids = [f"m-{tag}"]
    else:  # a batch: several users' files in one transaction
        users = rnd.sample(USERS, 3)
        ids = []
        with repo.transaction(f"Batch {tag}") as tx:
            for index, user in enumerate(users):
                record = tx.read(memories_path(user)) or MemoriesRecord(user=user)
                assert isinstance(record, MemoriesRecord)
                record.memories.append(Item(id=f"m-{tag}-{index}", text=f"Batch memory {tag}"))
                tx.write(record)
                ids.append(f"m-{tag}-{index}")
    with open(acknowledged, "a", encoding="utf-8") as handle:  # the caller was told: it is saved
        handle.write("".join(f"{i}\n" for i in ids))


def fork_writer(root: Path, seed: int, acknowledged: Path, sabotage: Callable[[], None] | None = None) -> int:
    """A child process writing until it is killed (``sabotage`` may make it kill itself at one point).

    Returns once the child has opened the repository, so a kill lands among its writes.
    """
    ready, tell = os.pipe()
    pid = os.fork()
    if pid:
        os.close(tell)
        os.read(ready, 1)  # b"" if it died first
        os.close(ready)
        return pid
    try:  # the child: never return into pytest
        os.close(ready)
        if sabotage is not None:
            sabotage()
        repo = MemoryRepo(root)
        os.write(tell, b"r")
        rnd = random.Random(seed)
        for round_ in range(10_000):
            write_round(repo, rnd, f"{seed}-{round_}", acknowledged)
    finally:
        os._exit(0)


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def head_ids(git: GitView) -> dict[str, set[str]]:
    """``path -> memory ids`` in HEAD."""
    result = {}
    for user in USERS:
        path = memories_path(user)
        if path in git.files():
            record = parse_record(git.text(path), path)
            assert isinstance(record, MemoriesRecord)
            result[path] = {m.id for m in record.memories}
    return result


def assert_nothing_hidden(root: Path, git: GitView, acknowledged: Path) -> None:
    repo = MemoryRepo(root)  # opening catches up after the last kill
    try:
        committed = head_ids(git)
        for path, ids in committed.items():
            seen = repo.get(path)  # what recall reads: the working tree
            assert isinstance(seen, MemoriesRecord), path
            assert ids <= {m.id for m in seen.memories}, f"{path}: committed memories hidden from recall"
        told = set(acknowledged.read_text().split()) if acknowledged.exists() else set()
        in_head = set().union(*committed.values()) if committed else set()
        assert told <= in_head, f"acknowledged writes missing from HEAD: {sorted(told - in_head)[:5]}"
        repo.write(MemoriesRecord(user="after", memories=[Item(id="m-after", text="after the crashes")]))
        assert repo.flush() is True
        assert git.status() == []
    finally:
        repo.close()
    # Dangling objects are expected (a writer killed before its branch moved); errors are not.
    assert git("fsck", "--strict", "--no-dangling", "--no-progress") == ""


def test_sixty_random_kills_hide_nothing(memory_repo: MemoryRepo, git: GitView, tmp_path: Path) -> None:
    rnd = random.Random(20261207)
    started = time.perf_counter()
    for round_ in range(3):  # how long a write takes on this machine now: kills land within a few of them
        write_round(memory_repo, rnd, f"warm-{round_}", tmp_path / "warm.txt")
    window = 3 * (time.perf_counter() - started) / 3
    memory_repo.close()
    acknowledged = tmp_path / "acknowledged.txt"
    for kill in range(60):
        pid = fork_writer(memory_repo.root, kill, acknowledged)
        time.sleep(rnd.uniform(0.0, window))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    assert_nothing_hidden(memory_repo.root, git, acknowledged)
    # The writers did get work done between kills (14-60 acknowledged here, fewer under heavy load:
    # a forked writer's first write also opens the repository).
    assert len(acknowledged.read_text().split()) >= 10


def _at(target: object, name: str, after: int = 0) -> Callable[[], None]:
    """A sabotage: SIGKILL the process on the ``after``-th call of ``target.name`` (before it runs)."""
    def install() -> None:
        original = getattr(target, name)
        calls = {"n": 0}

        def dying(*args: object, **kwargs: object) -> object:
            calls["n"] += 1
            if calls["n"] > after:
                kill_self()
            return original(*args, **kwargs)

        setattr(target, name, dying)
    return install


@pytest.mark.parametrize("sabotage", [
    pytest.param(_at(memory_repo.MemoryRepo, "_tip", after=3), id="before-the-branch-moves"),
    pytest.param(_at(memory_repo, "update_worktree"), id="after-the-branch-moved"),
    pytest.param(_at(worktree, "write_atomic", after=1), id="halfway-through-a-batch"),
    pytest.param(_at(gitindex, "record_pending"), id="before-the-index-journal"),
    pytest.param(_at(worktree, "clear_intent"), id="before-the-intent-is-cleared"),
    pytest.param(_at(gitindex.subprocess, "run"), id="during-the-index-sync"),
])
def test_a_kill_at_each_step_is_caught_up_by_the_next_cli_write(
        memory_repo: MemoryRepo, git: GitView, tmp_path: Path, sabotage: Callable[[], None]) -> None:
    seeded = MemoriesRecord(user=USERS[0], memories=[Item(id="m-seed", text="seed")])
    memory_repo.write_many([seeded, MemoriesRecord(user=USERS[1], memories=[Item(id="m-s1", text="seed")])])
    assert memory_repo.flush()
    memory_repo.close()
    acknowledged = tmp_path / "acknowledged.txt"
    pid = fork_writer(memory_repo.root, 7, acknowledged, sabotage)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL  # it did die mid-write

    result = learning_fs_cli("--repo", str(memory_repo.root), "add", "memory", "--user", USERS[2], "After the crash")

    assert result.returncode == 0, result.stderr
    assert git("status", "--porcelain") == ""
    assert_nothing_hidden(memory_repo.root, git, acknowledged)


def test_a_stale_file_without_an_intent_is_recognised_from_history(memory_repo: MemoryRepo, git: GitView) -> None:
    """A library version older than the one being replaced (an older writer crashed) is not a person's edit."""
    path = memories_path("alice")
    record = MemoriesRecord(user="alice", memories=[Item(id="m-1", text="one")])
    memory_repo.write(record)
    stale = (memory_repo.root / path).read_bytes()
    record.memories.append(Item(id="m-2", text="two"))
    memory_repo.write(record)
    (memory_repo.root / path).write_bytes(stale)  # as a writer killed before its working-tree update leaves it

    record.memories.append(Item(id="m-3", text="three"))
    memory_repo.write(record)

    seen = memory_repo.read(path)
    assert isinstance(seen, MemoriesRecord)
    assert [m.id for m in seen.memories] == ["m-1", "m-2", "m-3"]
    assert memory_repo.flush() and git.status() == []


def test_a_ref_lock_left_by_a_killed_writer_is_cleared_and_a_live_one_named(
        memory_repo: MemoryRepo, git: GitView, tmp_path: Path) -> None:
    memory_repo.write(MemoriesRecord(user=USERS[0], memories=[Item(id="m-seed", text="seed")]))
    memory_repo.close()
    lock = memory_repo.git_dir / "refs" / "heads" / "main.lock"

    def die_holding_the_ref_lock() -> None:
        def create_commit(self: object, *args: object, **kwargs: object) -> object:
            lock.write_text("0" * 40 + "\n")  # what libgit2 has written when it is killed mid-update
            kill_self()
            raise AssertionError("unreachable")
        import pygit2
        pygit2.Repository.create_commit = create_commit  # type: ignore[method-assign]

    pid = fork_writer(memory_repo.root, 3, tmp_path / "ack.txt", die_holding_the_ref_lock)
    os.waitpid(pid, 0)
    assert lock.exists()

    result = learning_fs_cli("--repo", str(memory_repo.root), "add", "memory", "--user", USERS[1], "Afterwards")
    assert result.returncode == 0, result.stderr  # waited for the stale lock to age, then removed it
    assert not lock.exists() and git("status", "--porcelain") == ""

    lock.write_text("")  # a lock a running git command holds (not left by a killed library writer)
    repo = MemoryRepo(memory_repo.root)
    try:
        from learning_fs.repo import locks
        locks.REF_LOCK_WAIT = 0.5
        started = time.monotonic()
        with pytest.raises(LearningFSError, match=r"ref lock refs/heads/main\.lock \(held"):
            repo.write(MemoriesRecord(user=USERS[2], memories=[Item(id="m-x", text="x")]))
        assert time.monotonic() - started < 5
        assert lock.exists()  # never removed: it may be a running git command's
    finally:
        locks.REF_LOCK_WAIT = 10.0
        lock.unlink()
        repo.close()
