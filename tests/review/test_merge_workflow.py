"""templates/github/merge-records.yml: its script, run as Actions would, makes a conflicting memory PR mergeable.

The workflow's shell step runs for real (bash, git, learning-fs) against a bare "GitHub" remote;
only the `gh` CLI is replaced by a script answering what GitHub's API would (the PR list and its
mergeability), since the test stays offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from learning_fs.cli import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((ROOT / "templates" / "github" / "merge-records.yml").read_text())
BRANCH = "proposals/memories/alice"


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def lfs(root: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--repo", str(root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def step(name: str) -> dict[str, str]:
    return next(s for s in WORKFLOW["jobs"]["merge"]["steps"] if s.get("name") == name)


@pytest.fixture
def github(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote with main and one memory PR branch that textually conflicts with main; a checkout of it."""
    seed = tmp_path / "seed"
    lfs(seed, "init")
    lfs(seed, "add", "memory", "--user", "alice", "Likes green tea.")
    git(tmp_path, "clone", "-q", "--bare", str(seed), "remote.git")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "remote.git", "work")
    memories = next(work.glob("users/**/memories.md"))
    git(work, "checkout", "-q", "-b", BRANCH)
    lfs(work, "add", "memory", "--user", "alice", "From the pull request.")
    git(work, "push", "-q", "origin", BRANCH)
    git(work, "checkout", "-q", "main")
    lfs(work, "add", "memory", "--user", "alice", "From main, merged meanwhile.")
    git(work, "push", "-q", "origin", "main")
    assert "From the pull request." not in memories.read_text()
    checkout = tmp_path / "checkout"  # what actions/checkout leaves: a fresh clone, the pushed commit
    git(tmp_path, "clone", "-q", "remote.git", "checkout")
    return tmp_path / "remote.git", checkout


def run_step(checkout: Path, tmp_path: Path, mergeable: str = "CONFLICTING") -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    pr = {"number": 7, "headRefName": BRANCH, "baseRefName": "main", "isCrossRepository": False,
          "mergeable": mergeable}
    fake_gh = bin_dir / "gh"
    fake_gh.write_text(f"#!{sys.executable}\nimport json, sys\npr = {pr!r}\n"
                       "print(json.dumps([pr] if sys.argv[2] == 'list' else pr))\n")
    fake_gh.chmod(0o755)
    wrapper = bin_dir / "learning-fs"  # what `pip install` puts on PATH in the workflow
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m learning_fs.cli "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PR_NUMBER": "7",
           "PUSHED_BRANCH": "", "GH_TOKEN": "unused", "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", "-c", step("Merge the base into conflicting pull requests")["run"]],
                          cwd=checkout, env=env, capture_output=True, text=True, check=False, timeout=120)


def test_a_conflicting_memory_pr_gets_its_base_merged_in_and_pushed(github: tuple[Path, Path], tmp_path: Path):
    remote, checkout = github

    done = run_step(checkout, tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "mergeable again" in done.stdout
    git(remote, "merge-base", "--is-ancestor", "main", BRANCH)  # the PR now contains its base: it merges
    text = git(remote, "show", f"{BRANCH}:" + next(
        p for p in git(remote, "ls-tree", "-r", "--name-only", BRANCH).split() if p.endswith("memories.md")))
    assert "From the pull request." in text and "From main, merged meanwhile." in text
    assert "merge_conflict" not in text and "<<<<<<<" not in text


def test_a_mergeable_pr_is_left_alone(github: tuple[Path, Path], tmp_path: Path):
    remote, checkout = github
    before = git(remote, "rev-parse", BRANCH)

    done = run_step(checkout, tmp_path, mergeable="MERGEABLE")

    assert done.returncode == 0 and "merges cleanly" in done.stdout
    assert git(remote, "rev-parse", BRANCH) == before


def test_the_workflow_installs_from_the_repository_and_never_force_pushes():
    install = step("Install learning-fs")
    assert install["env"]["LEARNING_FS_REF"] == "main"
    assert "git+https://github.com/learning-fs/learning-fs@${LEARNING_FS_REF}" in install["run"]
    script = step("Merge the base into conflicting pull requests")["run"]
    assert "--force" not in script and " -f " not in script
    assert WORKFLOW["permissions"]["contents"] == "write"


def test_a_true_conflict_is_a_warning_and_nothing_is_pushed(tmp_path: Path):
    seed = tmp_path / "seed"
    lfs(seed, "init")
    lfs(seed, "add", "memory", "--user", "alice", "Likes green tea.")
    git(tmp_path, "clone", "-q", "--bare", str(seed), "remote.git")
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    git(tmp_path, "clone", "-q", "remote.git", "work")
    memories = next(work.glob("users/**/memories.md"))
    for branch, tea in ((BRANCH, "black"), ("main", "white")):
        git(work, "checkout", "-q", "-B", branch, "origin/main")
        memories.write_text(memories.read_text().replace("green", tea))
        git(work, "commit", "-qam", tea)
        git(work, "push", "-q", "origin", branch)
    before = git(remote, "rev-parse", BRANCH)
    git(tmp_path, "clone", "-q", "remote.git", "checkout")

    done = run_step(tmp_path / "checkout", tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "::warning::#7" in done.stdout and "memories.md" in done.stdout
    assert git(remote, "rev-parse", BRANCH) == before
