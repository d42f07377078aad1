"""learning_fs: make AI agents learn — memory as Markdown files in a Git repository.

The public API is re-exported here; everything else is an implementation detail.
"""

from learning_fs.errors import (
    ConflictError,
    LearningFSError,
    RecordNotFoundError,
    RecordParseError,
    RepoLockTimeout,
    UnsafePathError,
)
from learning_fs.format import (
    DecisionRecord,
    EntityRecord,
    Item,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    Provenance,
    Record,
    SessionRecord,
)
from learning_fs.repo import CommitInfo, MemoryRepo, Snapshot

__version__ = "0.1.0"

__all__ = [
    "CommitInfo",
    "ConflictError",
    "DecisionRecord",
    "EntityRecord",
    "Item",
    "LearningFSError",
    "LearningRecord",
    "MemoriesRecord",
    "MemoryRepo",
    "ProfileRecord",
    "Provenance",
    "Record",
    "RecordNotFoundError",
    "RecordParseError",
    "RepoLockTimeout",
    "SessionRecord",
    "Snapshot",
    "UnsafePathError",
    "__version__",
]
