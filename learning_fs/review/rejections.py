"""Rejected proposals as files: now in :mod:`learning_fs.ops.rejections` (stores read them, review writes them)."""

from learning_fs.ops.rejections import (
    EXAMPLE_LIMIT,
    REJECTED_FOLDER,
    TEXT_LIMIT,
    Rejection,
    list_rejections,
    new_rejection,
    parse_rejection,
    rejected_examples,
    rejection_path,
    render_rejection,
)

__all__ = [
    "EXAMPLE_LIMIT",
    "REJECTED_FOLDER",
    "TEXT_LIMIT",
    "Rejection",
    "list_rejections",
    "new_rejection",
    "parse_rejection",
    "rejected_examples",
    "rejection_path",
    "render_rejection",
]
