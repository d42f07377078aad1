"""``RepoIndex``: a memory repository's search index, opened, kept current and checked.

Opening one finds the index folder (``index.directory`` in ``learning_fs.yaml``, by default the
gitignored ``.learning_fs/index``), catches it up with the files (building it when the folder
was deleted: nothing in it is the truth), and subscribes to the repository's commits so every
library write is indexed (write-through). ``watch()`` adds the live watcher for hand edits.

One process, one writer per index folder: handles opened on the same folder in a process share
one index, sync and watcher; another process that finds the folder's ``writer.lock`` taken
opens it read-only (it searches what the writer keeps current, and says so).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pygit2
from filelock import FileLock, Timeout

from learning_fs.errors import LearningFSError, RecordParseError, SymlinkError, UnsafePathError
from learning_fs.format.records import now
from learning_fs.index.dense import http_client
from learning_fs.index.documents import documents_for
from learning_fs.index.search_index import SearchIndex
from learning_fs.index.sync import REINDEXING, IndexSync, Progress, SyncReport, clean_path
from learning_fs.index.types import Hit, SearchMode

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from learning_fs.index.embeddings import Embedder
    from learning_fs.index.watch import IndexWatcher
    from learning_fs.repo import CommitEvent, MemoryRepo

log = logging.getLogger(__name__)

LOCK_FILE = "writer.lock"
#: How long a search waits for write-through work queued before it (the read barrier).
BARRIER_TIMEOUT = 10.0
WriteThrough = Literal["async", "sync", "off"]


@dataclass
class VerifyReport:
    """Drift between the files and the index (``ok`` when there is none)."""

    files: int = 0
    entries: int = 0
    stale: list[str] = field(default_factory=list)  # indexed from another version of the file
    missing: list[str] = field(default_factory=list)  # files with searchable content and no entry
    orphaned: list[str] = field(default_factory=list)  # entries whose file is gone
    unreadable: list[str] = field(default_factory=list)  # files that do not parse: not indexed, not drift
    indexed_commit: str | None = None
    head: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.stale or self.missing or self.orphaned)


@dataclass(eq=False)
class _Core:
    """What the handles on one index folder share in this process."""

    directory: Path
    index: SearchIndex
    sync: IndexSync | None  # None: read-only (another process holds the writer lock)
    lock: FileLock | None
    users: int = 0
    repos: weakref.WeakSet[MemoryRepo] = field(default_factory=weakref.WeakSet)
    watcher: IndexWatcher | None = None
    closed: bool = False


_cores: dict[Path, _Core] = {}
_cores_lock = threading.Lock()
_embedder: Embedder | None = None
_bulk_embedders: dict[str, Embedder] = {}
_embedder_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """The offline default embedder, loaded once per process (model load ~0.4 s, ~90 MB)."""
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            from learning_fs.index.embeddings import default_embedder

            _embedder = default_embedder()
        return _embedder


def bulk_embedder(embedder: Embedder) -> Embedder | None:
    """A second MiniLM on every core for large refreshes (see :meth:`IndexSync._bulk`), loaded on
    first use and kept for the process; None for other embedders or a single core."""
    from learning_fs.index.minilm import MiniLMEmbedder

    if not isinstance(embedder, MiniLMEmbedder) or (os.cpu_count() or 1) < 2:
        return None
    with _embedder_lock:
        if embedder.name not in _bulk_embedders:
            _bulk_embedders[embedder.name] = MiniLMEmbedder(threads=0)
        return _bulk_embedders[embedder.name]


def index_directory(repo: MemoryRepo) -> Path:
    """Where the repository's index lives: ``index.directory``, which must stay inside the repository."""
    configured = repo.config.index.directory
    try:
        repo.safe_path(configured.rstrip("/"))  # SymlinkError: never keep the index behind a link
    except SymlinkError:
        raise
    except UnsafePathError:
        pass  # not a plain relative path: the check below says what is wrong
    path = (repo.root / configured).resolve()
    if path == repo.root or repo.root not in path.parents:
        raise LearningFSError(f"learning_fs.yaml: index.directory {configured!r} must be a folder inside the "
                              "repository (default .learning_fs/index)")
    return path


