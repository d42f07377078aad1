"""Stores: what the agent learns, one kind per module, read and written as record files."""

from learning_fs.stores.profile_schema import UserProfile
from learning_fs.stores.protocol import (
    CONTEXT_KEYS,
    LearningMode,
    LearningStore,
    StoreConfig,
    call_with_context,
    check_mode,
)

__all__ = [
    "CONTEXT_KEYS",
    "LearningMode",
    "LearningStore",
    "StoreConfig",
    "UserProfile",
    "call_with_context",
    "check_mode",
]
