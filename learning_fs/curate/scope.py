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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pygit2

from learning_fs.curate.parsed import ParsedCache
from learning_fs.errors import RecordParseError
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
    _order: list[str] = field(default_factory=list, repr=False)  # sorted paths of ``originals``

    @property
    def private(self) -> bool:
        return self.namespace == USER_NAMESPACE

    def records(self, kind: str | None = None) -> Iterator[tuple[str, Record]]:
        """``(path, record)`` of every live file (the working copy when edited), in path order."""
        if len(self._order) != len(self.originals):
            self._order = sorted(self.originals)
        for path in self._order:
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


Parse = Callable[[str, str], Record]


def load_units(git: pygit2.Repository, commit: pygit2.Commit | None, *, users: list[str] | None,
               namespaces: list[str] | None, all_users: bool, cache: ParsedCache | None = None) -> list[Unit]:
    """The units a run covers.

    ``users``: these users' folders; ``all_users``: every user folder; ``namespaces``: these
    shared namespaces (``[]`` none, None every one). Only those subtrees are listed and read;
    ``cache`` spares parsing files whose blob was parsed in an earlier run.
    """
    if commit is None:
        return []
    tree = commit.tree
    folders: dict[str, pygit2.Tree | None] = {user_folder(user): None for user in users or []}
    if all_users:
        folders.update(_user_folders(git, tree))
    listed_users = [(folder, list(_files(git, subtree or _subtree(git, tree, folder), folder)))
                    for folder, subtree in sorted(folders.items())]
    listed_shared = _shared_roots(git, tree, namespaces) if namespaces is None or namespaces else []
    blobs = {path: str(oid) for _, files in [*listed_users, *listed_shared] for path, oid in files}

    def parse(path: str, blob: str) -> Record:
        return parse_bytes(git[blob].data, path)  # type: ignore[attr-defined]

    records = (cache or ParsedCache(None)).records(blobs, parse)
    units = [_user_unit(folder, files, records) for folder, files in listed_users]
    units.extend(_shared_units(listed_shared, records, namespaces))
    return [unit for unit in units if unit.originals or unit.skipped]


def _subtree(git: pygit2.Repository, tree: pygit2.Tree, path: str) -> pygit2.Tree | None:
    try:
        entry = tree[path]
    except KeyError:
        return None
    obj = git[entry.id]
    return obj if isinstance(obj, pygit2.Tree) else None


def _files(git: pygit2.Repository, tree: pygit2.Tree | None, prefix: str) -> Iterator[tuple[str, pygit2.Oid]]:
    """``(path, blob id)`` of every ``.md`` file under ``tree`` (hidden names skipped)."""
    if tree is None:
        return
    for entry in tree:
        name = entry.name or ""
        if name.startswith("."):
            continue
        path = f"{prefix}/{name}"
        if entry.type_str == "tree":
            yield from _files(git, git[entry.id], path)  # type: ignore[arg-type]
        elif name.endswith(".md"):
            yield path, entry.id


def _user_folders(git: pygit2.Repository, tree: pygit2.Tree) -> Iterator[tuple[str, pygit2.Tree]]:
    users = _subtree(git, tree, USERS_FOLDER)
    if users is None:
        return
    for shard in users:
        if shard.type_str != "tree":
            continue
        for user in git[shard.id]:  # type: ignore[attr-defined]
            if user.type_str == "tree":
                yield f"{USERS_FOLDER}/{shard.name}/{user.name}", git[user.id]  # type: ignore[misc]


def _record(path: str, records: dict[str, Record | Exception], unit: Unit) -> Record | None:
    """The parsed record at ``path``, or None with the reason noted on ``unit``."""
    found = records.get(path)
    if isinstance(found, Record):
        return found
    if isinstance(found, RecordParseError):
        unit.skipped.append(f"{found} (not curated)")
    elif found is not None:
        unit.skipped.append(f"{path}: {found} (not curated)")
    return None


def _user_unit(folder: str, files: list[tuple[str, pygit2.Oid]], records: dict[str, Record | Exception]) -> Unit:
    unit = Unit(key=folder, namespace=USER_NAMESPACE)
    owners: set[str] = set()
    for path, oid in files:
        record = _record(path, records, unit)
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


def _shared_roots(git: pygit2.Repository, tree: pygit2.Tree,
                  namespaces: list[str] | None) -> list[tuple[tuple[str, str | None], list[tuple[str, pygit2.Oid]]]]:
    """``((folder, namespace segment or None for sessions/), files)`` of the shared folders a run covers."""
    wanted = None if namespaces is None else {namespace_segment(ns) for ns in namespaces}
    roots: list[tuple[tuple[str, str | None], list[tuple[str, pygit2.Oid]]]] = []
    for folder in FOLDERS.values():
        top = _subtree(git, tree, folder)
        if top is None:
            continue
        for entry in top:
            if entry.type_str == "tree" and (wanted is None or entry.name in wanted):
                root = f"{folder}/{entry.name}"
                roots.append(((root, entry.name), list(_files(git, git[entry.id], root))))  # type: ignore[arg-type]
    sessions = _subtree(git, tree, SESSIONS_FOLDER)
    if sessions is not None:
        roots.append(((SESSIONS_FOLDER, None), list(_files(git, sessions, SESSIONS_FOLDER))))
    return roots


def _shared_units(roots: list[tuple[tuple[str, str | None], list[tuple[str, pygit2.Oid]]]],
                  records: dict[str, Record | Exception], namespaces: list[str] | None) -> list[Unit]:
    wanted = None if namespaces is None else {namespace_segment(ns) for ns in namespaces}
    units: dict[str, Unit] = {}  # by namespace folder segment

    def unit_for(segment: str) -> Unit:
        return units.setdefault(segment, Unit(key=f"namespace {segment}", namespace=""))

    for (root, segment), files in roots:
        for path, oid in files:
            scratch = Unit(key="", namespace="")
            record = _record(path, records, scratch)
            own = segment
            if own is None:  # a shared session: its unit is the namespace it names
                own = "sessions" if record is None or record.namespace == USER_NAMESPACE \
                    else namespace_segment(record.namespace)
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
