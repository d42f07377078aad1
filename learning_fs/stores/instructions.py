"""Standing instructions: the agent's rules, one per line in ``agents/<agent>/instructions.md``.

Memories are about users, learnings about tasks; instructions are how *this agent* should behave,
for everyone. They live in one file per agent so a person reads and edits them like any memory
(a line typed by hand gets a stable id on the next rewrite), and so every change is a diff: the
self-improvement analyser proposes additions, rewordings and retirements on
``proposals/instructions/…`` branches, approving is a merge and undoing one is a revert. Recall
reads the working tree (cached by ``stat``), so the turn after an approval already follows it.
Retired (struck-through) rules stay in the file for history and are never shown to the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learning_fs.errors import RecordNotFoundError, RecordParseError
from learning_fs.format.items import Item
from learning_fs.format.layout import instructions_path
from learning_fs.format.records import InstructionsRecord
from learning_fs.stores.base import BaseStore
from learning_fs.stores.protocol import LearningMode, StoreConfig

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo


@dataclass(kw_only=True)
class InstructionsConfig(StoreConfig):
    """Options of the instructions store.

    ``agent``: whose file to read (default: the machine's ``agent_id``, else ``default``).
    ``max_rules``: the most rules shown (the file's order: first rules first).
    """

    mode: LearningMode = LearningMode.AGENTIC  # nothing to extract: rules change by review, not per turn
    agent: str | None = None
    max_rules: int = 50
    context_budget: int = 400

    def build(self, repo: MemoryRepo | None = None) -> InstructionsStore:
        return InstructionsStore(self, repo)


class InstructionsStore(BaseStore):
    """The agent's active rules, rendered first in the context."""

    learning_type = "instructions"
    config: InstructionsConfig

    def __init__(self, config: InstructionsConfig | None = None, repo: MemoryRepo | None = None) -> None:
        super().__init__(config or InstructionsConfig(), repo)

    def agent_for(self, agent_id: str | None) -> str | None:
        return self.config.agent or agent_id

    def path(self, agent_id: str | None = None) -> str:
        return instructions_path(self.agent_for(agent_id))

    def record(self, agent_id: str | None = None, repo: MemoryRepo | None = None) -> InstructionsRecord | None:
        """The agent's instructions file (shared cached object: read-only), ``None`` when it has none."""
        try:
            record = self._repo(repo).get(self.path(agent_id), copy=False)
        except (RecordNotFoundError, RecordParseError):
            return None
        return record if isinstance(record, InstructionsRecord) else None

    # -- recall and context -------------------------------------------------------------------
    def recall(self, agent_id: str | None = None, repo: MemoryRepo | None = None) -> list[Item]:
        """The active rules, in the file's order (at most ``max_rules``)."""
        record = self.record(agent_id, repo)
        if record is None:
            return []
        return [rule for rule in record.rules if rule.active and rule.text][: self.config.max_rules]

    def build_context(self, data: list[Item]) -> str:
        return self.render(rules=data) if data else ""

    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return []  # rules change through review (learning-fs improve), never by the agent mid-run
        # (no process either: AGENTIC extracts nothing, and feedback proposes the rule changes)
