"""Proposals: changes waiting for a person, one git branch each (``proposals/<kind>/<slug>``).

A PROPOSE-mode store (or ``learning-fs propose``) commits on a branch made from the checked-out
branch without touching the checkout; this module reads those branches back as
:class:`Proposal` objects: what changed, the evidence the commit carries (who said what, in which
session, why the model kept it), how old it is and whether it still merges cleanly. Nothing here
writes; approving and rejecting live in :mod:`learning_fs.review.decide`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pygit2

from learning_fs.errors import RecordNotFoundError, RecordParseError
from learning_fs.format.layout import is_private_path, kind_from_path
from learning_fs.format.records import USER_NAMESPACE, Record, parse_record
from learning_fs.ops.provenance import Origin
from learning_fs.ops.writer import PROPOSAL_PREFIX
from learning_fs.repo import MemoryRepo
from learning_fs.repo.merge import merge_trees

REF_PREFIX = f"refs/heads/{PROPOSAL_PREFIX}"


@dataclass
class Proposal:
    """One open proposal: a branch, what it changes against the branch it targets, and why."""

    id: str  # the branch without "proposals/": learning/use-uv
    branch: str
    tip: str
    base: str  # where it forked from the target (their merge base)
    target: str  # the branch it would be merged into (the checked-out one)
    created: dt.datetime
    updated: dt.datetime
    subjects: list[str]
    message: str  # the first commit's message: evidence and trailers
    paths: list[str]
    kind: str | None
    namespace: str | None
    title: str
    conflicts: list[str] = field(default_factory=list)
    behind: bool = False  # the target moved since the proposal was made
    merged: bool = False  # already part of the target (merged elsewhere and pulled)

    @property
    def evidence(self) -> Origin:
        return Origin.from_commit_message(self.message)

    @property
    def age(self) -> dt.timedelta:
        return dt.datetime.now(dt.timezone.utc) - self.created

    @property
    def mergeable(self) -> bool:
        return not self.conflicts

    def render(self) -> str:
        """What a reviewer reads: the change and its evidence (the same block a HITL requirement shows)."""
        files = ", ".join(self.paths) or "no files"
        return f"{self.title} [{self.kind or '?'} · {self.namespace or '?'}] — {files}\n{self.evidence.render()}"

    def to_dict(self) -> dict[str, Any]:
        evidence = self.evidence
        return {
            "id": self.id, "branch": self.branch, "tip": self.tip, "base": self.base, "target": self.target,
            "created": self.created.isoformat(), "updated": self.updated.isoformat(),
            "age_seconds": int(self.age.total_seconds()), "kind": self.kind, "namespace": self.namespace,
            "title": self.title, "paths": self.paths, "commits": self.subjects, "conflicts": self.conflicts,
            "conflicts_with_main": bool(self.conflicts), "behind": self.behind, "merged": self.merged,
            "evidence": {"user": evidence.user_id, "session": evidence.session_id, "store": evidence.store,
                         "mode": evidence.mode, "agent": evidence.agent_id, "quote": evidence.quote,
                         "reasoning": evidence.reasoning},
        }


def open_git(repo: MemoryRepo) -> pygit2.Repository:
    """A pygit2 handle of our own: review code never shares the repository's (thread-guarded) one."""
    return pygit2.Repository(str(repo.git_dir))


def list_proposals(repo: MemoryRepo, *, include_merged: bool = False) -> list[Proposal]:
    """Open proposals, oldest first (``include_merged``: also those already in the target branch)."""
    git = open_git(repo)
    target = repo.branch
    found = []
    for name in git.references:
        if not name.startswith(REF_PREFIX):
            continue
        proposal = _load(git, name.removeprefix("refs/heads/"), target)
        if proposal is not None and (include_merged or not proposal.merged):
            found.append(proposal)
    return sorted(found, key=lambda p: (p.created, p.id))


def get_proposal(repo: MemoryRepo, ident: str) -> Proposal:
    """The proposal named by its id (``learning/use-uv``), its branch, or an unambiguous ending of either."""
    git = open_git(repo)
    wanted = ident.strip().removeprefix("refs/heads/").removeprefix(PROPOSAL_PREFIX).strip("/")
    names = [n.removeprefix(REF_PREFIX) for n in git.references if n.startswith(REF_PREFIX)]
    matches = [n for n in names if n == wanted] or [n for n in names if n.endswith("/" + wanted)]
    if len(matches) != 1:
        listed = ", ".join(sorted(names)) or "none are open"
        why = "matches several" if matches else "names no open proposal"
        raise RecordNotFoundError(f"{ident!r} {why} (proposals: {listed})")
    proposal = _load(git, PROPOSAL_PREFIX + matches[0], repo.branch)
    if proposal is None:
        raise RecordNotFoundError(f"proposal {ident!r} has no commits of its own")
    return proposal


