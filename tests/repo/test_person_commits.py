"""A person committing by hand while 8 writer processes commit as fast as they can: every one of
their commits succeeds, and nothing either side wrote is lost.

Git's ``commit`` reads HEAD when it starts and moves the branch with a compare-and-swap at its
end, so a library commit anywhere in between used to fail it ("cannot lock ref 'HEAD': is at X
but expected Y"; 11 of 20 with 8 writers), and the library's index sync holding ``index.lock``
made a person's ``git add`` die. The writers are forked processes using the public API; the
person is the real ``git`` command line, run once, never retried.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from learning_fs import MemoryRepo
from learning_fs.format import LearningRecord
from learning_fs.repo import gitindex, gitprocs
from learning_fs.repo.locks import move_branch

if TYPE_CHECKING:
    from tests.repo.conftest import GitView

WRITERS = 8
PERSON_COMMITS = 24


def start_writers(root: Path, count: int, folder: Path, stop: Path) -> list[int]:
    """Forked writers committing until ``stop`` exists; each logs ``ok PATH`` per acknowledged write, or ``fail``."""
    pids = []
    for worker in range(count):
        pid = os.fork()
        if pid:
            pids.append(pid)
            continue
        code = 0
        try:
            handler = logging.FileHandler(folder / f"writer-{worker}.warnings", encoding="utf-8")
            handler.setLevel(logging.WARNING)
            logging.getLogger("learning_fs").addHandler(handler)
            repo = MemoryRepo(root)
            with open(folder / f"writer-{worker}.log", "a", encoding="utf-8") as log:
                i = 0
                while not stop.exists():
                    record = LearningRecord(title=f"Writer {worker} lesson {i}")
                    try:
                        repo.write(record)
                    except Exception as exc:  # the test counts every failure
                        log.write(f"fail\t{type(exc).__name__}: {exc}\n")
                    else:
                        log.write(f"ok\t{record.path}\n")
                    log.flush()
                    i += 1
            repo.close()
        except BaseException:  # a forked child never returns into pytest
            code = 1
        finally:
            os._exit(code)
    return pids


def stop_writers(pids: list[int], stop: Path) -> list[int]:
    """Ask the writers to finish their current write and exit; exit codes (kill -9 after 60 s)."""
    stop.write_text("stop\n")
    codes = []
    deadline = time.monotonic() + 60
    for pid in pids:
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                codes.append(os.waitstatus_to_exitcode(status))
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            codes.append(-9)
    return codes


def person_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The person's git: once, no retry."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def test_a_person_committing_in_a_loop_beside_8_writers_never_fails(memory_repo: MemoryRepo, git: GitView,
                                                                     tmp_path: Path) -> None:
    root = memory_repo.root
    notes = root / "notes.md"
    notes.write_text("the person's notes\n", encoding="utf-8")
    git("add", "notes.md")
    git("commit", "-qm", "Person's notes")
    memory_repo.close()
    folder = tmp_path / "logs"
    folder.mkdir()
    stop = tmp_path / "stop"
    pids = start_writers(root, WRITERS, folder, stop)
    failures: list[str] = []
    lines: list[str] = []
    files: list[str] = []
    try:
        time.sleep(0.5)  # the writers are up and committing
        for n in range(PERSON_COMMITS):
            time.sleep(random.uniform(0.02, 0.2))
            if n % 2 == 0:  # an edit of their own file, `git commit -am`
                line = f"person edit {n}"
                notes.write_text(notes.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
                steps = [["commit", "-qam", f"Person edit {n}"]]
            else:  # a new file, `git add` + plain `git commit`
                name = f"person/note-{n}.md"
                (root / "person").mkdir(exist_ok=True)
                (root / name).write_text(f"note {n}\n", encoding="utf-8")
                steps = [["add", name], ["commit", "-qm", f"Person note {n}"]]
            for args in steps:
                result = person_git(root, *args)
                if result.returncode != 0:
                    failures.append(f"git {' '.join(args)}: {result.stderr.strip()}")
                    break
            else:
                (lines if n % 2 == 0 else files).append(line if n % 2 == 0 else name)
    finally:
        codes = stop_writers(pids, stop)

    warnings = [line for log in folder.glob("*.warnings") for line in log.read_text().splitlines()]
    assert failures == [], f"{len(failures)} of {PERSON_COMMITS} person commits failed; writers warned: {warnings}"
    assert codes == [0] * WRITERS
    rows = [row.split("\t", 1) for log in folder.glob("writer-*.log") for row in log.read_text().splitlines()]
    assert [rest for kind, rest in rows if kind != "ok"] == []  # no library write failed
    acknowledged = [rest for kind, rest in rows if kind == "ok"]
    assert len(acknowledged) >= 2 * WRITERS
    head = git.files()
    assert [path for path in acknowledged if path not in head] == []  # every acknowledged write is in HEAD
    assert all(line in git.text("notes.md") for line in lines) and set(files) <= head
    # The two really interleaved: library commits landed between the person's first and last commit.
    subjects = git("log", "--first-parent", "--format=%s", "HEAD").splitlines()
    person_at = [i for i, s in enumerate(subjects) if s.startswith("Person ")]
    between = [s for s in subjects[min(person_at):max(person_at)] if not s.startswith("Person ")]
    assert len(between) >= WRITERS, subjects[:40]
    repo = MemoryRepo(root)
    assert repo.flush(timeout=30)
    repo.close()
    assert git.status() == []
    assert git("fsck", "--strict", "--no-dangling", "--no-progress") == ""


def test_a_persons_git_commit_is_found_in_proc_from_its_start(memory_repo: MemoryRepo, tmp_path: Path) -> None:
    """From its exec on (before git has touched a file in .git), wherever it was started from."""
    root, git_dir = memory_repo.root, memory_repo.git_dir
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsleep 2\necho "by hand" > "$1"\n')
    editor.chmod(0o755)
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    env = {**os.environ, "GIT_EDITOR": str(editor)}
    (root / "sub").mkdir()
    ways = [  # one at a time: two commits at once in one repository would trip over each other
        (["git", "commit", "--allow-empty", "-q"], root / "sub", env),
        (["git", "-C", str(root), "commit", "--allow-empty", "-q"], tmp_path, env),
        (["git", "commit", "--allow-empty", "-q"], tmp_path, {**env, "GIT_DIR": str(git_dir)}),
    ]
    for argv, cwd, environ in ways:
        process = subprocess.Popen(argv, cwd=cwd, env=environ)
        try:
            time.sleep(0.3)
            assert gitprocs.running(root, git_dir) == [process.pid], argv
            assert gitindex.person_busy(git_dir, root)
            assert gitprocs.running(root, git_dir, max_age=0.1) == []  # bounded: an old command no longer counts
        finally:
            process.terminate()
            process.wait(10)
    elsewhere = subprocess.Popen(["git", "commit", "--allow-empty", "-q"], cwd=other, env=env,
                                 stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        assert gitprocs.running(root, git_dir) == []  # a commit in another repository is none of ours
    finally:
        elsewhere.terminate()
        elsewhere.wait(10)
    assert gitprocs.running(root, git_dir) == []


def test_the_branch_never_moves_when_the_last_look_sees_a_person(memory_repo: MemoryRepo, git: GitView) -> None:
    """The last look comes after the ref lock and the new id are written: nothing moves, the lock is gone."""
    memory_repo.write(LearningRecord(title="First"))
    before = git.head()
    repo = memory_repo.git
    tip = repo.head.peel()
    signature = tip.committer
    oid = repo.create_commit(None, signature, signature, "Next", tip.tree_id, [tip.id])
    looked: list[bool] = []

    def busy() -> bool:
        looked.append((memory_repo.git_dir / "refs" / "heads" / "main.lock").exists())
        return False

    assert not move_branch(repo, memory_repo.git_dir, "refs/heads/main", oid, tip.id, signature, "Next", busy)
    assert looked == [True]  # asked while holding git's ref lock, just before the rename
    assert git.head() == before and not (memory_repo.git_dir / "refs" / "heads" / "main.lock").exists()
    assert move_branch(repo, memory_repo.git_dir, "refs/heads/main", oid, tip.id, signature, "Next", lambda: True)
    assert git.head() == str(oid)
    assert git("reflog", "-1", "--format=%gs").strip() == "commit: Next"
    assert git("fsck", "--strict", "--no-dangling", "--no-progress") == ""


def test_the_library_index_sync_never_makes_a_persons_git_add_fail(memory_repo: MemoryRepo, git: GitView) -> None:
    """It rewrites a copy and holds ``index.lock`` only to swap it in: ``git add`` never finds it taken."""
    failures = []
    for n in range(30):
        memory_repo.write(LearningRecord(title=f"Lesson {n}"))
        (memory_repo.root / f"mine-{n}.md").write_text(f"{n}\n")
        result = person_git(memory_repo.root, "add", f"mine-{n}.md")  # the background sync runs meanwhile
        if result.returncode != 0:
            failures.append(result.stderr)
        memory_repo._syncer.flush()
    assert failures == []
    staged = git("diff", "--cached", "--name-only").split()
    assert staged == sorted(f"mine-{n}.md" for n in range(30))  # the swaps kept every staged file
    assert memory_repo.flush() and all(line.startswith("A ") for line in git.status())
