"""``Curator``: plan a curation run over a memory repository, then commit it as ONE commit or proposal.

A run loads its units (one user's folder, one shared namespace: :mod:`~learning_fs.curate.scope`)
from the branch tip and passes each through, in order: expire → merge duplicate records →
supersede contradictions → merge duplicate items → near-duplicates (embeddings, optionally the
model) → prune → budget. The result is a :class:`~learning_fs.curate.plan.CurationPlan`: the
actions with their reasons, and the new content of every file they touch. ``apply`` commits the
plan as one commit on the checked-out branch, or on a ``proposals/curate/…`` branch a person
reviews like any other proposal; the commit message lists every action and why. A file that
changed after planning (an agent wrote meanwhile) is not overwritten: the actions touching it
are left for the next run and named. ``learning-fs revert <commit>`` undoes a run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pygit2

from learning_fs.curate import budget, credit, dedup, lifecycle, near, supersede
from learning_fs.curate.parsed import ParsedCache
from learning_fs.curate.plan import OPERATIONS, Action, CurationPlan
from learning_fs.curate.policy import CurationPolicy
from learning_fs.curate.recall_log import RecallLog
from learning_fs.curate.scope import Unit, load_units, tip
from learning_fs.curate.vectors import VectorCache
from learning_fs.curate.workspace import Workspace
from learning_fs.format.records import USER_NAMESPACE
from learning_fs.format.slugs import slugify
from learning_fs.ops.origin import write_transaction
from learning_fs.ops.provenance import Origin
from learning_fs.repo import MemoryRepo
from learning_fs.repo.history import CommitInfo

log = logging.getLogger(__name__)

PROPOSAL_PREFIX = "proposals/curate/"
CACHE_DIR = "curate"  # under .learning_fs/: parsed records and vectors (derived, deletable)


@dataclass
class CurationResult:
    """What a run did: the plan, and the commit (None: dry run, or nothing to do) on ``branch``."""

    plan: CurationPlan
    commit: CommitInfo | None = None
    branch: str | None = None
    proposal_id: str | None = None
    left_for_next_run: list[Action] = field(default_factory=list)  # files changed after planning

    @property
    def committed(self) -> bool:
        return self.commit is not None


class Curator:
    """Dedup, supersede, expire, prune and budget a memory repository (see the module docstring).

    Args:
        repo: The memory repository.
        model: A chat model (``OpenAIChat`` or any ``ChatModel``) that confirms near-duplicates and
            finds contradictions; None: embeddings and rules only.
        policy: What to do; default: the ``curate:`` section of ``learning_fs.yaml``.
        embedder: For near-duplicates; default: the offline MiniLM embedder, loaded when first needed.
        recall_log: Last-recall times for staleness and the budget; default: the repository's.
        clock: Seconds since the epoch "now" (tests pass a fixed one).
    """

    def __init__(self, repo: MemoryRepo, *, model: Any = None, policy: CurationPolicy | None = None,
                 embedder: Any = None, recall_log: RecallLog | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.repo = repo
        self.model = model
        self.policy = policy or CurationPolicy.from_config(repo.config)
        self._embedder = embedder
        self.recall_log = recall_log if recall_log is not None else RecallLog.for_repo(repo)
        self.clock = clock

    # -- planning -------------------------------------------------------------------------------
    def plan(self, *, user: str | None = None, namespace: str | None = None, users: list[str] | None = None,
             dry_run: bool = False) -> CurationPlan:
        """What a run would change; writes nothing (a dry run does not even fill the vector cache).

        Scope: ``user`` (or ``users``) curates those users' private folders; ``namespace`` one shared
        namespace (``"user"``: private folders only); both: both; neither: the whole repository.
        """
        users = [*(users or []), *([user] if user else [])]
        all_users = not users and namespace in (None, USER_NAMESPACE)
        namespaces = None if namespace is None and not users else ([] if namespace in (None, USER_NAMESPACE)
                                                                   else [namespace])
        branch = self.repo.branch
        started = time.perf_counter()
        git, commit = tip(str(self.repo.git_dir), branch)
        cache = ParsedCache(self.repo.derived_dir / CACHE_DIR, read_only=dry_run)
        units = load_units(git, commit, users=users, namespaces=namespaces, all_users=all_users, cache=cache)
        if all_users and namespaces is None:  # the whole repository was read: forget blobs that are gone
            cache.forget_except({blob for unit in units for blob in unit.blobs.values()})
        plan = CurationPlan(branch=branch, base=str(commit.id) if commit is not None else None,
                            scope=_scope_label(users, namespace, all_users),
                            user=users[0] if len(users) == 1 and namespace in (None, USER_NAMESPACE) else None)
        plan.stats.load_seconds = time.perf_counter() - started
        plan.stats.parsed = cache.parsed
        plan.stats.units = len(units)
        plan.stats.records = sum(len(unit.originals) for unit in units)
        analysed = time.perf_counter()
        ws = self._workspace(units)
        for unit in units:
            self._exact_passes(unit, ws)
        if self.policy.near_duplicates:
            self._near_pass(units, ws, plan, read_only=dry_run)
        if self.policy.feedback:
            self._feedback_pass(units, ws)
        for unit in units:
            lifecycle.prune(unit, ws)
            if self.policy.budget:
                budget.rebalance(unit, ws)
        self._fill(plan, units, ws, git)
        plan.stats.analyse_seconds = time.perf_counter() - analysed - plan.stats.model_seconds
        return plan

    def _workspace(self, units: list[Unit]) -> Workspace:
        ws = Workspace(self.policy, now=self.clock())
        if self.policy.stale_days is not None or self.policy.budget or self.policy.max_memories is not None \
                or self.policy.max_file_bytes is not None:
            ws.recalls = self.recall_log.last_recalled()
            ws.tracking_since = self.recall_log.tracking_since()
        return ws

    def _exact_passes(self, unit: Unit, ws: Workspace) -> None:
        policy = self.policy
        if policy.expire:
            lifecycle.expire(unit, ws)
        if policy.dedup:
            dedup.dedup_records(unit, ws)
        if policy.supersede:
            supersede.supersede_attributes(unit, ws)
            supersede.supersede_titles(unit, ws)
        if policy.dedup:
            dedup.dedup_items(unit, ws)

    def _feedback_pass(self, units: list[Unit], ws: Workspace) -> None:
        """Demote learnings linked to failed runs (:mod:`learning_fs.curate.credit`)."""
        shared = [unit for unit in units if any(True for _ in unit.records("learning"))]
        if not shared:
            return
        credits = credit.tally(credit.load_feedback(self.repo))
        for unit in shared:
            credit.demote_failing(unit, ws, credits)

    def _near_pass(self, units: list[Unit], ws: Workspace, plan: CurationPlan, *, read_only: bool) -> None:
        lists = near.collect(units)
        if not lists:
            return
        try:
            embedder = self._embedder_or_default()
        except Exception as exc:  # a missing or corrupt model file must not stop the other passes
            ws.notes.append(f"near-duplicates skipped: the embedder could not be loaded ({exc})")
            return
        cache = VectorCache(embedder, self.repo.derived_dir / CACHE_DIR, read_only=read_only)
        near.near_duplicates(lists, ws, cache, self.model, plan.stats)
        plan.stats.embed_seconds += cache.embed_seconds
        plan.stats.embedded += cache.embedded

    def _embedder_or_default(self) -> Any:
        if self._embedder is None:
            from learning_fs.index.service import shared_embedder  # the index's: one model per process

            self._embedder = shared_embedder()
        return self._embedder

    def _fill(self, plan: CurationPlan, units: list[Unit], ws: Workspace, git: pygit2.Repository) -> None:
        for unit in units:
            plan.skipped.extend(unit.skipped)
            for path, record in unit.changes().items():
                plan.changes[path] = record
                plan.blobs[path] = unit.blobs[path]
                plan.before[path] = git[unit.blobs[path]].data.decode("utf-8", "replace")  # type: ignore[attr-defined]
        changed = set(plan.changes)
        order = {op: n for n, op in enumerate(OPERATIONS)}
        plan.actions = sorted((action for action in ws.actions if set(action.paths) & changed),
                              key=lambda action: order[action.op])  # stable: pass order within an operation
        plan.notes = list(ws.notes)

    # -- committing -----------------------------------------------------------------------------
    def apply(self, plan: CurationPlan, *, propose: bool = False) -> CurationResult:
        """Commit ``plan`` as one commit (``propose``: on a new ``proposals/curate/…`` branch)."""
        if plan.empty:
            return CurationResult(plan)
        started = time.perf_counter()
        branch = self._proposal_branch(plan) if propose else plan.branch
        proposal_id = branch.removeprefix("proposals/") if propose else None
        origin = Origin(store="curator", mode="propose" if propose else "curate", user=plan.user)
        with write_transaction(self.repo, plan.subject(), origin, branch=branch, proposal=proposal_id,
                               body=plan.body(self.policy.max_message_lines)) as tx:
            stale = {path for path in plan.changes if _blob_id(tx.read_bytes(path)) != plan.blobs.get(path)}
            kept, left = _without_stale(plan, stale)
            if left:
                tx.message, tx.body = kept.subject(), kept.body(self.policy.max_message_lines)
            for path, record in kept.changes.items():
                if record is None:
                    tx.delete(path)
                else:
                    tx.write(record, path=path)
        kept.stats.commit_seconds = time.perf_counter() - started
        if left:
            log.warning("curator: %d action(s) left for the next run: their files changed after planning", len(left))
        commit = tx.commit
        return CurationResult(kept, commit, branch if commit else None, proposal_id if commit else None, left)

    def run(self, *, user: str | None = None, namespace: str | None = None, users: list[str] | None = None,
            dry_run: bool = False, propose: bool = False) -> CurationResult:
        """Plan and (unless ``dry_run``) apply: the whole of ``learning-fs curate``."""
        plan = self.plan(user=user, namespace=namespace, users=users, dry_run=dry_run)
        if dry_run:
            return CurationResult(plan)
        return self.apply(plan, propose=propose)

    def _proposal_branch(self, plan: CurationPlan) -> str:
        base = f"{PROPOSAL_PREFIX}{slugify(plan.scope)}"
        candidate, number = base, 1
        while f"refs/heads/{candidate}" in self.repo.git.references:
            number += 1
            candidate = f"{base}-{number}"
        return candidate


def _blob_id(data: bytes | None) -> str | None:
    return str(pygit2.hash(data)) if data is not None else None


def _without_stale(plan: CurationPlan, stale: set[str]) -> tuple[CurationPlan, list[Action]]:
    """The plan minus every action that touches a changed file (and the files those actions touch)."""
    if not stale:
        return plan, []
    excluded = set(stale)
    dropped: list[Action] = []
    grew = True
    while grew:
        grew = False
        for action in plan.actions:
            if action not in dropped and excluded & set(action.paths):
                dropped.append(action)
                if not set(action.paths) <= excluded:
                    excluded |= set(action.paths)
                    grew = True
    kept = replace(plan, actions=[a for a in plan.actions if a not in dropped],
                   changes={p: r for p, r in plan.changes.items() if p not in excluded})
    kept.notes = [*plan.notes, f"{len(dropped)} action(s) left for the next run: "
                  + ", ".join(sorted(stale)) + " changed after planning"]
    return kept, dropped


def _scope_label(users: list[str], namespace: str | None, all_users: bool) -> str:
    parts = []
    if users:
        parts.append(("user " if len(users) == 1 else "users ") + ", ".join(users))
    elif all_users and namespace == USER_NAMESPACE:
        parts.append("all users")
    if namespace not in (None, USER_NAMESPACE):
        parts.append(f"namespace {namespace}")
    return " + ".join(parts) or "all"
