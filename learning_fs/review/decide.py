"""Approve or reject a proposal: merge its branch into the checked-out branch, or record why not.

Approving fast-forwards when the target has not moved since the proposal was made, and makes a
real merge commit (two parents, a three-way merged tree) when it has; a conflict is reported and
changes nothing. Either way the move goes through ``MemoryRepo.advance``, the same path as every
library write, so the working tree, ``.git/index`` and the search index follow. Rejecting
commits a rejection record (:mod:`learning_fs.review.rejections`) and deletes the branch.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import pygit2

from learning_fs.errors import LearningFSError, RecordParseError
from learning_fs.format.items import Item
from learning_fs.format.records import DecisionRecord, EntityRecord, LearningRecord, MemoriesRecord, parse_record
from learning_fs.ops.origin import write_transaction
from learning_fs.ops.provenance import Origin
from learning_fs.ops.rejections import Rejection, new_rejection, render_rejection
from learning_fs.ops.validate import check_file
from learning_fs.repo import MemoryRepo
from learning_fs.repo import trailers as names
from learning_fs.review.proposals import Proposal, get_proposal, open_git

log = logging.getLogger(__name__)

REVIEWER = Origin(store="review", mode="manual")
"""The origin of every commit review makes (the approving merge, a rejection, an edit before approval)."""
REVIEW_TRAILERS = REVIEWER.trailers()
Editor = Callable[[str, bytes], "bytes | None"]
"""``edit(path, content) -> new content`` (None or the same bytes: unchanged); see :func:`approve`."""


@dataclass(frozen=True)
class Approval:
    """What approving did: the commit the target branch now points at, and how it got there."""

    proposal: Proposal
    commit: str
    fast_forward: bool
    edited: list[str]
    already_merged: bool = False  # merged elsewhere (on a forge) and pulled: only the branch was deleted


def reviewer(repo: MemoryRepo) -> str:
    """``Name <email>`` of the person git says is at the keyboard ('' when git has no identity).

    Asked of git itself (``git var``), which honours ``GIT_COMMITTER_*`` and every config file
    the way a person's own ``git commit`` would.
    """
    result = subprocess.run(["git", "var", "GIT_COMMITTER_IDENT"], cwd=repo.root, capture_output=True, text=True,
                            check=False)
    ident = result.stdout.strip()
    return ident[: ident.rfind(">") + 1] if result.returncode == 0 and ">" in ident else ""


def approve(repo: MemoryRepo, ident: str, *, edit: Editor | None = None, by: str | None = None,
            fast_forward: bool = True) -> Approval:
    """Merge the proposal into the checked-out branch and delete its branch.

    A fast-forward leaves the proposal's own commit on top, so history does not say who
    approved it or when; ``fast_forward=False`` always makes the merge commit that does.

    ``edit`` is called with each proposed file first (``--edit`` opens ``$EDITOR``); a changed
    file must still parse, and the edit is committed on the proposal before it is merged.
    Raises :class:`~learning_fs.errors.ConflictError` (nothing changed) when the proposal and the
    target changed the same lines.
    """
    proposal = get_proposal(repo, ident)
    edited = _apply_edits(repo, proposal, edit) if edit is not None else []
    if edited:
        proposal = get_proposal(repo, proposal.id)
    by = reviewer(repo) if by is None else by
    trailers = {**REVIEW_TRAILERS, names.PROPOSAL: proposal.id}
    if by:
        trailers[names.APPROVED_BY] = by
    body = proposal.evidence.body()
    info = repo.advance(proposal.target, proposal.tip, expected_tip=_tip(repo, proposal.target),
                        message=f"Approve proposal {proposal.id}: {proposal.title}", body=body, trailers=trailers,
                        fast_forward=fast_forward)
    _delete_branch(repo, proposal.branch)
    if info is None:
        return Approval(proposal, _tip(repo, proposal.target), False, edited, already_merged=True)
    log.info("approved %s -> %s@%s", proposal.id, proposal.target, info.sha[:10])
    return Approval(proposal, info.sha, fast_forward=info.sha == proposal.tip, edited=edited)


def reject(repo: MemoryRepo, ident: str, reason: str, *, by: str | None = None) -> Rejection:
    """Record why the proposal was refused (a committed file the extractor reads) and delete its branch."""
    reason = " ".join(reason.split())
    if not reason:
        raise LearningFSError("say why the proposal is rejected (--reason): the extractor learns from it")
    proposal = get_proposal(repo, ident)
    by = reviewer(repo) if by is None else by
    rejection = new_rejection(proposal.id, proposal.kind, proposal.title.removeprefix("delete "),
                              _proposed_text(repo, proposal), reason, commit=proposal.tip,
                              namespace=proposal.namespace, rejected_by=by)
    with write_transaction(repo, f"Reject proposal {proposal.id}: {proposal.title}", REVIEWER,
                           trailers={names.REJECTED: proposal.id}, body=f"Reason: {reason}") as tx:
        tx.write_bytes(rejection.path, render_rejection(rejection).encode("utf-8"))
    _delete_branch(repo, proposal.branch)
    log.info("rejected %s: %s", proposal.id, reason)
    return rejection


def _tip(repo: MemoryRepo, branch: str) -> str:
    return str(open_git(repo).references[f"refs/heads/{branch}"].target)


def _delete_branch(repo: MemoryRepo, branch: str) -> None:
    git = open_git(repo)
    try:
        git.references.delete(f"refs/heads/{branch}")
    except (KeyError, pygit2.GitError) as exc:
        log.warning("could not delete branch %s: %s", branch, exc)


def _apply_edits(repo: MemoryRepo, proposal: Proposal, edit: Editor) -> list[str]:
    """Let ``edit`` change the proposed files; commit what changed on the proposal branch."""
    git = open_git(repo)
    tree = git[proposal.tip].peel(pygit2.Commit).tree
    changes: dict[str, bytes] = {}
    for path in proposal.paths:
        try:
            before = git[tree[path].id].data  # type: ignore[attr-defined]
        except KeyError:
            continue  # a deletion: nothing to edit
        after = edit(path, before)
        if after is None or after == before:
            continue
        _, problems = check_file(path, after.decode("utf-8", "replace"))
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise LearningFSError("the edited file has problems; nothing was approved:\n"
                                  + "\n".join(str(p) for p in errors))
        changes[path] = after
    if not changes:
        return []
    with write_transaction(repo, f"Edit proposal {proposal.id} before approving it", REVIEWER,
                           branch=proposal.branch, proposal=proposal.id) as tx:
        for path, data in changes.items():
            tx.write_bytes(path, data)
    return sorted(changes)


def _proposed_text(repo: MemoryRepo, proposal: Proposal) -> str:
    """What the proposal would have remembered, in words (the body of its rejection record)."""
    git = open_git(repo)
    tip = git[proposal.tip].peel(pygit2.Commit).tree
    base = git[proposal.base].peel(pygit2.Commit).tree
    texts = []
    for path in proposal.paths:
        record = _parse(git, tip, path)
        if isinstance(record, LearningRecord):
            texts.append(record.learning)
        elif isinstance(record, DecisionRecord):
            texts.append(record.decision)
        elif isinstance(record, (MemoriesRecord, EntityRecord)):
            before = _parse(git, base, path)
            texts += [item.text for item in _new_items(record, before)]
    return "\n".join(t.strip() for t in texts if t.strip())


def _new_items(record: MemoriesRecord | EntityRecord, before: object) -> list[Item]:
    field = "memories" if isinstance(record, MemoriesRecord) else "facts"
    old = {item.id: item.text for item in getattr(before, field, [])} if before is not None else {}
    return [item for item in getattr(record, field) if old.get(item.id) != item.text]


def _parse(git: pygit2.Repository, tree: pygit2.Tree, path: str) -> object:
    try:
        return parse_record(git[tree[path].id].data.decode("utf-8", "replace"), path)  # type: ignore[attr-defined]
    except (KeyError, RecordParseError):
        return None
