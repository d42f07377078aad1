"""Rejected proposals, remembered as files so the extractor is not fed the same idea again.

A rejection is a small Markdown file, ``reviews/rejected/<kind>/<slug>-<commit>.md``, committed on
the checked-out branch together with the deletion of the proposal branch's name. Why a file and
not only a commit trailer: it travels with every clone and pull (a team shares what it refused),
a person can read, grep, or delete it to allow the idea again, and the extraction prompt lists
the recent ones with one folder read instead of a walk over the whole history. The commit that
adds it also carries ``Learning-Rejected: <proposal id>`` so ``git log`` shows the decision.

``reviews/`` is not a record folder: ``validate``, the index and recall never read it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from learning_fs.errors import RecordParseError
from learning_fs.format.frontmatter import format_timestamp, parse, render
from learning_fs.format.slugs import short_hash, slugify

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

REJECTED_FOLDER = "reviews/rejected"
EXAMPLE_LIMIT = 20  # rejections listed in an extraction prompt (the most recent)
TEXT_LIMIT = 300  # characters of the rejected text shown per example


@dataclass(frozen=True)
class Rejection:
    """One rejected proposal: what it proposed, and why a person said no."""

    proposal: str
    kind: str | None
    title: str
    text: str
    reason: str
    rejected: str  # ISO 8601 timestamp
    rejected_by: str = ""
    namespace: str | None = None
    commit: str = ""  # the proposal's tip when it was rejected
    path: str = ""  # where this rejection is stored

    def example(self) -> str:
        """One line for an extraction prompt: the rejected idea and the reason."""
        text = " ".join(self.text.split())
        if len(text) > TEXT_LIMIT:
            text = text[: TEXT_LIMIT - 1] + "…"
        idea = f"{self.title}: {text}" if text and text != self.title else self.title
        return f"{idea} (rejected: {' '.join(self.reason.split())})"


def rejection_path(kind: str | None, proposal: str, commit: str) -> str:
    """Where a rejection is stored: one file per proposal and tip (the same name may be proposed again)."""
    slug = slugify(proposal.rsplit("/", 1)[-1])
    return f"{REJECTED_FOLDER}/{slugify(kind or 'change')}/{slug}-{short_hash(commit, 8)}.md"


def render_rejection(rejection: Rejection) -> str:
    data: dict[str, Any] = {
        "proposal": rejection.proposal, "kind": rejection.kind, "namespace": rejection.namespace,
        "title": rejection.title, "reason": rejection.reason, "rejected": rejection.rejected,
        "rejected_by": rejection.rejected_by or None, "commit": rejection.commit or None,
    }
    body = f"# Rejected: {rejection.title}\n\n{rejection.text.strip()}\n"
    return render(data, body)


def parse_rejection(text: str, path: str) -> Rejection:
    data, body, _ = parse(text, path)
    if not data.get("proposal") or not data.get("reason"):
        raise RecordParseError(path, "a rejection needs 'proposal' and 'reason'", line=1)
    lines = body.strip("\n").split("\n")
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return Rejection(
        proposal=str(data["proposal"]), kind=data.get("kind"), title=str(data.get("title") or data["proposal"]),
        text="\n".join(lines).strip(), reason=str(data["reason"]), rejected=str(data.get("rejected") or ""),
        rejected_by=str(data.get("rejected_by") or ""), namespace=data.get("namespace"),
        commit=str(data.get("commit") or ""), path=path,
    )


def new_rejection(proposal: str, kind: str | None, title: str, text: str, reason: str, *, commit: str,
                  namespace: str | None = None, rejected_by: str = "", when: dt.datetime | None = None) -> Rejection:
    stamp = format_timestamp(when or dt.datetime.now(dt.timezone.utc))
    return Rejection(proposal, kind, title, text, reason, stamp, rejected_by, namespace, commit,
                     rejection_path(kind, proposal, commit))


def list_rejections(repo: MemoryRepo, kind: str | None = None) -> list[Rejection]:
    """Every rejection in the working tree (of one kind), newest first; a broken file is logged and skipped."""
    folder = repo.root / REJECTED_FOLDER
    if kind is not None:
        folder = folder / slugify(kind)
    if not folder.is_dir():
        return []
    found = []
    for file in sorted(folder.rglob("*.md")):
        relative = file.relative_to(repo.root).as_posix()
        try:
            found.append(parse_rejection(file.read_text(encoding="utf-8"), relative))
        except (RecordParseError, OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.warning("skipping rejection %s: %s", relative, exc)
    return sorted(found, key=lambda r: r.rejected, reverse=True)


def rejected_examples(repo: MemoryRepo | None, kind: str = "learning", limit: int = EXAMPLE_LIMIT) -> list[str]:
    """What people rejected before, one line each, for an extraction prompt (the stores' hook).

    Private proposals (namespace ``user``) are left out: a prompt may be built for another user.
    """
    if repo is None:
        return []
    shared = [r for r in list_rejections(repo, kind) if r.namespace != "user"]
    return [r.example() for r in shared[:limit]]
