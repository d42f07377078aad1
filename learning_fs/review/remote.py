"""Proposals as pull requests: push their branches, open a PR with ``gh`` or print where to open one.

A team that reviews code on a forge reviews memories there too. ``push`` sends proposal branches
to a remote with the person's own git (their credentials, their remote names); when the GitHub
CLI ``gh`` is installed it opens a pull request whose body carries the evidence and the results
of ``check``, otherwise it prints the forge's compare URL derived from the remote's URL. Merging
on the forge and pulling is then the same as approving locally: the files change with the pull
and the search index catches up with HEAD when it is next opened or searched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from urllib.parse import quote

from learning_fs.errors import LearningFSError
from learning_fs.repo import MemoryRepo
from learning_fs.review.findings import CheckReport
from learning_fs.review.formats import format_markdown
from learning_fs.review.proposals import Proposal, get_proposal, list_proposals

_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>(?!/).+)$")  # git@host:owner/repo.git
_URL = re.compile(r"^(?:https?|ssh|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/(?P<path>.+)$")


@dataclass(frozen=True)
class Pushed:
    """One proposal pushed: where a person reviews it (a PR, or the page that opens one)."""

    proposal: Proposal
    remote: str
    url: str | None
    pull_request: bool  # True: ``url`` is a pull request ``gh`` opened
    note: str = ""


def web_url(remote_url: str) -> str | None:
    """``https://host/owner/repo`` for a forge remote (scp-like, ssh or https); None for a local path.

    Credentials in an https remote are never copied into the result.
    """
    url = remote_url.strip()
    if url.startswith(("/", ".", "file:")) or re.match(r"^[A-Za-z]:[\\/]", url):
        return None
    match = _URL.match(url) or _SCP_LIKE.match(url)
    if match is None:
        return None
    path = match.group("path").strip("/").removesuffix(".git")
    if path.count("/") < 1:
        return None
    return f"https://{match.group('host')}/{path}"


def compare_url(remote_url: str, target: str, branch: str) -> str | None:
    """The page that opens a pull (merge) request of ``branch`` into ``target`` on the remote's forge."""
    web = web_url(remote_url)
    if web is None:
        return None
    head, base = quote(branch, safe="/"), quote(target, safe="/")
    host = web.split("/")[2]
    if "gitlab" in host:
        return (f"{web}/-/merge_requests/new?merge_request%5Bsource_branch%5D={head}"
                f"&merge_request%5Btarget_branch%5D={base}")
    if "bitbucket" in host:
        return f"{web}/pull-requests/new?source={head}&dest={base}"
    return f"{web}/compare/{base}...{head}?expand=1"  # GitHub, Gitea, Forgejo


def pr_body(proposal: Proposal, report: CheckReport | None) -> str:
    """The pull request's description: the change, its evidence (as every review surface shows it), the checks."""
    lines = [
        f"Proposal `{proposal.id}`: **{proposal.title}** ({proposal.kind or 'change'}, namespace "
        f"`{proposal.namespace or '?'}`)",
        "",
        "### Evidence",
        "",
        "```text",
        proposal.evidence.render(),
        "```",
        "",
        "### Files",
        "",
        *[f"- `{path}`" for path in proposal.paths],
        "",
        "### Checks (`learning-fs check`)",
        "",
        format_markdown(report) if report is not None else "Not run.",
        "",
        "---",
        f"Merge to approve (or `learning-fs approve {proposal.id}`); to reject, close this pull request and run "
        f"`learning-fs reject {proposal.id} --reason \"…\"` so the agent is not taught it again.",
    ]
    return "\n".join(lines)


def pr_command(proposal: Proposal) -> list[str]:
    """The ``gh`` command that opens the pull request (its body comes on stdin)."""
    return ["gh", "pr", "create", "--base", proposal.target, "--head", proposal.branch,
            "--title", f"Memory proposal: {proposal.title}", "--body-file", "-"]


def remotes(repo: MemoryRepo) -> list[str]:
    result = _git(repo, "remote")
    return result.stdout.split()


def push(repo: MemoryRepo, ident: str | None = None, *, remote: str | None = None, open_pr: bool = True,
         check: bool = True) -> list[Pushed]:
    """Push one proposal (``ident``) or all open ones to ``remote`` (default: ``origin``, else the only one)."""
    remote = remote or _default_remote(repo)
    proposals = [get_proposal(repo, ident)] if ident else list_proposals(repo)
    if not proposals:
        return []
    specs = [f"refs/heads/{p.branch}:refs/heads/{p.branch}" for p in proposals]
    result = _git(repo, "push", "--porcelain", remote, *specs)
    if result.returncode != 0:
        raise LearningFSError(f"git push to {remote} failed: {(result.stderr or result.stdout).strip()}")
    url = _git(repo, "remote", "get-url", remote).stdout.strip()
    gh = shutil.which("gh") if open_pr else None
    pushed = []
    for proposal in proposals:
        if gh is not None and web_url(url) is not None:
            report = _check(repo, proposal) if check else None
            opened = subprocess.run(pr_command(proposal), input=pr_body(proposal, report), cwd=repo.root,
                                    capture_output=True, text=True, check=False)
            if opened.returncode == 0:
                pushed.append(Pushed(proposal, remote, opened.stdout.strip().splitlines()[-1], True))
                continue
            note = f"gh could not open a pull request: {(opened.stderr or opened.stdout).strip()}"
        else:
            note = "" if gh is None or not open_pr else "the remote is not on a forge"
        pushed.append(Pushed(proposal, remote, compare_url(url, proposal.target, proposal.branch), False, note))
    return pushed


def _check(repo: MemoryRepo, proposal: Proposal) -> CheckReport | None:
    from learning_fs.review.checks import check_commit

    try:
        return check_commit(repo, proposal.tip, proposal.base)
    except LearningFSError as exc:
        report = CheckReport()
        report.notes.append(f"check could not run: {exc}")
        return report


def _default_remote(repo: MemoryRepo) -> str:
    names = remotes(repo)
    if not names:
        raise LearningFSError(f"{repo.root} has no git remote: add one (git remote add origin URL) to push proposals")
    return "origin" if "origin" in names else names[0]


def _git(repo: MemoryRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=False)
