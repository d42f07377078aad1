"""Operations on a memory repository, written once and shared by the CLI, the agent's tools and tests.

Each function takes a :class:`~learning_fs.repo.Transaction` (so callers can group several into
one commit) or a :class:`~learning_fs.repo.MemoryRepo`, plus plain arguments, and returns records
or problems — never prints. ``write_transaction`` opens the one-commit transaction they run in.

This is the one write layer: :class:`Origin` is the provenance of every write (``Evidence`` is
the same type under older names), :class:`RecordWriter` is the door the stores are handed
(modes, proposals, the per-user privacy fence), and :mod:`learning_fs.repo.trailers` spells the
commit trailers.
"""

from learning_fs.ops.edits import (
    ARCHIVED,
    archive_entity,
    demote_learning,
    describe_entity,
    edit_memory,
    forget_entity,
    forget_fact,
    forget_memory,
    put_about,
    put_outcome,
    put_rule,
    put_session,
    remove_memory,
    retire_fact,
    retire_rule,
    reword_rule,
    set_profile,
    update_memory,
    update_profile,
    update_session,
)
from learning_fs.ops.entities import (
    add_event,
    add_fact,
    add_relationship,
    find_entity,
    inverse_relation,
    put_event,
    put_fact,
    put_link,
    relation_label,
    replace_fact,
    same_attribute,
    upsert_entity,
)
from learning_fs.ops.fix import FixReport, fix_repo
from learning_fs.ops.origin import save, write_transaction
from learning_fs.ops.provenance import Evidence, Origin
from learning_fs.ops.records import (
    add_decision,
    add_learning,
    add_memory,
    put_learning,
    put_memory,
    read,
    resolve,
)
from learning_fs.ops.transaction import ItemChange, RecordTx
from learning_fs.ops.validate import Problem, check_file, validate_repo
from learning_fs.ops.writer import BufferedWriter, RecordWriter, SaveResult, WriteTransaction

__all__ = [
    "ARCHIVED",
    "BufferedWriter",
    "Evidence",
    "FixReport",
    "ItemChange",
    "Origin",
    "Problem",
    "RecordTx",
    "RecordWriter",
    "SaveResult",
    "WriteTransaction",
    "add_decision",
    "add_event",
    "add_fact",
    "add_learning",
    "add_memory",
    "add_relationship",
    "archive_entity",
    "check_file",
    "demote_learning",
    "describe_entity",
    "edit_memory",
    "find_entity",
    "fix_repo",
    "forget_entity",
    "forget_fact",
    "forget_memory",
    "inverse_relation",
    "put_about",
    "put_event",
    "put_fact",
    "put_learning",
    "put_link",
    "put_memory",
    "put_outcome",
    "put_rule",
    "put_session",
    "read",
    "relation_label",
    "remove_memory",
    "replace_fact",
    "resolve",
    "retire_fact",
    "retire_rule",
    "reword_rule",
    "same_attribute",
    "save",
    "set_profile",
    "update_memory",
    "update_profile",
    "update_session",
    "upsert_entity",
    "validate_repo",
    "write_transaction",
]
