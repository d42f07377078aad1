"""``Improver``: turn the rule layer's findings into proposal branches a person approves or rejects.

Each finding becomes ONE commit on its own ``proposals/…`` branch, made from the checked-out
branch without touching it: an added, reworded or retired line in ``agents/<agent>/instructions.md``,
or ``demoted: true`` on a learning. The commit message carries the evidence — the count, the
feedback ids, the sessions and users, the users' own words — in the paragraphs ``learning-fs
review show`` reads (``Said:``, ``Why:``) and a ``Learning-Feedback`` trailer. Approving is the
review machinery's merge, so the next turn's context carries the change; rejecting records it in
``reviews/rejected/``, and a finding whose proposal id was rejected is never proposed again; an
approved change is undone with ``learning-fs revert``. Proposal ids are made from what a finding
is about (never from a model's wording), so the same pattern always names the same proposal.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from learning_fs.curate.credit import load_feedback, tally
from learning_fs.errors import RecordNotFoundError, RecordParseError
from learning_fs.format.frontmatter import format_timestamp
from learning_fs.format.layout import DEFAULT_AGENT, instructions_path
from learning_fs.format.records import FeedbackRecord, InstructionsRecord, LearningRecord
from learning_fs.format.slugs import safe_segment, slugify
from learning_fs.improve import patterns
from learning_fs.improve.patterns import Finding
from learning_fs.improve.schedule import SelfImprovementConfig
from learning_fs.improve.wording import word
from learning_fs.ops.edits import demote_learning, put_rule, retire_rule, reword_rule
from learning_fs.ops.origin import save, write_transaction
from learning_fs.ops.provenance import Origin
from learning_fs.ops.writer import PROPOSAL_PREFIX
from learning_fs.repo import MemoryRepo
from learning_fs.repo import trailers as names

log = logging.getLogger(__name__)

STATE_FILE = "improve.json"  # under .learning_fs/: when the analyser last ran (derived)
STORE = "self_improvement"
QUOTES = 8  # quotes shown in a proposal's commit message
SUBJECTS = {"add": "Add instruction", "reword": "Reword instruction", "retire": "Retire instruction",
            "demote": "Demote learning"}


@dataclass(frozen=True)
class Proposed:
    """A proposal the analyser made: its id (the branch without ``proposals/``), branch and commit."""

    finding: Finding
    proposal_id: str
    branch: str
    commit: str


@dataclass
class ImprovementReport:
    """What one run read, found, proposed and left alone (with why)."""

    signals: int = 0
    new_signals: int = 0
    findings: list[Finding] = field(default_factory=list)
    proposed: list[Proposed] = field(default_factory=list)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)
    pending: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, proposal id) to propose

    def render(self) -> str:
        lines = [f"Read {self.signals} feedback signal(s), {self.new_signals} new since the last run."]
        for item in self.proposed:
            lines.append(f"proposed {item.proposal_id}: {describe(item.finding)}")
        if not self.proposed:
            lines += [f"would propose {pid}: {describe(finding)}" for finding, pid in self.pending]
        for finding, why in self.skipped:
            lines.append(f"skipped {finding.action} {finding.key!r}: {why}")
        if not self.findings:
            lines.append("No pattern in the feedback warrants a change.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"signals": self.signals, "new_signals": self.new_signals,
                "proposed": [{"proposal": p.proposal_id, "branch": p.branch, "commit": p.commit,
                              "action": p.finding.action, "text": p.finding.text or p.finding.target_text,
                              "evidence": [r.id for r in p.finding.evidence]} for p in self.proposed],
                "findings": [{"action": f.action, "key": f.key, "text": f.text, "target": f.target,
                              "reason": f.reason, "evidence": [r.id for r in f.evidence]} for f in self.findings],
                "skipped": [{"action": f.action, "key": f.key, "why": why} for f, why in self.skipped]}


def describe(finding: Finding) -> str:
    if finding.action == "add":
        return f'add "{finding.text}" ({finding.reason})'
    if finding.action == "reword":
        return f'reword {finding.target} "{finding.target_text}" as "{finding.text}" ({finding.reason})'
    if finding.action == "retire":
        return f'retire {finding.target} "{finding.target_text}" ({finding.reason})'
    return f"demote {finding.target} ({finding.reason})"


class Improver:
    """Analyse a repository's feedback and propose changes (see the module docstring).

    Args:
        repo: The memory repository.
        model: Words the proposals when given (``config.use_model``); the counting never uses it.
        config: Thresholds (:class:`SelfImprovementConfig`).
        agent: Whose instructions (default ``config.agent``, else ``default``).
        namespace: Only the feedback of this namespace (default: all).
    """

    def __init__(self, repo: MemoryRepo, *, model: Any = None, config: SelfImprovementConfig | None = None,
                 agent: str | None = None, namespace: str | None = None) -> None:
        self.repo = repo
        self.config = config or SelfImprovementConfig()
        self.model = model if self.config.use_model else None
        self.agent = agent or self.config.agent or DEFAULT_AGENT
        self.namespace = namespace

    @classmethod
    def for_machine(cls, machine: Any) -> Improver:
        """The analyser of a ``LearningMachine``: its repository, model, agent and configuration."""
        schedule = getattr(machine, "_improvement", None)
        config = schedule.config if schedule is not None else SelfImprovementConfig()
        store = machine.stores.get("instructions")
        agent = config.agent or (store.agent_for(machine.agent_id) if store is not None else machine.agent_id)
        return cls(machine.repo, model=machine.model, config=config, agent=agent)

    # -- reading ------------------------------------------------------------------------------------
    @property
    def path(self) -> str:
        return instructions_path(self.agent)

    def instructions(self) -> InstructionsRecord | None:
        try:
            record = self.repo.get(self.path, copy=False)
        except (RecordNotFoundError, RecordParseError):
            return None
        return record if isinstance(record, InstructionsRecord) else None

    def feedback(self) -> list[FeedbackRecord]:
        """This agent's feedback (records without an agent count for the default agent)."""
        mine = self.agent
        return [r for r in load_feedback(self.repo, namespace=self.namespace)
                if (r.agent or DEFAULT_AGENT) == mine or (r.agent is None and mine == DEFAULT_AGENT)]

    def learnings(self) -> list[LearningRecord]:
        found = []
        for path in self.repo.paths("learning"):
            try:
                record = self.repo.get(path, copy=False)
            except (RecordParseError, RecordNotFoundError):
                continue
            if isinstance(record, LearningRecord):
                found.append(record)
        return found

    # -- analysing ------------------------------------------------------------------------------------
    def analyse(self) -> ImprovementReport:
        """The findings, each checked against open proposals, rejections and what is new (writes nothing)."""
        feedback = self.feedback()
        since = self._last_run()
        report = ImprovementReport(signals=len(feedback),
                                   new_signals=sum(1 for r in feedback if since is None or r.created >= since))
        record = self.instructions()
        rules = list(record.rules) if record is not None else []
        credits = tally(feedback)
        learnings = self.learnings() if self.config.demote_learnings else []
        open_branches = {name.removeprefix("refs/heads/") for name in self.repo.git.references
                         if name.startswith(f"refs/heads/{PROPOSAL_PREFIX}")}
        rejected = self._rejected()
        for finding in patterns.find(feedback, rules, learnings, credits, self.config):
            report.findings.append(finding)
            pid = self.proposal_id(finding)
            if any(b == PROPOSAL_PREFIX + pid or b.startswith(f"{PROPOSAL_PREFIX}{pid}-") for b in open_branches):
                report.skipped.append((finding, f"already proposed ({pid})"))
            elif any(r == pid or r.startswith(pid + "-") for r in rejected):
                report.skipped.append((finding, f"rejected before ({pid})"))
            elif since is not None and all(r.created < since for r in finding.evidence):
                report.skipped.append((finding, "no new feedback since the last run"))
            else:
                report.pending.append((finding, pid))
        return report

    def run(self, *, propose: bool = True) -> ImprovementReport:
        """Analyse and (``propose``) commit one proposal branch per finding that is not skipped."""
        started = format_timestamp_now()
        report = self.analyse()
        if propose:
            for finding, _ in report.pending:
                made = self.propose(finding)
                if made is not None:
                    report.proposed.append(made)
                else:
                    report.skipped.append((finding, "changes nothing"))
            self._save_state(started)
        return report

    def proposal_id(self, finding: Finding) -> str:
        """``instructions/<agent>/add-<what>`` … ``learning/demote-<id>``: stable for the same pattern."""
        if finding.action == "demote":
            return f"learning/demote-{finding.target}"
        what = slugify(finding.key)[:48].strip("-") if finding.action == "add" else str(finding.target)
        return f"instructions/{safe_segment(self.agent)}/{finding.action}-{what or 'rule'}"

    # -- proposing ------------------------------------------------------------------------------------
    def propose(self, finding: Finding) -> Proposed | None:
        """Commit ``finding`` on a new ``proposals/…`` branch; None when it would change nothing."""
        pid = self.proposal_id(finding)
        branch = self._free_branch(PROPOSAL_PREFIX + pid)
        pid = branch.removeprefix(PROPOSAL_PREFIX)
        if finding.action in ("add", "reword") and self.model is not None:
            finding.text = word(self.model, self.repo, finding) or finding.text
        origin = Origin(store=STORE, mode="propose", agent=self.agent)
        evidence = {names.FEEDBACK: ", ".join(r.id for r in finding.evidence[:40])}
        subject = f"{SUBJECTS[finding.action]}: {finding.text or finding.target_text}"[:120]
        with write_transaction(self.repo, subject, origin, branch=branch, proposal=pid, trailers=evidence,
                               body=evidence_body(finding)) as tx:
            if finding.action == "demote":
                self._demote(tx, finding, origin)
            else:
                self._edit_rules(tx, finding, origin)
        if tx.commit is None:
            return None
        log.info("self-improvement proposed %s: %s", pid, describe(finding))
        return Proposed(finding, pid, branch, tx.commit.sha)

    def _edit_rules(self, tx: Any, finding: Finding, origin: Origin) -> None:
        current = tx.read(self.path)
        record = current if isinstance(current, InstructionsRecord) else InstructionsRecord(agent=self.agent)
        try:
            if finding.action == "add":
                changed = put_rule(record, finding.text, origin).changed
            elif finding.action == "reword":
                changed = reword_rule(record, str(finding.target), finding.text, origin).changed
            else:
                changed = bool(retire_rule(record, str(finding.target), origin))
        except RecordNotFoundError:
            return  # the rule is gone since the pattern was found: nothing to propose
        if changed:
            tx.write(record, path=self.path)

    def _demote(self, tx: Any, finding: Finding, origin: Origin) -> None:
        for path in self.repo.paths("learning"):
            record = tx.read(path)
            if isinstance(record, LearningRecord) and record.id == finding.target:
                if demote_learning(record):
                    save(tx, record, origin)
                return

    def _free_branch(self, base: str) -> str:
        candidate, number = base, 1
        while f"refs/heads/{candidate}" in self.repo.git.references:
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    def _rejected(self) -> set[str]:
        from learning_fs.ops.rejections import REJECTED_FOLDER, list_rejections

        if not (self.repo.root / REJECTED_FOLDER).is_dir():
            return set()
        return {r.proposal for r in list_rejections(self.repo)}

    # -- state (derived: when the analyser last ran) ---------------------------------------------------
    def _state_path(self) -> Any:
        return self.repo.derived_dir / STATE_FILE

    def _last_run(self) -> str | None:
        try:
            data = json.loads(self._state_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        value = data.get(self.agent) if isinstance(data, dict) else None
        return str(value) if value else None

    def _save_state(self, stamp: str) -> None:
        path = self._state_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        data[self.agent] = stamp
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        except OSError as exc:
            log.warning("self-improvement: cannot save %s: %s", path, exc)


def format_timestamp_now() -> str:
    import datetime as dt

    return format_timestamp(dt.datetime.fromtimestamp(time.time(), dt.timezone.utc))


def evidence_body(finding: Finding) -> str:
    """The commit body: why, the users' words (``Said:``), and every signal with its session and user."""
    parts = [f"Why: {finding.reason}."]
    if finding.target_text and finding.action != "demote":
        parts.append(f"Current rule {finding.target}: {finding.target_text}")
    quotes = [r for r in finding.evidence if r.comment][:QUOTES]
    if quotes:
        parts.append("Said:\n" + "\n".join(f"> {' '.join(r.comment.split())}" for r in quotes))
    lines = []
    for r in finding.evidence[:40]:
        who = ", ".join(x for x in (f"user {r.source.user}" if r.source.user else "",
                                    f"session {r.session_id}" if r.session_id else "",
                                    f"run {r.run_id}" if r.run_id else "") if x)
        lines.append(f"- {r.id} {r.signal} {r.score:+g} ({who or 'no session'}, {r.created})")
    if len(finding.evidence) > 40:
        lines.append(f"- … and {len(finding.evidence) - 40} more")
    parts.append("Signals:\n" + "\n".join(lines))
    return "\n\n".join(parts)


def improve_quietly(machine: Any) -> None:
    """One background run for ``LearningMachine(self_improvement=...)``: logged, never raised."""
    try:
        report = Improver.for_machine(machine).run(propose=True)
    except Exception:
        log.exception("self-improvement failed; the next run will try again")
        return
    for item in report.proposed:
        log.info("self-improvement proposed %s", item.proposal_id)
