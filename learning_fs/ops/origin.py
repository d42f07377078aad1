"""The one-commit transaction every operation runs in, and staging a record at an origin's time.

:class:`Origin` (who wrote a change, and why) lives in :mod:`learning_fs.ops.provenance`; it is
importable from here as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from learning_fs.format.records import Record
from learning_fs.ops.provenance import Origin
from learning_fs.ops.transaction import RecordTx
from learning_fs.repo import MemoryRepo, Transaction
from learning_fs.repo import trailers as names

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
def write_transaction(repo: MemoryRepo, message: str, origin: Origin | None, *, branch: str | None = None,
                      body: str = "", trailers: Mapping[str, str] | None = None, proposal: str | None = None,
                      author: tuple[str, str] | None = None) -> Iterator[Transaction]:
    """One commit that reads, changes and writes records without losing a concurrent write.

    A ``Transaction`` builds on the branch tip it saw when it started and its commit replaces whole
    files, so two writers that both append a fact to the same entity would each drop the other's
    fact. Holding the repository's write lock from the first read to the commit
    (:meth:`MemoryRepo.write_lock`) makes such read-modify-write operations safe across threads and
    processes.

    This is the door every commit above the repository goes through (the CLI, the demo, MCP, a
    store's writer, the curator, self-improvement, review, ``init``, the example): its message is
    built here, and nowhere else. The commit carries the origin's trailers and is dated
    ``origin.at`` when set; ``trailers`` adds what the origin does not say (the names from
    :mod:`learning_fs.repo.trailers`: ``FEEDBACK``, ``REJECTED``, ``REVIEW``…) and ``proposal``
    the ``Learning-Proposal`` trailer. The body is ``body`` followed by the origin's ``Said:`` /
    ``Why:``. ``branch``: commit there instead of the checked-out branch (a proposal; the working
    tree is not touched). ``origin=None`` with ``author`` is a person's commit: their name on it
    and no ``Learning-*`` trailers, as ``git commit`` would make it.
    """
    lines = {**(origin.trailers() if origin is not None else {}), **(trailers or {})}
    if proposal:
        lines[names.PROPOSAL] = proposal
    text = "\n\n".join(part for part in (body.strip("\n"), origin.body() if origin is not None else "") if part)
    when = origin.at if origin is not None else None
    with repo.write_lock(), repo.transaction(message, trailers=lines, branch=branch, body=text, when=when,
                                             author=author) as tx:
        yield tx