class RepoIndex:
    """The search index of one memory repository. Open it with :meth:`open`; close it when done."""

    def __init__(self, repo: MemoryRepo, core: _Core) -> None:
        self.repo = repo
        self._core = core
        self._closed = False

    @classmethod
    def open(cls, repo: MemoryRepo, *, directory: str | os.PathLike[str] | None = None,
             embedder: Embedder | None = None, client: ClientAPI | None = None, catch_up: bool = True,
             write_through: WriteThrough | bool = "async", watch: bool = False,
             progress: Progress | None = None) -> RepoIndex:
        """Open (or build) the index of ``repo``.

        Args:
            directory: The index folder (default: ``index.directory`` of the repository's config).
            embedder: Default: the offline MiniLM, shared by every index in the process.
            client: A Chroma client for the vectors (e.g. ``chromadb.HttpClient``); default: the
                server in ``index.chroma`` of ``learning_fs.yaml`` when set, else an embedded
                ``PersistentClient`` in the index folder.
            catch_up: Index what changed since the last sync before returning (a deleted index
                is rebuilt here; ``progress(done, total)`` is called as files are indexed).
            write_through: ``"async"`` (default): a library commit is indexed by a worker thread
                and every search through this object waits for it first, so the write itself
                pays microseconds; ``"sync"``: indexed inside the write; ``"off"``: not at all.
            watch: Also start the live watcher (hand edits, ``git pull``) until :meth:`close`.
        """
        path = Path(directory).resolve() if directory is not None else index_directory(repo)
        mode: WriteThrough = "async" if write_through is True else "off" if write_through is False else write_through
        if mode not in ("async", "sync", "off"):
            raise ValueError(f"write_through must be 'async', 'sync' or 'off', not {write_through!r}")
        if client is None and repo.config.index.chroma is not None:
            client = _server_client(repo, path)
        core = _acquire(repo, path, embedder, client)
        handle = cls(repo, core)
        try:
            if core.sync is not None:
                if mode != "off" and repo not in core.repos:
                    core.repos.add(repo)
                    repo.on_commit(_listener(core, mode))
                if watch:
                    handle.watch()  # starts with a catch-up of its own
                elif catch_up:
                    core.sync.catch_up(progress)
        except BaseException:
            handle.close()
            raise
        return handle

    # -- what it is ----------------------------------------------------------------------------
    @property
    def directory(self) -> Path:
        return self._core.directory

    @property
    def index(self) -> SearchIndex:
        """The underlying :class:`SearchIndex` (entries, state, raw search)."""
        return self._core.index

    @property
    def sync(self) -> IndexSync:
        if self._core.sync is None:
            raise LearningFSError(f"{self.directory} is being updated by another process (its writer lock is "
                                  "taken, e.g. by `learning-fs watch`); this process can only search it")
        return self._core.sync

    @property
    def read_only(self) -> bool:
        return self._core.sync is None

    @property
    def healed(self) -> bool:
        """Whether opening found the index unreadable and started a fresh one (still to be filled)."""
        return self._core.index.healed and self._core.index.count() == 0

    @property
    def watcher(self) -> IndexWatcher | None:
        return self._core.watcher

    def count(self) -> int:
        """Entries in the index (a record yields one, or one per memory, fact and event)."""
        return self.index.count()

    # -- searching -----------------------------------------------------------------------------
    def search(self, query: str, *, k: int = 10, kind: str | Sequence[str] | None = None,
               namespace: str | Sequence[str] | None = None, user: str | None = None,
               include_inactive: bool = False, mode: SearchMode = "hybrid") -> list[Hit]:
        """The ``k`` best entries for ``query`` (see :meth:`SearchIndex.search` for the filters).

        ``user`` is who is asking: their private entries are searchable, nobody else's ever are.
        Library writes made before the call are waited for, and a HEAD moved by someone else
        (another process, ``git pull``) is caught up first (checked at most once a second).
        """
        self._check_open()
        if self._core.sync is not None:
            self._core.sync.wait_idle(BARRIER_TIMEOUT)
            self._core.sync.catch_up_if_head_moved()
        hits = self.index.search(query, k=k, kind=kind, namespace=namespace, user=user,
                                 include_inactive=include_inactive, mode=mode)
        if not include_inactive:  # statuses are as of indexing; an expiry may have passed since
            stamp = now()
            hits = [hit for hit in hits if not _expired(hit, stamp)]
        return [_cleaned(hit) for hit in hits]

    def prefetch(self, query: str) -> None:
        """Start embedding ``query`` in the background for the searches that follow (a turn's)."""
        self._check_open()
        self.index.prefetch(query)

    # -- keeping it current ----------------------------------------------------------------------
    def catch_up(self, progress: Progress | None = None) -> SyncReport:
        """Index what changed since the last sync (committed or not); proportional to the changes."""
        self._check_open()
        self.sync.wait_idle(BARRIER_TIMEOUT)
        return self.sync.catch_up(progress)

    def rebuild(self, progress: Progress | None = None) -> SyncReport:
        """Drop everything and index every file again."""
        self._check_open()
        self.sync.wait_idle(BARRIER_TIMEOUT)
        return self.sync.rebuild(progress)

    def repair(self, report: VerifyReport) -> SyncReport:
        """Re-index the files a :meth:`verify` found stale, missing or orphaned."""
        self._check_open()
        self.sync.wait_idle(BARRIER_TIMEOUT)
        orphans = [path for path in report.orphaned if REINDEXING not in path]
        return self.sync.repair([*report.stale, *report.missing, *orphans])

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every library write so far is indexed; False on timeout."""
        return self._core.sync.wait_idle(timeout) if self._core.sync is not None else True

    def watch(self, **options: Any) -> IndexWatcher:
        """Start (or return) the live watcher of this index; it stops on :meth:`close`.

        Options: ``debounce`` (0.3 s), ``max_delay`` (2 s), ``reconcile_every`` (60 s; None: never).
        """
        from learning_fs.index.watch import IndexWatcher

        self._check_open()
        core = self._core
        if core.watcher is None or not core.watcher.running:
            options.setdefault("heal", lambda deep: _heal_if_lost(core, deep=deep))
            core.watcher = IndexWatcher(self.sync, **options).start()
        return core.watcher

    # -- checking --------------------------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Compare every entry's blob with its file: stale, missing and orphaned entries.

        Reads every record file (about a second per 10k files); the index itself is not changed.
        """
        self._check_open()
        report = VerifyReport(indexed_commit=self.index.get_state("indexed_commit") or None)
        lock = self._core.sync._lock if self._core.sync is not None else threading.RLock()
        if self._core.sync is not None:
            self._core.sync.wait_idle(BARRIER_TIMEOUT)
        with lock:
            indexed: dict[str, set[str]] = {}
            for path, blob in self.index.entries_for_verify():
                indexed.setdefault(path, set()).add(blob)
                report.entries += 1
            files = self.repo.paths()
            report.files = len(files)
            for path in files:
                try:
                    data = (self.repo.root / path).read_bytes()
                except OSError:
                    continue
                blob = str(pygit2.hash(data))
                if path in indexed:
                    if indexed.pop(path) != {blob}:
                        report.stale.append(path)
                    continue
                _check_unindexed(path, data, blob, report)
            report.orphaned = sorted(clean_path(path) for path in indexed)
        report.head = _head_sha(self.repo)
        return report

    # -- closing -----------------------------------------------------------------------------------
    def close(self) -> None:
        """Release this handle; the last one in the process stops the watcher and closes the index."""
        if self._closed:
            return
        self._closed = True
        _release(self._core)

    def __enter__(self) -> RepoIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "read-only" if self.read_only else "open"
        return f"RepoIndex({self.directory}, {state})"

    def _check_open(self) -> None:
        if self._closed:
            raise LearningFSError("this RepoIndex is closed")


