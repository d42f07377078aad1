"""The git layer: ``MemoryRepo`` and what it is made of (knows the format, nothing above it)."""

from learning_fs.repo.config import RepoConfig
from learning_fs.repo.history import CommitInfo
from learning_fs.repo.memory_repo import MemoryRepo
from learning_fs.repo.snapshot import Snapshot
from learning_fs.repo.transaction import CommitEvent, Transaction

__all__ = ["CommitEvent", "CommitInfo", "MemoryRepo", "RepoConfig", "Snapshot", "Transaction"]
