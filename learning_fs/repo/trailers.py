"""The ``Learning-*`` commit trailers: the one place their names are spelled.

Every commit the library makes says in its trailers who made it (store, mode, user, session,
agent) and what it touched (kinds, record ids); review, curation and reverts add their own.
``git log --grep`` and ``learning-fs log`` filter on them, :mod:`learning_fs.analytics` reads
them back, and :class:`learning_fs.ops.Origin` writes them. Import the names from here instead
of spelling ``"Learning-Store"`` again, so a reader and a writer can never disagree.
"""

from __future__ import annotations

from typing import Final

PREFIX: Final = "Learning-"
"""Every trailer the library writes starts with this."""

STORE: Final = "Learning-Store"
"""Which writer made the commit: a store's ``learning_type``, ``cli``, ``review``, ``curator``, ``repo`` …"""
MODE: Final = "Learning-Mode"
"""The store's mode (``always``, ``agentic``, ``propose``, ``hitl``) or ``manual``/``curate``."""
USER: Final = "Learning-User"
SESSION: Final = "Learning-Session"
AGENT: Final = "Learning-Agent"
KIND: Final = "Learning-Kind"
"""The record kinds the commit changed (added by the repository)."""
RECORD: Final = "Learning-Record"
"""The ids of the records the commit changed, when there are few (added by the repository)."""
PROPOSAL: Final = "Learning-Proposal"
"""The proposal a commit belongs to (``learning/use-uv``), on its branch and on the merge that approves it."""
REVIEW: Final = "Learning-Review"
"""``auto-approved`` when ``review.auto_approve`` let a PROPOSE write land without a proposal."""
APPROVED_BY: Final = "Learning-Approved-By"
REJECTED: Final = "Learning-Rejected"
REVERT: Final = "Learning-Revert"
SYNC: Final = "Learning-Sync"
"""The remote a sync merged from (``MemoryRepo.sync``)."""
FEEDBACK: Final = "Learning-Feedback"
"""The feedback records a self-improvement proposal is based on."""

ORIGIN_KEYS: Final = (STORE, MODE, USER, SESSION, AGENT)
"""The trailers that say who made a change, in the order commits carry them."""
