"""Proposals from the history: opened, approved, rejected or still open, and how long review took.

How the review workflow records its decisions (``learning_fs.review``), and how each is read back:

* a proposal is one or more commits on ``proposals/<kind>/<slug>`` carrying a
  ``Learning-Proposal: <kind>/<slug>`` trailer; the first one's date is when it was **opened**;
* **approved** means its commits reached the checked-out branch: by a merge commit, approved
  when the merge was made, by the ``Learning-Approved-By`` it names (else its author); or by a
  fast-forward, which leaves no trace of when or by whom (``decided`` and ``latency`` stay empty);
* **rejected** means a commit on the checked-out branch added a rejection file under
  ``reviews/rejected/`` (its frontmatter holds the proposal, the reason, who and when) and
  carries ``Learning-Rejected: <id>``; the rejected branch itself is deleted, so its opening
  date comes from the commit the rejection names when the object is still there;
* **open**: a ``proposals/...`` branch whose tip is not on the checked-out branch.
"""

from __future__ import annotations

import re

import pandas as pd
import yaml

from learning_fs.analytics.blobs import blob_texts
from learning_fs.analytics.history import History
from learning_fs.repo import trailers as names

PROPOSAL_BRANCH = "proposals/"
REJECTED_FOLDER = "reviews/rejected/"  # learning_fs.review.rejections.REJECTED_FOLDER (kept light here)
_COMMIT_TIME = re.compile(r"^author .* (\d+) [+-]\d{4}$", re.MULTILINE)
COLUMNS = ["proposal", "kind", "title", "namespace", "user", "store", "state", "opened", "decided", "latency",
           "decided_by", "reason", "commits", "tip"]


def proposals(history: History) -> pd.DataFrame:
    """One row per proposal (see the module docstring): ``proposal, kind, title, namespace, user, store,
    state`` (open, approved, rejected), ``opened, decided, latency`` (a Timedelta), ``decided_by,
    reason`` (of a rejection), ``commits`` and ``tip``. Oldest first.
    """
    rows: dict[str, dict[str, object]] = {}
    commits = history.commits
    approvers = _approvers(commits)
    proposed = commits[commits["proposal"].notna() & ~commits["merge"]].sort_values("authored", kind="stable")
    for c in proposed.itertuples(index=False):
        row = rows.get(c.proposal)
        if row is None:
            row = rows[c.proposal] = _row(c.proposal, c.authored, c.subject, c.user, c.store, c.kinds)
        row["commits"] = int(row["commits"]) + 1  # type: ignore[call-overload]
        row["tip"] = c.sha
        if c.landed_by == c.sha:  # fast-forwarded onto the branch: git keeps no time or name of the approval
            row["state"], row["decided"], row["decided_by"] = "approved", None, None
        elif pd.notna(c.landed):
            row["state"], row["decided"] = "approved", c.landed
            row["decided_by"] = approvers.get(c.landed_by)
    _rejections(history, rows)
    _open(history, rows)
    frame = pd.DataFrame(list(rows.values()), columns=COLUMNS)
    frame["opened"] = pd.to_datetime(frame["opened"], utc=True)
    frame["decided"] = pd.to_datetime(frame["decided"], utc=True)
    frame["latency"] = frame["decided"] - frame["opened"]
    return frame.sort_values(["opened", "proposal"], kind="stable").reset_index(drop=True)


def _row(proposal: str, opened: object, title: str, user: object, store: object, kinds: object) -> dict[str, object]:
    kind = proposal.split("/", 1)[0] if "/" in proposal else (kinds or None)
    return {"proposal": proposal, "kind": kind, "title": title, "namespace": None, "user": user, "store": store,
            "state": "closed", "opened": opened, "decided": None, "decided_by": None, "reason": None,
            "commits": 0, "tip": None}


