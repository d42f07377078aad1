"""One commit's worth of writes: :class:`Transaction`, and the :class:`CommitEvent` listeners receive.

A transaction reads from the branch tip it will commit on (plus what it staged), stages records,
raw files and deletions, and becomes exactly one commit when the ``with`` block ends. It holds the
repository's write lock throughout, which is what makes read-modify-write safe across threads and
processes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import pygit2

from learning_fs.errors import ConflictError, RecordNotFoundError, RecordTooLargeError, SymlinkError
from learning_fs.format.layout import record_path
from learning_fs.format.records import Record
from learning_fs.format.slugs import check_relative_path
from learning_fs.repo import trees
from learning_fs.repo.history import CommitInfo

if TYPE_CHECKING:
    from learning_fs.repo.config import LimitSettings
    from learning_fs.repo.memory_repo import MemoryRepo

ID_LINE = re.compile(r"^id:\s*['\"]?([^'\"\s]+)", re.MULTILINE)  # a record's id, read without parsing it
CommitListener = Callable[["CommitEvent"], None]


class CommitEvent:
    """What a commit changed, handed to listeners (the search index keeps itself current this way)."""

    def __init__(self, branch: str, commit: str, changes: dict[str, bytes | None],
                 records: dict[str, Record | None], checked_out: bool) -> None:
        self.branch = branch
        self.commit = commit
        self.changes = changes  # path -> new content (None: deleted)
        self.records = records  # path -> the record written (None: deleted or not a record)
        self.checked_out = checked_out


class Transaction:
    """Several writes and deletes that become one commit (``with repo.transaction(...) as tx``).

    The repository's write lock is held from ``__enter__`` to the commit, so what ``tx.read``
    returns is still the branch tip when the commit lands: a read-modify-write (append a fact to
    an entity, a memory to a user's file) never drops another thread's or process's write.
    """

    def __init__(self, repo: MemoryRepo, branch: str, message: str | None, trailers: dict[str, str] | None,
                 body: str, when: dt.datetime | None, author: pygit2.Signature | None) -> None:
        self.repo = repo
        self.branch = branch
        self.message = message
        self.trailers = dict(trailers or {})
        self.body = body
        self.when = when
        self.author = author
        self.changes: dict[str, bytes | None] = {}
        self.records: dict[str, Record | None] = {}
        self.commit: CommitInfo | None = None
        self._base = repo._branch_tree(branch)
        self._base_entries: dict[str, pygit2.Oid | None] = {}
        self._hold: AbstractContextManager[None] | None = None

    # -- reading what the commit will build on ------------------------------------------------
    def read_bytes(self, path: str) -> bytes | None:
        if path in self.changes:
            return self.changes[path]
        oid = self._base_id(path)
        return self.repo.git[oid].data if oid is not None else None  # type: ignore[attr-defined]

    def _base_id(self, path: str) -> pygit2.Oid | None:
        """Blob id of ``path`` at the base commit (looked up once per transaction; never through a link)."""
        if path not in self._base_entries:
            link = trees.symlink_on_path(self._base, path)
            if link is not None:
                raise SymlinkError(link, " (it is committed as a link)")
            self._base_entries[path] = trees.blob_id_at(self._base, path)
        return self._base_entries[path]

    def read(self, path: str) -> Record | None:
        """The record at ``path`` as this transaction sees it (branch tip plus staged writes)."""
        check_relative_path(path)
        if path in self.records and self.records[path] is not None:
            return self.records[path].model_copy(deep=True)  # type: ignore[union-attr]
        data = self.read_bytes(path)
        if data is None:
            return None
        return self.repo._parse_blob(data, path)

    def exists(self, path: str) -> bool:
        return self.read_bytes(path) is not None

    def read_base_exists(self, path: str) -> bool:
        """Whether ``path`` existed before this transaction (Add vs Update in the subject)."""
        return self._base_id(path) is not None

    # -- writing ------------------------------------------------------------------------------
    def write(self, record: Record, path: str | None = None, touch: bool = True) -> str:
        """Stage a record; returns its path. Unchanged content stages nothing (empty diff)."""
        # The file it was read from (a hand-written note without an id holds no id line: still its own file).
        own = (None, record.id, "") if record.id_assigned else (None, record.id)
        if path is None and record.path and self._id_at(record.path) in own:
            path = record.path
        if path is None:
            path = record_path(record)
            if self._id_at(path) not in (None, record.id):
                path = record_path(record, disambiguate=True)
                if self._id_at(path) not in (None, record.id):  # only a title crafted to collide gets here
                    raise ConflictError(f"{path} already holds another record; pass path= explicitly", [path])
        check_relative_path(path)
        data = record.to_markdown().encode("utf-8")
        check_limits(record, path, data, self.repo.config.limits)
        current = self.read_bytes(path)
        if current == data:
            record._path = path
            record._blob = str(pygit2.hash(data))
            return path
        if touch and current is not None:
            record.touch()
            data = record.to_markdown().encode("utf-8")
        self.changes[path] = data
        record._path = path
        record._blob = str(pygit2.hash(data))
        self.records[path] = record
        if record.id_assigned:  # a hand-written note without an id: the commit says it now has one
            note = f"{path}: written by hand without an id; it now has the id {record.id}."
            self.body = f"{self.body}\n\n{note}".strip("\n") if note not in self.body else self.body
            record._id_assigned = False
        return path

    def write_bytes(self, path: str, data: bytes) -> None:
        """Stage a file that is not a record (configuration, templates)."""
        check_relative_path(path)
        if self.read_bytes(path) != data:
            self.changes[path] = data
            self.records.pop(path, None)

    def delete(self, target: str | Record) -> None:
        path = target if isinstance(target, str) else target.path
        if path is None:
            raise RecordNotFoundError("record has no path: it was never written")
        check_relative_path(path)
        if self.read_bytes(path) is None:
            raise RecordNotFoundError(f"{path}: no such record")
        self.changes[path] = None
        self.records[path] = None

    def _id_at(self, path: str) -> str | None:
        data = self.read_bytes(path)
        if data is None:
            return None
        match = ID_LINE.search(data[:2000].decode("utf-8", "replace"))
        return match.group(1) if match else ""

    # -- context manager ----------------------------------------------------------------------
    def __enter__(self) -> Transaction:
        self._hold = self.repo._lock.hold()
        self._hold.__enter__()
        try:
            self.repo._before_write()  # a writer killed mid-commit: bring its files forward first
        except BaseException:
            hold, self._hold = self._hold, None
            hold.__exit__(None, None, None)
            raise
        # The tip may have moved since the transaction was created: build on what is there now.
        self._base = self.repo._branch_tree(self.branch)
        self._base_entries.clear()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        event = None
        try:
            if exc_type is None:
                result = self.repo._commit_locked(self)
                if result is not None:
                    self.commit, event = result
        finally:
            hold, self._hold = self._hold, None
            if hold is not None:
                hold.__exit__(None, None, None)
        if event is not None:
            self.repo._publish(event)  # outside the lock: a slow listener never blocks other writers


def check_limits(record: Record, path: str, data: bytes, limits: LimitSettings) -> None:
    """Refuse a record over ``limits`` (``learning_fs.yaml``), naming the file, the limit and the fix.

    Checked on every write, whoever makes it: a model's 1 MB "memory" or a 50,000-item file would
    otherwise be committed and make every later read, ``check`` and ``index`` pay for it.
    """
    count = 0
    for field in record.ITEM_SECTIONS:
        for item in getattr(record, field):
            count += 1
            if len(item.text) > limits.max_item_chars:
                raise RecordTooLargeError(f"{path}: an item of {len(item.text):,} characters; the limit is "
                                          f"{limits.max_item_chars:,} (limits.max_item_chars): store a summary")
    if count > limits.max_items_per_file:
        raise RecordTooLargeError(f"{path}: {count:,} items; the limit is {limits.max_items_per_file:,} "
                                  "(limits.max_items_per_file): let the curator merge or expire some")
    if len(data) > limits.max_record_bytes:
        raise RecordTooLargeError(f"{path}: the record would be {len(data):,} bytes; the limit is "
                                  f"{limits.max_record_bytes:,} (limits.max_record_bytes in learning_fs.yaml)")
