"""The one-commit transaction every operation runs in, and staging a record at an origin's time.

:class:`Origin` (who wrote a change, and why) lives in :mod:`learning_fs.ops.provenance`; it is
importable from here as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from learning_fs.format.records import Record
from learning_fs.ops.provenance import Origin
from learning_fs.ops.transaction import RecordTx
from learning_fs.repo import MemoryRepo, Transaction

__all__ = ["Origin", "save", "write_transaction"]


def save(tx: RecordTx, record: Record, origin: Origin) -> str:
    """Stage ``record``; its ``updated`` becomes the origin's time when it changed (``tx.write`` uses now)."""
    if origin.at is None:
        return tx.write(record)
    path = tx.write(record, touch=False)
    stamp = origin.timestamp()
    if path in tx.changes and record.updated != stamp:
        record.updated = stamp
        tx.write(record, path=path, touch=False)
    return path


@contextmanager
def write_transaction(repo: MemoryRepo, message: str, origin: Origin) -> Iterator[Transaction]:
    """One commit that reads, changes and writes records without losing a concurrent write.

    A ``Transaction`` builds on the branch tip it saw when it started and its commit replaces whole
    files, so two writers that both append a fact to the same entity would each drop the other's
    fact. Holding the repository's write lock from the first read to the commit
    (:meth:`MemoryRepo.write_lock`) makes such read-modify-write operations safe across threads and
    processes. The commit is dated ``origin.at`` when set and carries the origin's trailers and body.
    """
    with repo.write_lock(), repo.transaction(message, trailers=origin.trailers(), body=origin.body(),
                                             when=origin.at) as tx:
        yield tx
