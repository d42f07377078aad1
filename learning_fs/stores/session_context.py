"""Session context: what this session is about and where it stands (summary, goal, plan, progress).

One file per session (``users/<shard>/<user>/sessions/<session>.md``). Each update builds on the
previous one, which the extractor sees in its prompt, so the summary stays whole even when the
chat history sent to the model is truncated. With ``enable_planning`` the store also tracks a
goal, a plan of steps (ticked off as they are done) and a progress log.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learning_fs.errors import RecordParseError
from learning_fs.format.layout import SESSIONS_FOLDER
from learning_fs.format.records import SessionRecord
from learning_fs.format.slugs import safe_segment, shard_of
from learning_fs.ops.edits import put_session
from learning_fs.stores.base import BaseStore, cached_user_folder, one_line, store_tool
from learning_fs.stores.protocol import LearningMode, StoreConfig

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo


@dataclass(kw_only=True)
class SessionContextConfig(StoreConfig):
    """Options of the session context store; ``enable_planning`` adds goal, plan and progress."""

    enable_planning: bool = False
    context_budget: int = 500
    # Agno's switches, accepted: the session has one update tool (enable_update_context=False removes it).
    enable_add_context: bool = True
    enable_update_context: bool = True
    enable_delete_context: bool = True
    enable_clear_context: bool = False

    def build(self, repo: MemoryRepo | None = None) -> SessionContextStore:
        return SessionContextStore(self, repo)


class SessionContextStore(BaseStore):
    """The running state of one conversation session."""

    learning_type = "session_context"
    SUPPORTED_MODES = frozenset({LearningMode.ALWAYS, LearningMode.AGENTIC})

    def __init__(self, config: SessionContextConfig | None = None, repo: MemoryRepo | None = None) -> None:
        super().__init__(config or SessionContextConfig(), repo)
        self.planning = bool(getattr(self.config, "enable_planning", False))

    @staticmethod
    @functools.lru_cache(maxsize=65_536)
    def path(session_id: str, user_id: str | None) -> str:
        """Where the session's file lives (memoised: recall computes it on every turn)."""
        name = safe_segment(session_id)
        if user_id:
            return f"{cached_user_folder(user_id)}/sessions/{name}.md"
        return f"{SESSIONS_FOLDER}/{shard_of(name)}/{name}.md"

    # -- recall and context -------------------------------------------------------------------
    def recall(self, user_id: str | None = None, session_id: str | None = None,
               repo: MemoryRepo | None = None) -> SessionRecord | None:
        """The session's record (shared cached object: read-only), or None."""
        if not session_id:
            return None
        try:
            record = self._repo(repo).get(self.path(session_id, user_id), copy=False)
        except RecordParseError:
            return None
        if not isinstance(record, SessionRecord) or record.user != (user_id or None):
            return None
        return record

    def build_context(self, data: SessionRecord | None) -> str:
        if data is None or not (data.summary or data.goal or data.plan or data.progress):
            return ""
        return self.render(session=data, planning=self.planning)

    # -- tools --------------------------------------------------------------------------------
    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return self.write_tools(**ctx) if self.agent_writes else []

    def write_tools(self, *, user_id: str | None = None, session_id: str | None = None, writer: Any = None,
                    repo: MemoryRepo | None = None, **_: Any) -> list[Callable[..., str]]:
        store = self

        @self.serialised(repo)
        def update(summary: str | None, goal: str | None = None, plan: list[str] | None = None,
                   completed_steps: list[int] | None = None, progress: list[str] | None = None) -> str:
            if not session_id:
                return "Error: no session to update (no session_id)."
            active = store.require_writer(writer)
            with active.transaction(f"Update session {session_id}") as tx:
                _, changed = put_session(tx, user_id, session_id, active.evidence(), summary=summary, goal=goal,
                                         plan=plan, completed_steps=completed_steps or [], progress=progress or [])
                tx.summary = one_line(f"Update session {session_id}: " + ", ".join(changed))
            if not changed:
                return "Session context unchanged."
            return "Updated session context: " + ", ".join(changed) + "."

        @store_tool
        def update_session_context(summary: str) -> str:
            """Replace the session summary with one that covers the whole session so far.

            Args:
                summary: What this session is about and what happened so far, self-contained
                    (it replaces the previous summary, so keep what still matters from it).
            """
            return update(summary)

        @store_tool
        def update_session_context_with_plan(summary: str | None = None, goal: str | None = None,
                                             plan: list[str] | None = None, completed_steps: list[int] | None = None,
                                             progress: list[str] | None = None) -> str:
            """Update the session's summary, goal, plan and progress; pass only what changed.

            Args:
                summary: What this session is about and what happened so far, self-contained
                    (it replaces the previous summary, so keep what still matters from it).
                goal: What the user wants to achieve in this session.
                plan: The plan as an ordered list of steps (replaces the previous plan;
                    unchanged steps keep their done state).
                completed_steps: Numbers (1-based) of plan steps that are now done.
                progress: New milestones reached in this turn, one short line each.
            """
            return update(summary, goal, plan, completed_steps, progress)

        if self.planning:
            update_session_context_with_plan.__name__ = "update_session_context"
            return [update_session_context_with_plan]
        return [update_session_context]

    def prompt_data(self, messages: list[dict[str, Any]], *, user_id: str | None = None,
                    session_id: str | None = None, repo: MemoryRepo | None = None, **_: Any) -> dict[str, Any]:
        previous = self.recall(user_id=user_id, session_id=session_id, repo=repo)
        return {"previous": self.build_context(previous), "planning": self.planning}

