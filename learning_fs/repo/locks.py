"""The repository-wide write lock.

Measured on this machine: without one lock around read-modify-write-commit, concurrent writers
lose records; with one, 8 processes commit ~186 times per second. ``filelock`` serialises
processes; a ``threading.Lock`` serialises threads (a non-thread-local ``FileLock`` would let a
second thread of the same process straight in). The timeout turns a stuck writer into a clear
error instead of a hang, since ``filelock`` is unfair and a waiter can starve for seconds.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pygit2
from filelock import FileLock, Timeout

from learning_fs.errors import LearningFSError, RepoLockTimeout


class WriteLock:
    """Re-entrant within a thread, exclusive across threads and processes."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._file_lock = FileLock(str(path), timeout=timeout, thread_local=False)
        self._depth = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise RepoLockTimeout(f"another thread held the write lock for {self.timeout:.0f}s")
        try:
            if self._depth == 0:
                try:
                    self._file_lock.acquire(poll_interval=0.005)  # quick hand-over when a queue waits
                except Timeout:
                    raise RepoLockTimeout(
                        f"another process held {self.path} for {self.timeout:.0f}s; "
                        "is a writer stuck? (the lock frees itself when that process exits)"
                    ) from None
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._file_lock.release()
        finally:
            self._thread_lock.release()


# -- git's own ref locks ----------------------------------------------------------------------------
REF_LOCK_WAIT = 10.0
"""Seconds a commit keeps retrying while git holds a ref lock (``gc``, ``pack-refs``, a person's commit)."""
STALE_AFTER = 1.0
"""A ref lock a killed library writer left is removed once it is this old (git holds one for milliseconds)."""
_MOVES = 50  # compare-and-swap failures with no lock in sight before the branch is said to keep moving


class RefBackoff:
    """Retry a compare-and-swap on a branch with jittered back-off, and fail with the real reason.

    Libgit2 fails a ref update at once when ``refs/heads/<branch>.lock`` (or ``HEAD.lock``,
    ``packed-refs.lock``) exists: git's ``gc`` and ``pack-refs`` hold them, and so does a person's
    commit for a moment. Twenty instant retries used to end in a misleading "the branch kept
    moving"; this waits, with growing random pauses, up to :data:`REF_LOCK_WAIT` seconds and then
    names the lock and how long it has been held.
    """

    def __init__(self, git_dir: Path, branch: str, suspects: dict[Path, tuple[int, int]] | None = None,
                 wait: float | None = None) -> None:
        self.git_dir = git_dir
        self.branch = branch
        wait = REF_LOCK_WAIT if wait is None else wait
        self.deadline = time.monotonic() + wait
        self.wait = wait
        self.failures = 0
        self.suspects = suspects if suspects is not None else {}

    def locks(self) -> list[Path]:
        """git's lock files that block an update of the branch right now."""
        names = [f"refs/heads/{self.branch}.lock", "HEAD.lock", "packed-refs.lock"]
        return [path for path in (self.git_dir / name for name in names) if path.exists()]

    def again(self, error: BaseException) -> None:
        """After a failed compare-and-swap: sleep before the next try, or raise when it is hopeless."""
        self.failures += 1
        held = self.locks()
        self._clear_stale(held)
        if time.monotonic() >= self.deadline or (not held and self.failures >= _MOVES):
            raise LearningFSError(self._explain(held, error))
        pause = min(0.2, 0.002 * 2 ** min(self.failures, 7))
        time.sleep(random.uniform(0.5, 1.5) * pause)

    def _clear_stale(self, held: list[Path]) -> None:
        """Remove a lock a killed library writer left (recorded at recovery), once it is clearly stale."""
        if held:
            self.suspects.update(load_suspects(self.git_dir))
        for path in held:
            known = self.suspects.get(path)
            if known is None:
                continue
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if (st.st_ino, st.st_mtime_ns) == known and time.time() - st.st_mtime > STALE_AFTER:
                path.unlink(missing_ok=True)
                self.suspects.pop(path, None)

    def _explain(self, held: list[Path], error: BaseException) -> str:
        if held:
            ages = []
            for path in held:
                try:
                    ages.append(f"{path.relative_to(self.git_dir)} (held {time.time() - path.stat().st_mtime:.1f} s)")
                except OSError:
                    ages.append(str(path.relative_to(self.git_dir)))
            return (f"could not commit to {self.branch}: git keeps its ref lock {', '.join(ages)} after "
                    f"{self.wait:.0f} s of retries. A git command (gc, pack-refs, a commit) is running; if none "
                    "is, one crashed and left the lock: remove that file")
        return (f"could not commit to {self.branch}: the branch moved {self.failures} times while committing "
                f"(another program keeps committing to it; last error: {error})")


