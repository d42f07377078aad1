"""Decision log: what the agent decided, why, what else it considered, and how it turned out.

One file per decision (``decisions/<namespace>/<shard>/<slug>.md``). ``log_decision`` records
the choice with its reasoning, alternatives and confidence; ``record_outcome`` closes the loop
later, so recall can show the agent its past decisions on similar matters *with* their results
(a decision that went badly is as useful as one that went well).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from learning_fs.context import estimate_tokens
from learning_fs.errors import LearningFSError, RecordParseError
from learning_fs.format.layout import FOLDERS, namespace_segment
from learning_fs.format.records import DecisionRecord
from learning_fs.format.slugs import slugify
from learning_fs.ops.edits import put_outcome
from learning_fs.ops.records import add_decision
from learning_fs.search import Searcher, SearchHit
from learning_fs.stores.base import BaseStore, cached_user_folder, one_line, store_tool, tool_reply, transcript
from learning_fs.stores.protocol import LearningMode, StoreConfig
from learning_fs.stores.selection import Candidate, Excerpt, select

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

Quality = Literal["good", "bad", "mixed", "unknown"]


@dataclass(kw_only=True)
class DecisionLogConfig(StoreConfig):
    """Options of the decision log (AGENTIC by default: the agent logs with a tool)."""

    mode: LearningMode = LearningMode.AGENTIC
    recall_limit: int = 5  # at most this many decisions in the context, budget permitting
    context_budget: int = 500
    agent_can_save: bool = True  # Agno: False keeps log_decision and record_outcome from the agent
    agent_can_search: bool = True  # Agno: False keeps search_decisions from the agent

    def build(self, repo: MemoryRepo | None = None) -> DecisionLogStore:
        return DecisionLogStore(self, repo)


class DecisionLogStore(BaseStore):
    """Decisions with reasoning and outcomes, recalled when a similar choice comes up."""

    learning_type = "decision_log"
    config: DecisionLogConfig
    AGENT_AUTHORED = True  # the agent's own conclusions: its words beside the call count as support

    def __init__(self, config: DecisionLogConfig | None = None, repo: MemoryRepo | None = None) -> None:
        super().__init__(config or DecisionLogConfig(), repo)

    # -- recall and context -------------------------------------------------------------------
    def recall(self, user_id: str | None = None, message: str | None = None, namespace: str | None = None,
               searcher: Searcher | None = None, repo: MemoryRepo | None = None,
               budget: int | None = None) -> list[DecisionRecord | Excerpt]:
        """Decisions relevant to ``message`` that fit the budget, most recent first (read-only objects).

        The most relevant ``2 x recall_limit`` are fitted to ``budget`` tokens (default
        ``context_budget``) by relevance — skipping what does not fit, excerpting long
        reasoning — and shown newest first.
        """
        if not message:
            return []
        hits = self._hits(message, self.config.recall_limit * 2, user_id, namespace, searcher, repo)
        room = self.config.context_budget if budget is None else budget
        candidates = (Candidate(d, _cost(d), d.reasoning, _cost(d) - estimate_tokens(d.reasoning) + _pointer(d))
                      for d, _ in self.records_of(hits, DecisionRecord, user_id, repo))  # read as selected

        def cut(candidate: Candidate[DecisionRecord], passage: str) -> Excerpt:
            decision = candidate.value
            return Excerpt(decision, "reasoning", passage, decision.path or decision.id,
                           estimate_tokens(decision.reasoning))

        chosen = select(candidates, room, message, limit=self.config.recall_limit, excerpt=cut, count=len(hits))
        return sorted(chosen, key=lambda d: d.created, reverse=True)

    def build_context(self, data: list[DecisionRecord | Excerpt]) -> str:
        # recall fitted the decisions to its budget (maybe more than context_budget): no second trim
        return self.renderer.render(f"{self.learning_type}.jinja", decisions=data) if data else ""

    def search(self, query: str, limit: int, user_id: str | None = None, namespace: str | None = None,
               searcher: Searcher | None = None, repo: MemoryRepo | None = None) -> list[DecisionRecord]:
        hits = self._hits(query, limit, user_id, namespace, searcher, repo)
        return [record for record, _ in self.records_of(hits, DecisionRecord, user_id, repo)]

    def _hits(self, query: str, limit: int, user_id: str | None, namespace: str | None,
              searcher: Searcher | None, repo: MemoryRepo | None) -> list[SearchHit]:
        space = self.namespace_for(namespace)
        if space == "user" and not user_id:
            return []
        return self.searcher_for(searcher, repo).search(query, kind="decision", namespace=space, user=user_id,
                                                        limit=limit)

    def find_path(self, decision_id: str, space: str, user_id: str | None, repo: MemoryRepo | None) -> str | None:
        """Where the decision with this id lives in the namespace (a scan of one folder's files)."""
        owner = self.owner(space, user_id)
        shared = f"{FOLDERS['decision']}/{namespace_segment(space)}"
        folder = f"{cached_user_folder(owner)}/decisions" if owner else shared
        root = self._repo(repo).root
        for dirpath, _, filenames in os.walk(root / folder):
            for name in filenames:
                if name.endswith(".md"):
                    path = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                    try:
                        record = self._repo(repo).read(path, copy=False)
                    except RecordParseError:
                        continue
                    if record.id == decision_id:
                        return path
        return None

    # -- tools --------------------------------------------------------------------------------
    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return self.write_tools(**ctx) if self.agent_writes else [self._search_tool(**ctx)]

    def _search_tool(self, *, user_id: str | None = None, namespace: str | None = None,
                     searcher: Searcher | None = None, repo: MemoryRepo | None = None, **_: Any) -> Callable[..., str]:
        store = self

        @store_tool
        def search_decisions(query: str, limit: int = 5, decision_type: str | None = None,
                             days: int | None = None) -> str:
            """Search decisions made earlier, with their reasoning and outcomes.

            Args:
                query: What the decision was about.
                limit: The most decisions to return.
                decision_type: Only decisions of this type (tool_selection, response_style, …).
                days: Only decisions made in the last N days.
            """
            wanted = max(1, min(limit, 20))
            kind = slugify(decision_type) if decision_type and decision_type.strip() else None
            found = [record for record in store.search(query, wanted * 3, user_id, namespace, searcher, repo)
                     if (kind is None or kind in record.tags) and (days is None or _recent(record, days))]
            return "\n".join(describe(record) for record in found[:wanted]) or "No matching decisions."

        return search_decisions

    def write_tools(self, *, user_id: str | None = None, writer: Any = None, namespace: str | None = None,
                    **ctx: Any) -> list[Callable[..., str]]:
        store = self
        space = self.namespace_for(namespace)

        @store_tool
        def log_decision(decision: str, reasoning: str, alternatives: list[str] | None = None,
                         confidence: float | None = None, decision_type: str | None = None) -> str:
            """Record a significant decision you made, so its outcome can be judged and learned from.

            Args:
                decision: What was decided, in one sentence.
                reasoning: Why this option was chosen.
                alternatives: The other options that were considered.
                confidence: How sure you are, from 0.0 to 1.0.
                decision_type: Its category, e.g. tool_selection, response_style, clarification.
            """
            active = store.require_writer(writer)
            text = decision.strip()
            if not text:
                return "Error: the decision is empty."
            store.owner(space, user_id)  # a private namespace needs a user: say so as the tools do
            with active.transaction(one_line(f"Decide: {text}")) as tx:
                try:  # the rules of learning-fs add decision
                    record = add_decision(tx, one_line(text, 60), text, active.evidence(), reasoning=reasoning,
                                          alternatives=alternatives, confidence=confidence, namespace=space,
                                          tags=[slugify(decision_type)] if decision_type and decision_type.strip()
                                          else [])
                except LearningFSError as exc:
                    return f"Error: {exc}."
            result = tx.result
            return tool_reply(active, result, f"Logged decision {record.id}.", f"the decision {record.id}")

        @store_tool
        @self.serialised(ctx.get("repo"))
        def record_outcome(decision_id: str, outcome: str, quality: Quality = "unknown") -> str:
            """Record how an earlier decision turned out.

            Args:
                decision_id: The decision's id, e.g. "dec-0a1b2c3d4e" (search_decisions shows ids).
                outcome: What happened as a result.
                quality: Whether it turned out good, bad, mixed or unknown.
            """
            active = store.require_writer(writer)
            path = store.find_path(decision_id.strip(), space, user_id, ctx.get("repo"))
            record = active.read(path) if path else None
            if not isinstance(record, DecisionRecord):
                return f"Error: no decision with id {decision_id!r}."
            try:
                changed = put_outcome(record, outcome, quality)
            except LearningFSError as exc:
                return f"Error: {exc}."
            result = (active.save([record], summary=one_line(f"Outcome ({quality}) of: {record.title_text()}"))
                      if changed else None)
            return tool_reply(active, result, f"Recorded the outcome of {record.id} ({quality}).",
                              f"the outcome of {record.id} ({quality})")

        tools = [self._search_tool(user_id=user_id, namespace=namespace, **ctx), log_decision, record_outcome]
        return tools

    def prompt_data(self, messages: list[dict[str, Any]], *, user_id: str | None = None,
                    namespace: str | None = None, searcher: Searcher | None = None,
                    repo: MemoryRepo | None = None, **_: Any) -> dict[str, Any]:
        related = self.search(transcript(messages, 2000), 5, user_id, namespace, searcher, repo)
        return {"related": [describe(record) for record in related]}


def _recent(record: DecisionRecord, days: int) -> bool:
    """Whether the decision was made in the last ``days`` days (an unreadable date counts as recent)."""
    try:
        made = dt.datetime.fromisoformat(str(record.created).replace("Z", "+00:00"))
    except ValueError:
        return True
    if made.tzinfo is None:
        made = made.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc) - made <= dt.timedelta(days=days)


def describe(record: DecisionRecord) -> str:
    """One line per decision, as the model reads it in search results and prompts."""
    why = f" because {one_line(record.reasoning, 200)}" if record.reasoning else ""
    outcome = f" → {record.outcome_quality or 'unrated'}: {one_line(record.outcome, 200)}" if record.outcome else ""
    return f"- [{record.id}] {one_line(record.decision, 200)}{why}{outcome}"


def _cost(record: DecisionRecord) -> int:
    """Tokens of the decision's lines in the context block (id, decision, reasoning, outcome)."""
    outcome = len(record.outcome) + 30 if record.outcome else 0
    return -(-(len(record.id) + len(record.decision) + len(record.reasoning) + outcome + 20) // 4)


def _pointer(record: DecisionRecord) -> int:
    """Tokens of the pointer an excerpt adds."""
    return estimate_tokens(f" (excerpt; whole decision: {record.path or record.id})") + 1
