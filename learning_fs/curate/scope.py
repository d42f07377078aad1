"""What one curation pass may see and change: a :class:`Unit` of records, loaded from the branch tip.

The privacy fence of curation lives here. A unit is either ONE user's private folder
(``users/<shard>/<user>/``) or ONE shared namespace (``learnings/<ns>/``, ``entities/<ns>/``,
``decisions/<ns>/`` and the shared sessions of that namespace). Only the subtrees a unit owns
are read, so curating user A never opens a file of user B, and a record is only ever merged
with records of its own unit: a private record is never merged into a shared one, nor one
user's into another's. A file whose frontmatter disagrees with where it lives (a private record
in a shared folder, Bob's record in Alice's folder) is left alone and reported.

Records are read from the commit the branch points at, not the working tree: that is what the
curation commit builds on, and each planned change remembers the blob it was planned against
so a file that changes before the commit is skipped rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pygit2

from learning_fs.errors import LearningFSError, RecordParseError
from learning_fs.format.layout import (
    FOLDERS,
    SESSIONS_FOLDER,
    USERS_FOLDER,
    kind_from_path,
    namespace_segment,
    user_folder,
)
from learning_fs.format.records import USER_NAMESPACE, Record
from learning_fs.repo.snapshot import parse_bytes


@dataclass
class Unit:
    """The records of one user's folder or one shared namespace, and the edits planned on them.

    ``originals`` are the parsed records as committed (never modified); :meth:`edit` returns a
    working copy made on first use, so a 100k-record run copies only what it changes.
    """

    key: str  # "users/ab/alice" or "namespace global": shown in plans and commit messages
    namespace: str
    user: str | None = None  # the owner, for a user's folder
    originals: dict[str, Record] = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)  # path -> blob id planned against
    edits: dict[str, Record] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)  # files left alone, with the reason

    @property
    def private(self) -> bool:
        return self.namespace == USER_NAMESPACE

    def records(self, kind: str | None = None) -> Iterator[tuple[str, Record]]:
        """``(path, record)`` of every live file (the working copy when edited), in path order."""
        for path in sorted(self.originals):
            if path in self.deleted:
                continue
            record = self.edits.get(path) or self.originals[path]
            if kind is None or record.kind == kind:
                yield path, record

    def edit(self, path: str) -> Record:
        """The working copy of the record at ``path`` (copied from the original on first use)."""
        if path in self.deleted:
            raise KeyError(f"{path} is deleted in this plan")
        if path not in self.edits:
            copy = self.originals[path].model_copy(deep=True)
            copy._path = path
            self.edits[path] = copy
        return self.edits[path]

    def delete(self, path: str) -> None:
        self.deleted.add(path)
        self.edits.pop(path, None)

    def changes(self) -> dict[str, Record | None]:
        """``path -> new record`` (None: delete) for every file whose text the plan changes."""
        out: dict[str, Record | None] = {path: None for path in sorted(self.deleted)}
        for path, record in sorted(self.edits.items()):
            if record.to_markdown() != self.originals[path].to_markdown():
                out[path] = record
        return out


def tip(repo_path: str, branch: str) -> tuple[pygit2.Repository, pygit2.Commit | None]:
    """A private pygit2 handle on the repository (thread-safe for this run) and the branch's tip."""
    git = pygit2.Repository(repo_path)
    try:
        ref = git.references[f"refs/heads/{branch}"]
    except KeyError:
        return git, None
    return git, git[ref.target].peel(pygit2.Commit)


def load_units(git: pygit2.Repository, commit: pygit2.Commit | None, *, users: list[str] | None,
               namespaces: list[str] | None, all_users: bool) -> list[Unit]:
    """The units a run covers.

    ``users``: these users' folders; ``all_users``: every user folder; ``namespaces``: these
    shared namespaces (``[]`` none, None every one).
    """
    if commit is None:
        return []
    tree = commit.tree
    units: list[Unit] = []
    folders = [user_folder(user) for user in users or []]
    if all_users:
        folders = sorted(set(folders) | set(_user_folders(git, tree)))
    for folder in folders:
        units.append(_load_user(git, tree, folder))
    if namespaces is None or namespaces:
        units.extend(_load_shared(git, tree, namespaces))
    return [unit for unit in units if unit.originals or unit.skipped]


def _subtree(git: pygit2.Repository, tree: pygit2.Tree, path: str) -> pygit2.Tree | None:
    try:
        entry = tree[path]
    except KeyError:
        return None
    obj = git[entry.id]
    return obj if isinstance(obj, pygit2.Tree) else None


