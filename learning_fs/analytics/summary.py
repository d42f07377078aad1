"""The headline numbers ``learning-fs stats`` prints: one dict, JSON-ready.

Totals describe the repository now; activity (commits, changes, proposals decided, curation runs)
is counted from ``since`` on when given. Everything comes from one ``git log`` and two
``git cat-file`` batches, so it stays within a few seconds at 10k commits.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from learning_fs.analytics.blobs import blob_sizes
from learning_fs.analytics.growth import COUNTED_ACTIONS, record_deltas
from learning_fs.analytics.history import History, to_utc
from learning_fs.analytics.quality import curation_effect, current_files, tokens
from learning_fs.analytics.review import proposals, review_summary


def _iso(stamp: Any) -> str | None:
    return None if stamp is None or pd.isna(stamp) else pd.Timestamp(stamp).isoformat()


def headline(history: History, since: str | None = None) -> dict[str, Any]:
    """Repository totals now and activity since ``since`` (a date; None: all of it)."""
    start = to_utc(since) if since else None
    commits, changes = history.commits, history.mainline_changes
    if start is not None:
        commits = commits[commits["date"] >= start]
        changes = changes[changes["date"] >= start]
    main = commits[commits["mainline"]]
    edits = main[~main["merge"] & main["sha"].isin(set(changes["sha"]))]
    by_kind = record_deltas(history, "kind").groupby("group")["delta"].sum()
    by_namespace = record_deltas(history, "namespace").groupby("group")["delta"].sum()
    live = current_files(history)
    size = sum(blob_sizes(history.root, live.values()).values())
    table = proposals(history)
    if start is not None:
        table = table[(table["opened"] >= start) | (table["decided"] >= start)]
    curation = curation_effect(history)
    if start is not None:
        curation = curation[curation["date"] >= start]
    all_main = history.commits[history.commits["mainline"]]
    users = set(history.mainline_changes["user"].dropna()) | set(all_main["user"].dropna())
    return {
        "repository": str(history.root),
        "since": _iso(start),
        "head": history.head,
        "first_commit": _iso(all_main["date"].min()) if len(all_main) else None,
        "last_commit": _iso(all_main["date"].max()) if len(all_main) else None,
        "records": {
            "total": int(by_kind.sum()),
            "by_kind": {str(k): int(v) for k, v in by_kind.items() if v},
            "by_namespace": {str(k): int(v) for k, v in by_namespace.items() if v},
            "tokens": tokens(size),
        },
        "users": len(users),
        "sessions": int(all_main["session"].nunique()),
        "commits": {
            "total": len(main),
            "library": int((edits["editor"] == "library").sum()),
            "human": int((edits["editor"] == "human").sum()),
            "merges": int(main["merge"].sum()),
        },
        "changes": {action: int((changes["action"] == action).sum()) for action in COUNTED_ACTIONS},
        "proposals": review_summary(table),
        "curation": {
            "runs": len(curation),
            "records_removed": int((curation["records_before"] - curation["records_after"]).clip(lower=0).sum()),
            "tokens_saved": int((curation["tokens_before"] - curation["tokens_after"]).clip(lower=0).sum()),
        },
    }


def headline_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline as ``(metric, value)`` rows, in the order a person reads them."""
    records, commits, review, curation = data["records"], data["commits"], data["proposals"], data["curation"]
    span = f"{(data['first_commit'] or '-')[:10]} → {(data['last_commit'] or '-')[:10]}"
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(records["by_kind"].items(), key=lambda kv: -kv[1]))
    spaces = ", ".join(f"{k} {v}" for k, v in sorted(records["by_namespace"].items(), key=lambda kv: -kv[1]))
    latency = review["median_review_hours"]
    rows = [
        ("history", span),
        ("records", f"{records['total']:,}" + (f" ({kinds})" if kinds else "")),
        ("namespaces", spaces or "-"),
        ("memory size", f"~{records['tokens']:,} tokens"),
        ("users / sessions", f"{data['users']:,} / {data['sessions']:,}"),
        ("commits" + (" since " + data["since"][:10] if data["since"] else ""),
         f"{commits['total']:,} ({commits['library']:,} by the library, {commits['human']:,} by people, "
         f"{commits['merges']:,} merges)"),
        ("changes", ", ".join(f"{v:,} {k}s" for k, v in data["changes"].items())),
        ("proposals", f"{review['opened']:,} opened: {review['approved']:,} approved, "
                      f"{review['rejected']:,} rejected, {review['open']:,} open"),
        ("review time", "-" if latency is None else f"median {latency} h, p90 {review['p90_review_hours']} h"),
        ("curation", f"{curation['runs']:,} runs removed {curation['records_removed']:,} records, "
                     f"~{curation['tokens_saved']:,} tokens"),
    ]
    return rows
