"""``FileSystem``: Agno's notes store for an agent, as plain files beside the memory repository.

Agno composes a ``FileSystem`` with the LearningMachine (``tools=[fs.tools()]``,
``instructions=[fs.instructions()]``) so an agent can keep running notes: drafts, to-dos, research
notes. Those are the agent's working files, not learned memory, so here they live in the
repository's gitignored ``.learning_fs/files/<namespace>/`` (like the chat history), never in a
commit: no record format to follow, no review. What an agent learns for good goes through the
stores.

Paths are relative POSIX paths inside the namespace; ``..``, absolute paths and symlinks that
lead out of it are refused with an error the model reads.
"""

from __future__ import annotations

import builtins
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from learning_fs.errors import UnsafePathError
from learning_fs.format.slugs import check_relative_path, safe_join, safe_segment
from learning_fs.repo import MemoryRepo
from learning_fs.repo.config import DERIVED_DIR

FILES_FOLDER = "files"  # under the repository's gitignored .learning_fs/
MAX_READ = 20_000  # characters a read_file returns at most
_INSTRUCTIONS = (
    "You have a file system for running notes: list_files shows what exists, read_file reads a "
    "file, write_file creates or replaces one, append_file adds to one. Use short relative paths "
    "such as notes/<topic>.md and keep each file focused on one topic."
)
_READ_ONLY_INSTRUCTIONS = "You can read notes with list_files and read_file; you cannot change them."


@dataclass(frozen=True)
class FileMeta:
    """One file of the namespace (Agno's ``FileMeta``)."""

    path: str
    size: int
    updated: str


class FileSystem:
    """An agent's notes files in a namespace, kept beside a memory repository (see module docstring).

    Args:
        repo: The memory repository (a ``MemoryRepo`` or its path); the files go under its
            ``.learning_fs/files/<namespace>/``.
        namespace: Which set of files (agents that share a namespace share the files).
    """

    def __init__(self, repo: MemoryRepo | str | os.PathLike[str], namespace: str = "default") -> None:
        base = repo.derived_dir if isinstance(repo, MemoryRepo) else Path(repo) / DERIVED_DIR
        self.namespace = namespace
        self.root = base / FILES_FOLDER / safe_segment(namespace)

    # -- files --------------------------------------------------------------------------------
    def _path(self, path: str) -> Path:
        relative = check_relative_path(path.strip().removeprefix("./"))
        self.root.mkdir(parents=True, exist_ok=True)
        return safe_join(self.root, *relative.split("/"))  # resolves symlinks: nothing leaves the namespace

    def write(self, path: str, content: str) -> FileMeta:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, target)  # a reader sees the old file or the new one, never half of one
        return self._meta(target)

    def append(self, path: str, content: str) -> FileMeta:
        existing = self.read(path) if self._path(path).is_file() else ""
        joiner = "" if not existing or existing.endswith("\n") else "\n"
        return self.write(path, existing + joiner + content)

    def read(self, path: str) -> str:
        target = self._path(path)
        if not target.is_file():
            raise FileNotFoundError(f"no file {path!r} in {self.namespace!r}")
        return target.read_text(encoding="utf-8")

    def list(self, directory: str = "") -> builtins.list[FileMeta]:
        """Files under ``directory`` (all when empty), sorted by path."""
        if not self.root.is_dir():
            return []
        start = self._path(directory) if directory.strip("/ ") else self.root.resolve()
        if not start.is_dir():
            return []
        return [self._meta(p) for p in sorted(start.rglob("*"))
                if p.is_file() and not p.name.startswith(".") and self._inside(p)]

    # -- the agent's surface ------------------------------------------------------------------
    def tools(self, *, read_only: bool = False) -> builtins.list[Callable[..., str]]:
        """The file tools for ``Agent(tools=[...])``: list and read; write and append unless ``read_only``."""
        fs = self

        def list_files(directory: str = "") -> str:
            """List the note files (optionally under a directory).

            Args:
                directory: A folder such as "notes"; empty for every file.
            """
            return _guard(lambda: "\n".join(f"{m.path} ({m.size} bytes)" for m in fs.list(directory))
                          or "No files yet.")

        def read_file(path: str) -> str:
            """Read a note file.

            Args:
                path: Its relative path, e.g. "notes/vector-db.md".
            """
            return _guard(lambda: _cut(fs.read(path)))

        def write_file(path: str, content: str) -> str:
            """Create a note file or replace its content.

            Args:
                path: A short relative path, e.g. "notes/vector-db.md".
                content: The whole new content.
            """
            return _guard(lambda: f"Wrote {fs.write(path, content).path}.")

        def append_file(path: str, content: str) -> str:
            """Add text to the end of a note file (created if missing).

            Args:
                path: Its relative path.
                content: The text to add.
            """
            return _guard(lambda: f"Appended to {fs.append(path, content).path}.")

        for tool in (list_files, read_file):
            setattr(tool, "read_only", True)  # noqa: B010 -- the machine's is_read_only reads this flag
        return [list_files, read_file] if read_only else [list_files, read_file, write_file, append_file]

    @staticmethod
    def instructions(read_only: bool = False) -> str:
        """Guidance for the tools, to place in the agent's instructions."""
        return _READ_ONLY_INSTRUCTIONS if read_only else _INSTRUCTIONS

    # -- helpers ------------------------------------------------------------------------------
    def _inside(self, path: Path) -> bool:
        root = self.root.resolve()
        resolved = path.resolve()
        return resolved == root or root in resolved.parents

    def _meta(self, target: Path) -> FileMeta:
        stat = target.stat()
        updated = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc).isoformat(timespec="seconds")
        return FileMeta(target.resolve().relative_to(self.root.resolve()).as_posix(), stat.st_size, updated)


def _guard(action: Callable[[], str]) -> str:
    """A refused path or a missing file becomes an error the model reads, not an exception."""
    try:
        return action()
    except (UnsafePathError, FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        return f"Error: {exc}."


def _cut(text: str) -> str:
    return text if len(text) <= MAX_READ else text[:MAX_READ] + f"\n… ({len(text) - MAX_READ} more characters)"
