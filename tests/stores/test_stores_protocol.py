"""The store protocol: modes, keyword filtering, configs and mode validation."""

from __future__ import annotations

from typing import Any

import pytest

from learning_fs.repo import MemoryRepo
from learning_fs.stores import (
    DecisionLogConfig,
    EntityMemoryConfig,
    LearnedKnowledgeConfig,
    LearningMode,
    LearningStore,
    SessionContextConfig,
    UserMemoryConfig,
    UserProfileConfig,
    call_with_context,
)

ALL_CONFIGS = [UserProfileConfig, UserMemoryConfig, SessionContextConfig, EntityMemoryConfig,
               LearnedKnowledgeConfig, DecisionLogConfig]


def test_background_is_an_alias_of_always() -> None:
    assert LearningMode.BACKGROUND is LearningMode.ALWAYS
    assert LearningMode("always") is LearningMode.BACKGROUND
    assert [m.value for m in LearningMode] == ["always", "agentic", "propose", "hitl"]


def test_call_with_context_passes_only_declared_keywords() -> None:
    class Small:
        def recall(self, user_id: str) -> str:
            return f"recall {user_id}"

        def process(self, messages: list[Any], session_id: str | None = None) -> tuple[Any, Any]:
            return messages, session_id

    store = Small()
    assert call_with_context(store.recall, user_id="u", session_id="s", message="m") == "recall u"
    assert call_with_context(store.process, ["hi"], user_id="u", session_id="s") == (["hi"], "s")


def test_call_with_context_passes_everything_to_kwargs() -> None:
    def recall(**ctx: Any) -> dict[str, Any]:
        return ctx

    assert call_with_context(recall, user_id="u", repo=None) == {"user_id": "u", "repo": None}


@pytest.mark.parametrize("config_type", ALL_CONFIGS)
def test_every_builtin_store_satisfies_the_protocol(config_type: Any, repo: MemoryRepo) -> None:
    store = config_type().build(repo)
    assert isinstance(store, LearningStore)
    assert store.mode in store.SUPPORTED_MODES
    assert store.learning_type


def test_config_accepts_mode_values_and_defaults_follow_agno() -> None:
    assert UserProfileConfig(mode="agentic").mode is LearningMode.AGENTIC
    assert UserMemoryConfig().mode is LearningMode.ALWAYS
    assert LearnedKnowledgeConfig().mode is LearningMode.AGENTIC
    assert DecisionLogConfig().mode is LearningMode.AGENTIC
    with pytest.raises(ValueError):
        UserProfileConfig(mode="sometimes")


@pytest.mark.parametrize("mode", [LearningMode.PROPOSE, LearningMode.HITL])
def test_unsupported_mode_is_refused_at_construction(mode: LearningMode, repo: MemoryRepo) -> None:
    with pytest.raises(ValueError, match="session_context does not support mode"):
        SessionContextConfig(mode=mode).build(repo)


def test_mode_decides_between_tools_and_extraction(repo: MemoryRepo) -> None:
    background = UserMemoryConfig().build(repo)
    agentic = UserMemoryConfig(mode=LearningMode.AGENTIC).build(repo)
    assert background.extracts and not background.agent_writes
    assert agentic.agent_writes and not agentic.extracts
    assert background.get_tools(user_id="u") == []
    assert [t.__name__ for t in agentic.get_tools(user_id="u")] == ["add_memory", "update_memory", "delete_memory"]
    forced = UserMemoryConfig(enable_agent_tools=True).build(repo)
    assert len(forced.get_tools(user_id="u")) == 3
