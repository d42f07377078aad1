"""Learned knowledge: insights the agent gained that will help it with *other* users and tasks.

One file per learning (``learnings/<namespace>/<shard>/<title-slug>.md``). The agent searches
them before answering (recall puts the best matches for the message in the context) and saves
new ones with ``save_learning``. Most conversations teach nothing: the extraction prompt says
so, asks for specific, actionable, generalizable insights only, shows the existing learnings
closest to the turn so the model updates one instead of saving a near-duplicate, and lists
examples people rejected before (``rejected_examples``; filled by the review workflow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learning_fs.context import estimate_tokens
from learning_fs.errors import LearningFSError
from learning_fs.format.records import LearningRecord
from learning_fs.ops.records import put_learning
from learning_fs.search import Searcher, SearchHit
from learning_fs.stores.base import BaseStore, one_line, store_tool, tool_reply, transcript
from learning_fs.stores.protocol import LearningMode, StoreConfig
from learning_fs.stores.selection import Candidate, Excerpt, select

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo


@dataclass(kw_only=True)
class LearnedKnowledgeConfig(StoreConfig):
    """Options of the learned knowledge store (AGENTIC by default: the agent saves with a tool)."""

    mode: LearningMode = LearningMode.AGENTIC
    recall_limit: int = 10  # at most this many learnings in the context, budget permitting
    rejected_examples: list[str] = field(default_factory=list)  # shown to the extractor as what not to save
    context_budget: int = 600
    # Agno's vector store for learnings; here "index", "lexical" or a Searcher (the machine's search backend).
    knowledge: Any = None
    agent_can_save: bool = True  # Agno: False keeps save_learning from the agent
    agent_can_search: bool = True  # Agno: False keeps search_learnings from the agent

    def build(self, repo: MemoryRepo | None = None) -> LearnedKnowledgeStore:
        return LearnedKnowledgeStore(self, repo)


class LearnedKnowledgeStore(BaseStore):
    """Reusable insights, searched before answering."""

    learning_type = "learned_knowledge"
    config: LearnedKnowledgeConfig
    AGENT_AUTHORED = True  # the agent's own conclusions: its words beside the call count as support

    def __init__(self, config: LearnedKnowledgeConfig | None = None, repo: MemoryRepo | None = None) -> None:
        super().__init__(config or LearnedKnowledgeConfig(), repo)

    # -- recall and context -------------------------------------------------------------------
    def recall(self, user_id: str | None = None, message: str | None = None, namespace: str | None = None,
               searcher: Searcher | None = None, repo: MemoryRepo | None = None,
               budget: int | None = None) -> list[LearningRecord | Excerpt]:
        """The learnings that best match ``message`` and fit the budget (shared cached objects: read-only).

        Up to ``recall_limit``, best first, within ``budget`` tokens (default ``context_budget``;
        the machine grants more when it has room): one that does not fit is skipped, one longer
        than its share is shown by its best-matching passage (an ``Excerpt`` naming its file).
        """
        if not message:
            return []
        hits = self._hits(message, self.config.recall_limit * 2 + 2, user_id, namespace, searcher, repo)
        room = self.config.context_budget if budget is None else budget
        candidates = (Candidate(record, _cost(record), record.learning,  # files read as they are selected
                                _cost(record) - estimate_tokens(record.learning) + _pointer(record), hit.snippet)
                      for record, hit in self.records_of(hits, LearningRecord, user_id, repo)
                      if not demoted(record))  # demoted by feedback: out of the context

        def cut(candidate: Candidate[LearningRecord], passage: str) -> Excerpt:
            record = candidate.value
            return Excerpt(record, "learning", passage, record.path or record.id, estimate_tokens(record.learning))

        return select(candidates, room, message, limit=self.config.recall_limit, excerpt=cut, count=len(hits))

    def build_context(self, data: list[LearningRecord | Excerpt]) -> str:
        # recall fitted the learnings to its budget (maybe more than context_budget): no second trim
        return self.renderer.render(f"{self.learning_type}.jinja", learnings=data) if data else ""

    def search(self, query: str, limit: int, user_id: str | None = None, namespace: str | None = None,
               searcher: Searcher | None = None, repo: MemoryRepo | None = None) -> list[LearningRecord]:
        hits = self._hits(query, limit, user_id, namespace, searcher, repo)
        return [record for record, _ in self.records_of(hits, LearningRecord, user_id, repo)]

    def _hits(self, query: str, limit: int, user_id: str | None, namespace: str | None,
              searcher: Searcher | None, repo: MemoryRepo | None) -> list[SearchHit]:
        """The best ``limit`` learning hits, best first (their files are read by the caller)."""
        space = self.namespace_for(namespace)
        if space == "user" and not user_id:
            return []
        return self.searcher_for(searcher, repo).search(query, kind="learning", namespace=space, user=user_id,
                                                        limit=limit)

    # -- tools --------------------------------------------------------------------------------
    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return self.write_tools(**ctx) if self.agent_writes else [self._search_tool(**ctx)]

    def _search_tool(self, *, user_id: str | None = None, namespace: str | None = None,
                     searcher: Searcher | None = None, repo: MemoryRepo | None = None, **_: Any) -> Callable[..., str]:
        store = self

        @store_tool
        def search_learnings(query: str, limit: int = 5) -> str:
            """Search what you learned in earlier conversations; do this before answering or saving.

            Args:
                query: What the task or question is about.
                limit: The most learnings to return.
            """
            found = store.search(query, max(1, min(limit, 20)), user_id, namespace, searcher, repo)
            return "\n".join(describe(record) for record in found) or "No matching learnings."

        return search_learnings

    def write_tools(self, *, user_id: str | None = None, writer: Any = None, namespace: str | None = None,
                    **ctx: Any) -> list[Callable[..., str]]:
        store = self
        space = self.namespace_for(namespace)

        @store_tool
        @self.serialised(ctx.get("repo"))
        def save_learning(title: str, learning: str, context: str | None = None,
                          tags: list[str] | None = None) -> str:
            """Save a reusable insight: specific, actionable, and useful beyond this conversation.

            Search first; saving a learning with the title of an existing one updates it.

            Args:
                title: A short name for the insight, e.g. "Use uv for Python installs".
                learning: The insight itself, stated so it can be applied without this conversation.
                context: When it applies (situation, constraints).
                tags: A few keywords.
            """
            active = store.require_writer(writer)
            title, text = " ".join(title.split()), learning.strip()
            if not title or not text:
                return "Error: a learning needs a title and a text."
            store.owner(space, user_id)  # a private namespace needs a user: say so as the tools do
            with active.transaction(one_line(f"Learn: {title}")) as tx:  # the lock: from the read to the commit
                try:
                    record, same = put_learning(tx, title, text, active.evidence(), namespace=space, tags=tags,
                                                context=context)
                except LearningFSError as exc:
                    return f"Error: {exc}."
                if same:
                    tx.summary = one_line(f"Update: {title}")
            result = tx.result
            change = f"{'an update of ' if same else ''}learning {record.id}: {title}"
            return tool_reply(active, result, f"{'Updated' if same else 'Saved'} learning {record.id}: {title}", change)

        return [self._search_tool(user_id=user_id, namespace=namespace, **ctx), save_learning]

    def prompt_data(self, messages: list[dict[str, Any]], *, user_id: str | None = None,
                    namespace: str | None = None, searcher: Searcher | None = None,
                    repo: MemoryRepo | None = None, **_: Any) -> dict[str, Any]:
        existing = self.search(transcript(messages, 2000), 5, user_id, namespace, searcher, repo)
        from learning_fs.ops.rejections import rejected_examples  # reads reviews/rejected/ (no model, no git)

        rejected = [*self.config.rejected_examples, *rejected_examples(repo or self.repo, "learning")]
        return {"existing": [describe(record) for record in existing], "rejected_examples": rejected}


def demoted(record: LearningRecord) -> bool:
    """``demoted: true`` in the frontmatter: kept out of the context (search still finds it)."""
    value = record.extra.get("demoted")
    return value is True or str(value).casefold() in ("true", "yes", "1")


def describe(record: LearningRecord) -> str:
    """One line per learning, as the model reads it in search results and prompts."""
    when = f" (when: {one_line(record.context, 160)})" if record.context else ""
    return f"- [{record.id}] {record.title}: {one_line(record.learning, 400)}{when}"


def _cost(record: LearningRecord) -> int:
    """Tokens of the learning's line in the context block ("- title: text (when: context)")."""
    when = len(record.context) + 9 if record.context else 0
    return -(-(len(record.title) + len(record.learning) + when + 6) // 4)


def _pointer(record: LearningRecord) -> int:
    """Tokens of the pointer an excerpt adds ("(excerpt; whole learning: <path>)")."""
    return estimate_tokens(f" (excerpt; whole learning: {record.path or record.id})") + 1
