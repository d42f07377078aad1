"""The LearningMachine: stores, modes, the record writer, background extraction, human review.

``machine.py`` runs the loop (recall → context → tools → process), ``modes.py`` says what each
mode makes it do, ``writer.py`` is the one door for learned data (and where PROPOSE turns a
save into a branch), ``background.py`` keeps extraction off the hot path, ``hitl.py`` is what a
person sees when a tool call waits for them.
"""

from learning_fs.machine.hitl import Requirement
from learning_fs.machine.machine import LearningMachine, StoreSlot, last_user_message, scrub_private
from learning_fs.machine.modes import LearningMode, validate_mode
from learning_fs.machine.writer import BufferedWriter, Evidence, RecordWriter, SaveResult

__all__ = [
    "BufferedWriter",
    "Evidence",
    "LearningMachine",
    "LearningMode",
    "RecordWriter",
    "Requirement",
    "SaveResult",
    "StoreSlot",
    "last_user_message",
    "scrub_private",
    "validate_mode",
]
