"""How the memory grew: records over time, churn (adds, updates, deletes) and who made the changes.

All of it is computed from the file-level changes of the checked-out branch's first-parent
history (:attr:`History.mainline_changes`), so a record that arrived through a proposal is
counted once, on the day its merge landed, and nothing that was only proposed is counted.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from learning_fs.analytics.history import History, path_facets

GroupBy = Literal["kind", "namespace", "user", "store"]
COUNTED_ACTIONS = ("add", "update", "rename", "delete")


def _bucket(dates: pd.Series, freq: str) -> pd.Series:
    """The start of the period each date falls in (UTC), e.g. the Monday of its week for ``W``."""
    naive = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period(freq).dt.start_time.dt.tz_localize("UTC")


def record_deltas(history: History, by: GroupBy = "kind") -> pd.DataFrame:
    """One row per +1/-1 in the number of record files: ``date, sha, path, group, delta``.

    An add counts +1 for its group, a delete -1 for the group the record was *added* under (so
    a record added for alice and deleted by the curator leaves alice's count, not the
    curator's), and a rename that moves a record between groups counts in both.
    """
    changes = history.mainline_changes
    group_of: dict[str, object] = {}
    rows: list[tuple[object, str, str, object, int]] = []
    for date, sha, action, path, old_path, value in zip(
            changes["date"], changes["sha"], changes["action"], changes["path"], changes["old_path"],
            changes[by] if by in changes else changes["kind"], strict=True):
        group = value if value is not None and value == value else "(none)"
        if action == "add":
            group_of[path] = group
            rows.append((date, sha, path, group, 1))
        elif action == "delete":
            rows.append((date, sha, path, group_of.pop(path, group), -1))
        elif action == "rename" and old_path is not None:
            before = group_of.pop(old_path, None)
            if before is None and path_facets(old_path)[0] is None:  # a non-record file became a record
                rows.append((date, sha, path, group, 1))
            else:
                after = group if by in ("kind", "namespace") or before is None else before
                group_of[path] = after
                if after != before:
                    rows.append((date, sha, old_path, before, -1))
                    rows.append((date, sha, path, after, 1))
    return pd.DataFrame(rows, columns=["date", "sha", "path", "group", "delta"])


def records_over_time(history: History, by: GroupBy = "kind", freq: str = "D") -> pd.DataFrame:
    """Record files on the checked-out branch at the end of each period, one column per group.

    ``by``: ``kind`` (learning, entity, …), ``namespace`` (``user`` for private records), ``user``
    (the owner of a private record, else the user the adding commit names) or ``store``. ``freq``
    is a pandas period alias: ``D``, ``W``, ``M``. The last row equals what is in the checkout now.
    """
    deltas = record_deltas(history, by)
    if deltas.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="date"))
    deltas["period"] = _bucket(deltas["date"], freq)
    table = deltas.pivot_table(index="period", columns="group", values="delta", aggfunc="sum", fill_value=0)
    span = _bucket(history.mainline_changes["date"], freq)  # through the last change, even an update
    full = pd.date_range(span.min(), span.max(), freq=_range_freq(freq))
    table = table.reindex(full, fill_value=0).cumsum()
    table.index.name, table.columns.name = "date", by
    return table.astype("int64")


def _range_freq(freq: str) -> str:
    """The ``date_range`` alias whose steps are the starts of ``freq`` periods."""
    return {"W": "W-MON", "M": "MS", "Q": "QS", "Y": "YS", "A": "YS"}.get(freq, freq)


def churn(history: History, freq: str = "W", by: GroupBy | None = None) -> pd.DataFrame:
    """Adds, updates, renames and deletes of record files per period (columns), optionally per group.

    With ``by`` the columns are a MultiIndex ``(action, group)``. See
    :func:`learning_fs.analytics.lifecycle` for supersedes and merges, which happen inside files.
    """
    changes = history.mainline_changes
    if changes.empty:
        return pd.DataFrame(columns=list(COUNTED_ACTIONS), index=pd.DatetimeIndex([], tz="UTC", name="date"))
    frame = changes.assign(period=_bucket(changes["date"], freq))
    columns = ["action"] if by is None else ["action", by]
    table = frame.pivot_table(index="period", columns=columns, values="sha", aggfunc="count", fill_value=0)
    full = pd.date_range(table.index.min(), table.index.max(), freq=_range_freq(freq))
    table = table.reindex(full, fill_value=0)
    if by is None:
        table = table.reindex(columns=list(COUNTED_ACTIONS), fill_value=0)
        table.columns.name = "action"
    table.index.name = "date"
    return table.astype("int64")


def editors(history: History, freq: str = "W") -> pd.DataFrame:
    """Commits per period that changed memory, by ``human`` and ``library`` (see :class:`History`).

    Merge commits are left out: a merge is a review decision, counted by
    :func:`learning_fs.analytics.proposals`, not an edit.
    """
    commits = history.commits
    commits = commits[commits["mainline"] & ~commits["merge"]]
    touched = set(history.mainline_changes["sha"])
    commits = commits[commits["sha"].isin(touched)]
    if commits.empty:
        return pd.DataFrame(columns=["human", "library"], index=pd.DatetimeIndex([], tz="UTC", name="date"))
    frame = commits.assign(period=_bucket(commits["date"], freq))
    table = frame.pivot_table(index="period", columns="editor", values="sha", aggfunc="count", fill_value=0)
    full = pd.date_range(table.index.min(), table.index.max(), freq=_range_freq(freq))
    table = table.reindex(full, fill_value=0).reindex(columns=["human", "library"], fill_value=0)
    table.index.name, table.columns.name = "date", "editor"
    return table.astype("int64")


def human_edits(history: History) -> pd.DataFrame:
    """Every commit a person made to memory files (their own git commits): sha, date, author, subject, files."""
    commits = history.commits
    mine = commits[commits["mainline"] & ~commits["merge"] & (commits["editor"] == "human")]
    files = history.mainline_changes.groupby("sha")["path"].apply(list)
    mine = mine[mine["sha"].isin(files.index)]
    out = mine[["sha", "date", "author", "email", "subject"]].copy()
    out["files"] = out["sha"].map(files)
    return out.sort_values("date").reset_index(drop=True)


def activity(history: History, by: GroupBy = "user") -> pd.DataFrame:
    """Per group: commits, adds, updates, deletes, first and last change (who teaches the agent most)."""
    changes = history.mainline_changes
    if changes.empty:
        return pd.DataFrame(columns=["commits", *COUNTED_ACTIONS, "first", "last"])
    counts = changes.pivot_table(index=by, columns="action", values="sha", aggfunc="count", fill_value=0)
    counts = counts.reindex(columns=list(COUNTED_ACTIONS), fill_value=0)
    grouped = changes.groupby(by)
    counts.insert(0, "commits", grouped["sha"].nunique())
    counts["first"], counts["last"] = grouped["date"].min(), grouped["date"].max()
    return counts.sort_values("commits", ascending=False)
