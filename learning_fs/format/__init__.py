"""The file format: record kinds, Markdown + frontmatter, ids, slugs and paths (knows nothing of git)."""

from learning_fs.format.items import Item
from learning_fs.format.layout import record_path
from learning_fs.format.merge import MergeConflict, MergeResult, merge_records, merge_text
from learning_fs.format.records import (
    GLOBAL_NAMESPACE,
    KINDS,
    RECORD_TYPES,
    USER_NAMESPACE,
    DecisionRecord,
    EntityRecord,
    FeedbackRecord,
    InstructionsRecord,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    Provenance,
    Record,
    SessionRecord,
    now,
    parse_record,
)

__all__ = [
    "GLOBAL_NAMESPACE",
    "KINDS",
    "RECORD_TYPES",
    "USER_NAMESPACE",
    "DecisionRecord",
    "EntityRecord",
    "FeedbackRecord",
    "InstructionsRecord",
    "Item",
    "LearningRecord",
    "MemoriesRecord",
    "MergeConflict",
    "MergeResult",
    "ProfileRecord",
    "Provenance",
    "Record",
    "SessionRecord",
    "merge_records",
    "merge_text",
    "now",
    "parse_record",
    "record_path",
]
