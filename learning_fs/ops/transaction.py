"""What an operation needs from the transaction it runs in, and what it reports back.

Every mutation in :mod:`learning_fs.ops` is a function of a :class:`RecordTx` plus plain
arguments. Two transactions satisfy it: the repository's own
(:func:`learning_fs.ops.write_transaction`, used by the CLI, the demo and MCP) and a store's
(:meth:`learning_fs.ops.RecordWriter.transaction`, used by the agent's tools and extraction,
which adds modes, proposals and the per-user privacy fence). Both hold the repository's write
lock from the first read to the commit, so the same function gives the same file either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from learning_fs.format.items import Item
from learning_fs.format.records import Record

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo


class RecordTx(Protocol):
    """Reads that see this transaction's own writes, and writes staged until it commits."""

    @property
    def repo(self) -> MemoryRepo:
        """The repository (operations list a folder of it to find similarly named files)."""
        ...

    @property
    def changes(self) -> Mapping[str, object]:
        """The paths written or deleted so far (values are not part of the contract)."""
        ...

    def read(self, path: str) -> Record | None:
        """The record at ``path`` as this transaction sees it (a copy to change; None if absent)."""
        ...

    def write(self, record: Record, path: str | None = None, touch: bool = True) -> str:
        """Stage ``record``; returns its path."""
        ...


@dataclass(frozen=True)
class ItemChange:
    """What adding one item did: the item (new, or the one already there) and what it superseded."""

    item: Item
    changed: bool
    superseded: tuple[Item, ...] = ()
