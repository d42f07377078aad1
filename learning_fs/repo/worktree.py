"""Bring the working tree in line with a commit the library made, without clobbering people.

Only files whose on-disk content is still the old committed version (or that are absent) are
replaced; a file a person is editing keeps their uncommitted edit, and a warning names it.
Writes are atomic (temp file + rename) so an editor or the watcher never sees half a file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pygit2

log = logging.getLogger(__name__)


def _matches(path: Path, expected: pygit2.Oid | None) -> bool:
    """True when the file on disk is the committed version the library is replacing."""
    if not path.exists():
        return True
    if expected is None:
        return False  # an untracked file of a person's: leave it
    try:
        return pygit2.hash(path.read_bytes()) == expected
    except OSError:
        return False


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lfs-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_worktree(root: Path, changes: dict[str, tuple[pygit2.Oid | None, bytes | None]]) -> list[str]:
    """Apply ``path -> (old blob id, new content or None)``; returns the paths left untouched."""
    skipped = []
    for rel, (old_oid, data) in changes.items():
        target = root / rel
        if not _matches(target, old_oid):
            if data is not None and target.exists() and pygit2.hash(target.read_bytes()) == pygit2.hash(data):
                continue  # already what we wanted
            skipped.append(rel)
            log.warning("%s has uncommitted edits; kept them (the library's change is in HEAD)", rel)
            continue
        if data is None:
            target.unlink(missing_ok=True)
            _prune_empty_dirs(root, target.parent)
        else:
            write_atomic(target, data)
    return skipped


def _prune_empty_dirs(root: Path, folder: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
