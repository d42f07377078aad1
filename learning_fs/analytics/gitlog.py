"""One ``git log`` for a whole history, parsed in one pass (no pandas here).

A memory repository's history is its analytics database: every commit says when, by whom, by
which store/mode/user (the ``Learning-*`` trailers) and which files it added, changed or removed.
Reading that with one process per commit costs ~5 ms a commit (50 s for 10k); one
``git log --raw`` streams all of it in well under a second. ``--raw`` is ``--name-status`` plus
the blob ids, which is what lets :mod:`learning_fs.analytics.sizes` count tokens without reading
a single file. Merge commits are diffed against their first parent (``--diff-merges=first-parent``)
so that a merge shows what it brought onto the branch, once.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from learning_fs.errors import LearningFSError
from learning_fs.repo.history import parse_trailers

_RECORD, _FIELD, _END = "\x1e", "\x1f", "\x1d"
_FORMAT = _RECORD + _FIELD.join(["%H", "%P", "%an", "%ae", "%at", "%ct", "%B"]) + _END
_NULL_BLOB = "0" * 40


@dataclass(frozen=True, slots=True)
class FileChange:
    """One line of ``--raw``: ``status`` is git's letter (A, M, D, R, C, T), renames keep ``old_path``."""

    status: str
    path: str
    old_path: str | None
    old_blob: str | None
    new_blob: str | None


@dataclass(slots=True)
class LogEntry:
    """One commit: who and when, its message and trailers, and the files it changed."""

    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    authored: int  # unix seconds
    committed: int
    message: str
    trailers: dict[str, str]
    changes: list[FileChange] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


def read_log(root: str | Path, revisions: tuple[str, ...] = ("HEAD", "--branches")) -> list[LogEntry]:
    """Every commit reachable from ``revisions`` (default: HEAD and all branches), newest first.

    Rename detection is pinned on (``-M``) whatever the user's config says, so a record whose
    title changed counts as one update, not a delete and an add.
    """
    args = ["git", "-c", "log.showSignature=false", "-c", "core.quotePath=false", "log", *revisions,
            "-z", "--raw", "--no-abbrev", "-M", "--diff-merges=first-parent", "--no-color", "--no-ext-diff",
            f"--format={_FORMAT}", "--"]
    result = subprocess.run(args, cwd=root, capture_output=True, check=False)
    if result.returncode != 0:
        err = result.stderr.decode("utf-8", "replace").strip()
        if head_sha(root) is None and not branch_tips(root):  # a repository without commits yet
            return []
        raise LearningFSError(f"git log failed in {root}: {err}")
    return parse_log(result.stdout.decode("utf-8", "replace"))


def parse_log(text: str) -> list[LogEntry]:
    """Parse the output of :func:`read_log`'s command (exposed for tests and other callers)."""
    entries = []
    for chunk in text.split(_RECORD):
        if not chunk:
            continue
        header, _, raw = chunk.partition(_END)
        sha, parents, author, email, authored, committed, message = header.split(_FIELD, 6)
        entry = LogEntry(sha=sha, parents=tuple(parents.split()), author=author, email=email,
                         authored=int(authored), committed=int(committed), message=message,
                         trailers=parse_trailers(message))
        entry.changes = _parse_raw(raw)
        entries.append(entry)
    return entries


def _parse_raw(raw: str) -> list[FileChange]:
    """``:mode mode old new STATUS\\0path\\0[path\\0]`` repeated (git's ``--raw -z`` output)."""
    tokens = raw.split("\0")
    changes: list[FileChange] = []
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i].lstrip("\n")
        i += 1
        if not token.startswith(":"):
            continue
        meta = token[1:].split(" ")
        old_blob, new_blob, status = meta[2], meta[3], meta[4][:1]
        if status in ("R", "C"):
            old_path, path = tokens[i], tokens[i + 1]
            i += 2
        else:
            old_path, path = None, tokens[i]
            i += 1
        changes.append(FileChange(status, path, old_path,
                                  None if old_blob == _NULL_BLOB else old_blob,
                                  None if new_blob == _NULL_BLOB else new_blob))
    return changes


def head_sha(root: str | Path) -> str | None:
    """The commit HEAD points at (None in an empty repository)."""
    result = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True,
                            text=True, check=False)
    return result.stdout.strip() or None


def branch_tips(root: str | Path, pattern: str = "refs/heads/") -> dict[str, str]:
    """Branch name → tip sha for every branch under ``pattern`` (one ``for-each-ref``)."""
    result = subprocess.run(["git", "for-each-ref", "--format=%(refname)%00%(objectname)", pattern],
                            cwd=root, capture_output=True, text=True, check=False)
    tips = {}
    for line in result.stdout.splitlines():
        name, _, sha = line.partition("\0")
        tips[name.removeprefix("refs/heads/")] = sha
    return tips
