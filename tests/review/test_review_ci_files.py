"""The CI pieces a memory repository gets: the composite action, the workflow, the pre-commit hooks.

They are YAML that runs shell; the tests parse them and run that shell for real against a memory
repository, so a typo in a script fails here rather than in someone's pull request.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from learning_fs.repo import MemoryRepo
from tests.review.conftest import git, head, learn

ROOT = Path(__file__).resolve().parents[2]
RETRY = "Retry uploads 3 times with backoff; 503s from S3 are transient."


def _load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment a CI step runs in: ``learning-fs`` on PATH, no repository preset."""
    found = shutil.which("learning-fs") or str(Path(sys.executable).with_name("learning-fs"))
    if not Path(found).exists():
        pytest.skip("the learning-fs console script is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if k != "LEARNING_FS_REPO"}
    env["PATH"] = f"{Path(found).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run_step(step: dict[str, Any], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _action_check_step() -> dict[str, Any]:
    [step] = [s for s in _load("action.yml")["runs"]["steps"] if "learning-fs" in s.get("run", "")
              and " check " in s.get("run", "").replace('"', " ")]
    return step


def test_the_action_is_a_composite_action_that_runs_learning_fs_check() -> None:
    action = _load("action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"base", "path", "format", "strict"} <= set(action["inputs"])
    assert action["inputs"]["format"]["default"] == "github"
    step = _action_check_step()
    assert step["shell"] == "bash" and "learning-fs" in step["run"] and "check" in step["run"]
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("actions/cache@") for u in uses)  # the check cache survives between runs


def test_the_action_step_fails_a_pull_request_with_a_duplicate_and_passes_a_clean_one(
        repo: MemoryRepo, cli_env: dict[str, str]) -> None:
    learn(repo, "Retry flaky uploads", RETRY)
    repo.flush()
    base = head(repo)
    copy = learn(repo, "Retry S3 uploads", RETRY)
    repo.flush()
    step = _action_check_step()
    env = {**cli_env, "BASE": base, "BASE_REF": "", "REPO_PATH": str(repo.root), "FORMAT": "github",
           "STRICT": "false"}

    failed = _run_step(step, repo.root, env)

    assert failed.returncode == 1, failed.stderr
    assert f"::error file={copy.path},line=13,title=learning-fs check%3A duplicates::" in failed.stdout
    git(repo, "rm", "-q", copy.path or "")
    git(repo, "commit", "-qm", "Drop the copy")
    learn(repo, "Vacuum after bulk deletes", "Run VACUUM ANALYZE after deleting many rows.")
    repo.flush()
    passed = _run_step(step, repo.root, {**env, "BASE": "0" * 40})  # a push that made the branch: all files
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "::error" not in passed.stdout


def test_the_workflow_runs_the_action_on_pull_requests_with_full_history() -> None:
    workflow = _load("templates/github/memory-check.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    steps = workflow["jobs"]["check"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"].startswith("learning-fs/learning-fs@")
    assert workflow["permissions"] == {"contents": "read"}


def test_init_github_copies_the_workflow_into_the_new_repository(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from learning_fs.cli import cli

    target = tmp_path / "new-memory"
    result = CliRunner().invoke(cli, ["--repo", str(target), "init", "--github"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    copied = target / ".github" / "workflows" / "memory-check.yml"
    assert copied.read_bytes() == (ROOT / "templates" / "github" / "memory-check.yml").read_bytes()
    merge = target / ".github" / "workflows" / "memory-merge.yml"
    assert merge.read_bytes() == (ROOT / "templates" / "github" / "merge-records.yml").read_bytes()
    assert git(target, "log", "-1", "--format=%s").strip() == "Add the memory check and merge workflows"
    assert git(target, "status", "--porcelain") == ""
    again = CliRunner().invoke(cli, ["--repo", str(target), "init", "--github"], catch_exceptions=False)
    assert "nothing changed" in again.stdout and git(target, "rev-list", "--count", "HEAD").strip() == "2"


def test_pre_commit_hooks_validate_and_check_the_staged_files(repo: MemoryRepo, cli_env: dict[str, str]) -> None:
    hooks = {hook["id"]: hook for hook in _load(".pre-commit-hooks.yaml")}
    assert set(hooks) == {"learning-fs-validate", "learning-fs-check"}
    assert all(hook["language"] == "python" for hook in hooks.values())
    learn(repo, "Retry flaky uploads", RETRY)
    copy = learn(repo, "Retry S3 uploads", RETRY)
    clean = learn(repo, "Vacuum after bulk deletes", "Run VACUUM ANALYZE after deleting many rows.")

    def run(hook_id: str, *files: str) -> subprocess.CompletedProcess[str]:
        hook = hooks[hook_id]
        args = shlex.split(hook["entry"]) + (list(files) if hook["pass_filenames"] else [])
        return subprocess.run(args, cwd=repo.root, env=cli_env, capture_output=True, text=True, check=False)

    assert run("learning-fs-validate").returncode == 0
    assert run("learning-fs-check", clean.path or "").returncode == 0
    flagged = run("learning-fs-check", copy.path or "")
    assert flagged.returncode == 1 and f"{copy.path}:13:" in flagged.stdout