def _approvers(commits: pd.DataFrame) -> dict[str, str]:
    """Who made each commit a decision: the ``Learning-Approved-By`` trailer, else the author."""
    return {sha: trailers.get(names.APPROVED_BY) or author
            for sha, trailers, author in zip(commits["sha"], commits["trailers"], commits["author"], strict=True)}


def _author_of(commits: pd.DataFrame, sha: object) -> str | None:
    match = commits.loc[commits["sha"] == sha, "author"]
    return str(match.iloc[0]) if len(match) else None


def _rejections(history: History, rows: dict[str, dict[str, object]]) -> None:
    changes = history.changes
    added = changes[changes["mainline"] & (changes["action"] == "add")
                    & changes["path"].str.startswith(REJECTED_FOLDER)]
    texts = blob_texts(history.root, added["new_blob"])
    found = []
    for change in added.itertuples(index=False):
        data = _frontmatter(texts.get(change.new_blob, ""))
        proposal = str(data.get("proposal") or "")
        if proposal:
            found.append((proposal, change, data))
    tips = [str(d.get("commit")) for _, _, d in found if d.get("commit")]
    opened_at = _commit_times(history, tips)
    for proposal, change, data in found:
        row = rows.get(proposal)
        tip = str(data.get("commit") or "") or None
        if row is None:
            opened = opened_at.get(tip or "")
            row = rows[proposal] = _row(proposal, opened, str(data.get("title") or proposal), None, None,
                                        data.get("kind"))
            row["tip"] = tip
        row["state"], row["decided"] = "rejected", change.date
        row["reason"] = data.get("reason")
        row["decided_by"] = data.get("rejected_by") or _author_of(history.commits, change.sha)
        row["namespace"] = data.get("namespace") or row["namespace"]
        if data.get("kind"):
            row["kind"] = data.get("kind")


def _open(history: History, rows: dict[str, dict[str, object]]) -> None:
    commits = history.commits
    on_main = set(commits.loc[commits["landed_by"].notna(), "sha"])
    for branch, tip in history.branches.items():
        if not branch.startswith(PROPOSAL_BRANCH) or tip in on_main:
            continue
        proposal = branch.removeprefix(PROPOSAL_BRANCH)
        row = rows.get(proposal)
        if row is None:
            match = commits[commits["sha"] == tip]
            opened = match["authored"].iloc[0] if len(match) else None
            row = rows[proposal] = _row(proposal, opened, str(match["subject"].iloc[0]) if len(match) else branch,
                                        None, None, None)
        if row["state"] != "rejected":
            row["state"], row["decided"], row["tip"] = "open", None, tip


def _frontmatter(text: str) -> dict[str, object]:
    if not text.startswith("---"):
        return {}
    head = text[3:].split("\n---", 1)[0]
    try:
        data = yaml.safe_load(head)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _commit_times(history: History, shas: list[str]) -> dict[str, pd.Timestamp]:
    """Author dates of commits that may be unreachable now (a rejected branch's tip), when git still has them."""
    known = history.commits.set_index("sha")["authored"].to_dict()
    times = {sha: known[sha] for sha in shas if sha in known}
    missing = [sha for sha in shas if sha not in known]
    for sha, text in blob_texts(history.root, missing).items():
        match = _COMMIT_TIME.search(text)
        if match:
            times[sha] = pd.Timestamp(int(match.group(1)), unit="s", tz="UTC")
    return times


def review_summary(table: pd.DataFrame) -> dict[str, object]:
    """Counts by state and the median and 90th-percentile time to a decision (hours)."""
    decided = table["latency"].dropna()
    hours = decided.dt.total_seconds() / 3600
    return {
        "opened": len(table),
        "open": int((table["state"] == "open").sum()),
        "approved": int((table["state"] == "approved").sum()),
        "rejected": int((table["state"] == "rejected").sum()),
        "median_review_hours": round(float(hours.median()), 1) if len(hours) else None,
        "p90_review_hours": round(float(hours.quantile(0.9)), 1) if len(hours) else None,
    }
