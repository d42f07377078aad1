"""``MemoryRepo.sync``: fetch, merge as records, push; until this clone and the remote are in step.

Several machines share one memory through a remote: each writes locally at commit speed and
syncs now and then. A sync fetches the remote branch, brings it in with
:meth:`MemoryRepo.advance` (a fast-forward, or a merge commit whose record files merge as
records, so concurrent additions never conflict; the working tree, ``.git/index`` and the
``on_commit`` listeners — the search index — follow as for every library write), then pushes.
When another machine pushed in between, the remote refuses the push (it would not be a
fast-forward): the sync waits a jittered, growing moment and goes round again. It never
force-pushes, so no write on the remote is ever replaced, and a local write is never dropped: it
is in the branch before the push and stays there when the push fails.

A true conflict (the same memory changed differently on two machines) raises
:class:`~learning_fs.errors.ConflictError` naming the files, and nothing changes locally.
"""

from __future__ import annotations

import logging
import random
import subprocess
import threading
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.repo import trailers as names
from learning_fs.repo.locks import WriteLock

if TYPE_CHECKING:
    from learning_fs.repo.memory_repo import MemoryRepo

log = logging.getLogger(__name__)

SYNC_LOCK = "learning_fs-sync.lock"
_locks: weakref.WeakKeyDictionary[MemoryRepo, WriteLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


class SyncError(LearningFSError):
    """A sync could not finish: the remote is unreachable, or kept moving for every attempt."""


@dataclass(frozen=True)
class SyncResult:
    """What one sync did. ``in_step``: the local branch and the remote branch are the same commit."""

    remote: str
    branch: str
    tip: str  # the branch's commit after the sync (local and remote alike when in_step)
    fetched: bool  # the remote had commits this clone did not
    merged: bool  # a merge commit was made (both sides had new commits)
    pushed: bool  # this clone's commits went to the remote
    attempts: int  # rounds of fetch-merge-push (more than 1: another machine pushed meanwhile)
    in_step: bool = True


def _git(repo: MemoryRepo, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=False,
                          timeout=timeout)


def _lock(repo: MemoryRepo) -> WriteLock:
    """One sync at a time per clone (threads and processes): two fetches would race on the same refs."""
    with _locks_guard:
        lock = _locks.get(repo)
        if lock is None:
            lock = _locks[repo] = WriteLock(repo.git_dir / SYNC_LOCK, timeout=300.0)
        return lock


def _remote_tip(repo: MemoryRepo, tracking: str) -> str | None:
    try:
        return str(repo.resolve(tracking).id)
    except RecordNotFoundError:
        return None


def sync(repo: MemoryRepo, remote: str = "origin", branch: str | None = None, *, attempts: int = 10,
         backoff: float = 0.05, push: bool = True) -> SyncResult:
    """Fetch ``remote``'s ``branch``, merge it in with the record merge, push; retry a refused push.

    ``branch`` defaults to the checked-out branch. ``attempts`` rounds at most, each after a
    jittered wait starting at ``backoff`` seconds and doubling (capped at 2 s). ``push=False``
    only brings the remote's commits in. Raises :class:`ConflictError` on a true conflict and
    :class:`SyncError` when the remote cannot be reached or kept moving for every attempt.
    """
    branch = branch or repo.branch
    tracking = f"refs/remotes/{remote}/{branch}"
    fetched = merged = pushed = False
    last_error = ""
    with _lock(repo).hold():
        for attempt in range(1, attempts + 1):
            done = _git(repo, "fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:{tracking}")
            if done.returncode != 0 and "couldn't find remote ref" not in done.stderr:
                raise SyncError(f"git fetch {remote} failed: {done.stderr.strip()}")
            theirs = _remote_tip(repo, tracking) if done.returncode == 0 else None
            if theirs is not None:
                before = repo._tip(branch)
                info = repo.advance(branch, theirs, message=f"Sync {branch} with {remote}",
                                    trailers={names.STORE: "repo", names.SYNC: remote})
                if info is not None:
                    fetched = True
                    merged = merged or (before is not None and info.sha != theirs)
            tip = repo._tip(branch)
            if tip is None:
                raise SyncError(f"{branch} has no commits to sync")
            if str(tip.id) == theirs or not push:
                return SyncResult(remote, branch, str(tip.id), fetched, merged, pushed, attempt,
                                  in_step=str(tip.id) == theirs)
            done = _git(repo, "push", "--quiet", "--porcelain", remote, f"refs/heads/{branch}:refs/heads/{branch}")
            if done.returncode == 0:
                _git(repo, "update-ref", tracking, str(tip.id))  # what the remote now has
                return SyncResult(remote, branch, str(tip.id), fetched, merged, True, attempt)
            last_error = (done.stderr + done.stdout).strip()
            log.debug("push to %s refused (attempt %d): %s", remote, attempt, last_error)
            time.sleep(min(2.0, backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5))
    raise SyncError(f"could not push {branch} to {remote} after {attempts} attempts (another machine kept "
                    f"pushing, or the remote refuses): {last_error}")


class PeriodicSync:
    """Sync a repository every ``every`` seconds in a daemon thread (for long-running agents).

    ``PeriodicSync(machine.repo, every=60).start()``; ``stop()`` makes a last sync and joins. A
    failed round is logged and retried at the next tick: local writes never wait on the network.
    """

    def __init__(self, repo: MemoryRepo, every: float = 60.0, remote: str = "origin",
                 branch: str | None = None) -> None:
        self.repo, self.every, self.remote, self.branch = repo, every, remote, branch
        self.last: SyncResult | None = None
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="learning-fs-sync", daemon=True)

    def start(self) -> PeriodicSync:
        self._thread.start()
        return self

    def sync_now(self) -> SyncResult | None:
        """One sync; the result, or None when it failed (the error is kept in ``error``)."""
        try:
            self.last = sync(self.repo, self.remote, self.branch)
            self.error = None
        except LearningFSError as exc:
            self.error = exc
            log.warning("sync with %s failed: %s", self.remote, exc)
            return None
        return self.last

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sync_now()

    def stop(self, final: bool = True) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if final:
            self.sync_now()
