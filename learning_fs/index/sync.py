"""Keep the search index in step with the files: one code path, three triggers.

Every trigger only decides *which paths* may have changed; :meth:`IndexSync.refresh` then does
the same thing for all of them: read the file from the working tree (what ``MemoryRepo.read``
returns), hash it as git would, skip it when the index already holds that blob, otherwise parse
it, turn it into entries (:mod:`learning_fs.index.documents`) and replace the path's entries.

* write-through — :meth:`IndexSync.on_commit`, a ``MemoryRepo.on_commit`` listener: the paths
  of a library commit on the checked-out branch. Applied by a worker thread, so the write pays
  microseconds; :meth:`wait_idle` is the read barrier searches take, so a search made after a
  write returns sees it.
* catch-up — :meth:`IndexSync.catch_up`: ``diff(indexed commit, HEAD)`` (a ``git pull`` of 1,000
  files refreshes 1,000 paths, not the repository) plus ``git status`` of the content folders
  plus the paths that differed from HEAD at the last sync (a hand edit since reverted).
* live — :mod:`learning_fs.index.watch` hands the paths its file events name to :meth:`refresh`
  and calls :meth:`catch_up` periodically, because file events are not a guarantee.

The index is the working tree's view; ``indexed_commit`` (index state) says which commit's
changes are all in it, so catch-up knows where to diff from.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pygit2

from learning_fs.errors import LearningFSError, RecordParseError
from learning_fs.format.layout import CONTENT_FOLDERS
from learning_fs.index.documents import documents_for, is_content_path
from learning_fs.index.types import IndexDoc
from learning_fs.repo import trees
from learning_fs.repo.snapshot import parse_bytes

if TYPE_CHECKING:
    from learning_fs.index.embeddings import Embedder
    from learning_fs.index.search_index import SearchIndex
    from learning_fs.repo import CommitEvent, MemoryRepo

log = logging.getLogger(__name__)

INDEXED_COMMIT = "indexed_commit"  # index state: every change up to this commit is indexed
WORKTREE_PATHS = "worktree_paths"  # index state: paths that differed from HEAD at the last sync (JSON)
NO_COMMIT = "-"  # indexed_commit of a repository that had no commit yet
#: Appended to an entry's path while its file is re-indexed (see :meth:`IndexSync._replace`); never
#: part of a real path. Readers strip it with :func:`clean_path`.
REINDEXING = "\x00"
FILES_PER_BATCH = 256  # files read, parsed and written per step (bounds memory; progress granularity)
#: A refresh of this many files embeds with the bulk embedder (every core), when there is one.
BULK_FILES = 64
APPLIED_LIMIT = 4096  # write-through commits remembered while an earlier one is still missing
Progress = Callable[[int, int], None]


def clean_path(path: str) -> str:
    """An entry's file path without the mark a re-index in progress leaves on it."""
    return path.split(REINDEXING, 1)[0]


@dataclass
class SyncReport:
    """What one sync did. ``embedded`` counts entries whose text had to be embedded again."""

    trigger: str
    paths: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    failed: list[str] = field(default_factory=list)  # "file:line: message" of files that do not parse
    seconds: float = 0.0
    commit: str | None = None

    def summary(self) -> str:
        what = f"{self.updated} updated, {self.removed} removed, {self.unchanged} unchanged"
        broken = f", {len(self.failed)} unreadable" if self.failed else ""
        return f"{self.paths} files checked ({what}{broken}); {self.embedded} entries embedded in {self.seconds:.2f} s"


