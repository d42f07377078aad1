"""``MemoryRepo``: the one place that reads and writes a memory repository.

Files are the truth and git is the log. Every logical write is one commit made at the object
level (blobs + the trees on the touched paths + a compare-and-swap on the branch tip), under a
repository-wide lock, so many threads and processes can write at once without losing a record
and a write stays ~3 ms at 100k files (bench/README.md). After a commit on the checked-out branch the library
updates exactly the files it wrote in the working tree and, off the write path, ``.git/index``
(see :mod:`learning_fs.repo.gitindex`), so a person's own edits and commits keep working.
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import os
import stat
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pygit2

from learning_fs.errors import ConflictError, LearningFSError, RecordNotFoundError, RecordParseError, SymlinkError
from learning_fs.format.layout import kind_from_path, search_roots
from learning_fs.format.merge import merge_records
from learning_fs.format.records import Record
from learning_fs.format.slugs import check_relative_path
from learning_fs.repo import gitindex, history, merge, trees, worktree
from learning_fs.repo import trailers as names
from learning_fs.repo.config import CONFIG_FILE, DERIVED_DIR, GITIGNORE, RepoConfig
from learning_fs.repo.history import CommitInfo
from learning_fs.repo.kept import KeptFiles
from learning_fs.repo.locks import RefBackoff, WriteLock, move_branch, ref_locks_left_by
from learning_fs.repo.safety import check_below, lstat_below, read_nofollow
from learning_fs.repo.snapshot import Snapshot, parse_bytes
from learning_fs.repo.transaction import ID_LINE, CommitEvent, CommitListener, Transaction
from learning_fs.repo.worktree import update_worktree

if TYPE_CHECKING:
    from learning_fs.repo.sync import SyncResult

LIBRARY_HISTORY = 100
"""First-parent commits searched for an earlier library version of a file (recognising stale files)."""

log = logging.getLogger(__name__)
_Repo = TypeVar("_Repo", bound="MemoryRepo")

_open_repos: weakref.WeakSet[MemoryRepo] = weakref.WeakSet()


class MemoryRepo:
    """A memory repository on disk (see docs/format.md for what lives where).

    ``MemoryRepo(path)`` opens an existing repository; ``MemoryRepo.init(path)`` creates one (or
    adds learning_fs settings to an existing git repository). Reads come from the working tree,
    so a person's hand edits are seen at once; writes go through :meth:`transaction`.
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 60.0) -> None:
        self.root = Path(path).resolve()
        try:
            # NO_SEARCH: never climb to an enclosing repository. ./memory_repo inside a project
            # checkout must not commit memories into the project's own git history.
            self.git = pygit2.Repository(str(self.root), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
        except pygit2.GitError:
            raise LearningFSError(f"{self.root} is not a memory repository (run `learning-fs init` first)") from None
        if self.git.is_bare or self.git.workdir is None:
            raise LearningFSError(f"{self.root} is a bare repository; a memory repository needs a working tree")
        self.root = Path(self.git.workdir).resolve()
        self._root_str = str(self.root)
        self.git_dir = Path(self.git.path).resolve()
        self.config = RepoConfig.load(self.root)
        self._lock = WriteLock(self.git_dir / "learning_fs-write.lock", lock_timeout)
        self._git_lock = threading.RLock()  # pygit2 objects are not shared across threads unguarded
        self._cache: dict[str, tuple[tuple[int, int, int], Record]] = {}
        self._blob_cache: dict[str, Record] = {}
        self._listeners: list[CommitListener] = []
        self._commits = 0
        self._suspect_ref_locks: dict[Path, tuple[int, int]] = {}
        self._kept = KeptFiles(self.git_dir)
        self._kept_reads: dict[tuple[str, str, str], Record] = {}
        self._syncer = gitindex.IndexSyncer(self.root, self.git_dir, self._run_locked)
        if gitindex.install_hook(self.git_dir) and self._hooks_elsewhere():
            log.warning("core.hooksPath is set in %s: git will not run learning_fs's pre-commit hook, so a "
                        "commit made right after a library write may undo it; call flush() first", self.root)
        _open_repos.add(self)
        if worktree.intent_path(self.git_dir).exists() or (self.git_dir / worktree.DEFERRED).exists():
            with self._lock.hold():  # a writer was killed mid-commit, or a person's operation ended
                self._before_write()
        if gitindex.has_pending(self.git_dir):  # a writer died before syncing .git/index: catch up
            self._syncer.notify()

    # -- creation -----------------------------------------------------------------------------
    @classmethod
    def init(cls: type[_Repo], path: str | os.PathLike[str], *, branch: str = "main",
             files: dict[str, bytes] | None = None, **kwargs: Any) -> _Repo:
        """Create a memory repository (idempotent: an existing one is opened and completed).

        ``files``: more files for the first commit, each written only where none exists
        (``learning-fs init`` adds the ``.gitattributes`` of the record merge driver).
        """
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        if not (root / ".git").exists():
            pygit2.init_repository(str(root), initial_head=branch)
        repo = cls(root, **kwargs)
        with repo.transaction("Initialise memory repository", trailers={names.STORE: "repo"}) as tx:
            if tx.read_bytes(CONFIG_FILE) is None:
                tx.write_bytes(CONFIG_FILE, RepoConfig(branch=branch).to_yaml().encode())
            if tx.read_bytes(".gitignore") is None:
                tx.write_bytes(".gitignore", GITIGNORE.encode())
            for name, data in (files or {}).items():
                if tx.read_bytes(name) is None:
                    tx.write_bytes(name, data)
        repo.config = RepoConfig.load(repo.root)
        # A person's first `git add` + `git commit` may come at once; with .git/index still empty
        # it would commit the deletion of the settings (the hook can miss a sync mid-way). Init
        # is once per repository, so its index is brought in step before returning.
        repo.flush(timeout=10.0)
        return repo

    @classmethod
    def open(cls, path: str | os.PathLike[str], **kwargs: Any) -> MemoryRepo:
        return cls(path, **kwargs)

    @property
    def derived_dir(self) -> Path:
        """``.learning_fs/``: the gitignored home of the index and caches (never a symlink: SymlinkError)."""
        check_below(self._root_str, DERIVED_DIR)
        return self.root / DERIVED_DIR

    def safe_path(self, path: str) -> Path:
        """``root/path`` after checking that no component of ``path`` is a symlink (:class:`SymlinkError`).

        For code above the repository layer that keeps files inside the repository (the index,
        caches, templates): the library never reads or writes through a link a clone brought in.
        """
        check_below(self._root_str, check_relative_path(path))
        return self.root / path

    @property
    def branch(self) -> str:
        """The branch the working tree has checked out (the one memories are read from).

        Raises :class:`LearningFSError` when HEAD is detached (a person is bisecting or looking at
        an old commit): the library will not commit where no branch can hold the commit.
        """
        name = self._checked_out()
        if name is None:
            operation = worktree.operation_in_progress(self.git_dir)
            if operation is not None:
                raise LearningFSError(f"a git operation is in progress in {self.root} ({operation}, HEAD detached): "
                                      "the library writes again once it is finished or aborted")
            raise LearningFSError(f"HEAD is detached in {self.root}: check out a branch before writing "
                                  "(or write to a named branch with branch=...)")
        return name

    def _hooks_elsewhere(self) -> bool:
        """Whether git looks for hooks outside ``.git/hooks`` (core.hooksPath, e.g. set by husky)."""
        try:
            return bool(self.git.config["core.hooksPath"])
        except (KeyError, pygit2.GitError):
            return False

    def _checked_out(self) -> str | None:
        """The checked-out branch, or None when HEAD is detached."""
        with self._git_lock:
            target = self.git.references["HEAD"].target
        if not isinstance(target, str):
            return None
        return target.removeprefix("refs/heads/")

    def _head_commit(self) -> pygit2.Commit | None:
        """The commit HEAD points at (branch tip or detached), None in an empty repository."""
        try:
            return self.git.head.peel(pygit2.Commit)
        except (pygit2.GitError, KeyError):
            return None

    # -- reading ------------------------------------------------------------------------------
    def read(self, path: str, *, copy: bool = True) -> Record:
        """Parse the record at ``path`` in the working tree (cached by stat; hand edits seen).

        ``copy=False`` returns the shared cached object for read-only hot paths (recall).
        """
        check_relative_path(path)
        st = lstat_below(self._root_str, path)  # SymlinkError for a link anywhere on the path
        if st is None:
            raise RecordNotFoundError(f"{path}: no such record")
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        kept = self._kept.entries()
        if kept and path in kept:  # a person's edit the library's change could not merge into
            record = self._read_kept(path, kept[path])
            return record.model_copy(deep=True) if copy else record
        hit = self._cache.get(path)
        if hit is not None and hit[0] == key:
            record = hit[1]
        else:
            try:
                data = read_nofollow(self._root_str, path)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise RecordNotFoundError(f"{path}: no such record") from None
            record = parse_bytes(data, path)
            self._cache[path] = (key, record)
        return record.model_copy(deep=True) if copy else record

    def get(self, path: str, *, copy: bool = True) -> Record | None:
        """Like :meth:`read` but ``None`` when the file does not exist."""
        try:
            return self.read(path, copy=copy)
        except RecordNotFoundError:
            return None

    def exists(self, path: str) -> bool:
        st = lstat_below(self._root_str, check_relative_path(path))
        return st is not None and stat.S_ISREG(st.st_mode)

    def _read_kept(self, path: str, base: str | None) -> Record:
        """The person's file merged with HEAD's version, so recall sees the library's change too."""
        try:
            disk = read_nofollow(self._root_str, path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            disk = None
        with self._git_lock:
            head = self._head_commit()
            oid = trees.blob_id_at(head.tree if head is not None else None, path)
            theirs = self.git[oid].data if oid is not None else None  # type: ignore[attr-defined]
            old = self.git[pygit2.Oid(hex=base)].data if base is not None else None  # type: ignore[attr-defined]
        if disk is None or theirs is None or pygit2.hash(disk) == oid:
            data = disk if disk is not None else theirs
            if data is None:
                raise RecordNotFoundError(f"{path}: no such record")
            return parse_bytes(data, path)
        key = (path, str(pygit2.hash(disk)), str(oid))
        record = self._kept_reads.get(key)
        if record is None:
            merged = merge_records(old.decode("utf-8", "replace") if old is not None else None,
                                   disk.decode("utf-8", "replace"), theirs.decode("utf-8"), path)
            try:
                record = parse_bytes(merged.text.encode("utf-8"), path)
            except RecordParseError:
                record = parse_bytes(theirs, path)  # the person's file does not parse: HEAD's, never nothing
            if len(self._kept_reads) > 256:
                self._kept_reads.clear()
            self._kept_reads[key] = record
        return record

    def _merge_into_worktree(self, path: str, old: pygit2.Oid, disk: bytes, new: bytes) -> tuple[bytes | None, str]:
        """Merge a person's uncommitted edit with the library's change: ``(bytes to write, why not)``.

        ``merge_records(base=the version the commit replaced, ours=the file on disk, theirs=the
        library's new version)``; the person's edit stays uncommitted, the library's change is in
        HEAD, and ``git commit -a`` keeps both. A path still listed as kept (an earlier conflict)
        merges from the version the person's edit started from.
        """
        if kind_from_path(path) is None:
            return None, "has uncommitted edits (not a record file: not merged)"
        kept = self._kept.entries()
        base_id = kept.get(path, str(old)) if path in kept else str(old)
        with self._git_lock:
            base = self.git[pygit2.Oid(hex=base_id)].data if base_id is not None else None  # type: ignore[attr-defined]
        try:
            result = merge_records(base.decode("utf-8") if base is not None else None, disk.decode("utf-8"),
                                   new.decode("utf-8"), path)
        except (UnicodeDecodeError, LearningFSError, ValueError) as exc:
            return None, f"has uncommitted edits that could not be merged ({exc})"
        if not result.clean:
            what = "; ".join(str(c) for c in result.conflicts[:3])
            return None, f"has uncommitted edits that conflict with the library's change ({what})"
        return result.text.encode("utf-8"), ""

    def _apply_to_worktree(self, changes: dict[str, tuple[pygit2.Oid | None, bytes | None]]) -> worktree.Outcome:
        """update_worktree with the merge, and the kept-files registry brought up to date (write lock held)."""
        outcome = update_worktree(self.root, changes, self._is_library_version, self._merge_into_worktree)
        add = {p: (str(old) if old is not None else None) for p, (old, data) in changes.items()
               if p in outcome.kept and data is not None}
        self._kept.update(add, set(changes) - set(add))
        return outcome

    def read_committed(self, path: str, *, branch: str | None = None) -> Record | None:
        """The record at ``path`` at the tip of ``branch`` (default: the checked-out one); None if absent.

        What a read-modify-write must build on: the commit the write will have as its parent, never
        the working tree (a stale or hand-edited file there would be committed over the tip and
        drop what the tip holds). Call it with the write lock held (:meth:`write_lock`) so the tip
        cannot move before the write commits.
        """
        check_relative_path(path)
        tree = self._branch_tree(branch or self.branch)
        link = trees.symlink_on_path(tree, path)
        if link is not None:
            raise SymlinkError(link, " (it is committed as a link)")
        with self._git_lock:
            oid = trees.blob_id_at(tree, path)
            if oid is None:
                return None
            data = self.git[oid].data  # type: ignore[attr-defined]
        return self._parse_blob(data, path)

    def paths(self, kind: str | None = None, *, namespace: str | None = None, user: str | None = None) -> list[str]:
        """Repository-relative paths of records, optionally of one kind, namespace or user."""
        roots = search_roots(kind, namespace, user)
        found: list[str] = []
        for top in roots:
            try:
                st = lstat_below(self._root_str, top)
            except SymlinkError as exc:
                log.warning("skipping %s", exc)
                continue
            if st is None or not stat.S_ISDIR(st.st_mode):
                continue
            _walk_records(f"{self._root_str}{os.sep}{top}", top, found)
        return [p for p in found if kind is None or kind_from_path(p) == kind]

    def list(self, kind: str | None = None, *, namespace: str | None = None, user: str | None = None,
             errors: list[RecordParseError] | None = None, copy: bool = True) -> Iterator[Record]:
        """Every parseable record; a broken file is logged (and collected in ``errors``), never fatal."""
        for path in self.paths(kind, namespace=namespace, user=user):
            try:
                record = self.read(path, copy=copy)
            except RecordParseError as exc:
                log.warning("skipping %s", exc)
                if errors is not None:
                    errors.append(exc)
                continue
            if namespace is not None and record.namespace != namespace:
                continue
            yield record

    def find(self, record_id: str) -> Record:
        """The record with this id (a scan of file headers; fine for CLIs and tools)."""
        for path in self.paths():
            try:
                head = read_nofollow(self._root_str, path)[:2000].decode("utf-8", "replace")
            except (OSError, LearningFSError):
                continue
            match = ID_LINE.search(head)
            if match and match.group(1) == record_id:
                return self.read(path)
        raise RecordNotFoundError(f"no record with id {record_id!r}")

    # -- writing ------------------------------------------------------------------------------
    def transaction(self, message: str | None = None, *, trailers: dict[str, str] | None = None,
                    branch: str | None = None, body: str = "", when: dt.datetime | None = None,
                    author: tuple[str, str] | None = None) -> Transaction:
        """Group writes into one commit on ``branch`` (default: the checked-out branch).

        A branch other than the checked-out one is created from it if needed and written without
        touching the working tree (proposals). ``when`` backdates the commit (example repos).
        """
        signature = pygit2.Signature(*author) if author else None
        return Transaction(self, branch or self.branch, message, trailers, body, when, signature)

    def write_lock(self) -> AbstractContextManager[None]:
        """Hold the repository's write lock: for a read-modify-write that must not lose a concurrent write.

        A transaction commits the whole files it wrote, built on the tip it saw; two writers that
        both read a file, add an item and commit would each drop the other's item. Holding this
        lock from the first read to the commit rules that out across threads and processes. It is
        the lock every commit takes and it is re-entrant, so ``with repo.write_lock(),
        repo.transaction(...) as tx:`` (or :func:`learning_fs.ops.write_transaction`, or
        ``RecordWriter.transaction``) is the safe pattern; hold it briefly (another writer waits).
        """
        return self._lock.hold()

    def write(self, record: Record, *, message: str | None = None, trailers: dict[str, str] | None = None,
              branch: str | None = None, path: str | None = None) -> CommitInfo | None:
        """Write one record as one commit; returns the commit (None when nothing changed)."""
        with self.transaction(message, trailers=trailers, branch=branch) as tx:
            tx.write(record, path=path)
        return tx.commit

    def write_many(self, records: builtins.list[Record], *, message: str | None = None,
                   trailers: dict[str, str] | None = None, branch: str | None = None) -> CommitInfo | None:
        """Several records, one commit."""
        with self.transaction(message, trailers=trailers, branch=branch) as tx:
            for record in records:
                tx.write(record)
        return tx.commit

    def delete(self, target: str | Record, *, message: str | None = None,
               trailers: dict[str, str] | None = None, branch: str | None = None) -> CommitInfo | None:
        with self.transaction(message, trailers=trailers, branch=branch) as tx:
            tx.delete(target)
        return tx.commit

    def on_commit(self, listener: CommitListener) -> None:
        """Call ``listener`` after every commit this object makes (before ``write`` returns)."""
        self._listeners.append(listener)

    # -- history ------------------------------------------------------------------------------
    def log(self, path: str | None = None, *, limit: int | None = None, branch: str | None = None,
            since: str | None = None) -> builtins.list[CommitInfo]:
        """Commits, newest first: of the whole repository or of one record (``--follow``)."""
        if path is not None:
            check_relative_path(path)
        return history.git_log(self.root, branch or self._checked_out() or "HEAD", path, limit, since)

    def resolve(self, at: str | dt.date | dt.datetime) -> pygit2.Commit:
        """A commit from a sha, ref, date or datetime (the last commit at or before it)."""
        with self._git_lock:
            if history.looks_like_date(at):
                at = history.commit_before(self.root, self._checked_out() or "HEAD", at)
            try:
                return self.git.revparse_single(str(at)).peel(pygit2.Commit)
            except (KeyError, ValueError, pygit2.GitError):
                raise RecordNotFoundError(f"no commit {at!r}") from None

    def as_of(self, at: str | dt.date | dt.datetime) -> Snapshot:
        """A read-only view of the repository at a commit or date."""
        return Snapshot(self, self.resolve(at))

    def read_at(self, path: str, at: str | dt.date | dt.datetime) -> Record:
        """The record at ``path`` as it was at a commit or date."""
        return self.as_of(at).read(path)

    def revert(self, commit: str, *, message: str | None = None) -> CommitInfo | None:
        """Undo one commit with a new commit (like ``git revert``); conflicts change nothing."""
        with self._lock.hold(), self._git_lock:
            self._before_write()
            target = self.resolve(commit)
            tip = self._tip(self.branch)
            if tip is None:
                raise RecordNotFoundError("the repository has no commits")
            if len(target.parents) != 1:
                raise LearningFSError(f"{target.short_id}: only ordinary (one-parent) commits can be reverted")
            index = self.git.revert_commit(target, tip)
            if index.conflicts is not None:
                paths = sorted({(e.path) for c in index.conflicts for e in c if e is not None})
                raise ConflictError(f"reverting {target.short_id} conflicts with later changes to: "
                                    + ", ".join(paths), paths)
            tree = self.git[index.write_tree(self.git)].peel(pygit2.Tree)
            changed = trees.changed_paths(self.git, tip.tree, tree)
            changes = {p: (self.git[o].read_raw() if o is not None else None) for p, o in changed.items()}
            subject = target.message.split("\n", 1)[0]
            tx = self.transaction(message or f'Revert "{subject}"', body=f"This reverts commit {target.id}.",
                                  trailers={names.STORE: "repo", names.REVERT: str(target.id)})
            tx.changes = changes
            tx.records = {}
            result = self._commit_locked(tx)
        if result is None:
            return None
        self._publish(result[1])
        return result[0]

    def advance(self, branch: str, commit: str, *, expected_tip: str | None = None, message: str | None = None,
                body: str = "", trailers: dict[str, str] | None = None, fast_forward: bool = True) -> CommitInfo | None:
        """Bring ``commit`` (another branch's work, e.g. an approved proposal) into ``branch``, like ``git merge``.

        Fast-forwards when the tip of ``branch`` is an ancestor of ``commit``; otherwise makes a
        merge commit with two parents (the tip, then ``commit``) whose tree is git's three-way
        merge, with ``message``, ``body`` and ``trailers``. Conflicting changes raise
        :class:`ConflictError` naming the files, and nothing changes. ``expected_tip``: refuse
        (ConflictError) when the branch no longer points there, so a decision taken on a stale
        view is never applied. On the checked-out branch the working tree, ``.git/index`` and the
        :meth:`on_commit` listeners follow, as for every library write. Returns the new tip
        (the merge commit, or ``commit`` itself after a fast-forward); None when ``commit`` is
        already part of ``branch``. ``fast_forward=False`` always makes the merge commit (``git merge
        --no-ff``), so the history records who merged and when even when nothing else moved.
        """
        with self._lock.hold():
            self._before_write()
            result = merge.advance_locked(self, branch, commit, expected_tip, message, body, trailers, fast_forward)
        if result is None:
            return None
        self._publish(result[1])
        return result[0]

    def sync(self, remote: str = "origin", branch: str | None = None, *, attempts: int = 10,
             backoff: float = 0.05, push: bool = True) -> SyncResult:
        """Fetch ``remote``, merge its ``branch`` in with the record merge, push; retry a refused push.

        ``git pull`` + ``git push`` for memories: concurrent additions from other machines never
        conflict, nothing is ever force-pushed, and the index follows the merge. Raises
        ``ConflictError`` on a true conflict (nothing changes) and ``SyncError`` when the remote
        cannot be reached or kept moving for every attempt. See :mod:`learning_fs.repo.sync`.
        """
        from learning_fs.repo.sync import sync

        return sync(self, remote, branch, attempts=attempts, backoff=backoff, push=push)

    # -- housekeeping -------------------------------------------------------------------------
    def flush(self, timeout: float = 5.0) -> bool:
        """Bring ``.git/index`` up to date with every library commit now (``git status`` clean).

        Returns False when a person's git command kept ``index.lock`` for ``timeout`` seconds; the
        sync is then retried later and the pre-commit hook still protects their next commit.
        """
        return self._syncer.flush(timeout)

    def close(self) -> None:
        self._syncer.stop()
        _open_repos.discard(self)

    def __enter__(self) -> MemoryRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def maintenance(self, wait: bool = True) -> None:
        """Pack loose objects (``git gc --auto``); object-level commits never trigger it themselves.

        ``wait=True`` returns once packing is done (git would otherwise detach and pack in the
        background); ``wait=False`` starts it and returns at once (what writes do every
        ``gc_every`` commits, off the write path).
        """
        if wait:
            subprocess.run(["git", "-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"],
                           cwd=self.root, check=False, capture_output=True)
        else:
            subprocess.Popen(["git", "gc", "--auto", "--quiet"], cwd=self.root, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)

    # -- internals ----------------------------------------------------------------------------
    def _run_locked(self, action: Callable[[], None]) -> None:
        with self._lock.hold():
            action()

    def _tip(self, branch: str) -> pygit2.Commit | None:
        try:
            ref = self.git.references[f"refs/heads/{branch}"]
        except KeyError:
            return None
        return self.git[ref.target].peel(pygit2.Commit)

    def _branch_tree(self, branch: str) -> pygit2.Tree | None:
        with self._git_lock:
            tip = self._tip(branch) or (self._head_commit() if branch != self._checked_out() else None)
            return tip.tree if tip is not None else None

    def _parse_blob(self, data: bytes, path: str) -> Record:
        key = f"{path}\0{pygit2.hash(data)}"
        cached = self._blob_cache.get(key)
        if cached is None:
            cached = parse_bytes(data, path)
            if len(self._blob_cache) > 4096:
                self._blob_cache.clear()
            self._blob_cache[key] = cached
        return cached.model_copy(deep=True)

    def _signature(self, when: dt.datetime | None, author: pygit2.Signature | None) -> tuple[Any, Any]:
        name, email = self.config.author.name, self.config.author.email
        if when is not None:
            stamp = int(when.timestamp())
            offset = int((when.utcoffset() or dt.timedelta()).total_seconds() // 60)
            committer = pygit2.Signature(name, email, stamp, offset)
            if author is not None:
                author = pygit2.Signature(author.name, author.email, stamp, offset)
            return author or committer, committer
        committer = pygit2.Signature(name, email)
        return author or committer, committer

    def _message(self, tx: Transaction) -> str:
        subject = tx.message
        if not subject:
            written = [r for r in tx.records.values() if r is not None]
            deleted = [p for p, d in tx.changes.items() if d is None]
            if len(tx.changes) == 1 and written:
                verb = "Update" if tx.read_base_exists(next(iter(tx.changes))) else "Add"
                subject = f"{verb} {written[0].kind}: {written[0].title_text()}"
            elif len(tx.changes) == 1 and deleted:
                subject = f"Delete {deleted[0]}"
            else:
                subject = f"Write {len(tx.changes)} files"
        found = dict(tx.trailers)
        kinds = sorted({r.kind for r in tx.records.values() if r is not None})
        if kinds and names.KIND not in found:
            found[names.KIND] = ", ".join(kinds)
        ids = [r.id for r in tx.records.values() if r is not None]
        if ids and names.RECORD not in found and len(ids) <= 20:
            found[names.RECORD] = ", ".join(ids)
        return history.format_message(subject, tx.body, found)

    def _commit(self, tx: Transaction) -> CommitInfo | None:
        """Commit a transaction's changes and tell the listeners (takes the write lock itself)."""
        with self._lock.hold():
            result = self._commit_locked(tx)
        if result is None:
            return None
        info, event = result
        self._publish(event)
        return info

    def _commit_locked(self, tx: Transaction) -> tuple[CommitInfo, CommitEvent] | None:
        """One commit on ``tx.branch`` by compare-and-swap on its tip; the caller holds the write lock."""
        if not tx.changes:
            return None
        message = self._message(tx)
        ref = f"refs/heads/{tx.branch}"
        with self._git_lock:
            checked_out = tx.branch == self._checked_out()
            if checked_out:
                for path in tx.changes:  # refuse before anything is committed, naming the link
                    check_below(self._root_str, path)
            backoff = RefBackoff(self.git_dir, tx.branch, self._suspect_ref_locks)
            gate = gitindex.PersonGate(self.git_dir, self.root) if checked_out else None
            while True:
                tip = self._tip(tx.branch)
                parent = tip
                if parent is None and not checked_out:
                    parent = self._head_commit()  # a new branch starts from the checked-out commit
                base = parent.tree if parent is not None else None
                for path in tx.changes:
                    link = trees.symlink_on_path(base, path)
                    if link is not None:
                        raise SymlinkError(link, " (it is committed as a link)")
                try:
                    tree_id = trees.apply_changes(self.git, base, tx.changes)
                except (pygit2.GitError, OSError) as exc:
                    # `git gc` prunes an empty objects/xx/ folder while libgit2 writes a loose object
                    # into it ("failed to rename lockfile"): write the objects again.
                    log.debug("writing objects failed (%s); retry %d", exc, backoff.failures + 1)
                    backoff.again(exc)
                    continue
                if parent is not None and tree_id == parent.tree_id:
                    return None
                if checked_out:  # written before the branch moves: a writer killed after it is caught up
                    worktree.write_intent(self.git_dir, self._intent(base, tx.changes))

                author, committer = self._signature(tx.when, tx.author)
                parents = [parent.id] if parent is not None else []
                try:
                    oid = self.git.create_commit(None, author, committer, message, tree_id, parents)
                    # The last thing before the branch moves: hold still while a person's `git commit` runs
                    # (it read HEAD when it started and fails if the branch moved since).
                    if gate is not None and gate.wait():
                        now = self._tip(tx.branch)
                        if (now.id if now is not None else None) != (tip.id if tip is not None else None):
                            continue  # a person committed meanwhile: build on their commit
                    if not move_branch(self.git, self.git_dir, ref, oid, tip.id if tip is not None else None,
                                       committer, message, gate.clear if gate is not None else None):
                        continue  # a person's git started at the last moment: wait for it, then again
                except (pygit2.GitError, pygit2.AlreadyExistsError, OSError) as exc:
                    # Only git outside this library (gc, pack-refs, a person's commit) moves the tip or
                    # holds its lock while we hold the write lock: back off and try again.
                    log.debug("branch %s moved or is locked (%s); retry %d", tx.branch, exc, backoff.failures + 1)
                    try:
                        backoff.again(exc)
                    except LearningFSError:
                        if checked_out:
                            worktree.clear_intent(self.git_dir)
                        raise
                    continue
                break
        return self._landed(tx.branch, oid, base, tx.changes, tx.records, checked_out, message, author)

    def _landed(self, branch: str, oid: pygit2.Oid, base: pygit2.Tree | None, changes: dict[str, bytes | None],
                records: dict[str, Record | None], checked_out: bool, message: str,
                author: pygit2.Signature) -> tuple[CommitInfo, CommitEvent]:
        """After ``branch`` moved from ``base`` to ``oid``: update the checkout and .git/index, build the event.

        The one path every library write takes once the branch tip moved (commits, reverts,
        merges), so the working tree, the index sync and the listeners never disagree.
        """
        with self._git_lock:
            operation = worktree.operation_in_progress(self.git_dir) if checked_out else None
            if operation is not None:
                # A person's merge, rebase, cherry-pick or bisect is under way: leave their working tree
                # and index alone; the journal lets their concluding commit's hook keep this write, and
                # the files are brought forward once the operation is over (_before_write).
                old = {path: trees.blob_id_at(base, path) for path in changes}
                worktree.defer(self.git_dir, self._intent(base, changes))
                gitindex.record_pending(self.git_dir, {p: (str(o) if o is not None else None) for p, o in old.items()})
                worktree.clear_intent(self.git_dir)
                log.info("%s in progress: the working tree follows %d library change(s) once it is over",
                         operation, len(changes))
                checked_out_now = False
            else:
                checked_out_now = checked_out
            if checked_out_now:
                old = {path: trees.blob_id_at(base, path) for path in changes}
                if not worktree.intent_path(self.git_dir).exists():  # advance() moved the ref itself
                    worktree.write_intent(self.git_dir, self._intent(base, changes))
                outcome = self._apply_to_worktree({p: (old[p], d) for p, d in changes.items()})
                gitindex.record_pending(self.git_dir, {p: (str(o) if o is not None else None) for p, o in old.items()})
                worktree.clear_intent(self.git_dir)
                for path, record in records.items():
                    if record is not None and path not in outcome.kept and path not in outcome.merged:
                        self._remember(path, record)
            self._commits += 1
        if checked_out:
            self._syncer.notify()
        if self.config.gc_every and self._commits % self.config.gc_every == 0:
            self.maintenance(wait=False)
        info = CommitInfo(sha=str(oid), subject=message.split("\n", 1)[0], message=message,
                          author=author.name, email=author.email, trailers=history.parse_trailers(message))
        event = CommitEvent(branch, str(oid), dict(changes), dict(records), checked_out)
        return info, event

    @staticmethod
    def _intent(base: pygit2.Tree | None, changes: dict[str, bytes | None]) -> dict[str, tuple[str | None, str | None]]:
        """``path -> (blob replaced, blob written)`` for the crash-recovery intent."""
        entries = {}
        for path, data in changes.items():
            old = trees.blob_id_at(base, path)
            new = str(pygit2.hash(data)) if data is not None else None
            entries[path] = (str(old) if old is not None else None, new)
        return entries

    def _before_write(self) -> None:
        """Under the write lock, before a write: finish what a killed writer left (one stat when nothing).

        While a person's git operation is under way a killed writer's intent is only deferred; once
        it is over, the deferred paths are brought forward like a killed writer's.
        """
        deferred = (self.git_dir / worktree.DEFERRED).exists()
        if not deferred and not worktree.intent_path(self.git_dir).exists():
            return
        if worktree.operation_in_progress(self.git_dir) is not None:
            entries = worktree.read_intent(self.git_dir)
            if entries:
                worktree.defer(self.git_dir, entries)
            worktree.clear_intent(self.git_dir)
            return
        self._recover_locked()
        if deferred:
            self._recover_locked(worktree.read_deferred(self.git_dir))
            worktree.clear_deferred(self.git_dir)

    def _recover_locked(self, deferred: dict[str, tuple[str | None, str | None]] | None = None) -> None:
        """Bring the working tree and the index journal forward after a writer was killed mid-commit.

        The intent names each path with the blob the commit replaced and the one it wrote. A file
        still holding one of those (or any earlier library version of the path) is replaced by
        HEAD's version; a missing one is restored; anything else is a person's edit and is treated
        like one in a normal write. The paths then go to the index journal, so ``git status`` is clean.
        """
        if deferred is not None:
            entries: dict[str, tuple[str | None, str | None]] | None = deferred
            since = time.time()
        else:
            try:
                since = worktree.intent_path(self.git_dir).stat().st_mtime
            except FileNotFoundError:
                return
            entries = worktree.read_intent(self.git_dir)
        if not entries:
            worktree.clear_intent(self.git_dir)
            return
        with self._git_lock:
            name = self._checked_out()
            if name is not None:  # a lock the killed writer took on the branch: cleared once clearly stale
                self._suspect_ref_locks.update(ref_locks_left_by(self.git_dir, name, since))
            tip = self._tip(name) if name is not None else None
            head = tip.tree if tip is not None else None
            changes: dict[str, tuple[pygit2.Oid | None, bytes | None]] = {}
            journal: dict[str, str | None] = {}
            for path, (old, _new) in entries.items():
                current = trees.blob_id_at(head, path)
                data = self.git[current].data if current is not None else None  # type: ignore[attr-defined]
                # The version the crashed commit replaced, or any earlier library version, is replaced
                # by HEAD's (whether or not the branch had moved before the kill).
                changes[path] = (pygit2.Oid(hex=old) if old is not None else None, data)
                journal[path] = old
            for folder in {path.rpartition("/")[0] for path in entries}:
                worktree.remove_temporaries(self.root, folder)  # half-written files of the killed writer
            if head is not None:
                outcome = self._apply_to_worktree(changes)
                for path in outcome.kept:
                    log.warning("recovering after a crash: %s kept as a person's edit", path)
            gitindex.record_pending(self.git_dir, journal)
            news = {p: n for p, (_o, n) in entries.items() if n is not None}
            if news:  # the index may hold the crashed writer's new blob too (synced before the kill)
                gitindex.record_pending(self.git_dir, news)
            worktree.clear_intent(self.git_dir)
        self._cache.clear()
        self._syncer.notify()
        log.info("caught up the working tree after an interrupted write (%d paths)", len(entries))

    def _is_library_version(self, path: str, blob: pygit2.Oid) -> bool:
        """Whether ``blob`` is what ``path`` held in one of the library's recent commits.

        A file with such content is a stale library version (a writer died before updating it),
        never a person's edit: it may be replaced. Walks at most :data:`LIBRARY_HISTORY`
        first-parent commits of the checked-out branch; only runs when a file differs from the
        version a commit replaced, which is rare (a crash, or a person's real edit).
        """
        email = self.config.author.email
        with self._git_lock:
            commit = self._head_commit()
            for _ in range(LIBRARY_HISTORY):
                if commit is None:
                    return False
                if commit.committer.email == email and trees.blob_id_at(commit.tree, path) == blob:
                    return True
                if not commit.parents:
                    return False
                commit = commit.parents[0]
        return False

    def _remember(self, path: str, record: Record) -> None:
        """Cache a record the library just wrote under the stat of its new file (saves a parse)."""
        try:
            st = os.stat(self.root / path)
        except OSError:
            return
        self._cache[path] = ((st.st_mtime_ns, st.st_size, st.st_ino), record.model_copy(deep=True))

    def _publish(self, event: CommitEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a derived view must never fail a write that already landed
                log.exception("commit listener %r failed", listener)
        return None


def _walk_records(folder: str, rel: str, found: list[str]) -> None:
    """Append ``rel/…/*.md`` below ``folder`` in sorted order; hidden entries and symlinks are skipped."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            log.warning("skipping %s/%s: a symlink (learning_fs never follows links in a repository)", rel, entry.name)
        elif entry.is_dir(follow_symlinks=False):
            folders.append(entry)
        elif entry.name.endswith(".md"):
            found.append(f"{rel}/{entry.name}")
    for entry in folders:
        _walk_records(entry.path, f"{rel}/{entry.name}", found)


def _flush_all() -> None:
    for repo in list(_open_repos):
        try:
            repo._syncer.flush(timeout=2.0, repair=False)
        except Exception:  # interpreter shutdown: best effort, the pre-commit hook covers the rest
            log.debug("flush at exit failed", exc_info=True)


import atexit  # noqa: E402  (kept next to the function it registers)

atexit.register(_flush_all)
