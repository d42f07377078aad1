"""Who is writing, and the one-commit transaction every operation runs in.

An :class:`Origin` says which store, mode, user, session and agent produced a change, and (for
imports and examples) when. It is written twice on purpose: into the record (``source:`` in the
frontmatter, so the file explains itself) and into the commit trailers (so ``git log`` can be
filtered by who wrote what).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from learning_fs.format.frontmatter import format_timestamp
from learning_fs.format.records import Provenance, Record, now
from learning_fs.repo import MemoryRepo, Transaction


@dataclass(frozen=True)
class Origin:
    """Provenance of one write: ``store`` and ``mode`` name the writer, the rest the conversation.

    ``at`` dates the change in the past (importing old conversations, building example
    repositories): records, items and the commit then carry that time instead of the clock's.
    """

    store: str = "api"
    mode: str = "manual"
    user: str | None = None
    session: str | None = None
    agent: str | None = None
    at: dt.datetime | None = None

    def timestamp(self) -> str:
        """The time to stamp on new records and items, as the format writes it."""
        return format_timestamp(self.at) if self.at is not None else now()

    def provenance(self) -> Provenance:
        """The ``source:`` block stored in the record."""
        return Provenance(user=self.user, session=self.session, agent=self.agent, mode=self.mode, store=self.store)

    def trailers(self) -> dict[str, str]:
        """Commit trailers in a fixed order (empty values are left out by the repository)."""
        pairs = {
            "Learning-Store": self.store,
            "Learning-Mode": self.mode,
            "Learning-User": self.user,
            "Learning-Session": self.session,
            "Learning-Agent": self.agent,
        }
        return {key: value for key, value in pairs.items() if value}


def save(tx: Transaction, record: Record, origin: Origin) -> str:
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
    fact. Holding the repository's write lock from the first read to the commit makes such
    read-modify-write operations safe across threads and processes (the lock is re-entrant, so the
    commit inside takes it again without blocking). The commit is dated ``origin.at`` when set.
    """
    # MemoryRepo has no public "hold the lock for a whole transaction" yet; _lock is the one it
    # commits under. Replace with the public API once the repo layer offers one.
    with repo._lock.hold(), repo.transaction(message, trailers=origin.trailers(), when=origin.at) as tx:
        yield tx