# -- sharing one index per folder in a process --------------------------------------------------------
def _server_client(repo: MemoryRepo, path: Path) -> ClientAPI | None:
    """The ``index.chroma`` server's client, made once per index folder in this process.

    A folder already open in this process keeps the client it was opened with (handles share
    one core), so no second client is made, and no heartbeat paid, for each handle.
    """
    with _cores_lock:
        core = _cores.get(path)
        if core is not None and not core.closed:
            return None
    server = repo.config.index.chroma
    assert server is not None
    return http_client(server)


def _acquire(repo: MemoryRepo, path: Path, embedder: Embedder | None, client: ClientAPI | None) -> _Core:
    with _cores_lock:
        core = _cores.get(path)
        if core is not None and not core.closed:
            if embedder is not None and embedder.name != core.index.embedder.name:
                raise LearningFSError(f"{path} is already open in this process with embedder "
                                      f"{core.index.embedder.name}, not {embedder.name}")
            core.users += 1
            return core
        path.mkdir(parents=True, exist_ok=True)
        lock: FileLock | None = FileLock(str(path / LOCK_FILE), thread_local=False)
        try:
            lock.acquire(timeout=0)  # type: ignore[union-attr]
        except Timeout:
            log.warning("%s is kept current by another process (its writer lock is taken); searching it as is",
                        path)
            lock = None
        try:
            index = _open_or_heal(path, embedder or shared_embedder(), client, can_heal=lock is not None)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        sync = IndexSync(repo, index, lambda: bulk_embedder(index.embedder)) if lock is not None else None
        core = _Core(path, index, sync, lock, users=1)
        _cores[path] = core
        return core


