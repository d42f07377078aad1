"""Stores: what the agent learns, one kind per module, read and written as record files."""

from learning_fs.stores.base import BaseStore, ToolError
from learning_fs.stores.decision_log import DecisionLogConfig, DecisionLogStore
from learning_fs.stores.entity_memory import EntityMemoryConfig, EntityMemoryStore
from learning_fs.stores.feedback import BehavioralFeedbackConfig, FeedbackConfig, FeedbackStore
from learning_fs.stores.instructions import InstructionsConfig, InstructionsStore
from learning_fs.stores.learned_knowledge import LearnedKnowledgeConfig, LearnedKnowledgeStore
from learning_fs.stores.outcome import StoreOutcome
from learning_fs.stores.profile_schema import UserProfile
from learning_fs.stores.protocol import (
    CONTEXT_KEYS,
    LearningMode,
    LearningStore,
    StoreConfig,
    call_with_context,
    check_mode,
)
from learning_fs.stores.session_context import SessionContextConfig, SessionContextStore
from learning_fs.stores.user_memory import UserMemoryConfig, UserMemoryStore
from learning_fs.stores.user_profile import UserProfileConfig, UserProfileStore

__all__ = [
    "CONTEXT_KEYS",
    "BaseStore",
    "BehavioralFeedbackConfig",
    "DecisionLogConfig",
    "DecisionLogStore",
    "EntityMemoryConfig",
    "EntityMemoryStore",
    "FeedbackConfig",
    "FeedbackStore",
    "InstructionsConfig",
    "InstructionsStore",
    "LearnedKnowledgeConfig",
    "LearnedKnowledgeStore",
    "LearningMode",
    "LearningStore",
    "SessionContextConfig",
    "SessionContextStore",
    "StoreConfig",
    "StoreOutcome",
    "ToolError",
    "UserMemoryConfig",
    "UserMemoryStore",
    "UserProfile",
    "UserProfileConfig",
    "UserProfileStore",
    "call_with_context",
    "check_mode",
]
