"""Reading the repository as it was at one commit, and parsing file bytes into records."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pygit2

from learning_fs.errors import RecordNotFoundError, RecordParseError
from learning_fs.format.layout import kind_from_path, search_roots
from learning_fs.format.records import Record, parse_record
from learning_fs.format.slugs import check_relative_path
from learning_fs.repo import trees

if TYPE_CHECKING:
    from learning_fs.repo.memory_repo import MemoryRepo

log = logging.getLogger(__name__)


class Snapshot:
    """The repository as it was at one commit (read-only)."""

    def __init__(self, repo: MemoryRepo, commit: pygit2.Commit) -> None:
        self.repo = repo
        self.commit = commit
        self.tree = commit.tree

    @property
    def sha(self) -> str:
        return str(self.commit.id)

    def read(self, path: str) -> Record:
        check_relative_path(path)
        blob = trees.blob_at(self.repo.git, self.tree, path)
        if blob is None:
            raise RecordNotFoundError(f"{path}: not present at {self.commit.short_id}")
        return self.repo._parse_blob(blob.data, path)

    def paths(self, kind: str | None = None, *, namespace: str | None = None, user: str | None = None) -> list[str]:
        found: list[str] = []
        for top in search_roots(kind, namespace, user):
            try:
                node = self.tree[top]
            except KeyError:
                continue
            walk_tree(self.repo.git, self.repo.git[node.id], top, found)
        return [p for p in sorted(found) if p.endswith(".md") and (kind is None or kind_from_path(p) == kind)]

    def list(self, kind: str | None = None, **filters: Any) -> Iterator[Record]:
        for path in self.paths(kind, **filters):
            try:
                yield self.read(path)
            except RecordParseError as exc:
                log.warning("skipping %s", exc)


def parse_bytes(data: bytes, path: str) -> Record:
    """Parse a file's bytes, remembering their git blob id on the record (``record.blob``)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordParseError(path, f"not UTF-8 text ({exc.reason})") from None
    record = parse_record(text.replace("\r\n", "\n"), path)  # a file saved on Windows reads the same
    record._blob = str(pygit2.hash(data))
    return record


def walk_tree(git: pygit2.Repository, obj: pygit2.Object, prefix: str, out: list[str]) -> None:
    if isinstance(obj, pygit2.Blob):
        out.append(prefix)
        return
    for entry in obj:  # type: ignore[attr-defined]
        walk_tree(git, git[entry.id], f"{prefix}/{entry.name}", out)
