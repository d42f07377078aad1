"""The scheduled curation workflow template: its curate step, run as the runner would, opens a proposal."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from learning_fs.repo import MemoryRepo
from tests.curate.helpers import git, head, memories, memory

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "github" / "curate.yml"


def _steps() -> dict[str, dict[str, str]]:
    workflow = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    assert workflow[True]["schedule"]  # `on:` (YAML 1.1 reads the key as True)
    return {step.get("name", ""): step for step in workflow["jobs"]["curate"]["steps"]}


@pytest.mark.skipif(shutil.which("learning-fs") is None, reason="needs the installed console script")
def test_the_curate_step_proposes_a_branch_and_reports_it(repo: MemoryRepo, tmp_path: Path) -> None:
    repo.write(memories("alice", memory("m-1", "Likes tea", 30), memory("m-2", "likes tea!", 3)))
    repo.flush()
    before = head(repo)
    output, runner_temp = tmp_path / "github_output", tmp_path / "runner"
    runner_temp.mkdir()
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(runner_temp),
           "LEARNING_FS_CURATE_MODEL": ""}

    subprocess.run(["bash", "-e", "-c", _steps()["Curate on a proposal branch"]["run"]], cwd=repo.root, env=env,
                   check=True, capture_output=True, text=True)

    assert output.read_text().splitlines() == ["branch=proposals/curate/all", "summary=merged 1"]
    assert head(repo) == before
    assert git(repo, "log", "-1", "--format=%s", "proposals/curate/all") == "Curate all: merged 1\n"