def _open_or_heal(path: Path, embedder: Embedder, client: ClientAPI | None, *, can_heal: bool) -> SearchIndex:
    """Open the index in ``path``; if its files are unreadable, move them aside and start afresh.

    Nothing in an index folder is the truth, so a corrupt Chroma or catalog file (a crash, a disk
    error, garbage written over it) must not stop search: the folder is renamed to
    ``<name>.corrupt-<time>`` (kept for a post-mortem, deleted by the next heal), one warning says
    so, and the caller's catch-up rebuilds the entries from the files. Only the process holding
    the writer lock heals; a reader, or an index on a Chroma server, raises as before.
    """
    try:
        return SearchIndex.open(path, embedder=embedder, client=client, writer=can_heal)
    except (LearningFSError, ImportError, PermissionError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:
        if not can_heal or client is not None:
            raise LearningFSError(f"the search index in {path} cannot be opened ({type(exc).__name__}: {exc}); "
                                  "run `learning-fs index --rebuild`") from exc
        aside = _move_aside(path)
        log.warning("the search index in %s was unreadable (%s: %s); moved it to %s and rebuilding it from the "
                    "files (search falls back to words until it is back)", path, type(exc).__name__,
                    str(exc)[:200], aside.name)
        index = SearchIndex.open(path, embedder=embedder, client=client)
        index.healed = True
        return index


def _heal_if_lost(core: _Core, *, deep: bool = False) -> bool:
    """Rebuild an index whose folder was deleted or whose files no longer open; True if it did.

    Run by the watcher before each batch (one ``stat``; ``deep`` also asks the catalog, after an
    error): a long-running ``learning-fs watch`` whose
    ``.learning_fs`` someone deleted would otherwise log an error per change and never recover.
    """
    if core.sync is None or core.closed:
        return False
    from learning_fs.index.search_index import CATALOG_FILE

    if (core.directory / CATALOG_FILE).is_file() and (not deep or core.index.healthy()):
        return False
    old = core.index
    with contextlib.suppress(Exception):  # first: Chroma keeps one system per folder, which must go
        old.close()
    if core.directory.exists():
        _move_aside(core.directory)
    core.directory.mkdir(parents=True, exist_ok=True)
    log.warning("the search index in %s disappeared or broke; rebuilding it from the files", core.directory)
    core.index = _open_or_heal(core.directory, old.embedder, None, can_heal=True)
    core.sync.replace_index(core.index)
    return True


def _move_aside(path: Path) -> Path:
    """Rename the index folder out of the way (keeping its lock file where the lock holder expects it)."""
    import shutil
    import time

    for old in path.parent.glob(f"{path.name}.corrupt-*"):
        shutil.rmtree(old, ignore_errors=True)
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    aside.mkdir()
    for child in path.iterdir():
        if child.name != LOCK_FILE:
            child.rename(aside / child.name)
    return aside


def _release(core: _Core) -> None:
    with _cores_lock:
        core.users -= 1
        if core.users > 0:
            return
        core.closed = True
        if _cores.get(core.directory) is core:
            del _cores[core.directory]
    if core.watcher is not None:
        core.watcher.stop()
    if core.sync is not None:
        core.sync.close()
    core.index.close()
    if core.lock is not None:
        core.lock.release()


def _close_all() -> None:
    """At exit: finish queued write-through work and stop watchers, so no thread is cut mid-write."""
    with _cores_lock:
        cores = list(_cores.values())
    for core in cores:
        try:
            if core.watcher is not None:
                core.watcher.stop()
            if core.sync is not None:
                core.sync.close()
        except Exception:  # interpreter shutdown: best effort; the next open catches up anyway
            log.debug("closing %s at exit failed", core.directory, exc_info=True)


atexit.register(_close_all)


def _listener(core: _Core, mode: WriteThrough) -> Callable[[CommitEvent], None]:
    """A commit listener that holds the core weakly (MemoryRepo cannot unsubscribe listeners)."""
    ref = weakref.ref(core)

    def index_commit(event: CommitEvent) -> None:
        target = ref()
        if target is None or target.closed or target.sync is None:
            return
        if mode == "sync":
            target.sync.apply_commit(event)
        else:
            target.sync.on_commit(event)

    return index_commit


# -- helpers -------------------------------------------------------------------------------------------
def _cleaned(hit: Hit) -> Hit:
    """A hit with the re-index mark stripped from its path (see :meth:`IndexSync._replace`)."""
    if REINDEXING not in hit.path:
        return hit
    path = clean_path(hit.path)
    return Hit(hit.id, hit.record_id, hit.item_id, path, hit.kind, hit.namespace, hit.user, hit.score, hit.snippet,
               {**hit.metadata, "path": path})


def _expired(hit: Hit, stamp: str) -> bool:
    expires = str(hit.metadata.get("expires") or "")
    return bool(expires) and expires <= stamp


def _check_unindexed(path: str, data: bytes, blob: str, report: VerifyReport) -> None:
    """A file with no entries is drift only if it has something to search."""
    from learning_fs.repo.snapshot import parse_bytes

    try:
        docs = documents_for(parse_bytes(data, path), path, blob)
    except RecordParseError as exc:
        report.unreadable.append(str(exc))
        return
    if docs:
        report.missing.append(path)


def _head_sha(repo: MemoryRepo) -> str | None:
    try:
        return str(pygit2.Repository(str(repo.root)).head.target)
    except (pygit2.GitError, KeyError):
        return None
