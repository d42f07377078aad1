"""Errors raised by the search index.

They subclass :class:`learning_fs.errors.LearningFSError` so one ``except`` at the CLI edge catches
them, and each message says how to fix the problem, because the usual cause (a tampered model
file, an index built with another embedder) is not something the code can repair by itself.
"""

from __future__ import annotations

from learning_fs.errors import LearningFSError


class ModelIntegrityError(LearningFSError):
    """A model or tokenizer file is missing or its sha256 differs from the pinned one."""


class IndexMismatchError(LearningFSError):
    """The index on disk was built with another embedder (other vectors): it must be rebuilt."""
