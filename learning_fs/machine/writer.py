"""The record writer, now in :mod:`learning_fs.ops.writer` (the one write layer); these names stay importable here."""

from learning_fs.ops.provenance import QUOTE_LIMIT, Evidence, Origin, mode_value
from learning_fs.ops.writer import DIRECT_MODES, PROPOSAL_PREFIX, BufferedWriter, RecordWriter, SaveResult

__all__ = [
    "DIRECT_MODES",
    "PROPOSAL_PREFIX",
    "QUOTE_LIMIT",
    "BufferedWriter",
    "Evidence",
    "Origin",
    "RecordWriter",
    "SaveResult",
    "mode_value",
]
