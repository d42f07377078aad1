"""Keep ``.git/index`` in step with the library's object-level commits — off the write path.

Object-level commits leave ``.git/index`` describing the old tree: ``git status`` then shows the
library's new files as staged deletions, and a person's ``git commit`` at that moment would
commit those deletions, undoing the library's writes. Updating the index costs 49–79 ms at 100k
files (it is rewritten whole), five times the budget of a write, so it happens here instead:

1. the writer appends ``<old blob id> TAB <path>`` for each path it committed to a journal in
   ``.git`` (inside the write lock);
2. a background thread, ``flush()``, process exit, or the ``pre-commit`` hook installed in the
   repository drains the journal: under the index lock it sets each path to HEAD's current blob
   with one ``git update-index --index-info``.

A path is only synced while its index entry is still a version the library replaced (the stale
entry) or is missing while the file the library wrote is on disk: a change a person staged on
purpose, a ``git rm``, or what ``git commit -a`` took from their edit is left alone. Because the
syncer always writes *HEAD's* version (never the version one writer remembers), syncs from several
processes can run in any order and still converge.

Git itself can undo a sync: ``git commit`` and ``git status`` read the index *before* taking its
lock and write their copy back, so a sync that lands in between is lost (seen in tests). Drained
journal entries are therefore kept in a bounded list of recent library paths, and every sync (the
``pre-commit`` hook's included) checks those again. The hook runs after git has taken the lock
and git re-reads the index after it (the real index for ``git commit``, ``GIT_INDEX_FILE`` for
``git commit -a``), so a person's commit always contains the library's latest writes.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pygit2
from filelock import FileLock, Timeout

OPERATIONS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply", "BISECT_LOG",
              "sequencer")  # the same list as worktree.OPERATIONS (gitindex also runs as a bare script)
DEFERRED = "learning_fs-worktree-deferred"  # worktree.DEFERRED

log = logging.getLogger(__name__)

JOURNAL = "learning_fs-index-pending"
RECENT = "learning_fs-index-synced"  # journal entries already synced, checked again by every sync
RECENT_LIMIT = 20_000  # entries kept in RECENT (about 1.5 MB); older ones are dropped
INDEX_LOCK = "learning_fs-index.lock"
WRITE_LOCK = "learning_fs-write.lock"  # the repository-wide write lock (see locks.py)
HOOK_MARKER = "# learning_fs: sync .git/index"
_ZERO = "0" * 40
_ABSENT = "-"  # journal marker: the path did not exist before the library's commit
_claims = itertools.count()
_warned: set[Path] = set()  # repositories whose foreign pre-commit hook was reported (once per process)


class IndexBusy(Exception):
    """``git update-index`` could not run now (a person's git command holds ``index.lock``)."""


def journal_path(git_dir: Path) -> Path:
    return git_dir / JOURNAL


def record_pending(git_dir: Path, changes: Mapping[str, str | None]) -> None:
    """Append committed paths, with the blob each replaced (None: new file), to the journal.

    The caller holds the write lock.
    """
    if changes:
        lines = "".join(f"{old if old is not None else _ABSENT}\t{path}\n" for path, old in changes.items())
        with open(journal_path(git_dir), "a", encoding="utf-8") as handle:
            handle.write(lines)


def has_pending(git_dir: Path) -> bool:
    """Whether any journal (live or claimed by an earlier, failed sync) is waiting."""
    return any(git_dir.glob(f"{JOURNAL}*"))


def _remember_synced(git_dir: Path, claims: list[Path]) -> None:
    """Move drained journal entries to the bounded list of recent paths (caller holds the index lock)."""
    lines: list[str] = []
    for file in claims:
        try:
            # Only entries that name the replaced blob are re-checked later: a bare path (an older
            # journal format) would be synced unconditionally and could undo a person's staged change.
            lines.extend(line for line in file.read_text(encoding="utf-8").splitlines()
                         if line.partition("\t")[0] and "\t" in line)
        except FileNotFoundError:
            continue
    recent = git_dir / RECENT
    kept = recent.read_text(encoding="utf-8").splitlines() if recent.exists() else []
    entries = list(dict.fromkeys(kept + lines))[-RECENT_LIMIT:]  # unique, oldest dropped first
    temporary = git_dir / f"{RECENT}.tmp"
    temporary.write_text("".join(line + "\n" for line in entries), encoding="utf-8")
    os.replace(temporary, recent)
    for file in claims:
        file.unlink(missing_ok=True)


def claim_journal(git_dir: Path) -> None:
    """Move the journal aside (under a name no other claim uses) so writers start a fresh one."""
    journal = journal_path(git_dir)
    if journal.exists():
        unique = f"{os.getpid()}.{threading.get_ident()}.{time.time_ns()}.{next(_claims)}"
        os.replace(journal, git_dir / f"{JOURNAL}.{unique}")


def _read_claims(files: list[Path]) -> dict[str, set[str] | None]:
    """``path -> blob ids the library replaced there`` (None: sync whatever the index holds)."""
    pending: dict[str, set[str] | None] = {}
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:  # drained by another process meanwhile
            continue
        for line in text.splitlines():
            old, tab, path = line.partition("\t")
            if not tab:  # a journal line of an older version: just a path
                old, path = "", line
            if not path:
                continue
            olds = pending.setdefault(path, set())
            if not old or olds is None:
                pending[path] = None
            else:
                olds.add(old)
    return pending


def _index_file(root: Path, git_dir: Path) -> Path:
    """The index git will read: ``GIT_INDEX_FILE`` inside a hook of ``git commit -a``, else ``.git/index``."""
    override = os.environ.get("GIT_INDEX_FILE")
    if override:
        path = Path(override)
        return path if path.is_absolute() else root / path
    return git_dir / "index"


def _out_of_step(root: Path, index_file: Path, head_tree: pygit2.Tree | None, paths: list[str]
                 ) -> dict[str, tuple[int, str] | None]:
    """``path -> (mode, blob id) in the index, or None`` for those of ``paths`` where index and HEAD differ.

    One ``git diff-index --cached`` against HEAD's tree, in a child process: git skips every
    folder its cache-tree says is unchanged and never holds this process's GIL. The libgit2
    tree-to-index diff it replaces loaded the whole index and walked the whole tree *inside* the
    writer's process (~250 ms of GIL at 100k files, once a second while agents write), and each
    write beside it waited for the GIL: one-record writes went from ~8 ms to ~22 ms p50 at 100k.
    """
    if not index_file.exists():
        return dict.fromkeys(paths)
    if head_tree is None:  # an empty repository: a handful of entries, read them directly
        index = pygit2.Index(str(index_file))
        entries: dict[str, tuple[int, str] | None] = {}
        for path in paths:
            try:
                entry = index[path]
            except KeyError:
                entries[path] = None
                continue
            except ValueError:  # in conflict (stages 1-3): the person is resolving it; leave it
                continue
            entries[path] = (entry.mode, str(entry.id))
        return entries
    differing, conflicted = _index_differs(root, index_file, str(head_tree.id))
    return {path: differing[path] for path in paths if path in differing and path not in conflicted}


def _index_differs(root: Path, index_file: Path, tree: str) -> tuple[dict[str, tuple[int, str] | None], set[str]]:
    """Where the index differs from ``tree``: ``path -> index (mode, blob id)`` (None: not in the
    index), and the paths in conflict (stages 1-3: the person is resolving them)."""
    env = {**os.environ, "GIT_INDEX_FILE": str(index_file)}
    result = subprocess.run(["git", "diff-index", "--cached", "-z", "--no-renames", "--abbrev=40", tree],
                            cwd=root, env=env, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git diff-index failed: {result.stderr.decode(errors='replace').strip()}")
    fields = result.stdout.split(b"\0")
    found: dict[str, tuple[int, str] | None] = {}
    conflicted: set[str] = set()
    for header, name in zip(fields[::2], fields[1::2], strict=False):
        parts = header.decode().lstrip(":").split()  # <HEAD mode> <index mode> <HEAD id> <index id> <status>
        if len(parts) < 5:
            continue
        path = name.decode("utf-8", "surrogateescape")
        if parts[4].startswith("U"):
            conflicted.add(path)
        elif parts[4].startswith("D"):
            found[path] = None
        else:
            found[path] = (int(parts[1], 8), parts[3])
    return found, conflicted


def sync_index(root: Path, git_dir: Path,
               under_write_lock: Callable[[Callable[[], None]], None] | None = None, *,
               drain: bool = True, lock_timeout: float = 60) -> int:
    """Drain the journal into the index and repair recent paths; returns how many entries changed.

    ``under_write_lock`` runs the journal claim inside the repository's write lock, so no writer
    appends to a journal that is being drained. ``drain=False`` (the pre-commit hook) only reads
    the journals and takes no lock of the library's, so it never waits for the library's writers
    or syncs. Raises :class:`IndexBusy` (journal kept for a retry) when git's ``index.lock`` is
    held or a person's git command that writes the index is running.
    """
    if not drain:
        return _sync_locked(root, git_dir, None, drain)
    from learning_fs.repo import gitprocs  # not at the top: this file also runs as the hook's script

    if gitprocs.running(root, git_dir, gitprocs.INDEX_WRITERS):  # their index is theirs; the hook covers a commit
        raise IndexBusy("a git command that writes the index is running")
    lock = FileLock(str(git_dir / INDEX_LOCK), timeout=lock_timeout)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy("another sync holds the index lock") from None
    try:
        return _sync_locked(root, git_dir, under_write_lock, drain)
    finally:
        lock.release()


def _sync_locked(root: Path, git_dir: Path, under_write_lock: Callable[[Callable[[], None]], None] | None,
                 drain: bool) -> int:
    if drain:
        if under_write_lock is not None:
            under_write_lock(lambda: claim_journal(git_dir))
        else:
            claim_journal(git_dir)
        claims = sorted(git_dir.glob(f"{JOURNAL}.*"))
        pending = _read_claims([git_dir / RECENT, *claims])
    else:
        claims, pending = _read_consistently(git_dir)
    if not pending:
        return 0
    index_file = _index_file(root, git_dir)
    lines = _repairs(root, git_dir, pending, index_file)
    copy = None
    if lines and drain and index_file == git_dir / "index":  # the library's sync: on a copy, swapped in
        copy = _snapshot(git_dir)
    try:
        if copy is not None:
            lines = _repairs(root, git_dir, pending, copy.path)
        if lines:
            env = {**os.environ, "GIT_INDEX_FILE": str(copy.path)} if copy is not None else None
            result = subprocess.run(
                ["git", "update-index", "-z", "--index-info"], cwd=root, env=env,
                input="".join(line + "\0" for line in lines).encode(), capture_output=True, check=False,
            )
            if result.returncode != 0:
                raise IndexBusy(result.stderr.decode(errors="replace").strip())
            if copy is not None:
                copy.swap_in(root)
            _stamp_index(root, git_dir)
    finally:
        if copy is not None:
            copy.path.unlink(missing_ok=True)
    if claims and drain:
        _remember_synced(git_dir, claims)
    return len(lines)


def _read_consistently(git_dir: Path) -> tuple[list[Path], dict[str, set[str] | None]]:
    """The hook's read of the journals: again while a library sync moved claims into RECENT meanwhile.

    The hook takes no lock; a sync in another process may rewrite RECENT and delete the claims it
    drained between the hook's reads, so the read counts only when the listing did not change.
    """
    def listing() -> tuple[list[str], tuple[int, int] | None]:
        try:
            st = (git_dir / RECENT).stat()
            recent: tuple[int, int] | None = (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            recent = None
        return sorted(p.name for p in git_dir.glob(f"{JOURNAL}*")), recent

    pending: dict[str, set[str] | None] = {}
    for _ in range(10):
        before = listing()
        pending = _read_claims([git_dir / RECENT, *(git_dir / name for name in before[0])])
        if listing() == before:
            break
    return [], pending


def _repairs(root: Path, git_dir: Path, pending: dict[str, set[str] | None], index_file: Path) -> list[str]:
    """``git update-index --index-info`` lines that bring the library's stale entries in ``index_file`` to HEAD."""
    paths = sorted(pending)
    deferred = _deferred_paths(git_dir)  # written during a person's merge: not on disk yet, still the library's
    repo = pygit2.Repository(str(git_dir))
    try:
        head_tree = repo.head.peel(pygit2.Commit).tree
    except (pygit2.GitError, KeyError):
        head_tree = None
    lines = []
    for path, have in _out_of_step(root, index_file, head_tree, paths).items():
        try:
            entry = head_tree[path] if head_tree is not None else None
        except KeyError:
            entry = None
        wanted = (entry.filemode, str(entry.id)) if entry is not None else None
        if have == wanted or (have is not None and wanted is not None and have[1] == wanted[1]):
            continue  # already in step
        olds = pending[path]
        if have is not None:
            stale = olds is None or have[1] in olds
        else:  # not in the index: behind a library write, unless the person deleted the file
            stale = (olds is None or _ABSENT in olds) and ((root / path).exists() or path in deferred)
        if not stale:
            continue  # a change a person staged (or `commit -a` took from their edit): theirs
        lines.append(f"0 {_ZERO}\t{path}" if wanted is None else f"{wanted[0]:o} {wanted[1]}\t{path}")
    return lines


COPY = "learning_fs-index-copy"  # a library sync's private copy of .git/index, updated and renamed into place


class _IndexCopy:
    """The library's sync works on a copy of ``.git/index`` and holds git's ``index.lock`` only to swap it in.

    ``git update-index`` on the real index holds ``index.lock`` while it rewrites the whole file
    (49–79 ms at 100k entries); a person's ``git add`` or ``git commit`` that starts then dies with
    "index.lock: File exists". Here the rewrite happens on a private copy, and ``index.lock`` is
    taken (``O_EXCL``, git's own protocol) only for the microseconds it takes to check that
    ``.git/index`` is still the file that was copied and to rename the copy over it. A changed
    index (a person staged something meanwhile) or a held lock is :class:`IndexBusy`: retried later.
    """

    def __init__(self, git_dir: Path, path: Path, ident: tuple[int, int, int] | None) -> None:
        self.git_dir, self.path, self.ident = git_dir, path, ident

    def swap_in(self, root: Path) -> None:
        from learning_fs.repo import gitprocs  # not at the top: this file also runs as the hook's script

        if gitprocs.running(root, self.git_dir, gitprocs.INDEX_WRITERS):
            raise IndexBusy("a git command that writes the index is running")
        lock = self.git_dir / "index.lock"
        # The lock is made by linking a file that already says whose it is, so one left by a writer
        # killed in these microseconds is recognised (and removed) instead of blocking git for good.
        mark = self.path.with_name(self.path.name + ".lock-mark")
        mark.write_bytes(f"{SYNC_LOCK_MARK} {os.getpid()}\n".encode())
        try:
            for attempt in range(2):
                try:
                    os.link(mark, lock)
                    break
                except FileExistsError:
                    if attempt or not _remove_stale_sync_lock(lock):
                        raise IndexBusy("index.lock is held") from None
        finally:
            mark.unlink(missing_ok=True)
        try:
            if _identity(self.git_dir / "index") != self.ident:
                raise IndexBusy(".git/index changed while it was being synced")
            os.replace(self.path, self.git_dir / "index")
        finally:
            lock.unlink(missing_ok=True)


SYNC_LOCK_MARK = "learning_fs index sync"  # what the library's (microseconds-long) index.lock holds


def _remove_stale_sync_lock(lock: Path) -> bool:
    """Remove ``index.lock`` if a library sync that died left it (never one a git command holds)."""
    try:
        text = lock.read_bytes()[:100].decode("utf-8", "replace")
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return True
    if not text.startswith(SYNC_LOCK_MARK + " "):
        return False
    pid = text[len(SYNC_LOCK_MARK):].strip()
    if pid.isdigit() and _alive(int(pid)) and age < 5:
        return False
    lock.unlink(missing_ok=True)
    log.info("removed %s, left by a library index sync that was killed", lock)
    return True


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _snapshot(git_dir: Path) -> _IndexCopy:
    """Copy ``.git/index`` (as it is now, with its identity) to a private file; leftovers of dead syncs go."""
    for old in git_dir.glob(f"{COPY}.*"):
        pid = old.name.split(".")[1]
        if pid.isdigit() and not _alive(int(pid)):
            old.unlink(missing_ok=True)
    target = git_dir / f"{COPY}.{os.getpid()}.{threading.get_ident()}"
    try:
        with open(git_dir / "index", "rb") as source:
            st = os.fstat(source.fileno())
            with open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
        return _IndexCopy(git_dir, target, (st.st_ino, st.st_mtime_ns, st.st_size))
    except FileNotFoundError:  # no index yet: git update-index creates the copy
        target.unlink(missing_ok=True)
        return _IndexCopy(git_dir, target, None)


def _deferred_paths(git_dir: Path) -> set[str]:
    try:
        text = (git_dir / DEFERRED).read_text(encoding="utf-8")
    except FileNotFoundError:
        return set()
    return {line.split("\t", 2)[2] for line in text.splitlines() if line.count("\t") >= 2}


STAMP = "learning_fs-index-stamp"  # inode and mtime of the index the library's sync last wrote
PERSON = "learning_fs-person-commit"  # pid of a person's `git commit`, written by the pre-commit hook
PERSON_WAIT = 10.0
"""Longest a library commit waits for a person's git (their commit, a held ``index.lock``)."""
_RECENT_INDEX = 0.05  # an index someone else wrote this recently may be a `git commit` about to run its hook


def _stamp_index(root: Path, git_dir: Path) -> None:
    try:
        st = os.stat(_index_file(root, git_dir))
    except OSError:
        return
    (git_dir / STAMP).write_text(f"{st.st_ino} {st.st_mtime_ns}\n", encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def person_busy(git_dir: Path, root: Path | None = None, *, scan: bool = True) -> bool:
    """Whether a person's git command is (probably) in the middle of a commit right now.

    The sign that covers the whole of a ``git commit`` (from the moment it reads HEAD, before any
    file in ``.git`` changes) is the process itself: a live ``git`` running ``commit`` (or
    ``merge``, ``rebase``, ``reset`` …) in this repository, found in ``/proc``
    (:mod:`learning_fs.repo.gitprocs`, Linux). Cheaper signs are checked first, and are the only
    ones elsewhere: the pre-commit hook's marker naming a live ``git commit``; ``index.lock`` held
    (the library's own syncs hold it only for microseconds, so it is a person's git:
    ``git commit -a`` holds it throughout); an index written in the last 50 ms by something
    other than the library (a plain ``git commit`` writes it just before it runs its hook). Each
    sign counts for at most :data:`PERSON_WAIT` seconds, so a forgotten editor or a crashed
    command never stops the library for long. ``scan=False``: the cheap signs only.
    """
    from learning_fs.repo import gitprocs  # not at the top: this file also runs as the hook's script

    now = time.time()
    marker = git_dir / PERSON
    try:
        st = marker.stat()
        if now - st.st_mtime < PERSON_WAIT:
            text = marker.read_text(encoding="utf-8").strip()
            if text.isdigit() and _alive(int(text)):
                return True
    except (FileNotFoundError, ValueError):
        pass
    try:
        st = (git_dir / "index.lock").stat()
        if now - st.st_mtime < PERSON_WAIT:
            return True
    except FileNotFoundError:
        pass
    try:
        index = (git_dir / "index").stat()
    except FileNotFoundError:
        index = None
    if index is not None and now - index.st_mtime < _RECENT_INDEX:
        try:
            ino, mtime = (git_dir / STAMP).read_text(encoding="utf-8").split()
            if (int(ino), int(mtime)) != (index.st_ino, index.st_mtime_ns):
                return True
        except (FileNotFoundError, ValueError):
            return True
    return scan and bool(gitprocs.running(git_dir.parent if root is None else root, git_dir, max_age=PERSON_WAIT))


FRESH = 0.001
"""A look at ``/proc`` older than this (seconds) is taken again before the branch moves.

``git commit`` needs a few milliseconds from its ``exec`` to reading HEAD; a writer descheduled
between its look and the move (tens of ms on a loaded 2-core machine) would otherwise give one
started meanwhile the time to read the old HEAD."""


class PersonGate:
    """One library commit's manners towards a person's git: wait while it runs, at most :data:`PERSON_WAIT` in all.

    :meth:`clear` is the look that counts, taken after everything but the rename of the ref lock
    (:func:`learning_fs.repo.locks.move_branch`) and taken again until it is younger than
    :data:`FRESH`; it is the only ``/proc`` scan of a write that meets no person (0.5–2 ms on a
    loaded machine). (Undoing a move when a git appeared just after it was tried: such a git had
    nearly always read the *new* HEAD, so the undo made it fail.) :meth:`wait`, before the commit
    is moved, checks the cheap signs, and waits (scanning) once :meth:`clear` has seen a person;
    the writer holds the write lock meanwhile, so other writers queue behind it. A person
    committing again and again could otherwise keep one writer waiting for ever: once the budget
    is spent the library commits anyway and says so once (their next commit may then need
    running again).
    """

    def __init__(self, git_dir: Path, root: Path, budget: float = PERSON_WAIT) -> None:
        self.git_dir, self.root = git_dir, root
        self.deadline = time.monotonic() + budget
        self.budget = budget
        self._seen = False  # clear() found a person: wait() scans too
        self._warned = False

    def _spent(self) -> bool:
        if time.monotonic() < self.deadline:
            return False
        if not self._warned:
            self._warned = True
            log.warning("a person's git kept committing in %s for %.0f s while a library write waited; committing "
                        "it now (a git commit running at this moment may fail with \"cannot lock ref\"; run it "
                        "again)", self.root, self.budget)
        return True

    def wait(self) -> bool:
        """Wait while a person's git command runs here (within the budget); True when it waited."""
        if self._spent() or not person_busy(self.git_dir, self.root, scan=self._seen):
            return False
        while not self._spent() and person_busy(self.git_dir, self.root):
            time.sleep(0.005)
        self._seen = False
        return True

    def clear(self) -> bool:
        """Whether the branch may move now: no person's git running (or the budget is spent)."""
        from learning_fs.repo import gitprocs  # not at the top: this file also runs as the hook's script

        for _ in range(20):
            if self._spent():
                return True
            if person_busy(self.git_dir, self.root):
                self._seen = True
                return False
            if time.monotonic() - gitprocs.listed_at() < FRESH:
                return True
        return True  # never fresh enough on this machine: the look just taken is the best there is


class IndexSyncer:
    """A daemon thread that drains the journal shortly after writes (debounced, retried while git is busy)."""

    RETRY_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
    WINDOW = 1.0
    """Longest a steady stream of writes holds the sync back, in a repository where a sync is cheap."""
    SHARE = 4
    """...and in a big one: at least this many times the last sync's duration, so that syncing
    (``git update-index`` rewrites the whole index: ~0.1 s at 100k files, ~1 s at 1M) takes at
    most about a fifth of the time while agents write, instead of a whole core beside the writer."""

    def __init__(self, root: Path, git_dir: Path, claim: Callable[[Callable[[], None]], None],
                 delay: float = 0.05) -> None:
        self.root, self.git_dir, self.delay = root, git_dir, delay
        self._last_cost = 0.0  # seconds the last background sync took
        self._claim = claim
        self._wake = threading.Event()
        self._stop = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """Called after each commit on the checked-out branch."""
        with self._lock:
            if self._stop:
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="learning_fs-index-sync", daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self, timeout: float = 5.0, *, repair: bool = True) -> bool:
        """Sync now; True when ``.git/index`` matches every commit made so far.

        While a person's git command holds ``index.lock`` this retries for up to ``timeout``
        seconds, then leaves the journal for the next sync (the pre-commit hook still covers a
        person's commit) and returns False. ``repair=False`` skips the work when no journal is
        waiting (closing, exiting) instead of re-checking recent paths git may have reverted.
        """
        if not repair and not has_pending(self.git_dir):
            return True
        deadline = time.monotonic() + timeout
        for delay in itertools.chain(self.RETRY_DELAYS, itertools.repeat(self.RETRY_DELAYS[-1])):
            outcome = self._drain()
            if outcome is not False:
                return bool(outcome)
            if time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
        log.warning("could not update .git/index within %.0f s (is a git command running?); will retry", timeout)
        return False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and wait for a sync it is in the middle of: a caller that deletes the
        repository right after closing it must not race a sync still writing into ``.git``."""
        with self._lock:
            self._stop = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self.flush(repair=False)

    def _drain(self) -> bool | None:
        """True: the index is in step; False: git holds ``index.lock`` (retry); None: failed."""
        if not self.git_dir.is_dir():  # the repository was deleted (a test's temporary directory)
            return None
        if any((self.git_dir / name).exists() for name in OPERATIONS):
            return None  # a person's merge, rebase…: their index is theirs until it is over
        try:
            sync_index(self.root, self.git_dir, self._claim)
        except IndexBusy as exc:
            log.debug("index busy, will retry: %s", exc)
            return False
        except Exception:  # never let a background sync kill the process; flush() retries
            log.exception("syncing .git/index failed")
            return None
        return True

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait()
            self._wake.clear()
            # Debounce: let a burst of writes finish (at most WINDOW, or SHARE x the last sync's
            # cost in a big repository), then sync once. A quiet moment of `delay` syncs at once;
            # flush() and the pre-commit hook never wait for this.
            first = time.monotonic()
            window = max(self.WINDOW, self.SHARE * self._last_cost)
            while self._wake.wait(self.delay) and time.monotonic() - first < window:
                self._wake.clear()
            for delay in self.RETRY_DELAYS:
                began = time.monotonic()
                outcome = self._drain()
                self._last_cost = time.monotonic() - began
                if outcome is not False or self._stop:
                    break
                if self._wake.wait(delay):  # a new write: go round again (it will sync everything)
                    break


def hook_script() -> str:
    """The ``pre-commit`` hook: bring the index up to date before git writes a person's commit.

    Plain git first lists the paths where the index (the one this commit uses) differs from HEAD;
    only when one of them is a library path does Python run, so most commits pay ~10 ms, not the
    ~150 ms a Python start costs here. Python runs this file as a script with ``python -I``
    (isolated: no package import, nothing from the repository on ``sys.path``). When that Python is
    gone (the virtual environment was deleted), plain git resets the library's paths to HEAD: a
    person's commit still cannot undo a library write.
    """
    python = sys.executable
    script = Path(__file__).resolve()
    return f"""#!/bin/sh
{HOOK_MARKER} before a person's commit, so it cannot undo a library write.
git_dir="$(git rev-parse --git-dir)" || exit 0
# Library writers hold their commits back (<= {PERSON_WAIT:.0f} s) while this `git commit` runs:
echo "${{LEARNING_FS_GIT_PID:-$PPID}}" > "$git_dir/{PERSON}" 2>/dev/null
[ -e "$git_dir/{RECENT}" ] || ls "$git_dir/{JOURNAL}"* >/dev/null 2>&1 || exit 0
differ="$(git -c core.quotepath=off diff-index --cached --name-only --no-renames HEAD 2>/dev/null)" || exit 0
[ -n "$differ" ] || exit 0
lists() {{ ls -a "$git_dir" 2>/dev/null | grep '^{JOURNAL.rsplit("-", 1)[0]}-'; }}
before="$(lists)"
if ! cat "$git_dir/{RECENT}" "$git_dir/{JOURNAL}"* 2>/dev/null | cut -f2- | grep -qxF -e "$differ"; then
  [ "$before" = "$(lists)" ] && exit 0  # no library path differs (and no sync moved the lists meanwhile)
fi
if [ -x "{python}" ] && [ -f "{script}" ] &&
   "{python}" -I "{script}" "$(git rev-parse --show-toplevel)" "$git_dir"; then
  exit 0
fi
cat "$git_dir/{RECENT}" "$git_dir/{JOURNAL}"* 2>/dev/null | cut -f2- | sort -u |
  GIT_LITERAL_PATHSPECS=1 git reset -q HEAD --pathspec-from-file=- >/dev/null 2>&1
exit 0
"""


CHAINED = "learning_fs-pre-commit"  # our hook beside a foreign one, which calls it by a marked line
_CHAIN_LINE = (f'LEARNING_FS_GIT_PID=$PPID "$(dirname "$0")/{CHAINED}" || true  '
               f'{HOOK_MARKER} (added by learning_fs; keep this line)\n')


def install_hook(git_dir: Path) -> bool:
    """Install the hook, chaining with a pre-commit hook that is already there instead of displacing it.

    - no hook: ours is ``hooks/pre-commit``;
    - a foreign shell hook: ours goes to ``hooks/learning_fs-pre-commit`` and one marked line that
      calls it is added to theirs, after the ``#!`` line (both run on every commit);
    - the pre-commit framework moved ours to ``pre-commit.legacy`` (``pre-commit install``): its
      hook runs the legacy one first, so ours is kept up to date there and nothing warns.
    Returns False only when ours cannot run (a foreign hook that is not a shell script).
    """
    hooks = git_dir / "hooks"
    hook = hooks / "pre-commit"
    script = hook_script()
    if hook.exists():
        current = hook.read_text(encoding="utf-8", errors="replace")
        if HOOK_MARKER not in current:
            legacy = hooks / "pre-commit.legacy"
            older = legacy.read_text(encoding="utf-8", errors="replace") if legacy.exists() else ""
            if HOOK_MARKER in older:
                if older != script and older.startswith(f"#!/bin/sh\n{HOOK_MARKER}"):
                    _write_hook(legacy, script)  # the framework runs it first: keep it current
                return True
            first = current.split("\n", 1)[0]
            if first.startswith("#!") and ("sh" in first.rsplit("/", 1)[-1]):
                _write_hook(hooks / CHAINED, script)
                _write_hook(hook, first + "\n" + _CHAIN_LINE + current.split("\n", 1)[1] if "\n" in current
                            else first + "\n" + _CHAIN_LINE)
                log.info("added learning_fs's index sync to the existing hook %s (one marked line)", hook)
                return True
            if git_dir in _warned:
                return False
            _warned.add(git_dir)
            log.warning("%s is not learning_fs's and not a shell script: a commit made right after a library write "
                        "may undo it. Call flush() before committing, or add this line to that hook: "
                        '"%s" -I "%s" "$(git rev-parse --show-toplevel)" "$(git rev-parse --git-dir)"',
                        hook, sys.executable, Path(__file__).resolve())
            return False
        if _CHAIN_LINE.strip() in current:  # chained into a foreign hook: keep ours current beside it
            chained = hooks / CHAINED
            if not chained.exists() or chained.read_text(encoding="utf-8", errors="replace") != script:
                _write_hook(chained, script)
            return True
        if current == script:
            return True
    _write_hook(hook, script)
    return True


def _write_hook(hook: Path, text: str) -> None:
    hook.parent.mkdir(parents=True, exist_ok=True)
    temporary = hook.parent / f".{hook.name}.{os.getpid()}.tmp"
    temporary.write_text(text, encoding="utf-8")
    temporary.chmod(0o755)
    os.replace(temporary, hook)  # never a half-written hook for a concurrent `git commit`


def _hook_main(argv: list[str]) -> int:
    """Entry point of the hook: sync under the same locks the library uses."""
    root = Path(argv[1])
    git_dir = Path(argv[2]) if len(argv) > 2 else Path(pygit2.Repository(str(root)).path)
    if not git_dir.is_absolute():
        git_dir = root / git_dir

    # Never the write lock and never more than ~2 s: a person's commit must not wait on agents.
    # The journals are only read (drain=False); the library's own syncer drains them.
    deadline = time.monotonic() + 1.8
    for delay in (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.5):
        try:  # a short wait for a library sync in flight, leaving time to retry git's index.lock
            sync_index(root, git_dir, drain=False, lock_timeout=min(0.5, max(0.05, deadline - time.monotonic())))
            return 0
        except IndexBusy:  # the library's own syncer was mid-update: try again shortly
            if time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
    return 1


if __name__ == "__main__":  # run by the pre-commit hook as a script (python -I)
    sys.exit(_hook_main(sys.argv))
