"""Is the memory healthy: curation effect, context size per user, staleness, profiles, recall hits.

Sizes come from blob ids in the history (one ``git cat-file --batch-check``), so the token cost of
the memory at any commit is known without a checkout; tokens are estimated the way the context
builder does (``characters / 4``, :mod:`learning_fs.context.budget`), from bytes.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from learning_fs.analytics.blobs import blob_sizes, blob_texts
from learning_fs.analytics.growth import _bucket, _range_freq
from learning_fs.analytics.history import History
from learning_fs.analytics.lifecycle import parse_version
from learning_fs.context.budget import CHARS_PER_TOKEN
from learning_fs.repo.config import DERIVED_DIR

CURATOR_STORE = "curator"
RECALL_FILE = "recall.sqlite"  # learning_fs.curate.recall_log.FILE_NAME
ALWAYS_LOADED = ("profile", "memories", "session")
"""Kinds a user's every turn loads (the rest is searched): what "context size per user" counts."""
OPERATIONS = ("merge", "supersede", "expire", "prune", "demote", "promote")


def tokens(size_bytes: float) -> int:
    """Estimated tokens of a file of ``size_bytes`` (the context builder's ``len / 4``)."""
    return int(-(-size_bytes // CHARS_PER_TOKEN))


def size_deltas(history: History) -> pd.DataFrame:
    """Mainline record changes with sizes: ``old_bytes``, ``new_bytes``, ``bytes`` (the difference)
    and ``records`` (+1 added, -1 deleted, 0 otherwise)."""
    changes = history.mainline_changes
    sizes = blob_sizes(history.root, [*changes["old_blob"], *changes["new_blob"]])
    old = changes["old_blob"].map(sizes).fillna(0).astype("int64")
    new = changes["new_blob"].map(sizes).fillna(0).astype("int64")
    return changes.assign(old_bytes=old, new_bytes=new, bytes=new - old,
                          records=changes["action"].map({"add": 1, "delete": -1}).fillna(0).astype("int64"))


def current_files(history: History) -> dict[str, str]:
    """``{path: blob}`` of every record file on the checked-out branch now (from the history alone)."""
    live: dict[str, str] = {}
    for action, path, old_path, blob in zip(*(history.mainline_changes[c] for c in
                                              ("action", "path", "old_path", "new_blob")), strict=True):
        if action == "delete":
            live.pop(path, None)
            continue
        if action == "rename" and old_path is not None:
            live.pop(old_path, None)
        live[path] = blob
    return live


def is_curation(commits: pd.DataFrame) -> pd.Series:
    """Commits that curated: the curator's own (``Learning-Store: curator``), or the merge of an
    approved curation proposal (``Learning-Proposal: curate/…``), whose diff is the run's effect."""
    proposal = commits["proposal"].fillna("").astype(str)
    return (commits["store"] == CURATOR_STORE) | (commits["merge"] & proposal.str.startswith("curate/"))


def curation_effect(history: History) -> pd.DataFrame:
    """One row per curation commit on the checked-out branch: records and tokens before and after.

    Columns: ``sha, date, subject, records_before, records_after, tokens_before, tokens_after``
    (all record files), ``files_changed, files_tokens_before, files_tokens_after`` (only the
    files the run touched: where its effect shows in a big repository) and one count per
    operation the commit message lists (``merge``, ``supersede``, ``expire``, ``prune``,
    ``demote``, ``promote``: the curator writes one line each).
    """
    deltas = size_deltas(history)
    per_commit = deltas.groupby("sha", sort=False).agg(order=("order", "first"), records=("records", "sum"),
                                                        bytes=("bytes", "sum"), files=("path", "size"),
                                                        old_bytes=("old_bytes", "sum"), new_bytes=("new_bytes", "sum"))
    per_commit = per_commit.sort_values("order")
    per_commit["records_after"] = per_commit["records"].cumsum()
    per_commit["bytes_after"] = per_commit["bytes"].cumsum()
    commits = history.commits
    curated = commits[commits["mainline"] & is_curation(commits)].sort_values("order")
    # A merged curation proposal lists its actions in the curator's commit on the branch, not in the merge.
    side = commits[~commits["mainline"] & (commits["store"] == CURATOR_STORE) & commits["landed_by"].notna()]
    messages = _commit_messages(history.root, [*curated["sha"], *side["sha"]])
    for sha, landed_by in zip(side["sha"], side["landed_by"], strict=True):
        messages[landed_by] = messages.get(landed_by, "") + "\n" + messages.get(sha, "")
    rows = []
    for c in curated.itertuples(index=False):
        if c.sha not in per_commit.index:
            continue
        p = per_commit.loc[c.sha]
        row = {"sha": c.sha, "date": c.date, "subject": c.subject,
               "records_before": int(p["records_after"] - p["records"]), "records_after": int(p["records_after"]),
               "tokens_before": tokens(p["bytes_after"] - p["bytes"]), "tokens_after": tokens(p["bytes_after"]),
               "files_changed": int(p["files"]), "files_tokens_before": tokens(p["old_bytes"]),
               "files_tokens_after": tokens(p["new_bytes"])}
        row.update(_operation_counts(messages.get(c.sha, "")))
        rows.append(row)
    columns = ["sha", "date", "subject", "records_before", "records_after", "tokens_before", "tokens_after",
               "files_changed", "files_tokens_before", "files_tokens_after", *OPERATIONS]
    return pd.DataFrame(rows, columns=columns)


def _operation_counts(message: str) -> dict[str, int]:
    """Lines of a commit message that start with an operation name (the curator's action list)."""
    counts = dict.fromkeys(OPERATIONS, 0)
    for line in message.splitlines()[1:]:
        word = line.strip().lstrip("-* ").split(" ", 1)[0].lower()
        if word in counts:
            counts[word] += 1
    return counts


def _commit_messages(root: Path, shas: Iterable[str]) -> dict[str, str]:
    """Full messages of some commits (one ``cat-file --batch``; the frames keep only subjects)."""
    return {sha: raw.split("\n\n", 1)[1] if "\n\n" in raw else "" for sha, raw in blob_texts(root, shas).items()}


def tokens_over_time(history: History, by: str | None = "owner", freq: str = "W",
                     kinds: Iterable[str] | None = ALWAYS_LOADED) -> pd.DataFrame:
    """Estimated tokens of record files at the end of each period, one column per ``by`` group.

    Default: the always-loaded context of each user (profile, memories, sessions under their
    folder), the part of every prompt that grows with what the agent learned about them.
    ``by=None`` gives one ``total`` column; ``kinds=None`` counts every record kind.
    """
    deltas = size_deltas(history)
    if kinds is not None:
        deltas = deltas[deltas["kind"].isin(list(kinds))]
    if by is not None:
        deltas = deltas[deltas[by].notna()]
    if deltas.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="date"))
    deltas = deltas.assign(period=_bucket(deltas["date"], freq), group=deltas[by] if by else "total")
    table = deltas.pivot_table(index="period", columns="group", values="bytes", aggfunc="sum", fill_value=0)
    table = table.reindex(pd.date_range(table.index.min(), table.index.max(), freq=_range_freq(freq)), fill_value=0)
    table = (table.cumsum() / CHARS_PER_TOKEN).round().astype("int64")
    table.index.name, table.columns.name = "date", by or "total"
    return table


