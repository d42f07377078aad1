"""What goes into the index (:class:`IndexDoc`) and what comes out of a search (:class:`Hit`).

An entry is one searchable unit built from a record (or one item of it): the sync layer decides
the granularity; the index only needs the few metadata keys it filters on. ``blob`` is the git
blob sha the entry was built from, so drift between the repository and the index can be found
by comparing blobs instead of re-reading every file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MetadataValue = str | int | float | bool
Metadata = dict[str, MetadataValue]
SearchMode = Literal["hybrid", "dense", "lexical"]

USER_NAMESPACE = "user"
ACTIVE = "active"
STATUSES = ("active", "superseded", "expired")
#: Keys every entry carries; ``user`` and ``item_id`` may be "" (no owner, a whole record).
REQUIRED_KEYS = ("kind", "namespace", "user", "path", "record_id", "item_id", "status", "created", "updated", "blob")


@dataclass(frozen=True)
class IndexDoc:
    """One entry to index: a stable ``id``, the text to search, and flat metadata."""

    id: str
    text: str
    metadata: Metadata

    def validate(self) -> None:
        """Raise ``ValueError`` for an entry the index could file under the wrong owner.

        The checks guard the privacy invariant: a private entry (namespace ``user``) without an
        owner could not be kept out of other users' searches, so it is refused outright.
        """
        if not self.id:
            raise ValueError("an index entry needs a non-empty id")
        missing = [key for key in REQUIRED_KEYS if key not in self.metadata]
        if missing:
            raise ValueError(f"entry {self.id!r} lacks metadata {', '.join(missing)}")
        for key, value in self.metadata.items():
            if not isinstance(value, (str, int, float, bool)):
                raise ValueError(f"entry {self.id!r}: metadata {key!r} must be str, int, float or bool")
        if not self.metadata["namespace"] or not isinstance(self.metadata["namespace"], str):
            raise ValueError(f"entry {self.id!r} needs a namespace")
        if self.metadata["namespace"] == USER_NAMESPACE and not self.metadata["user"]:
            raise ValueError(f"entry {self.id!r} is private (namespace 'user') but names no user")
        if self.metadata["status"] not in STATUSES:
            raise ValueError(f"entry {self.id!r}: status must be one of {', '.join(STATUSES)}")


@dataclass(frozen=True)
class Hit:
    """One search result: the entry, where it came from, how well it matched and a snippet.

    ``score`` depends on the mode: the fused reciprocal-rank score (hybrid), cosine similarity
    (dense) or BM25 (lexical, higher is better). Compare scores within one result list only.
    """

    id: str
    record_id: str
    item_id: str
    path: str
    kind: str
    namespace: str
    user: str
    score: float
    snippet: str
    metadata: Metadata = field(default_factory=dict)
