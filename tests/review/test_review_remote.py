"""Proposals on a forge: push to a (bare, local) remote, the pull request's body, merging there and pulling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from learning_fs.index.service import RepoIndex
from learning_fs.repo import MemoryRepo
from learning_fs.review import check_commit, compare_url, get_proposal, list_proposals
from learning_fs.review.remote import pr_body, pr_command
from tests.review.conftest import Invoke, git, head, learn, propose


@pytest.fixture
def remote(repo: MemoryRepo, tmp_path: Path) -> Path:
    """A bare repository as ``origin``, with main pushed (what a forge holds)."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    repo.flush()
    git(repo, "push", "--quiet", "-u", "origin", "main")
    return bare


def test_push_sends_proposal_branches_to_the_remote(repo: MemoryRepo, lfs: Invoke, remote: Path) -> None:
    first = propose(lfs, "Use uv", "Use uv to install Python packages.")
    second = propose(lfs, "Pin versions", "Pin tool versions in CI.")

    result = lfs("proposals", "push", "--no-pr")

    assert result.exit_code == 0, result.output
    remote_branches = git(remote, "branch", "--format=%(refname:short)").split()
    assert {f"proposals/{first}", f"proposals/{second}"} <= set(remote_branches)
    assert f"{first}: pushed to origin as proposals/{first}" in result.stdout  # a local path: no forge URL
    assert git(remote, "rev-parse", f"proposals/{first}").strip() == head(repo, f"proposals/{first}")


def test_push_prints_the_compare_url_of_a_github_like_remote(repo: MemoryRepo, lfs: Invoke, remote: Path) -> None:
    proposal_id = propose(lfs, "Use uv", "Use uv to install Python packages.")
    git(repo, "remote", "set-url", "origin", "git@github.com:acme/agent-memory.git")
    git(repo, "remote", "set-url", "--push", "origin", str(remote))  # fetch URL names the forge, pushes stay local

    result = lfs("proposals", "push", proposal_id, "--no-pr")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"{proposal_id}: pushed to origin; open a pull request: "
                                     "https://github.com/acme/agent-memory/compare/main...proposals/learning/use-uv"
                                     "?expand=1")


def test_compare_urls_for_forges_and_none_for_paths() -> None:
    branch = "proposals/learning/use-uv"
    assert compare_url("https://token:x@github.com/acme/mem.git", "main", branch) == (
        "https://github.com/acme/mem/compare/main...proposals/learning/use-uv?expand=1")  # credentials dropped
    assert compare_url("ssh://git@gitlab.example.com:2222/team/mem.git", "main", branch) == (
        "https://gitlab.example.com/team/mem/-/merge_requests/new?merge_request%5Bsource_branch%5D="
        "proposals/learning/use-uv&merge_request%5Btarget_branch%5D=main")
    assert compare_url("/srv/git/mem.git", "main", branch) is None
    assert compare_url("file:///srv/git/mem.git", "main", branch) is None


def test_the_pull_request_holds_the_evidence_and_the_check_results(repo: MemoryRepo, lfs: Invoke) -> None:
    learn(repo, "Retry flaky uploads", "Retry uploads 3 times with backoff; 503s from S3 are transient.")
    proposal_id = propose(lfs, "Retry S3 uploads", "Retry uploads 3 times with backoff; 503s from S3 are transient.",
                          "--why", "Two nightly builds failed on S3 503s")
    proposal = get_proposal(repo, proposal_id)

    body = pr_body(proposal, check_commit(repo, proposal.tip, proposal.base))

    assert proposal.evidence.render() in body and "Why: Two nightly builds failed on S3 503s" in body
    assert f"- `{proposal.paths[0]}`" in body
    assert "| error | `learnings/global/" in body and "repeats learning 'Retry flaky uploads'" in body
    assert f"learning-fs reject {proposal_id}" in body
    assert pr_command(proposal)[:7] == ["gh", "pr", "create", "--base", "main", "--head", proposal.branch]


def test_a_merge_made_on_the_remote_and_pulled_updates_the_checkout_and_the_index(
        repo: MemoryRepo, lfs: Invoke, remote: Path, tmp_path: Path, embedder: Any) -> None:
    RepoIndex.open(repo, embedder=embedder).close()  # the repository has an index, current with main
    proposal_id = propose(lfs, "Use uv", "Use uv to install Python packages in CI.")
    assert lfs("proposals", "push", "--no-pr").exit_code == 0
    forge = tmp_path / "forge-clone"  # someone presses "Merge" on the forge
    git(tmp_path, "clone", "--quiet", str(remote), str(forge))
    git(forge, "merge", "--quiet", "--no-ff", "-m", f"Merge pull request: {proposal_id}",
        f"origin/proposals/{proposal_id}")
    git(forge, "push", "--quiet", "origin", "main")

    git(repo, "pull", "--quiet", "--ff-only")

    assert [r.title for r in repo.list("learning")] == ["Use uv"]  # type: ignore[attr-defined]
    assert list_proposals(repo) == []  # merged: no longer waiting
    assert [p.merged for p in list_proposals(repo, include_merged=True)] == [True]
    tidy = lfs("approve", proposal_id)  # approving what the forge merged only deletes the local branch
    assert tidy.exit_code == 0 and "(already merged)" in tidy.stdout and list_proposals(repo, include_merged=True) == []
    with RepoIndex.open(repo, embedder=embedder) as index:  # opening catches up with the pulled HEAD
        [hit, *_] = index.search("install python packages with uv", k=3)
    assert hit.path.startswith("learnings/global/") and hit.path.endswith("use-uv.md")
