"""``History``: a memory repository's git log as two pandas DataFrames, ``commits`` and ``changes``.

Everything the analytics functions compute starts here, so the log is read once (one ``git log``
process, see :mod:`learning_fs.analytics.gitlog`) and every question after that is pandas.

Three facts about each commit are derived here because every view needs them:

* ``mainline``: on the first-parent chain of the checked-out branch. Counting only these
  commits' changes (merges diffed against their first parent) counts each change to the memory
  the agent recalls exactly once, whether it came straight from a store or through a proposal.
* ``landed``: when the commit's change reached the checked-out branch (its own date on the
  mainline; the date of the merge that brought it in for a proposal's commits; NaT if never).
* ``editor``: ``"library"`` for commits authored by the repository's configured author
  (``learning_fs.yaml``, default ``learning-fs``) or carrying a ``Learning-Store`` trailer;
  ``"human"`` for everything else (a person's own ``git commit``, an edit on a forge).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from learning_fs.analytics.gitlog import LogEntry, branch_tips, head_sha, read_log
from learning_fs.format.layout import FOLDERS, SESSIONS_FOLDER, USERS_FOLDER, kind_from_path
from learning_fs.repo import trailers as names
from learning_fs.repo.config import RepoConfig

ACTIONS = {"A": "add", "M": "update", "T": "update", "D": "delete", "R": "rename", "C": "add"}
SHARED_SESSIONS = "shared"  # namespace label of sessions stored outside users/ (no owner)
TRAILER_COLUMNS = {
    "store": names.STORE, "mode": names.MODE, "user": names.USER, "session": names.SESSION,
    "agent": names.AGENT, "kinds": names.KIND, "proposal": names.PROPOSAL, "revert": names.REVERT,
}


@functools.lru_cache(maxsize=262_144)
def path_facets(path: str) -> tuple[str | None, str | None, str | None]:
    """``(kind, namespace, owner)`` of a repository path (``(None, None, None)`` for non-records).

    The layout encodes all three (``users/<shard>/<user>/…`` is private to ``user``,
    ``learnings/<namespace>/…`` is shared), so no file has to be read.
    """
    kind = kind_from_path(path)
    if kind is None:
        return None, None, None
    parts = path.split("/")
    if parts[0] == USERS_FOLDER:
        return kind, "user", parts[2]
    if parts[0] == SESSIONS_FOLDER:
        return kind, SHARED_SESSIONS, None
    if parts[0] in FOLDERS.values() and len(parts) > 2:
        return kind, parts[1], None
    return kind, None, None


@dataclass
class History:
    """The history of one memory repository as DataFrames (build it with :meth:`load`).

    ``commits``: one row per commit (sha, parents, merge, author, email, authored, date, subject,
    trailers, store, mode, user, session, agent, kinds, proposal, revert, editor, mainline,
    order, landed, landed_by); ``order`` numbers the mainline from its first commit (-1 off it).
    ``changes``: one row per changed file (sha, date, landed, mainline, order, status, action,
    path, old_path, old_blob, new_blob, kind, namespace, owner, editor, store, user, proposal).
    Dates are timezone-aware UTC timestamps.
    """

    root: Path
    commits: pd.DataFrame
    changes: pd.DataFrame
    head: str | None
    branches: dict[str, str]

    @classmethod
    def load(cls, repo: str | os.PathLike[str] | object) -> History:
        """Read the history of a repository (a path or a ``MemoryRepo``): one ``git log`` in all."""
        root = Path(repo if isinstance(repo, (str, os.PathLike)) else repo.root)  # type: ignore[attr-defined]
        entries = read_log(root)
        config = RepoConfig.load(root)
        return cls.from_entries(root, entries, head_sha(root), branch_tips(root),
                                library=(config.author.name, config.author.email))

    @classmethod
    def from_entries(cls, root: Path, entries: list[LogEntry], head: str | None, branches: dict[str, str],
                     library: tuple[str, str] = ("learning-fs", "learning-fs@localhost")) -> History:
        parents = {e.sha: e.parents for e in entries}
        mainline = _first_parent_chain(head, parents)
        landed_by = _landed_by(mainline, parents)
        commits = _commit_frame(entries, mainline, landed_by, library)
        changes = _change_frame(entries, commits)
        return cls(root=root, commits=commits, changes=changes, head=head, branches=branches)

    # -- convenient views ---------------------------------------------------------------------
    @property
    def mainline_changes(self) -> pd.DataFrame:
        """Changes of record files that reached the checked-out branch, oldest first."""
        c = self.changes
        return c[c["mainline"] & c["kind"].notna()].sort_values("order", kind="stable")

    def since(self, when: str | pd.Timestamp | None) -> History:
        """The same history with only the commits (and their changes) dated at or after ``when``."""
        if when is None:
            return self
        stamp = to_utc(when)
        return History(self.root, self.commits[self.commits["date"] >= stamp],
                       self.changes[self.changes["date"] >= stamp], self.head, self.branches)


def to_utc(when: str | pd.Timestamp | object) -> pd.Timestamp:
    """A timestamp in UTC from a date string, datetime or Timestamp (naive means UTC)."""
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _first_parent_chain(head: str | None, parents: dict[str, tuple[str, ...]]) -> list[str]:
    chain, sha = [], head
    while sha is not None and sha in parents:
        chain.append(sha)
        sha = parents[sha][0] if parents[sha] else None
    return chain


def _landed_by(mainline: list[str], parents: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """For every commit reachable from the branch: the mainline commit that brought it in.

    Walking the mainline from the oldest commit, a merge claims everything reachable from its
    other parents that no earlier mainline commit claimed: that is the set of commits the merge
    landed (a proposal's commits, a person's merged branch).
    """
    claimed: dict[str, str] = {sha: sha for sha in mainline}
    for sha in reversed(mainline):
        stack = list(parents.get(sha, ())[1:])
        while stack:
            current = stack.pop()
            if current in claimed or current not in parents:
                continue
            claimed[current] = sha
            stack.extend(parents[current])
    return claimed


def _commit_frame(entries: Iterable[LogEntry], mainline: list[str], landed_by: dict[str, str],
                  library: tuple[str, str]) -> pd.DataFrame:
    order = {sha: index for index, sha in enumerate(reversed(mainline))}  # oldest mainline commit: 0
    rows = []
    for e in entries:
        t = e.trailers
        is_library = e.author == library[0] or e.email == library[1] or names.STORE in t
        row = {"sha": e.sha, "parents": e.parents, "merge": len(e.parents) > 1, "author": e.author,
               "email": e.email, "authored": e.authored, "date": e.committed, "subject": e.subject,
               "trailers": t, "editor": "library" if is_library else "human", "mainline": e.sha in order,
               "order": order.get(e.sha, -1),
               "landed_by": landed_by.get(e.sha)}
        for column, key in TRAILER_COLUMNS.items():
            row[column] = t.get(key)
        rows.append(row)
    columns = ["sha", "parents", "merge", "author", "email", "authored", "date", "subject", "trailers",
               *TRAILER_COLUMNS, "editor", "mainline", "order", "landed_by"]
    frame = pd.DataFrame(rows, columns=columns).astype({"merge": bool, "mainline": bool, "order": "int64"})
    for column in ("authored", "date"):
        frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="s", utc=True)
    dates = dict(zip(frame["sha"], frame["date"], strict=True))
    frame["landed"] = pd.to_datetime(frame["landed_by"].map(dates), utc=True)
    return frame


def _change_frame(entries: Iterable[LogEntry], commits: pd.DataFrame) -> pd.DataFrame:
    columns: dict[str, list[object]] = {k: [] for k in (
        "sha", "status", "path", "old_path", "old_blob", "new_blob", "kind", "namespace", "owner")}
    for e in entries:
        for c in e.changes:
            kind, namespace, owner = path_facets(c.path)
            for key, value in (("sha", e.sha), ("status", c.status), ("path", c.path), ("old_path", c.old_path),
                               ("old_blob", c.old_blob), ("new_blob", c.new_blob), ("kind", kind),
                               ("namespace", namespace), ("owner", owner)):
                columns[key].append(value)
    frame = pd.DataFrame(columns, dtype=object)
    frame["action"] = frame["status"].map(ACTIONS).fillna("update")
    info = commits.set_index("sha")[["date", "landed", "mainline", "order", "editor", "store", "user", "proposal"]]
    frame = frame.join(info, on="sha")
    frame = frame.astype({"mainline": bool, "order": "int64"})
    _credit_merges(frame, commits)
    # Who the change is about: the owner of a private file, else the user the commit names.
    frame["user"] = frame["owner"].where(frame["owner"].notna(), frame["user"])
    return frame


def _credit_merges(frame: pd.DataFrame, commits: pd.DataFrame) -> None:
    """Give a merge's changes the store, user and proposal of the branch commit that made them.

    A merge commit (an approved proposal) names the reviewer, not the store and user that
    proposed the change; the last commit the merge brought in that touched the same path does.
    """
    merges = set(commits.loc[commits["merge"], "sha"])
    if not merges:
        return
    landed = commits.set_index("sha")["landed_by"]
    side = frame[~frame["mainline"] & frame["sha"].map(landed).isin(merges)]
    source: dict[tuple[object, str], tuple[object, object, object]] = {}
    for sha, path, store, user, proposal in zip(side["sha"], side["path"], side["store"], side["user"],
                                                side["proposal"], strict=True):
        source.setdefault((landed[sha], path), (store, user, proposal))  # newest first: keep the last change
    rows = frame.index[frame["sha"].isin(merges)]
    found = [source.get(key) for key in zip(frame.loc[rows, "sha"], frame.loc[rows, "path"], strict=True)]
    for position, column in enumerate(("store", "user", "proposal")):
        values = [f[position] if f is not None else old for f, old in zip(found, frame.loc[rows, column], strict=True)]
        frame[column] = frame[column].astype(object)
        frame.loc[rows, column] = values