def move_branch(git: pygit2.Repository, git_dir: Path, ref: str, new: pygit2.Oid, expected: pygit2.Oid | None,
                committer: pygit2.Signature, message: str, clear: Callable[[], bool] | None = None) -> bool:
    """Point ``ref`` at the commit ``new`` only if it still points at ``expected`` (None: create it).

    The compare-and-swap ``create_commit(ref, ...)`` did, done the way git does it (``O_EXCL``
    ``<ref>.lock`` holding the new id, the old value checked under it, a rename), so that
    ``clear()`` — "no person's ``git commit`` is running" — is asked *after* everything but the
    rename: a ``git commit`` reads HEAD when it starts and fails at its end if the branch moved,
    so the gap between the last look and the move must be microseconds, not the milliseconds a
    loaded machine takes to write a ref and two reflogs. Returns False (nothing moved) when
    ``clear()`` says no. Raises ``pygit2.GitError`` when the ref moved, ``FileExistsError`` when
    git holds its lock (:class:`RefBackoff` waits). Repositories whose refs are not plain files
    (reftable) take libgit2's update, with ``clear()`` just before it.
    """
    subject = "commit: " + message.split("\n", 1)[0]
    if expected is None or not _loose_refs(git):
        if clear is not None and not clear():
            return False
        if expected is None:
            git.create_reference_direct(ref, new, False, message=subject)
        else:
            current = git.references[ref]
            if current.target != expected:
                raise pygit2.GitError(f"{ref} moved (it is at {current.target}, expected {expected})")
            current.set_target(new, subject)  # libgit2 re-checks the old value under the ref lock
        return True
    path = git_dir / ref
    lock = Path(f"{path}.lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    renamed = False
    try:
        try:
            os.write(fd, f"{new}\n".encode())
        finally:
            os.close(fd)
        now = git.references.get(ref)  # read under our lock: nobody can move it now
        if now is None or now.target != expected:
            raise pygit2.GitError(f"{ref} moved (it is at {now.target if now else 'nothing'}, expected {expected})")
        if clear is not None and not clear():
            return False
        os.rename(lock, path)
        renamed = True
    finally:
        if not renamed:
            lock.unlink(missing_ok=True)
    _append_reflogs(git, git_dir, ref, expected, new, committer, subject)
    return True


def _loose_refs(git: pygit2.Repository) -> bool:
    """Whether refs are files under ``.git/refs`` (not a reftable)."""
    try:
        return not git.config["extensions.refStorage"] or git.config["extensions.refStorage"] == "files"
    except (KeyError, pygit2.GitError):
        return True


def _append_reflogs(git: pygit2.Repository, git_dir: Path, ref: str, old: pygit2.Oid, new: pygit2.Oid,
                    who: pygit2.Signature, subject: str) -> None:
    """The reflog lines git writes for a commit: the branch's, and HEAD's when HEAD points at it."""
    try:
        setting = git.config["core.logAllRefUpdates"]
        log_all = str(setting).lower() not in ("false", "no", "off", "0")
    except (KeyError, pygit2.GitError):
        log_all = not git.is_bare
    offset = who.offset
    zone = f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    line = f"{old} {new} {who.name} <{who.email}> {who.time} {zone}\t{subject}\n".encode()
    targets = [git_dir / "logs" / ref]
    try:
        if git.references["HEAD"].target == ref:
            targets.append(git_dir / "logs" / "HEAD")
    except (KeyError, pygit2.GitError):
        pass
    for target in targets:
        if not log_all and not target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "ab") as handle:
            handle.write(line)


SUSPECTS = "learning_fs-stale-ref-locks"  # ref locks created by a writer that was killed (one per line)


def load_suspects(git_dir: Path) -> dict[Path, tuple[int, int]]:
    """The ref locks recovery attributed to killed writers: ``path -> (inode, mtime_ns)``."""
    try:
        text = (git_dir / SUSPECTS).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    found = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            found[git_dir / parts[2]] = (int(parts[0]), int(parts[1]))
    return found


def ref_locks_left_by(git_dir: Path, branch: str, since: float) -> dict[Path, tuple[int, int]]:
    """Ref locks created after ``since`` (a killed writer's intent), remembered in ``.git`` for any process.

    Only these are ever removed by :class:`RefBackoff`, and only once older than :data:`STALE_AFTER`:
    a lock a running git command holds is never touched.
    """
    found = {}
    for path in RefBackoff(git_dir, branch).locks():
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        if st.st_mtime >= since - 0.05:
            found[path] = (st.st_ino, st.st_mtime_ns)
    if found:
        lines = "".join(f"{ino}\t{mtime}\t{path.relative_to(git_dir)}\n" for path, (ino, mtime) in found.items())
        with open(git_dir / SUSPECTS, "a", encoding="utf-8") as handle:
            handle.write(lines)
    return found