def _files(git: pygit2.Repository, tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, pygit2.Oid]]:
    """``(path, blob id)`` of every ``.md`` file under ``tree`` (hidden names skipped)."""
    for entry in tree:
        name = entry.name or ""
        if name.startswith("."):
            continue
        path = f"{prefix}/{name}"
        if entry.type_str == "tree":
            yield from _files(git, git[entry.id], path)  # type: ignore[arg-type]
        elif name.endswith(".md"):
            yield path, entry.id


def _user_folders(git: pygit2.Repository, tree: pygit2.Tree) -> Iterator[str]:
    users = _subtree(git, tree, USERS_FOLDER)
    if users is None:
        return
    for shard in users:
        if shard.type_str != "tree":
            continue
        for user in git[shard.id]:  # type: ignore[attr-defined]
            if user.type_str == "tree":
                yield f"{USERS_FOLDER}/{shard.name}/{user.name}"


def _parse(git: pygit2.Repository, path: str, oid: pygit2.Oid, unit: Unit) -> Record | None:
    try:
        return parse_bytes(git[oid].data, path)  # type: ignore[attr-defined]
    except RecordParseError as exc:
        unit.skipped.append(f"{exc} (not curated)")
    except LearningFSError as exc:
        unit.skipped.append(f"{path}: {exc} (not curated)")
    return None


def _load_user(git: pygit2.Repository, tree: pygit2.Tree, folder: str) -> Unit:
    unit = Unit(key=folder, namespace=USER_NAMESPACE)
    subtree = _subtree(git, tree, folder)
    if subtree is None:
        return unit
    owners: set[str] = set()
    for path, oid in _files(git, subtree, folder):
        record = _parse(git, path, oid, unit)
        if record is None:
            continue
        if record.namespace != USER_NAMESPACE or not record.user or user_folder(record.user) != folder:
            unit.skipped.append(f"{path}: namespace {record.namespace!r}, user {record.user!r} does not belong in "
                                f"{folder}/ (not curated)")
            continue
        owners.add(record.user)
        unit.originals[path] = record
        unit.blobs[path] = str(oid)
    unit.user = next(iter(owners)) if len(owners) == 1 else None
    return unit


def _load_shared(git: pygit2.Repository, tree: pygit2.Tree, namespaces: list[str] | None) -> list[Unit]:
    wanted = None if namespaces is None else {namespace_segment(ns) for ns in namespaces}
    units: dict[str, Unit] = {}  # by namespace folder segment
    roots: list[tuple[str, str | None]] = []  # (folder, namespace segment; None for sessions/)
    for folder in FOLDERS.values():
        top = _subtree(git, tree, folder)
        if top is None:
            continue
        for entry in top:
            if entry.type_str == "tree" and (wanted is None or entry.name in wanted):
                roots.append((f"{folder}/{entry.name}", entry.name))
    if _subtree(git, tree, SESSIONS_FOLDER) is not None:
        roots.append((SESSIONS_FOLDER, None))

    def unit_for(segment: str) -> Unit:
        return units.setdefault(segment, Unit(key=f"namespace {segment}", namespace=""))

    for root, segment in roots:
        subtree = _subtree(git, tree, root)
        assert subtree is not None
        for path, oid in _files(git, subtree, root):
            scratch = Unit(key="", namespace="")
            record = _parse(git, path, oid, scratch)
            own = segment
            if own is None:  # a shared session: its unit is the namespace it names
                if record is None or record.namespace == USER_NAMESPACE:
                    own = "sessions"
                else:
                    own = namespace_segment(record.namespace)
                if wanted is not None and own not in wanted:
                    continue
            unit = unit_for(own)
            unit.skipped.extend(scratch.skipped)
            if record is None:
                continue
            if record.namespace == USER_NAMESPACE or namespace_segment(record.namespace) != own:
                unit.skipped.append(f"{path}: namespace {record.namespace!r} does not belong in {root}/ "
                                    "(not curated)")
                continue
            if kind_from_path(path) != record.kind:
                unit.skipped.append(f"{path}: a {record.kind} record in the wrong folder (not curated)")
                continue
            unit.namespace = record.namespace
            unit.key = f"namespace {record.namespace}"
            unit.originals[path] = record
            unit.blobs[path] = str(oid)
    return [units[segment] for segment in sorted(units)]
