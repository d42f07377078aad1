"""Errors raised by learning_fs.

Every error a user can see names what went wrong and where (file and line when known), so a
hand-edited memory with broken YAML points the person at the line to fix instead of crashing
the agent that happened to read it.
"""

from __future__ import annotations

from pathlib import PurePosixPath


class LearningFSError(Exception):
    """Base class for every error raised on purpose by learning_fs."""


class RecordParseError(LearningFSError):
    """A memory file could not be parsed; carries the file and (when known) the line."""

    def __init__(self, path: str | PurePosixPath, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(self.location() + ": " + message)

    def location(self) -> str:
        """``file:line`` as compilers and editors print it (``file`` when the line is unknown)."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


class InvalidInputError(LearningFSError):
    """A name, id or text that cannot be stored: a lone surrogate, a control character, too long.

    Not a ``ValueError`` on purpose: raised inside a pydantic validator it reaches the caller as
    itself, with its message, instead of being folded into a ``ValidationError``.
    """


class RecordTooLargeError(LearningFSError):
    """A record, item or file over a configured limit (``limits`` in ``learning_fs.yaml``)."""


class UnsafePathError(LearningFSError):
    """A path built from user or model input would leave the memory repository."""


class SymlinkError(UnsafePathError):
    """A path inside the memory repository is (or passes through) a symbolic link.

    The library never reads or writes through one: a cloned repository could otherwise point
    ``users/<shard>/carol`` or ``.learning_fs`` anywhere on the machine and have a private memory
    written, or derived data read, outside the repository. ``path`` is the link itself.
    """

    def __init__(self, path: str, what: str = "") -> None:
        self.path = path
        super().__init__(f"{path} is a symlink: learning_fs never reads or writes through a symlink inside a "
                         f"memory repository{what} (replace it with a real file or folder)")


class RecordNotFoundError(LearningFSError, KeyError):
    """No record exists at the given path, id or point in history."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else "record not found"


class RepoLockTimeout(LearningFSError):
    """The repository-wide write lock could not be taken in time (another writer holds it)."""


class ConflictError(LearningFSError):
    """A change cannot be applied because the same file changed in the meantime."""

    def __init__(self, message: str, paths: list[str] | None = None) -> None:
        self.paths = paths or []
        super().__init__(message)