class IndexSync:
    """Applies changes of a memory repository's files to a :class:`SearchIndex` (thread-safe)."""

    def __init__(self, repo: MemoryRepo, index: SearchIndex,
                 bulk_embedder: Callable[[], Embedder | None] | None = None) -> None:
        self.repo = repo
        self._bulk_embedder = bulk_embedder
        self.root = repo.root
        self.index = index
        self._lock = threading.RLock()
        self._blobs: dict[str, str | None] | None = None  # path -> blob its entries were built from
        self._repair: set[str] = set()  # paths whose entries a crash left half re-indexed
        self._applied: dict[str, str] = {}  # parent -> commit, written through but not yet contiguous
        self._dirty: set[str] = set(_load_json(index.get_state(WORKTREE_PATHS)))
        self._git: pygit2.Repository | None = None
        self._queue = _CommitQueue(self._apply_commits)
        self._head_checked = 0.0

    # -- the one code path -------------------------------------------------------------------
    def refresh(self, paths: Iterable[str], *, trigger: str = "refresh", progress: Progress | None = None,
                track_dirty: bool = True) -> SyncReport:
        """Bring the entries of ``paths`` in line with the working tree; other paths are ignored.

        ``track_dirty`` remembers which of them now differ from HEAD, so a later catch-up
        re-checks them even when git no longer lists them (a hand edit that was reverted).
        """
        began = time.perf_counter()
        with self._lock:
            report = SyncReport(trigger)
            wanted = sorted({path for path in paths if is_content_path(path)})
            report.paths = len(wanted)
            blobs = self._indexed_blobs()
            head = self._head_tree() if track_dirty else None
            dirty_before = set(self._dirty) if track_dirty else None
            if progress is not None:
                progress(0, len(wanted))
            with self._bulk(len(wanted)):
                for start in range(0, len(wanted), FILES_PER_BATCH):
                    batch = wanted[start : start + FILES_PER_BATCH]
                    self._apply(batch, blobs, report, head, track_dirty)
                    if progress is not None:
                        progress(start + len(batch), len(wanted))
            if dirty_before is not None and dirty_before != self._dirty:
                self._save_dirty()
        report.seconds = time.perf_counter() - began
        if report.updated or report.removed:
            log.debug("index %s: %s", trigger, report.summary())
        return report

    def _apply(self, paths: list[str], blobs: dict[str, str | None], report: SyncReport,
               head: pygit2.Tree | None, track_dirty: bool) -> None:
        docs: dict[str, list[IndexDoc]] = {}
        new_blobs: dict[str, str] = {}
        gone: list[str] = []
        for path in paths:
            data = _read(self.root / path)
            blob = str(pygit2.hash(data)) if data is not None else None
            if track_dirty:
                self._note_dirty(path, blob, head)
            if blob is None:
                if path in blobs:
                    gone.append(path)
                continue
            if blobs.get(path) == blob and path not in self._repair:
                report.unchanged += 1
                continue
            if len(data) > self.repo.config.limits.max_record_bytes:  # type: ignore[arg-type]
                message = (f"{path}: {len(data):,} bytes, over the limits.max_record_bytes of "  # type: ignore[arg-type]
                           f"{self.repo.config.limits.max_record_bytes:,}; not indexed")
                log.warning("not indexed: %s", message)
                report.failed.append(message)
                if path in blobs:
                    gone.append(path)
                continue
            try:
                entries = documents_for(parse_bytes(data, path), path, blob)  # type: ignore[arg-type]
            except RecordParseError as exc:
                log.warning("not indexed: %s", exc)
                report.failed.append(str(exc))
                entries = []
            if entries:
                docs[path] = entries
                new_blobs[path] = blob
            elif path in blobs:
                gone.append(path)
        if gone:
            self.index.delete_paths(gone)
            for path in gone:
                blobs.pop(path, None)
            report.removed += len(gone)
        if docs:
            report.embedded += self._replace(docs, [path for path in docs if path in blobs])
            blobs.update(new_blobs)
            report.updated += len(docs)
        self._repair.difference_update(paths)

    @contextmanager
    def _bulk(self, files: int) -> Iterator[None]:
        """Embed a large refresh (a rebuild, a big pull) with the bulk embedder, if any.

        The default embedder runs on one core, which keeps a query fast next to the search's
        other thread; for thousands of texts every core is worth it (MiniLM on 2 cores: 82 -> 152
        texts/s). Same model and name, so the vectors are the same; a search running meanwhile
        simply embeds its query with the bulk one.
        """
        bulk = self._bulk_embedder() if self._bulk_embedder is not None and files >= BULK_FILES else None
        if bulk is None or bulk.name != self.index.embedder.name:
            yield
            return
        previous, self.index.embedder = self.index.embedder, bulk
        try:
            yield
        finally:
            self.index.embedder = previous

    def _replace(self, docs: dict[str, list[IndexDoc]], indexed: list[str]) -> int:
        """Write the new entries of each path and drop the ones its file no longer yields.

        A change small enough for the index's fresh segment is one transaction
        (:meth:`SearchIndex.replace`). Otherwise the index deletes by path but not by id, so for
        paths already indexed the new entries are first written under a marked path (unchanged
        texts are not embedded again: the index compares text digests by id), then whatever is
        still filed under the real path is stale and deleted, then the entries get their real
        path back (a catalog update). A search in between sees each entry once, under the marked
        path, which readers clean.
        """
        embedded = 0
        if indexed:
            # A small write (one file, a turn's commit) is one catalog transaction: no mark needed.
            done = self.index.replace((doc for entries in docs.values() for doc in entries), indexed)
            if done is not None:
                return done
            marked = [_with_path(doc, str(doc.metadata["path"]) + REINDEXING) for path in indexed for doc in docs[path]]
            embedded += self.index.upsert(marked)
            self.index.delete_paths(indexed)
        return embedded + self.index.upsert(doc for entries in docs.values() for doc in entries)

    # -- catch-up and rebuild ----------------------------------------------------------------
    def catch_up(self, progress: Progress | None = None, *, status: bool = True) -> SyncReport:
        """Index what changed since the indexed commit: committed (diff to HEAD) and not (``git status``).

        An index that never finished a sync is reconciled file by file instead (unchanged blobs
        are still not embedded again); an empty one is simply built. ``status=False`` skips the
        working-tree scan (a quick check after HEAD moved).
        """
        with self._lock:
            git = self._repository()
            head = _head_commit(git)
            head_sha = str(head.id) if head is not None else NO_COMMIT
            indexed = self.index.get_state(INDEXED_COMMIT) or None
            blobs = self._indexed_blobs()
            worktree = _worktree_changes(self.root) if status else set()
            if indexed is None or not _known_commit(git, indexed):
                trigger = "build" if not blobs else "reconcile"
                paths = set(self.repo.paths()) | set(blobs)
            else:
                trigger = "catch-up"
                old = git[indexed].peel(pygit2.Commit).tree if indexed != NO_COMMIT else None
                paths = set(trees.changed_paths(git, old, head.tree if head is not None else None))
                paths |= worktree | self._dirty | self._repair
                paths |= {path for path, blob in blobs.items() if blob is None}
            if status:  # git's list replaces ours; refresh() then corrects it path by path from what it reads
                self._dirty = {path for path in worktree if is_content_path(path)}
            report = self.refresh(paths, trigger=trigger, progress=progress)
            self._set_indexed(head_sha)
            if status:
                self._save_dirty()
            report.commit = head_sha
            return report

    def rebuild(self, progress: Progress | None = None) -> SyncReport:
        """Drop every entry and index every file again (embeds everything: minutes at 100k files)."""
        with self._lock:
            self.index.set_state(INDEXED_COMMIT, "")  # an interrupted rebuild must not look finished
            self.index.clear()
            self._blobs, self._repair, self._applied = {}, set(), {}
            git = self._repository()
            head = _head_commit(git)
            self._dirty = {path for path in _worktree_changes(self.root) if is_content_path(path)}
            report = self.refresh(self.repo.paths(), trigger="rebuild", progress=progress)
            report.commit = str(head.id) if head is not None else NO_COMMIT
            self._set_indexed(report.commit)
            self._save_dirty()
            return report

    def repair(self, paths: Iterable[str]) -> SyncReport:
        """Re-index ``paths`` whatever the index believes they hold (what ``verify`` found drifted)."""
        with self._lock:
            wanted = set(paths)
            self._indexed_blobs()
            self._repair.update(wanted)
            return self.refresh(wanted, trigger="repair")

    def catch_up_if_head_moved(self, every: float = 1.0) -> None:
        """Catch up (without a working-tree scan) when HEAD moved under us: another process's
        commit or a person's ``git pull``. Checked at most once per ``every`` seconds (~20 us)."""
        now = time.monotonic()
        if now - self._head_checked < every:
            return
        self._head_checked = now
        if not self._lock.acquire(blocking=False):
            return  # a sync is running right now: it is the catch-up this check would start
        try:
            head = _head_commit(self._repository())
            sha = str(head.id) if head is not None else NO_COMMIT
            if sha != self.index.get_state(INDEXED_COMMIT):
                self.catch_up(status=False)
        finally:
            self._lock.release()

    # -- write-through -----------------------------------------------------------------------
    def on_commit(self, event: CommitEvent) -> None:
        """``MemoryRepo.on_commit`` listener: queue the commit's files (checked-out branch only)."""
        if event.checked_out:
            self._queue.put(event)

    def apply_commit(self, event: CommitEvent) -> None:
        """Index a commit's files now, in the caller's thread (the synchronous write-through)."""
        if event.checked_out:
            self._apply_commits([event])

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued commit is indexed (False on timeout): the read barrier."""
        return self._queue.wait_idle(timeout)

    def _apply_commits(self, events: list[CommitEvent]) -> None:
        paths = {path for event in events for path in event.changes}
        self.refresh(paths, trigger="write")
        with self._lock:
            git = self._repository()
            for event in events:
                commit = git.get(event.commit)
                if isinstance(commit, pygit2.Commit):
                    parent = str(commit.parent_ids[0]) if commit.parent_ids else NO_COMMIT
                    self._applied[parent] = event.commit
            if len(self._applied) > APPLIED_LIMIT:  # a gap that never closes: catch-up re-diffs it
                self._applied.clear()
            self._advance()

    def _advance(self) -> None:
        """Move the indexed commit forward over write-through commits that follow it directly."""
        indexed = self.index.get_state(INDEXED_COMMIT) or None
        if indexed is None:
            return
        moved = indexed
        while moved in self._applied:
            moved = self._applied.pop(moved)
        if moved != indexed:
            self.index.set_state(INDEXED_COMMIT, moved)

    # -- bookkeeping -------------------------------------------------------------------------
    @property
    def indexed_commit(self) -> str | None:
        return self.index.get_state(INDEXED_COMMIT) or None

    def indexed_paths(self, prefix: str = "") -> list[str]:
        """Paths that have entries, optionally only under ``prefix`` (a folder, no trailing slash)."""
        with self._lock:
            blobs = self._indexed_blobs()
            if not prefix:
                return sorted(blobs)
            return sorted(path for path in blobs if path.startswith(prefix.rstrip("/") + "/"))

    def replace_index(self, index: SearchIndex) -> None:
        """Continue on a fresh ``index`` (the old one was lost or corrupt): forget what was indexed."""
        with self._lock:
            self.index = index
            self._blobs = None
            self._repair = set()
            self._applied = {}
            self._dirty = set()

    def close(self) -> None:
        """Finish queued write-through work and stop the worker thread."""
        self._queue.close()
        with self._lock:
            if self._git is not None:
                self._git.free()
                self._git = None

    def _set_indexed(self, sha: str) -> None:
        self.index.set_state(INDEXED_COMMIT, sha)
        self._advance()

    def _indexed_blobs(self) -> dict[str, str | None]:
        """path -> blob of its entries (None: entries of several blobs), loaded once per process."""
        if self._blobs is None:
            blobs: dict[str, str | None] = {}
            leftovers: list[str] = []
            for path, blob in self.index.entries_for_verify():
                if REINDEXING in path:  # a re-index cut short: drop those entries, redo the file
                    leftovers.append(path)
                    self._repair.add(clean_path(path))
                elif blobs.get(path, blob) != blob:
                    blobs[path] = None
                else:
                    blobs[path] = blob
            if leftovers:
                self.index.delete_paths(leftovers)
            # Entries whose fresh vectors were unreadable were dropped at open: embed their files again.
            self._repair.update(clean_path(path) for path in self.index.lost_paths())
            self._blobs = blobs
        return self._blobs

    def _note_dirty(self, path: str, blob: str | None, head: pygit2.Tree | None) -> None:
        committed = trees.blob_id_at(head, path)
        if (str(committed) if committed is not None else None) != blob:
            self._dirty.add(path)
        else:
            self._dirty.discard(path)

    def _save_dirty(self) -> None:
        self.index.set_state(WORKTREE_PATHS, json.dumps(sorted(self._dirty)))

    def _repository(self) -> pygit2.Repository:
        """This object's own pygit2 handle (MemoryRepo's is guarded by its lock; ours by ``_lock``)."""
        if self._git is None:
            self._git = pygit2.Repository(str(self.root))
        return self._git

    def _head_tree(self) -> pygit2.Tree | None:
        head = _head_commit(self._repository())
        return head.tree if head is not None else None


class _CommitQueue:
    """Write-through commits waiting for the worker thread; a burst is indexed as one batch."""

    def __init__(self, apply: Callable[[list[CommitEvent]], None]) -> None:
        self._apply = apply
        self._cond = threading.Condition()
        self._events: list[CommitEvent] = []
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def put(self, event: CommitEvent) -> None:
        with self._cond:
            if self._closed:
                return
            self._events.append(event)
            if self._thread is None:
                # Daemon: an exiting process does not wait for the index; what it did not apply
                # is still ahead of the indexed commit, so the next open catches it up.
                self._thread = threading.Thread(target=self._run, name="lfs-index-write-through", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._events and not self._busy, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._events or self._closed)
                if not self._events:
                    return
                batch, self._events, self._busy = self._events, [], True
            try:
                self._apply(batch)
            except Exception:  # the index lags; the indexed commit did not move, so catch-up redoes it
                log.exception("write-through indexing failed for %d commit(s)", len(batch))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


# -- git -------------------------------------------------------------------------------------------
def _head_commit(git: pygit2.Repository) -> pygit2.Commit | None:
    try:
        return git.head.peel(pygit2.Commit)
    except (pygit2.GitError, KeyError):
        return None


def _known_commit(git: pygit2.Repository, sha: str) -> bool:
    """Whether ``sha`` is a commit this repository has (history may have been rewritten)."""
    if sha == NO_COMMIT:
        return True
    try:
        return isinstance(git.get(sha), pygit2.Commit)
    except (ValueError, pygit2.GitError):
        return False


def _worktree_changes(root: Path) -> set[str]:
    """Content paths whose working-tree file differs from HEAD: modified, deleted or untracked.

    ``--no-optional-locks`` keeps ``git status`` from rewriting ``.git/index`` (it would race the
    library's own index sync); ``-uall`` lists untracked files one by one. A stale ``.git/index``
    only adds paths that turn out unchanged (their blob is already indexed).
    """
    folders = [folder for folder in CONTENT_FOLDERS if (root / folder).is_dir()]
    if not folders:
        return set()
    command = ["git", "--no-optional-locks", "status", "--porcelain=v1", "-z", "-uall", "--no-renames",
               "--ignore-submodules", "--", *folders]
    result = subprocess.run(command, cwd=root, capture_output=True, check=False)
    if result.returncode != 0:
        raise LearningFSError(f"git status failed in {root}: {result.stderr.decode(errors='replace').strip()}")
    paths = set()
    for entry in result.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if len(entry) > 3:
            paths.add(entry[3:])
    return paths


# -- helpers ---------------------------------------------------------------------------------------
def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:  # unreadable now (permissions, a file being replaced): treated as absent
        log.warning("cannot read %s: %s", path, exc)
        return None


def _with_path(doc: IndexDoc, path: object) -> IndexDoc:
    return IndexDoc(doc.id, doc.text, {**doc.metadata, "path": str(path)})


def _load_json(value: str | None) -> list[str]:
    if not value:
        return []
    try:
        loaded = json.loads(value)
    except ValueError:
        return []
    return [str(item) for item in loaded] if isinstance(loaded, list) else []


def content_folders(root: Path) -> list[Path]:
    """The content folders that exist in ``root`` (what a watcher watches)."""
    return [root / folder for folder in CONTENT_FOLDERS if (root / folder).is_dir()]


def walk_content(folder: Path, root: Path) -> list[str]:
    """Repository-relative content paths under ``folder`` (a folder that appeared all at once)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        found += [f"{rel}/{name}" for name in filenames if is_content_path(f"{rel}/{name}")]
    return found