def stale_over_time(history: History, days: int = 30, freq: str = "W") -> pd.DataFrame:
    """Per period end: live records, how many were not changed in the ``days`` before, and the rate."""
    changes = history.mainline_changes
    if changes.empty:
        return pd.DataFrame(columns=["records", "stale", "stale_rate"])
    starts = pd.date_range(_bucket(changes["date"], freq).min(), changes["date"].max(), freq=_range_freq(freq))
    step, final = pd.tseries.frequencies.to_offset(_range_freq(freq)), changes["date"].max()
    ends = [min(start + step, final + pd.Timedelta(seconds=1)) for start in starts]  # the last period ends now
    window = pd.Timedelta(days=days)
    last: dict[str, pd.Timestamp] = {}
    rows: list[tuple[int, int]] = []
    index = 0
    dates, actions, paths, olds = (changes[c].tolist() for c in ("date", "action", "path", "old_path"))
    for end in ends:
        while index < len(dates) and dates[index] < end:
            if actions[index] == "delete":
                last.pop(paths[index], None)
            else:
                if actions[index] == "rename" and olds[index] is not None:
                    last.pop(olds[index], None)
                last[paths[index]] = dates[index]
            index += 1
        stale = sum(1 for when in last.values() if end - when > window)
        rows.append((len(last), stale))
    frame = pd.DataFrame(rows, columns=["records", "stale"], index=starts.rename("date"))
    frame["stale_rate"] = (frame["stale"] / frame["records"]).where(frame["records"] > 0)
    return frame