def proposal_diff(repo: MemoryRepo, proposal: Proposal, *, context: int = 3) -> str:
    """The proposal's changes as a unified diff against where it forked (what ``git diff main...branch`` shows)."""
    git = open_git(repo)
    base, tip = git[proposal.base].peel(pygit2.Commit), git[proposal.tip].peel(pygit2.Commit)
    diff = base.tree.diff_to_tree(tip.tree, context_lines=context)
    return diff.patch or ""


def _load(git: pygit2.Repository, branch: str, target: str) -> Proposal | None:
    try:
        tip = git.references[f"refs/heads/{branch}"].peel(pygit2.Commit)
        main = git.references[f"refs/heads/{target}"].peel(pygit2.Commit)
    except (KeyError, pygit2.GitError):
        return None
    base_id = git.merge_base(main.id, tip.id)
    if base_id is None:
        return None
    walker = git.walk(tip.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    walker.hide(base_id)
    commits = list(walker)
    merged = base_id == tip.id
    if merged:  # nothing of its own left: show what its last commit did
        commits = [tip]
        base_id = tip.parents[0].id if tip.parents else tip.id
    if not commits:
        return None
    base = git[base_id].peel(pygit2.Commit)
    changes = base.tree.diff_to_tree(tip.tree)
    paths = sorted({d.new_file.path if d.status != pygit2.enums.DeltaStatus.DELETED else d.old_file.path
                    for d in changes.deltas})
    kind, namespace, title = _describe(git, tip.tree, base.tree, paths)
    conflicts: list[str] = []
    behind = main.id != base_id and not merged
    if behind:
        conflicts = merge_conflicts(git, main, tip)
    return Proposal(
        id=branch.removeprefix(PROPOSAL_PREFIX), branch=branch, tip=str(tip.id), base=str(base_id), target=target,
        created=_when(commits[0]), updated=_when(commits[-1]), subjects=[c.message.split("\n", 1)[0] for c in commits],
        message=commits[0].message, paths=paths, kind=kind, namespace=namespace,
        title=title or commits[0].message.split("\n", 1)[0], conflicts=conflicts, behind=behind, merged=merged,
    )


def merge_conflicts(git: pygit2.Repository, ours: pygit2.Commit, theirs: pygit2.Commit) -> list[str]:
    """Paths a three-way merge of the two commits cannot combine (in memory: nothing is written).

    The same merge ``approve`` makes (:func:`learning_fs.repo.merge.merge_trees`): record files
    merge as records, so concurrent additions to one file are not reported as conflicts.
    """
    return merge_trees(git, ours, theirs)[1]


def _describe(git: pygit2.Repository, tree: pygit2.Tree, base: pygit2.Tree,
              paths: list[str]) -> tuple[str | None, str | None, str]:
    """Kind, namespace and title of the first record the proposal changes."""
    for path in paths:
        kind = kind_from_path(path)
        if kind is None:
            continue
        record = _record_at(git, tree, path) or _record_at(git, base, path)
        namespace = USER_NAMESPACE if is_private_path(path) else (record.namespace if record else None)
        title = record.title_text() if record is not None else path
        if record is not None and _record_at(git, tree, path) is None:
            title = f"delete {title}"
        more = len([p for p in paths if kind_from_path(p)]) - 1
        return kind, namespace, title + (f" (+{more} more)" if more > 0 else "")
    return None, None, ""


def _record_at(git: pygit2.Repository, tree: pygit2.Tree, path: str) -> Record | None:
    try:
        data = git[tree[path].id].data  # type: ignore[attr-defined]
    except KeyError:
        return None
    try:
        return parse_record(data.decode("utf-8", "replace"), path)
    except RecordParseError:
        return None


def _when(commit: pygit2.Commit) -> dt.datetime:
    offset = dt.timezone(dt.timedelta(minutes=commit.commit_time_offset))
    return dt.datetime.fromtimestamp(commit.commit_time, offset)
