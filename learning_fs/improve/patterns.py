"""The rule layer of self-improvement: count patterns in the feedback, deterministically.

Three patterns, each counted on the normalised words of the signals (``about``) and on the ids
their runs had in context, never by a model, so the same feedback always gives the same findings:

- **repeated corrections of the same kind** with no rule for them → *add* an instruction;
- corrections asking for what an existing rule already says, made while that rule was in the
  prompt (the rule is not followed) → *reword* it; corrections about the same thing asking for
  something else while it was in the prompt → *retire* it;
- a learning that keeps appearing in the context of failed runs → *demote* it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from learning_fs.curate.credit import Credit, failing, is_demoted_record
from learning_fs.format.items import Item
from learning_fs.format.records import FeedbackRecord, LearningRecord
from learning_fs.improve.schedule import SelfImprovementConfig
from learning_fs.stores.signals import keywords, rule_text, similarity, wish_phrase

Action = Literal["add", "reword", "retire", "demote"]
RELATED = 0.2  # word overlap at which a correction is about the same thing as a rule at all
COVERED = 0.8  # share of a correction's words a rule already holds for the rule to say the same


def covered(wish: str, rule: str) -> float:
    """How much of ``wish`` the rule already says (1.0: every content word of the wish is in it)."""
    words = keywords(wish)
    return len(words & keywords(rule)) / len(words) if words else 0.0


@dataclass
class Finding:
    """One proposed change and the feedback that justifies it."""

    action: Action
    key: str  # what it is about, in normalised words (or the target's id): names the proposal
    text: str  # the rule as the rule layer words it (add, reword); empty for retire and demote
    reason: str
    evidence: list[FeedbackRecord] = field(default_factory=list)
    target: str | None = None  # the rule's or the learning's id
    target_text: str = ""  # the rule's current text, the learning's title

    def users(self) -> set[str]:
        return distinct_people(self.evidence)


def distinct_people(records: Sequence[FeedbackRecord]) -> set[str]:
    """Who gave the signals (their user id; the session for anonymous ones)."""
    return {r.source.user or r.session_id or r.id for r in records}


def corrections(feedback: Sequence[FeedbackRecord]) -> list[FeedbackRecord]:
    """Negative signals that say what was wanted: corrections, and negative ratings with a comment."""
    return [r for r in feedback if r.negative and r.about and r.signal in ("correction", "rating")]


def clusters(records: Sequence[FeedbackRecord], threshold: float) -> list[tuple[str, list[FeedbackRecord]]]:
    """Group corrections by what they ask for (greedy, oldest first: the first wording names the group)."""
    groups: list[tuple[str, list[FeedbackRecord]]] = []
    for record in records:
        about = record.about or ""
        best = max(groups, key=lambda g: similarity(g[0], about), default=None)
        if best is not None and similarity(best[0], about) >= threshold:
            best[1].append(record)
        else:
            groups.append((about, [record]))
    return groups


def wording(records: Sequence[FeedbackRecord], key: str) -> str:
    """The rule in the users' own words: their most common phrasing of the wish."""
    phrases = Counter(p for p in (wish_phrase(r.comment) for r in records if r.comment) if p)
    phrase = phrases.most_common(1)[0][0] if phrases else key
    return rule_text(phrase)


def find(feedback: Sequence[FeedbackRecord], rules: Sequence[Item], learnings: Sequence[LearningRecord],
         credits: dict[str, Credit], config: SelfImprovementConfig) -> list[Finding]:
    """Every pattern the feedback shows (before checking what was proposed or rejected already)."""
    found: list[Finding] = []
    active = [rule for rule in rules if rule.active and rule.text]
    retiring: set[str] = set()
    for key, group in clusters(corrections(feedback), config.similarity):
        rule = max(active, key=lambda r: similarity(r.text, key), default=None)
        score = similarity(rule.text, key) if rule is not None else 0.0
        if rule is None or score < RELATED:
            if len(group) >= config.min_corrections and len(distinct_people(group)) >= config.min_users:
                n = len(group)
                found.append(Finding("add", key, wording(group, key), f"corrected {n} time(s) by "
                                     f"{len(distinct_people(group))} user(s) asking to {key!r}; no rule says so",
                                     group))
            continue
        seen = [r for r in group if rule.id in r.in_context]
        enough = len(seen) >= config.min_corrections and len(distinct_people(seen)) >= config.min_users
        if covered(key, rule.text) >= COVERED:  # they ask for what the rule already says
            new = wording(seen, key).rstrip(".") + " — in every answer, without exception."
            if enough and config.reword_rules and new != rule.text:
                found.append(Finding("reword", rule.id, new, f"corrected {len(seen)} time(s) while the rule "
                                     f"{rule.id} was in the prompt: it is not followed", seen, rule.id, rule.text))
        elif enough and config.retire_rules and rule.id not in retiring:
            rated = credits.get(rule.id)
            ratio = len(seen) / (len(seen) + (rated.succeeded if rated else 0))
            if ratio >= config.failure_ratio:
                retiring.add(rule.id)
                found.append(Finding("retire", rule.id, "", f"corrected {len(seen)} time(s) while the rule "
                                     f"{rule.id} was in the prompt, asking for {key!r} instead", seen, rule.id,
                                     rule.text))
            if len(group) >= config.min_corrections and len(distinct_people(group)) >= config.min_users:
                found.append(Finding("add", key, wording(group, key), f"corrected {len(group)} time(s) asking "
                                     f"to {key!r}", group))
    if config.demote_learnings:
        by_id = {r.id: r for r in feedback}
        for learning in learnings:
            credit = credits.get(learning.id)
            if learning.status != "active" or is_demoted_record(learning) or credit is None:
                continue
            if failing(credit, config.min_failures, config.failure_ratio):
                evidence = [by_id[i] for i in credit.failures if i in by_id]
                found.append(Finding("demote", learning.id, "", f'the learning "{learning.title_text()}" was '
                                     f"{credit.describe()}", evidence, learning.id, learning.title_text()))
    return found
