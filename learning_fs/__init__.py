"""learning_fs: make AI agents learn — memory as Markdown files in a Git repository.

The public API is re-exported here, lazily: ``import learning_fs`` costs almost nothing, so the
CLI's ``--help`` stays fast, and a name's module is imported the first time the name is used.
Everything not listed in ``__all__`` is an implementation detail.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "BehavioralFeedbackConfig": "learning_fs.stores",
    "InstructionsConfig": "learning_fs.stores",
    "FeedbackRecord": "learning_fs.format",
    "InstructionsRecord": "learning_fs.format",
    "SelfImprovementConfig": "learning_fs.improve",
    "Agent": "learning_fs.agent",
    "CommitInfo": "learning_fs.repo",
    "ConflictError": "learning_fs.errors",
    "ContextRenderer": "learning_fs.context",
    "CurationPolicy": "learning_fs.curate",
    "Curator": "learning_fs.curate",
    "DecisionLogConfig": "learning_fs.stores",
    "DecisionRecord": "learning_fs.format",
    "EntityMemoryConfig": "learning_fs.stores",
    "EntityRecord": "learning_fs.format",
    "FileSystem": "learning_fs.agent",
    "Evidence": "learning_fs.machine",
    "IndexSearcher": "learning_fs.search.semantic",
    "Item": "learning_fs.format",
    "LearnedKnowledgeConfig": "learning_fs.stores",
    "LearningFSError": "learning_fs.errors",
    "LearningMachine": "learning_fs.machine",
    "LearningMode": "learning_fs.stores",
    "LearningRecord": "learning_fs.format",
    "LearningStore": "learning_fs.stores",
    "LexicalSearcher": "learning_fs.search",
    "MemoriesRecord": "learning_fs.format",
    "MemoryRepo": "learning_fs.repo",
    "OpenAIChat": "learning_fs.extract",
    "ProfileRecord": "learning_fs.format",
    "Provenance": "learning_fs.format",
    "Record": "learning_fs.format",
    "RecordNotFoundError": "learning_fs.errors",
    "RecordParseError": "learning_fs.errors",
    "RecordWriter": "learning_fs.machine",
    "RepoIndex": "learning_fs.index.service",
    "RepoLockTimeout": "learning_fs.errors",
    "Requirement": "learning_fs.machine",
    "RunResponse": "learning_fs.agent",
    "SaveResult": "learning_fs.machine",
    "SearchHit": "learning_fs.search",
    "SearchIndex": "learning_fs.index",
    "Searcher": "learning_fs.search",
    "SessionContextConfig": "learning_fs.stores",
    "SessionRecord": "learning_fs.format",
    "Snapshot": "learning_fs.repo",
    "StoreConfig": "learning_fs.stores",
    "UnsafePathError": "learning_fs.errors",
    "UserMemoryConfig": "learning_fs.stores",
    "UserProfile": "learning_fs.stores",
    "UserProfileConfig": "learning_fs.stores",
    "call_with_context": "learning_fs.stores",
    "tool": "learning_fs.agent",
}

__all__ = [
    "Agent",
    "BehavioralFeedbackConfig",
    "CommitInfo",
    "ConflictError",
    "ContextRenderer",
    "CurationPolicy",
    "Curator",
    "DecisionLogConfig",
    "DecisionRecord",
    "EntityMemoryConfig",
    "EntityRecord",
    "Evidence",
    "FeedbackRecord",
    "FileSystem",
    "IndexSearcher",
    "InstructionsConfig",
    "InstructionsRecord",
    "Item",
    "LearnedKnowledgeConfig",
    "LearningFSError",
    "LearningMachine",
    "LearningMode",
    "LearningRecord",
    "LearningStore",
    "LexicalSearcher",
    "MemoriesRecord",
    "MemoryRepo",
    "OpenAIChat",
    "ProfileRecord",
    "Provenance",
    "Record",
    "RecordNotFoundError",
    "RecordParseError",
    "RecordWriter",
    "RepoIndex",
    "RepoLockTimeout",
    "Requirement",
    "RunResponse",
    "SaveResult",
    "SearchHit",
    "SearchIndex",
    "Searcher",
    "SelfImprovementConfig",
    "SessionContextConfig",
    "SessionRecord",
    "Snapshot",
    "StoreConfig",
    "UnsafePathError",
    "UserMemoryConfig",
    "UserProfile",
    "UserProfileConfig",
    "__version__",
    "call_with_context",
    "tool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'learning_fs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # static analysers and IDEs see ordinary imports
    from learning_fs.agent import (
        Agent,
        FileSystem,
        RunResponse,
        tool,
    )
    from learning_fs.context import (
        ContextRenderer,
    )
    from learning_fs.curate import (
        CurationPolicy,
        Curator,
    )
    from learning_fs.errors import (
        ConflictError,
        LearningFSError,
        RecordNotFoundError,
        RecordParseError,
        RepoLockTimeout,
        UnsafePathError,
    )
    from learning_fs.extract import (
        OpenAIChat,
    )
    from learning_fs.format import (
        DecisionRecord,
        EntityRecord,
        FeedbackRecord,
        InstructionsRecord,
        Item,
        LearningRecord,
        MemoriesRecord,
        ProfileRecord,
        Provenance,
        Record,
        SessionRecord,
    )
    from learning_fs.improve import SelfImprovementConfig
    from learning_fs.index import (
        SearchIndex,
    )
    from learning_fs.index.service import (
        RepoIndex,
    )
    from learning_fs.machine import (
        Evidence,
        LearningMachine,
        RecordWriter,
        Requirement,
        SaveResult,
    )
    from learning_fs.repo import (
        CommitInfo,
        MemoryRepo,
        Snapshot,
    )
    from learning_fs.search import (
        LexicalSearcher,
        Searcher,
        SearchHit,
    )
    from learning_fs.search.semantic import (
        IndexSearcher,
    )
    from learning_fs.stores import (
        BehavioralFeedbackConfig,
        DecisionLogConfig,
        EntityMemoryConfig,
        InstructionsConfig,
        LearnedKnowledgeConfig,
        LearningMode,
        LearningStore,
        SessionContextConfig,
        StoreConfig,
        UserMemoryConfig,
        UserProfile,
        UserProfileConfig,
        call_with_context,
    )