def profile_completeness(history: History, schema: object = None) -> pd.DataFrame:
    """Per user: profile fields filled, of how many, the share, and which are missing.

    ``schema``: a :class:`~learning_fs.stores.UserProfile` subclass or a list of field names.
    Default: the built-in profile's fields plus every field some profile in the repository uses
    (the schema the repository actually has).
    """
    from learning_fs.format.records import ProfileRecord, parse_record

    live = {p: b for p, b in current_files(history).items() if p.endswith("/profile.md")}
    texts = blob_texts(history.root, live.values())
    profiles = []
    for path, blob in sorted(live.items()):
        try:
            record = parse_record(texts.get(blob, ""), path)
        except Exception:  # a broken profile is a validate problem, not an analytics crash
            continue
        if isinstance(record, ProfileRecord):
            profiles.append(record)
    fields = _schema_fields(schema, profiles)
    rows = []
    for record in profiles:
        filled = [f for f in fields if record.fields.get(f) not in (None, "", [], {})]
        rows.append({"user": record.user, "filled": len(filled), "fields": len(fields),
                     "completeness": len(filled) / len(fields) if fields else 0.0,
                     "missing": [f for f in fields if f not in filled]})
    return pd.DataFrame(rows, columns=["user", "filled", "fields", "completeness", "missing"])


def _schema_fields(schema: object, profiles: Sequence[object]) -> list[str]:
    if schema is None:
        from learning_fs.stores.profile_schema import UserProfile

        names = [f.name for f in dataclasses.fields(UserProfile)]
        for record in profiles:
            names += [k for k in record.fields if k not in names]  # type: ignore[attr-defined]
        return names
    if isinstance(schema, type) and dataclasses.is_dataclass(schema):
        return [f.name for f in dataclasses.fields(schema)]
    return [str(name) for name in schema]  # type: ignore[attr-defined]


def recall_hits(history: History) -> pd.DataFrame:
    """Recalls per record or item, where the repository records them (else an empty frame).

    The curator's recall log (``.learning_fs/recall.sqlite``: id, last recall, count) is derived
    data that never enters git; a clone has none. Columns: ``id, hits, last_recalled, path, kind,
    unit`` (``record`` or ``item``; path and kind from the current files, empty for ids gone).
    """
    columns = ["id", "hits", "last_recalled", "path", "kind", "unit"]
    log = Path(history.root) / DERIVED_DIR / RECALL_FILE
    if not log.is_file():
        return pd.DataFrame(columns=columns)
    try:
        db = sqlite3.connect(f"file:{log}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT id, count, last FROM recalls").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows, columns=["id", "hits", "last_recalled"])
    frame["last_recalled"] = pd.to_datetime(frame["last_recalled"], unit="s", utc=True)
    where = _id_locations(history)
    frame["path"] = frame["id"].map(lambda i: where.get(i, (None, None, None))[0])
    frame["kind"] = frame["id"].map(lambda i: where.get(i, (None, None, None))[1])
    frame["unit"] = frame["id"].map(lambda i: where.get(i, (None, None, None))[2])
    return frame.sort_values(["hits", "id"], ascending=[False, True]).reset_index(drop=True)[columns]


def _id_locations(history: History) -> dict[str, tuple[str, str | None, str]]:
    """Record and item ids of the current files → (path, kind, unit)."""
    from learning_fs.format.layout import kind_from_path

    live = current_files(history)
    texts = blob_texts(history.root, live.values())
    found: dict[str, tuple[str, str | None, str]] = {}
    for path, blob in live.items():
        version = parse_version(texts.get(blob))
        kind = kind_from_path(path)
        if version.record_id:
            found[version.record_id] = (path, kind, "record")
        for key in version.items:
            if not key.startswith("text:"):
                found[key] = (path, kind, "item")
    return found
