"""Operations on a memory repository, written once and shared by the CLI, the agent's tools and tests.

Each function takes a :class:`~learning_fs.repo.Transaction` (so callers can group several into
one commit) or a :class:`~learning_fs.repo.MemoryRepo`, plus plain arguments, and returns records
or problems — never prints. ``write_transaction`` opens the one-commit transaction they run in.
"""

from learning_fs.ops.entities import (
    add_event,
    add_fact,
    add_relationship,
    find_entity,
    inverse_relation,
    replace_fact,
    upsert_entity,
)
from learning_fs.ops.origin import Origin, save, write_transaction
from learning_fs.ops.records import add_decision, add_learning, add_memory, read, resolve
from learning_fs.ops.validate import Problem, check_file, validate_repo

__all__ = [
    "Origin",
    "Problem",
    "add_decision",
    "add_event",
    "add_fact",
    "add_learning",
    "add_memory",
    "add_relationship",
    "check_file",
    "find_entity",
    "inverse_relation",
    "read",
    "replace_fact",
    "resolve",
    "save",
    "upsert_entity",
    "validate_repo",
    "write_transaction",
]
