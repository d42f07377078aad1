"""Bring the working tree in line with a commit the library made, without clobbering people.

A file is replaced when what is on disk is a version the library knows: the one the commit
replaced, the new one, or an earlier library version of that path (what a writer killed between
its commit and this update leaves behind: it must be brought forward, never taken for a person's
edit). Anything else is a person's uncommitted edit: it is kept, and merged with the library's
change when a merge function is given. Writes are atomic (temp file + rename) so an editor or the
watcher never sees half a file, and nothing is read or written through a symlink.

Crash safety: before moving the branch the writer records an *intent* (``.git/learning_fs-worktree-pending``:
``old blob, new blob, path`` per line) and removes it once the working tree and the index
journal are updated. A writer killed in between leaves the intent behind; the next writer (or the
next ``MemoryRepo`` opened on the repository) finds it under the write lock and finishes the job
(:func:`recover`), so a crash never leaves a committed memory hidden behind a stale file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pygit2

from learning_fs.errors import LearningFSError
from learning_fs.repo.safety import lstat_below, make_dirs, read_nofollow

log = logging.getLogger(__name__)

INTENT = "learning_fs-worktree-pending"
_ABSENT = "-"

LibraryVersion = Callable[[str, pygit2.Oid], bool]
"""``(path, blob id) -> bool``: was this content of ``path`` written by the library (a recent commit)?"""
Merge = Callable[[str, pygit2.Oid, bytes, bytes], "tuple[bytes | None, str]"]
"""``(path, blob the commit replaced, file on disk, library's new bytes) -> (merged bytes or None, why not)``."""


@dataclass
class Outcome:
    """What :func:`update_worktree` did beyond the plain replacements."""

    kept: dict[str, str] = field(default_factory=dict)  # path -> why the person's file was left as it was
    merged: list[str] = field(default_factory=list)  # paths now holding the person's edit + the library's change


def _disk(root: str, rel: str) -> bytes | None:
    """The file's bytes, None when absent; a symlink anywhere on the path raises SymlinkError."""
    try:
        return read_nofollow(root, rel)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def write_atomic(root: Path, rel: str, data: bytes) -> None:
    """Write ``root/rel`` by temp file + rename, creating folders without passing through a symlink."""
    base = str(root)
    folder, _, _name = rel.rpartition("/")
    make_dirs(base, folder)
    parent = f"{base}{os.sep}{folder}" if folder else base
    fd, tmp = tempfile.mkstemp(prefix=".lfs-", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, f"{base}{os.sep}{rel}")  # replaces a link itself, never its target
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_worktree(root: Path, changes: dict[str, tuple[pygit2.Oid | None, bytes | None]],
                    is_library_version: LibraryVersion | None = None, merge: Merge | None = None) -> Outcome:
    """Apply ``path -> (old blob id, new content or None)`` to the working tree."""
    outcome = Outcome()
    base = str(root)
    for rel, (old_oid, data) in changes.items():
        try:
            _update_one(root, base, rel, old_oid, data, is_library_version, merge, outcome)
        except LearningFSError as exc:  # a symlink swapped in after the commit's check: never follow it
            log.error("%s: not updated in the working tree: %s", rel, exc)
            outcome.kept[rel] = str(exc)
    return outcome


def _update_one(root: Path, base: str, rel: str, old_oid: pygit2.Oid | None, data: bytes | None,
                is_library_version: LibraryVersion | None, merge: Merge | None, outcome: Outcome) -> None:
    disk = _disk(base, rel)
    if disk is None:
        if data is not None:
            write_atomic(root, rel, data)
        return
    disk_oid = pygit2.hash(disk)
    if data is not None and disk_oid == pygit2.hash(data):
        return  # already what we want
    library = disk_oid == old_oid or (
        old_oid is not None and is_library_version is not None and is_library_version(rel, disk_oid))
    if library:
        _replace(root, base, rel, data)
        return
    if old_oid is None:
        outcome.kept[rel] = "a file of a person's is in the way (not tracked by the library)"
    elif data is None:
        outcome.kept[rel] = "deleted by the library but edited by a person"
    elif merge is not None:
        merged, why = merge(rel, old_oid, disk, data)
        if merged is not None:
            write_atomic(root, rel, merged)
            outcome.merged.append(rel)
            return
        outcome.kept[rel] = why
    else:
        outcome.kept[rel] = "has uncommitted edits"
    log.warning("%s %s; kept the person's file (the library's change is in HEAD)", rel, outcome.kept[rel])


def _replace(root: Path, base: str, rel: str, data: bytes | None) -> None:
    if data is not None:
        write_atomic(root, rel, data)
        return
    Path(f"{base}{os.sep}{rel}").unlink(missing_ok=True)
    _prune_empty_dirs(root, (root / rel).parent)


def _prune_empty_dirs(root: Path, folder: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def remove_temporaries(root: Path, folder: str) -> None:
    """Delete the temp files :func:`write_atomic` leaves when killed (only ever called under the write lock)."""
    try:
        if lstat_below(str(root), folder) is None:
            return
    except LearningFSError:
        return
    for leftover in (root / folder).glob(".lfs-*.tmp"):
        leftover.unlink(missing_ok=True)


# -- the intent: what a writer killed mid-way leaves for the next one ------------------------------
def intent_path(git_dir: Path) -> Path:
    return git_dir / INTENT


def write_intent(git_dir: Path, entries: dict[str, tuple[str | None, str | None]]) -> None:
    """Record ``path -> (old blob, new blob)`` before the branch moves (temp file + rename: never half a file)."""
    lines = "".join(f"{old or _ABSENT}\t{new or _ABSENT}\t{path}\n" for path, (old, new) in entries.items())
    target = intent_path(git_dir)
    temporary = git_dir / f"{INTENT}.{os.getpid()}.tmp"
    temporary.write_text(lines, encoding="utf-8")
    os.replace(temporary, target)


def read_intent(git_dir: Path) -> dict[str, tuple[str | None, str | None]] | None:
    """The intent a killed writer left (None when there is none)."""
    return _parse_entries(intent_path(git_dir))


def clear_intent(git_dir: Path) -> None:
    intent_path(git_dir).unlink(missing_ok=True)


# -- a person's merge, rebase, cherry-pick, revert or bisect: hands off until it is over ------------
OPERATIONS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply", "BISECT_LOG",
              "sequencer")
DEFERRED = "learning_fs-worktree-deferred"


def operation_in_progress(git_dir: Path) -> str | None:
    """The marker of a git operation a person has under way (None when there is none): a few ``stat`` calls."""
    for name in OPERATIONS:
        if (git_dir / name).exists():
            return name
    return None


def defer(git_dir: Path, entries: dict[str, tuple[str | None, str | None]]) -> None:
    """Add paths whose working-tree update waits until the person's operation ends (first ``old`` kept)."""
    current = read_deferred(git_dir)
    for path, (old, new) in entries.items():
        current[path] = (current[path][0], new) if path in current else (old, new)
    lines = "".join(f"{old or _ABSENT}\t{new or _ABSENT}\t{path}\n" for path, (old, new) in current.items())
    temporary = git_dir / f"{DEFERRED}.{os.getpid()}.tmp"
    temporary.write_text(lines, encoding="utf-8")
    os.replace(temporary, git_dir / DEFERRED)


def read_deferred(git_dir: Path) -> dict[str, tuple[str | None, str | None]]:
    return _parse_entries(git_dir / DEFERRED) or {}


def clear_deferred(git_dir: Path) -> None:
    (git_dir / DEFERRED).unlink(missing_ok=True)


def _parse_entries(file: Path) -> dict[str, tuple[str | None, str | None]] | None:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    entries: dict[str, tuple[str | None, str | None]] = {}
    for line in text.splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[2]:
            old, new, path = parts
            entries[path] = (None if old == _ABSENT else old, None if new == _ABSENT else new)
    return entries
