"""Proposing by hand (``learning-fs propose``): the same branch, commit and evidence as a PROPOSE-mode store.

A person who wants a learning reviewed before it shapes every answer proposes it instead of
adding it. The save goes through the store's own door, :class:`~learning_fs.machine.RecordWriter`
in PROPOSE mode, so branch names, trailers, the privacy fence and ``review.auto_approve``
behave exactly as for an agent's proposal.
"""

from __future__ import annotations

from learning_fs.ops.provenance import Evidence
from learning_fs.ops.records import put_learning
from learning_fs.ops.writer import RecordWriter, SaveResult
from learning_fs.repo import MemoryRepo

PROPOSING_STORE = "cli"


def propose_learning(repo: MemoryRepo, title: str, text: str, *, namespace: str = "global",
                     tags: list[str] | None = None, context: str = "", user: str | None = None,
                     session: str | None = None, agent: str | None = None, why: str | None = None,
                     store: str = PROPOSING_STORE) -> SaveResult:
    """Propose a learning (an update when one with this title exists); ``result.proposal_id`` names it.

    A namespace listed in ``review.auto_approve`` is approved at once (``proposal_id`` is None).
    """
    title, text = " ".join(title.split()), text.strip()
    if not title or not text:
        raise ValueError("a learning needs a title and a text")
    writer = RecordWriter(repo, store=store, mode="propose", user_id=user, session_id=session, agent_id=agent)
    evidence = Evidence(reasoning=why)
    with writer.transaction(f"Learn: {title}", evidence=evidence) as tx:  # the rule of every learning save
        _, same = put_learning(tx, title, text, evidence.filled_from(writer.evidence()), namespace=namespace,
                               tags=tags, context=context or None)
        if same:
            tx.summary = f"Update: {title}"
    assert tx.result is not None
    return tx.result
