"""Living beside a person's git while agents write steadily: their commits succeed, git's own
maintenance (``pack-refs``, ``gc``) never fails a write, and hooks chain instead of displacing each other.

Writers are forked processes writing as fast as they can; the person is the real ``git`` command
line, run without any retry.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from learning_fs import MemoryRepo
from learning_fs.format import LearningRecord
from learning_fs.repo import gitindex

if TYPE_CHECKING:
    from tests.repo.conftest import GitView


def start_writers(root: Path, count: int, log: Path, pause: float = 0.0) -> list[int]:
    """``count`` forked writer processes committing until killed; each failure is appended to ``log``."""
    pids = []
    for worker in range(count):
        pid = os.fork()
        if pid:
            pids.append(pid)
            continue
        try:
            repo = MemoryRepo(root)
            for i in range(100_000):
                try:
                    repo.write(LearningRecord(title=f"Writer {worker} lesson {i}"))
                except Exception as exc:  # the test counts every failure
                    with open(log, "a", encoding="utf-8") as handle:
                        handle.write(f"{type(exc).__name__}: {exc}\n")
                time.sleep(pause)
        finally:
            os._exit(0)
    return pids


def stop(pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        os.waitpid(pid, 0)


def person(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The person's git, once, no retry."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def test_pack_refs_and_gc_beside_writers_fail_no_write(memory_repo: MemoryRepo, git: GitView,
                                                       tmp_path: Path) -> None:
    memory_repo.close()
    failures = tmp_path / "failures.txt"
    pids = start_writers(memory_repo.root, 3, failures)
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            person(memory_repo.root, "pack-refs", "--all")
        person(memory_repo.root, "gc", "--quiet")
        person(memory_repo.root, "pack-refs", "--all")
    finally:
        stop(pids)

    assert not failures.exists() or failures.read_text() == "", failures.read_text()
    assert git("fsck", "--strict", "--no-dangling", "--no-progress") == ""


def test_the_hook_never_waits_on_the_librarys_write_lock(memory_repo: MemoryRepo, git: GitView) -> None:
    memory_repo._syncer.stop()
    if memory_repo._syncer._thread is not None:
        memory_repo._syncer._thread.join(10)
    (memory_repo.root / "notes.md").write_text("mine\n")
    git("add", "notes.md")
    memory_repo.write(LearningRecord(title="Needs the hook"))  # the index is behind: the hook must sync it
    with memory_repo.write_lock():  # an agent holds the write lock for a long time
        started = time.monotonic()
        result = person(memory_repo.root, "commit", "-qm", "Mine")
        took = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert took < 3
    assert "learnings/" in git("show", "--name-only", "--format=", "HEAD~1")  # the library write is still there
    assert set(git.files()) >= {"notes.md"} and any(p.startswith("learnings/") for p in git.files())


def test_a_foreign_shell_hook_and_learning_fs_chain(tmp_path: Path, gitview: Callable[[Path], GitView]) -> None:
    repo = MemoryRepo.init(tmp_path / "r")
    repo.close()
    hooks = repo.git_dir / "hooks"
    ran = tmp_path / "foreign-ran"
    (hooks / "pre-commit").write_text(f"#!/bin/sh\ntouch {ran}\nexit 0\n")

    reopened = MemoryRepo(repo.root)
    hook_text = (hooks / "pre-commit").read_text()
    assert f"touch {ran}" in hook_text and gitindex.HOOK_MARKER in hook_text  # theirs kept, ours added
    assert (hooks / gitindex.CHAINED).read_text() == gitindex.hook_script()
    reopened._syncer.stop()
    reopened.write(LearningRecord(title="Synced by the chained hook"))
    (repo.root / "notes.md").write_text("mine\n")
    view = gitview(repo.root)
    view("add", "notes.md")
    view("commit", "-qm", "Mine")

    assert ran.exists()  # their hook ran
    assert any(p.startswith("learnings/") for p in view.files())  # and ours: the library write survived
    MemoryRepo(repo.root).close()
    assert (hooks / "pre-commit").read_text() == hook_text  # added once, never twice


def test_the_pre_commit_framework_moving_our_hook_aside_is_not_warned_about(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    repo = MemoryRepo.init(tmp_path / "r")
    repo.close()
    hooks = repo.git_dir / "hooks"
    os.replace(hooks / "pre-commit", hooks / "pre-commit.legacy")  # what `pre-commit install` does
    (hooks / "pre-commit").write_text("#!/usr/bin/env python3\n# File generated by pre-commit\n")

    with caplog.at_level(logging.WARNING):
        MemoryRepo(repo.root).close()

    assert caplog.text == ""
    assert gitindex.HOOK_MARKER in (hooks / "pre-commit.legacy").read_text()


@pytest.fixture
def conflicted_merge(memory_repo: MemoryRepo, git: GitView) -> Path:
    """A person's `git merge` stopped on a conflict in their own notes.md."""
    notes = memory_repo.root / "notes.md"
    notes.write_text("base\n")
    git("add", "notes.md")
    git("commit", "-qm", "Notes")
    git("checkout", "-qb", "side")
    notes.write_text("side\n")
    git("commit", "-qam", "Side notes")
    git("checkout", "-q", "main")
    notes.write_text("main\n")
    git("commit", "-qam", "Main notes")
    assert memory_repo.flush()
    assert git("merge", "side", check=False) is not None and (memory_repo.git_dir / "MERGE_HEAD").exists()
    return notes


