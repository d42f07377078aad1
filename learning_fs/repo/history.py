"""Reading the past: commit logs with trailers, and resolving "as of" a commit or a date.

``git log`` is one subprocess for a whole history (``--follow`` tracks a record across renames,
which libgit2 cannot do), parsed into :class:`CommitInfo` with the trailers that say which store,
user, session and mode produced each change.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from learning_fs.errors import RecordNotFoundError
from learning_fs.repo.trailers import PREFIX

_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
TRAILER_PREFIX = PREFIX


@dataclass(frozen=True)
class CommitInfo:
    """One commit as the library and the CLI present it."""

    sha: str
    subject: str
    message: str = ""
    author: str = ""
    email: str = ""
    date: str = ""
    parents: tuple[str, ...] = ()
    trailers: dict[str, str] = field(default_factory=dict)

    @property
    def short(self) -> str:
        return self.sha[:10]


def parse_trailers(message: str) -> dict[str, str]:
    """``Key: value`` lines of the message's last paragraph (git's trailer convention)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    trailers: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line.strip())
        if not match:
            return {}
        trailers[match.group(1)] = match.group(2)
    return trailers


def format_message(subject: str, body: str = "", trailers: dict[str, str] | None = None) -> str:
    """Subject, optional body, and trailers in a fixed order (empty values are left out)."""
    subject = " ".join(subject.split())[:200]
    parts = [subject]
    if body.strip():
        parts.append(body.strip())
    lines = [f"{k}: {' '.join(str(v).split())}" for k, v in (trailers or {}).items() if v not in (None, "")]
    if lines:
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def git_log(root: Path, ref: str, path: str | None = None, limit: int | None = None,
            since: str | None = None) -> list[CommitInfo]:
    """The history of ``ref`` (newest first), or of one file followed across renames."""
    args = ["git", "log", "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%B%x1e"]
    if limit:
        args.append(f"-n{limit}")
    if since:
        args.append(f"--since={since}")
    if path:
        args += ["--follow", ref, "--", path]
    else:
        args.append(ref)
    result = subprocess.run(args, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        if "does not have any commits" in result.stderr or "unknown revision" in result.stderr:
            return []
        raise RecordNotFoundError(result.stderr.strip() or f"git log failed for {ref}")
    commits = []
    for chunk in result.stdout.split("\x1e"):
        chunk = chunk.strip("\n")
        if not chunk:
            continue
        sha, parents, author, email, date, message = chunk.split("\x1f", 5)
        commits.append(CommitInfo(
            sha=sha, subject=message.split("\n", 1)[0], message=message, author=author, email=email,
            date=date, parents=tuple(parents.split()), trailers=parse_trailers(message),
        ))
    return commits


def looks_like_date(value: object) -> bool:
    return isinstance(value, (dt.date, dt.datetime)) or (isinstance(value, str) and bool(_DATE.match(value)))


def commit_before(root: Path, ref: str, when: str | dt.date | dt.datetime) -> str:
    """The last commit on ``ref`` at or before ``when`` ("what did the agent know on 1 October")."""
    if isinstance(when, dt.datetime):
        stamp = when.isoformat()
    elif isinstance(when, dt.date):
        stamp = f"{when.isoformat()}T23:59:59"  # a date means "by the end of that day"
    else:
        stamp = f"{when}T23:59:59" if len(when) == 10 else when
    result = subprocess.run(["git", "rev-list", "-1", f"--before={stamp}", ref],
                            cwd=root, capture_output=True, text=True, check=False)
    sha = result.stdout.strip()
    if result.returncode != 0 or not sha:
        raise RecordNotFoundError(f"no commit on {ref} at or before {stamp}")
    return sha
