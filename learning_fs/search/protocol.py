"""The search interface stores use, so the lexical fallback and the semantic index are interchangeable.

The privacy rule lives here with the interface because every implementation must keep it: a
record in the ``user`` namespace (a path under ``users/``) is returned only to its owner, i.e.
when ``user=`` equals the folder it lives in; with no ``user``, never.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from learning_fs.format.layout import is_private_path, user_folder


@dataclass(frozen=True)
class SearchHit:
    """One match: a record (``item_id`` None) or one item inside it (a memory, a fact)."""

    path: str
    record_id: str
    item_id: str | None
    score: float
    snippet: str
    kind: str


@runtime_checkable
class Searcher(Protocol):
    """Ranked search over the memory repository."""

    def search(self, query: str, *, kind: str | None = None, namespace: str | None = None,
               user: str | None = None, limit: int = 5, include_inactive: bool = False) -> list[SearchHit]:
        """Best matches first.

        Args:
            query: Free text.
            kind: Only records of this kind (``"learning"``, ``"entity"``…).
            namespace: Only this namespace; ``"user"`` means the private records of ``user``.
                ``None``: every shared namespace plus, when ``user`` is given, that user's records.
            user: Whose private records may be returned (nobody's when ``None``).
            limit: At most this many hits.
            include_inactive: Also superseded and expired records and items.
        """
        ...


def visible_to(path: str, user: str | None) -> bool:
    """The privacy rule on a repository path: shared paths are visible, private ones to their owner."""
    if not is_private_path(path):
        return True
    return bool(user) and path.startswith(user_folder(user) + "/")  # type: ignore[arg-type]
