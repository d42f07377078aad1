"""User memory: observations about a user ("prefers short answers", "is moving to Berlin").

One file per user (``users/<shard>/<user>/memories.md``), one observation per line, each with an
id so the model can update or delete it. Recall does not dump them all into the prompt: it ranks
the live ones by relevance to the message — by meaning through the semantic index when the
machine has one (``searcher``), else by BM25 over cached tokens; recency breaks ties and fills
the rest — and fills the token budget in that order, skipping what does not fit and showing a
memory longer than its share by its best-matching passage (``stores/selection.py``).
Superseded and expired lines stay in the file for history and never reach the prompt; lines the
curator demoted (``demoted=true``, to keep the always-loaded context within its budget) reach it
only when the message shares words with them.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learning_fs.context import estimate_tokens
from learning_fs.errors import RecordNotFoundError, RecordParseError
from learning_fs.format.items import Item
from learning_fs.format.records import USER_NAMESPACE, MemoriesRecord, now
from learning_fs.ops.edits import edit_memory, forget_memory
from learning_fs.ops.records import add_memory as remember
from learning_fs.search.lexical import LexicalSearcher
from learning_fs.search.protocol import Searcher
from learning_fs.search.scoring import bm25_scores, tokenize
from learning_fs.stores.base import BaseStore, cached_user_folder, one_line, store_tool, tool_reply, transcript
from learning_fs.stores.protocol import StoreConfig
from learning_fs.stores.selection import MIN_PIECE, Candidate, Excerpt, select, share_of

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

PROMPT_MEMORIES = 50  # existing memories shown to the extractor (the most relevant to the turn)


@dataclass(kw_only=True)
class UserMemoryConfig(StoreConfig):
    """Options of the user memory store."""

    max_memories: int = 20  # at most this many memories in the context, budget permitting
    context_budget: int = 500
    # Agno's switches: each takes one write tool away (agent and extraction); agent_can_* the agent's only.
    enable_add_memory: bool = True
    enable_update_memory: bool = True
    enable_delete_memory: bool = True
    enable_clear_memories: bool = False  # accepted; there is no clear tool (delete memories one by one)
    agent_can_update_memories: bool = True

    def build(self, repo: MemoryRepo | None = None) -> UserMemoryStore:
        return UserMemoryStore(self, repo)


def _all_fit(texts: list[str], budget: int | None, limit: int) -> bool:
    """Whether :func:`~learning_fs.stores.selection.select` would take every one of ``texts`` whole,
    in any order: no more than ``limit``, each within its share, all within ``budget``."""
    if len(texts) > limit:
        return False
    if budget is None:
        return True
    costs = [estimate_tokens(text) + 2 for text in texts]
    return max(costs, default=0) <= share_of(budget, len(costs)) and sum(costs) + MIN_PIECE <= budget


class UserMemoryStore(BaseStore):
    """Unstructured, long-lived observations about one user."""

    learning_type = "user_memory"
    config: UserMemoryConfig

    def __init__(self, config: UserMemoryConfig | None = None, repo: MemoryRepo | None = None) -> None:
        super().__init__(config or UserMemoryConfig(), repo)
        self._terms: dict[str, tuple[MemoriesRecord, list[Counter[str]], list[int]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def path(user_id: str) -> str:
        return f"{cached_user_folder(user_id)}/memories.md"

    # -- recall and context -------------------------------------------------------------------
    def recall(self, user_id: str | None = None, message: str | None = None,
               repo: MemoryRepo | None = None, searcher: Searcher | None = None,
               budget: int | None = None) -> list[Item | Excerpt]:
        """The live memories most relevant to ``message`` that fit the budget, best first.

        ``budget`` (tokens) is what the machine grants this turn (default ``context_budget``). A
        memory that does not fit is skipped, not a reason to stop; one longer than its share of
        the budget comes as an :class:`~learning_fs.stores.selection.Excerpt`: its passage that
        best matches the message, pointing at the memory.
        """
        record = self._record(user_id, repo)
        if record is None:
            return []
        room = self.config.context_budget if budget is None else budget
        return self._select(record, message, room, self.config.max_memories, searcher)

    def build_context(self, data: list[Item | Excerpt]) -> str:
        # recall already fitted the memories to the budget it was given (which may be more than
        # this store's own when the machine has room to spare): no second trim here.
        return self.renderer.render(f"{self.learning_type}.jinja", memories=data) if data else ""

    def _record(self, user_id: str | None, repo: MemoryRepo | None) -> MemoriesRecord | None:
        if not user_id:
            return None
        try:
            record = self._repo(repo).get(self.path(user_id), copy=False)
        except RecordParseError:
            return None
        return record if isinstance(record, MemoriesRecord) and record.user == user_id else None

    def _select(self, record: MemoriesRecord, message: str | None, budget: int | None, limit: int,
                searcher: Searcher | None = None) -> list[Item | Excerpt]:
        stamp = now() if any(item.expires for item in record.memories) else ""
        live = [i for i, item in enumerate(record.memories)
                if item.active and not (item.expires and str(item.expires) <= stamp)]
        order = sorted(live, key=lambda i: -i)  # newest (appended last) first
        anchors: dict[int, str] = {}
        if message and tokenize(message):
            # When every live memory fits whole, no ranking can change which ones the context
            # holds, only their order: words then recency order them, and the index is not asked
            # (a user's few memories, the common case, then cost no search at all).
            fits = _all_fit([record.memories[i].text for i in live], budget, limit)
            ranked = None if fits else self._by_meaning(record, message, live, limit, searcher, anchors)
            if ranked is not None:
                placed = set(ranked)
                order = ranked + [i for i in order if i not in placed]  # then by recency
            else:
                score_of = self._word_scores(record, message, live)
                order.sort(key=lambda i: -score_of[i])  # stable: recency breaks ties
        if any(record.memories[i].extra.get("demoted") == "true" for i in live):
            # The curator demoted these out of the always-loaded context: recalled only when the message shares
            # words with them. (A semantic ranking orders every memory, near or not, so it cannot say which.)
            score_of = self._word_scores(record, message, live) if message else {}
            order = [i for i in order if record.memories[i].extra.get("demoted") != "true" or score_of.get(i, 0) > 0]
        if budget is None:
            return [record.memories[i] for i in order[:limit]]
        pointer = estimate_tokens(f" (excerpt of {record.path}#m-0000000000)") + 1
        candidates = [Candidate(record.memories[i], estimate_tokens(record.memories[i].text) + 2,
                                record.memories[i].text, pointer + 2, anchors.get(i))
                      for i in order[: max(limit * 3, limit + 20)]]  # skipped ones make room for later ones

        def cut(candidate: Candidate[Item], passage: str) -> Excerpt:
            item = candidate.value
            return Excerpt(item, "text", passage, f"{record.path}#{item.id}", estimate_tokens(item.text))

        return select(candidates, budget, message, limit=limit, excerpt=cut)

    def _word_scores(self, record: MemoriesRecord, message: str, live: list[int]) -> dict[int, float]:
        """BM25 of each live memory against ``message`` (0: no word in common)."""
        terms, lengths = self._tokens(record)
        scores = bm25_scores(tokenize(message), [terms[i] for i in live], [lengths[i] for i in live])
        return dict(zip(live, scores, strict=True))

    @staticmethod
    def _by_meaning(record: MemoriesRecord, message: str, live: list[int], limit: int,
                    searcher: Searcher | None, anchors: dict[int, str] | None = None) -> list[int] | None:
        """Live memories of this file in the semantic index's order; None to rank by words instead.

        The lexical searcher ranks whole files, which says nothing about lines within one, so only
        a searcher that returns one hit per memory (the semantic index) is used here.
        """
        if searcher is None or isinstance(searcher, LexicalSearcher) or not record.user:
            return None
        try:
            hits = searcher.search(message, kind="memories", namespace=USER_NAMESPACE, user=record.user,
                                   limit=max(2 * limit, 10))
        except Exception:  # a broken index must not cost the user their memories: rank by words
            log.warning("semantic memory ranking failed; ranking by words", exc_info=True)
            return None
        position = {record.memories[i].id: i for i in live}
        ranked: list[int] = []
        for hit in hits:
            index = position.get(hit.item_id or "")
            if hit.path == record.path and index is not None and index not in ranked:
                ranked.append(index)
                if anchors is not None and hit.snippet:
                    anchors[index] = hit.snippet  # the passage the index matched: excerpts start there
        return ranked

    def _tokens(self, record: MemoriesRecord) -> tuple[list[Counter[str]], list[int]]:
        """Token counts of every memory, computed once per parsed file (the repo caches by stat)."""
        key = record.path or record.id
        cached = self._terms.get(key)
        if cached is not None and cached[0] is record:
            return cached[1], cached[2]
        tokens = [tokenize(item.text) for item in record.memories]
        terms, lengths = [Counter(t) for t in tokens], [len(t) for t in tokens]
        with self._lock:
            self._terms[key] = (record, terms, lengths)
        return terms, lengths

    # -- tools --------------------------------------------------------------------------------
    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return self.write_tools(**ctx) if self.agent_writes else []

    def write_tools(self, *, user_id: str | None = None, session_id: str | None = None, writer: Any = None,
                    repo: MemoryRepo | None = None, **_: Any) -> list[Callable[..., str]]:
        store, locked = self, self.serialised(repo)

        def begin() -> tuple[Any, str]:
            """The writer and the user whose memories change (the rules are in learning_fs.ops)."""
            active = store.require_writer(writer)
            owner = store.owner("user", user_id)
            assert owner is not None
            return active, owner

        @store_tool
        @locked
        def add_memory(memory: str) -> str:
            """Remember an observation about the user that will matter in future conversations.

            Args:
                memory: One self-contained sentence about the user, e.g. "Prefers answers in German".
            """
            text = " ".join(memory.split())
            if not text:
                return "Error: the memory is empty."
            active, owner = begin()
            with active.transaction(one_line(f"Remember about {user_id}: {text}")) as tx:
                _, item = remember(tx, owner, text, active.evidence())
            if not tx.changes:
                return f"Already remembered ({item.id})."
            return tool_reply(active, tx.result, f"Remembered ({item.id}).", f"the memory {item.id}")

        @store_tool
        @locked
        def update_memory(memory_id: str, memory: str) -> str:
            """Correct or refine a memory about the user (keeps its id).

            Args:
                memory_id: The id of the memory to change, e.g. "m-0a1b2c3d4e".
                memory: The new text of the memory.
            """
            text = " ".join(memory.split())
            if not text:
                return "Error: the memory is empty; use delete_memory to remove it."
            active, owner = begin()
            with active.transaction(one_line(f"Update memory about {user_id}: {text}")) as tx:
                try:
                    _, change = edit_memory(tx, owner, memory_id, text, active.evidence())
                except RecordNotFoundError:
                    return f"Error: no memory with id {memory_id!r}."
            if not change.changed:
                return "Unchanged."
            item = change.item
            return tool_reply(active, tx.result, f"Updated ({item.id}).", f"an update of memory {item.id}")

        @store_tool
        @locked
        def delete_memory(memory_id: str) -> str:
            """Forget a memory about the user that is wrong or no longer true (git history keeps it).

            Args:
                memory_id: The id of the memory to delete.
            """
            active, owner = begin()
            with active.transaction(f"Forget about {user_id}") as tx:
                try:
                    _, item = forget_memory(tx, owner, memory_id, active.evidence())
                except RecordNotFoundError:
                    return f"Error: no memory with id {memory_id!r}."
                tx.summary = one_line(f"Forget about {user_id}: {item.text}")
            return tool_reply(active, tx.result, f"Deleted ({item.id}).", f"deleting memory {item.id}")

        return [add_memory, update_memory, delete_memory]

    def prompt_data(self, messages: list[dict[str, Any]], *, user_id: str | None = None,
                    repo: MemoryRepo | None = None, searcher: Searcher | None = None, **_: Any) -> dict[str, Any]:
        record = self._record(user_id, repo)
        existing = self._select(record, transcript(messages), None, PROMPT_MEMORIES, searcher) if record else []
        return {"memories": existing}
