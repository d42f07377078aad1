"""Which partition an entry lives in, and which partitions a search may read: the privacy rule.

Entries are split by (namespace, owner, active). Two reasons:

* speed: Chroma applies a metadata filter in SQLite before the vector search (67 ms at 50k
  entries, 136 ms at 100k when half of them match), but an unfiltered query on a collection of
  the same size takes ~2 ms. One collection per partition turns every namespace or user filter
  into unfiltered queries on small collections; the lexical side restricts by partition token.
* privacy: private entries (namespace ``user``) get one partition per owner, so a search can only
  read a user's private entries by naming that user — :func:`visible_partitions` is the single
  place that decides, and it is a pure function that the tests pin down.

Inactive entries (superseded, expired) get their own partitions, so the default search, which
skips them, never pays for them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from learning_fs.index.types import ACTIVE, USER_NAMESPACE, Metadata


@dataclass(frozen=True, order=True)
class PartitionKey:
    """(namespace, owner, active). ``user`` is "" for every shared namespace."""

    namespace: str
    user: str
    active: bool


def partition_of(metadata: Metadata) -> PartitionKey:
    """The partition of a validated entry (see :meth:`IndexDoc.validate`).

    A shared entry keeps its ``user`` metadata (who said it), but is filed under no owner: it is
    visible to everyone who may read its namespace.
    """
    namespace = str(metadata["namespace"])
    owner = str(metadata["user"]) if namespace == USER_NAMESPACE else ""
    return PartitionKey(namespace, owner, metadata["status"] == ACTIVE)


def visible_partitions(
    partitions: Iterable[PartitionKey],
    namespaces: Collection[str] | None,
    user: str | None,
    include_inactive: bool,
) -> list[PartitionKey]:
    """The partitions a search may read.

    * ``user=None`` (or ""): no private partition at all, whatever the namespace filter says.
    * ``user=U``: U's private partitions and no other user's.
    * ``namespaces=None``: every namespace allowed by the two rules above.
    """
    visible = []
    for key in partitions:
        if not (include_inactive or key.active):
            continue
        if key.namespace == USER_NAMESPACE and (not user or key.user != user):
            continue
        if namespaces is not None and key.namespace not in namespaces:
            continue
        visible.append(key)
    return sorted(visible)
