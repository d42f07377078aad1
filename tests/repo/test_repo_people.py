"""The library shares the repository with people: their edits, their index and their commits are never harmed.

The library commits at the object level, which leaves ``.git/index`` behind; a background syncer,
``flush()`` and a ``pre-commit`` hook bring it up to date. These tests play the person with the real
``git`` command line.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from learning_fs import MemoryRepo
from learning_fs.format import EntityRecord, Item, LearningRecord
from learning_fs.repo import gitindex

if TYPE_CHECKING:
    from tests.repo.conftest import GitView


@pytest.fixture
def person_files(memory_repo: MemoryRepo, git: GitView) -> Path:
    """A file of the person's own, committed by them."""
    notes = memory_repo.root / "notes.md"
    notes.write_text("my notes\n")
    git("add", "notes.md")
    git("commit", "-qm", "Add my notes")
    return notes


def pause_background_sync(repo: MemoryRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the background index sync, as if the person acts before it ran (flush() still works)."""
    repo._syncer.stop()
    if repo._syncer._thread is not None:
        repo._syncer._thread.join(10)


def library_writes(repo: MemoryRepo) -> list[str]:
    """An add, an update and a delete: every kind of change the index has to catch up with."""
    kept, changed, doomed = LearningRecord(title="Kept"), LearningRecord(title="Changed"), LearningRecord(title="Gone")
    repo.write_many([changed, doomed])
    changed.learning = "changed"
    repo.write(kept)
    repo.write(changed)
    repo.delete(doomed)
    return [str(kept.path), str(changed.path)]


def test_unrelated_edits_and_staged_changes_are_not_swept_into_library_commits(
        memory_repo: MemoryRepo, git: GitView, person_files: Path) -> None:
    person_files.write_text("my notes, edited but not committed\n")
    (memory_repo.root / "draft.md").write_text("staged by the person\n")
    git("add", "draft.md")

    record = LearningRecord(title="Library lesson")
    memory_repo.write(record)
    memory_repo.flush()

    assert git("show", "--name-only", "--format=", "HEAD").split() == [record.path]
    assert person_files.read_text() == "my notes, edited but not committed\n"
    assert git("diff", "--cached", "--name-only").split() == ["draft.md"]  # still staged, still theirs
    assert set(git.status()) == {"A  draft.md", " M notes.md"}


def test_git_status_is_clean_after_flush(memory_repo: MemoryRepo, git: GitView) -> None:
    library_writes(memory_repo)

    assert memory_repo.flush() is True
    assert git.status() == []


def test_the_background_syncer_cleans_git_status_without_flush(memory_repo: MemoryRepo, git: GitView) -> None:
    library_writes(memory_repo)

    deadline = time.monotonic() + 10
    while git.status() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert git.status() == []


@pytest.mark.parametrize("flushed", [True, False], ids=["after-flush", "before-sync"])
@pytest.mark.parametrize("how", [("commit",), ("commit", "-a")], ids=["git-commit", "git-commit-a"])
def test_a_persons_commit_right_after_library_writes_keeps_them(
        memory_repo: MemoryRepo, git: GitView, person_files: Path, monkeypatch: pytest.MonkeyPatch,
        flushed: bool, how: tuple[str, ...]) -> None:
    if not flushed:
        pause_background_sync(memory_repo, monkeypatch)
    written = library_writes(memory_repo)
    library_tree = git.files()
    if flushed:
        memory_repo.flush()
    else:
        assert any(line.startswith("D ") for line in git.status())  # the index is behind: the hook must act
    person_files.write_text("my notes, v2\n")
    if how == ("commit",):
        git("add", "notes.md")

    git(*how, "-qm", "My own change")

    assert git.files() == library_tree  # nothing the library wrote was undone, nothing deleted came back
    assert git("show", "--name-only", "--format=", "HEAD").split() == ["notes.md"]
    for path in written:
        assert git.text(path) == (memory_repo.root / path).read_text()
    assert git.status() == []


def test_a_person_committing_while_the_syncer_runs_never_undoes_a_write(
        memory_repo: MemoryRepo, git: GitView, person_files: Path) -> None:
    """`git commit` reads the index before locking it: a sync landing in between is lost, the hook repairs it."""

    written: list[str] = []
    for round_ in range(9):
        batch = [LearningRecord(title=f"Round {round_} lesson {i}") for i in range(2)]
        for record in batch:
            memory_repo.write(record)
            written.append(str(record.path))
        time.sleep(0.01 * (round_ % 4))  # land the commit before, during and after the background sync
        person_files.write_text(f"notes v{round_}\n")
        if round_ % 3 == 0:
            git("add", "notes.md")
            git("commit", "-qm", f"Notes {round_}")
        elif round_ % 3 == 1:
            git("commit", "-qam", f"Notes {round_}")
        else:
            git("commit", "-qm", f"Notes {round_}", "notes.md")

        assert set(written) <= git.files(), f"round {round_}: a person's commit undid a library write"


def test_commit_a_keeps_a_persons_edit_of_a_library_file(memory_repo: MemoryRepo, git: GitView,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    tracked = LearningRecord(title="Tracked", learning="v1")
    memory_repo.write(tracked)
    pause_background_sync(memory_repo, monkeypatch)
    tracked.learning = "library v2"
    memory_repo.write(tracked)
    fresh = LearningRecord(title="Fresh", learning="library text")
    memory_repo.write(fresh)
    for record in (tracked, fresh):  # the person edits both before the index caught up
        file = memory_repo.root / str(record.path)
        file.write_text(file.read_text().replace("library", "person's"))

    git("commit", "-a", "-qm", "Correct the lessons")

    # A file git already tracked: `commit -a` takes the person's edit, the hook does not undo it.
    assert "person's v2" in git.text(str(tracked.path))
    # A file git did not track yet is not part of `-a`: the library's version is committed and the
    # person's edit waits in the working tree, like any other uncommitted edit.
    assert "library text" in git.text(str(fresh.path))
    assert "person's text" in (memory_repo.root / str(fresh.path)).read_text()
    assert git.status() == [f" M {fresh.path}"]


def test_a_staged_change_to_a_library_file_is_not_unstaged_by_the_sync(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Lesson", learning="v1")
    memory_repo.write(record)
    memory_repo.flush()
    file = memory_repo.root / str(record.path)
    file.write_text(file.read_text().replace("v1", "person's v2"))
    git("add", str(record.path))

    other = LearningRecord(title="Other")
    memory_repo.write(other)  # an unrelated library write syncs the index again
    memory_repo.flush()

    assert git("diff", "--cached", "--name-only").split() == [record.path]


def test_the_hook_falls_back_to_git_when_its_python_is_gone(
        memory_repo: MemoryRepo, git: GitView, person_files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = memory_repo.git_dir / "hooks" / "pre-commit"
    hook.write_text(hook.read_text().replace(gitindex.sys.executable, "/nonexistent/python"))
    pause_background_sync(memory_repo, monkeypatch)
    library_writes(memory_repo)
    library_tree = git.files()
    person_files.write_text("v2\n")

    git("commit", "-qam", "Mine")

    assert git.files() == library_tree


def test_a_pre_commit_hook_of_the_persons_own_keeps_its_content(tmp_path: Path) -> None:
    repo = MemoryRepo.init(tmp_path / "r")
    hook = repo.git_dir / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")

    MemoryRepo(repo.root)

    lines = hook.read_text().splitlines()
    assert lines[0] == "#!/bin/sh" and lines[-1] == "exit 0"  # theirs, with one marked line of ours
    assert len(lines) == 3 and gitindex.HOOK_MARKER in lines[1]


def test_a_file_a_person_is_editing_gets_both_their_edit_and_the_librarys_change(
        memory_repo: MemoryRepo, git: GitView) -> None:
    record = EntityRecord(name="Acme", facts=[Item(id="f-1", text="Uses Postgres")])
    memory_repo.write(record)
    file = memory_repo.root / str(record.path)
    file.write_text(file.read_text() + "- Typed by a person, not saved to git yet\n")

    record.facts.append(Item(id="f-2", text="Pays in EUR"))
    memory_repo.write(record)

    on_disk = file.read_text()
    assert "Typed by a person" in on_disk and "Pays in EUR" in on_disk  # both, in the working tree
    assert "Pays in EUR" in git.text(str(record.path))  # the library's change is in HEAD
    assert "Typed by a person" not in git.text(str(record.path))  # the person's edit is still theirs
    memory_repo.flush()
    assert git.status() == [f" M {record.path}"]  # unstaged: the index holds HEAD's version
    seen = memory_repo.read(str(record.path))
    assert isinstance(seen, EntityRecord)
    assert {f.text for f in seen.facts} >= {"Uses Postgres", "Pays in EUR", "Typed by a person, not saved to git yet"}

    git("commit", "-qam", "My fact")
    committed = git.text(str(record.path))
    assert "Typed by a person" in committed and "Pays in EUR" in committed
    assert git.status() == []


def test_cli_add_memory_beside_a_hand_edit_keeps_both_through_commit_a(memory_repo: MemoryRepo,
                                                                       git: GitView) -> None:
    from learning_fs.format import MemoriesRecord
    from learning_fs.format.layout import user_folder
    from tests.repo.conftest import learning_fs_cli

    memory_repo.write(MemoriesRecord(user="alice", memories=[Item(id="m-1", text="Likes tea")]))
    memory_repo.flush()
    path = f"{user_folder('alice')}/memories.md"
    file = memory_repo.root / path
    file.write_text(file.read_text() + "- Typed by hand: prefers mornings\n")

    result = learning_fs_cli("--repo", str(memory_repo.root), "add", "memory", "--user", "alice", "Works in Berlin")

    assert result.returncode == 0, result.stderr
    on_disk = file.read_text()
    assert "prefers mornings" in on_disk and "Works in Berlin" in on_disk
    git("commit", "-qam", "x")
    committed = git.text(path)
    assert "Works in Berlin" in committed and "prefers mornings" in committed and "Likes tea" in committed


def test_a_real_conflict_leaves_the_persons_file_and_recall_still_sees_the_library(
        memory_repo: MemoryRepo, git: GitView, caplog: pytest.LogCaptureFixture) -> None:
    record = EntityRecord(name="Acme", facts=[Item(id="f-1", text="Uses Postgres")])
    memory_repo.write(record)
    file = memory_repo.root / str(record.path)
    edited = file.read_text().replace("Uses Postgres", "Uses Postgres 15 (a person's correction)")
    file.write_text(edited)

    record.facts[0].text = "Uses Postgres 16"  # the same item, changed differently: a conflict
    record.facts.append(Item(id="f-2", text="Pays in EUR"))
    with caplog.at_level(logging.WARNING):
        memory_repo.write(record)

    assert file.read_text() == edited  # their file is untouched
    assert str(record.path) in caplog.text and "conflict" in caplog.text
    seen = memory_repo.read(str(record.path))  # recall: the person's file merged with HEAD
    assert isinstance(seen, EntityRecord)
    texts = " ".join(f.text for f in seen.facts) + seen.to_markdown()
    assert "Pays in EUR" in texts and "Postgres 16" in texts and "a person's correction" in texts



def test_an_untracked_file_in_the_way_is_left_alone(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Collision")
    from learning_fs.format import record_path

    target = memory_repo.root / record_path(record)
    target.parent.mkdir(parents=True)
    target.write_text("a person's own file\n")

    memory_repo.write(record, path=record_path(record))

    assert target.read_text() == "a person's own file\n"
    assert record.to_markdown() == git.text(record_path(record))


def test_index_sync_waits_for_a_persons_git_and_loses_nothing(memory_repo: MemoryRepo, git: GitView) -> None:
    memory_repo.flush()
    lock = memory_repo.git_dir / "index.lock"  # a person's git command is running
    lock.write_text("")
    first = LearningRecord(title="First")
    memory_repo.write(first)
    assert memory_repo.flush(timeout=0.2) is False
    second = LearningRecord(title="Second")
    memory_repo.write(second)
    assert memory_repo.flush(timeout=0.2) is False

    lock.unlink()

    assert memory_repo.flush() is True
    assert git.status() == []
    assert {first.path, second.path} <= set(git("ls-files").split())


def test_a_writer_that_died_before_syncing_is_caught_up_on_open(memory_repo: MemoryRepo, git: GitView,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    pause_background_sync(memory_repo, monkeypatch)
    library_writes(memory_repo)
    assert git.status() != []

    reopened = MemoryRepo(memory_repo.root)

    assert reopened.flush() is True
    assert git.status() == []


def test_the_hook_is_quiet_and_fast_enough(memory_repo: MemoryRepo, git: GitView, person_files: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           gitview: Callable[[MemoryRepo], GitView]) -> None:
    pause_background_sync(memory_repo, monkeypatch)
    library_writes(memory_repo)
    person_files.write_text("v2\n")
    git("add", "notes.md")

    result = subprocess.run(["git", "commit", "-qm", "Mine"], cwd=memory_repo.root, capture_output=True, text=True)

    assert result.returncode == 0 and result.stderr == ""


def test_a_foreign_hook_or_hooks_path_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                  gitview: Callable[[MemoryRepo], GitView]) -> None:
    repo = MemoryRepo.init(tmp_path / "r")
    (repo.git_dir / "hooks" / "pre-commit").write_text("#!/usr/bin/env python3\nraise SystemExit(0)\n")
    with caplog.at_level(logging.WARNING):
        MemoryRepo(repo.root)
    assert "flush()" in caplog.text and "-I" in caplog.text  # says what to do about it

    other = MemoryRepo.init(tmp_path / "o")
    gitview(other)("config", "core.hooksPath", ".husky")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        MemoryRepo(other.root)
    assert "core.hooksPath" in caplog.text


@pytest.mark.parametrize("how", ["git-rm", "rm-then-commit-a"])
def test_a_person_can_delete_a_library_file_with_git(memory_repo: MemoryRepo, git: GitView, how: str) -> None:
    record, other = LearningRecord(title="To be removed by hand"), LearningRecord(title="Stays")
    memory_repo.write(record)
    memory_repo.write(other)
    memory_repo.flush()

    if how == "git-rm":
        git("rm", "-q", str(record.path))
        memory_repo.write(LearningRecord(title="Meanwhile"))  # a library write syncs the index again
        memory_repo.flush()
        git("commit", "-qm", "Remove a lesson")
    else:
        (memory_repo.root / str(record.path)).unlink()
        git("commit", "-qam", "Remove a lesson")

    assert record.path not in git.files()
    assert other.path in git.files()
    memory_repo.flush()
    assert git.status() == []
