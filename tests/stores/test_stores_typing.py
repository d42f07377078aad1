"""The exported ``LearningStore`` protocol, checked by the type checker as well as at run time.

mypy checks this file (``[tool.mypy] files`` in pyproject.toml; ``.ci/run`` runs ``mypy``): each
annotated assignment below fails the type check if a built-in store stops matching the protocol,
and the ``type: ignore`` on the deliberately wrong store fails it (``warn_unused_ignores``) if the
protocol ever accepts an object without ``build_context``. pytest runs the same code, so a
store that loses a member also fails at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from learning_fs import LearningStore
from learning_fs.repo import MemoryRepo
from learning_fs.stores import (
    DecisionLogStore,
    EntityMemoryStore,
    LearnedKnowledgeStore,
    SessionContextStore,
    UserMemoryStore,
    UserProfileStore,
)


class SmallStore:
    """The smallest custom store docs/learning-machine.md shows: methods declare only what they use."""

    learning_type = "notes"

    def recall(self, user_id: str) -> list[str]:
        return [f"note for {user_id}"]

    def process(self, messages: list[dict[str, Any]]) -> None:
        return None

    def build_context(self, data: list[str]) -> str:
        return "\n".join(data)

    def get_tools(self) -> list[Callable[..., str]]:
        return []


class NoContext:
    """Not a store: it cannot render what it recalls."""

    learning_type = "broken"

    def recall(self) -> None:
        return None

    def process(self, messages: list[dict[str, Any]]) -> None:
        return None

    def get_tools(self) -> list[Callable[..., str]]:
        return []


def test_every_builtin_store_is_a_learning_store(repo: MemoryRepo) -> None:
    stores: list[LearningStore] = []
    profile: LearningStore = UserProfileStore(repo=repo)
    memory: LearningStore = UserMemoryStore(repo=repo)
    session: LearningStore = SessionContextStore(repo=repo)
    entities: LearningStore = EntityMemoryStore(repo=repo)
    knowledge: LearningStore = LearnedKnowledgeStore(repo=repo)
    decisions: LearningStore = DecisionLogStore(repo=repo)
    stores += [profile, memory, session, entities, knowledge, decisions]
    assert all(isinstance(store, LearningStore) for store in stores)
    assert [store.learning_type for store in stores] == [
        "user_profile", "user_memory", "session_context", "entity_memory", "learned_knowledge", "decision_log",
    ]


def test_a_store_with_narrow_signatures_is_a_learning_store() -> None:
    store: LearningStore = SmallStore()
    assert isinstance(store, LearningStore)
    assert store.build_context(store.recall(user_id="u")) == "note for u"


def test_an_object_without_build_context_is_not_a_learning_store() -> None:
    broken: LearningStore = NoContext()  # type: ignore[assignment]
    assert not isinstance(broken, LearningStore)