def test_a_library_write_during_a_persons_merge_leaves_it_alone(
        memory_repo: MemoryRepo, git: GitView, conflicted_merge: Path) -> None:
    index_before = (memory_repo.git_dir / "index").read_bytes()
    record = LearningRecord(title="Written during the merge")

    memory_repo.write(record)
    memory_repo.flush(timeout=0.2)

    assert (memory_repo.git_dir / "index").read_bytes() == index_before  # their index, untouched
    assert not (memory_repo.root / str(record.path)).exists()  # their working tree, untouched
    assert "<<<<<<<" in conflicted_merge.read_text()
    conflicted_merge.write_text("resolved\n")
    git("add", "notes.md")
    git("commit", "-qm", "Merge side")  # their operation completes as git alone would

    assert git("rev-list", "--parents", "-n1", "HEAD").count(" ") == 2  # a merge commit
    assert git.text("notes.md") == "resolved\n"
    assert record.path in git.files()  # what the library committed meanwhile is still there
    memory_repo.write(LearningRecord(title="After the merge"))  # the deferred file is brought forward
    assert (memory_repo.root / str(record.path)).exists()
    assert memory_repo.flush() and git.status() == []


def test_a_persons_merge_abort_after_a_library_write_leaves_no_markers(
        memory_repo: MemoryRepo, git: GitView, conflicted_merge: Path) -> None:
    record = LearningRecord(title="Written during the merge")
    memory_repo.write(record)

    git("merge", "--abort")

    assert conflicted_merge.read_text() == "main\n"
    assert record.path in git.files()
    reopened = MemoryRepo(memory_repo.root)  # opening after the operation catches up too
    assert (memory_repo.root / str(record.path)).exists()
    assert reopened.flush() and git.status() == []
    reopened.close()


def test_a_write_during_a_rebase_is_refused_and_the_rebase_completes(memory_repo: MemoryRepo,
                                                                     git: GitView) -> None:
    notes = memory_repo.root / "notes.md"
    notes.write_text("base\n")
    git("add", "notes.md")
    git("commit", "-qm", "Notes")
    git("checkout", "-qb", "topic")
    notes.write_text("topic\n")
    git("commit", "-qam", "Topic notes")
    git("checkout", "-q", "main")
    notes.write_text("main\n")
    git("commit", "-qam", "Main notes")
    git("checkout", "-q", "topic")
    assert memory_repo.flush()
    git("rebase", "main", check=False)
    assert (memory_repo.git_dir / "rebase-merge").exists()

    with pytest.raises(Exception, match="in progress"):
        memory_repo.write(LearningRecord(title="During the rebase"))

    git("rebase", "--abort")
    assert git("rev-parse", "--abbrev-ref", "HEAD").strip() == "topic"
    assert memory_repo.write(LearningRecord(title="After the rebase")) is not None
