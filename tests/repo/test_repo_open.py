"""Opening a memory repository never reaches into an enclosing git repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from learning_fs import LearningFSError, MemoryRepo


def test_a_folder_inside_another_repository_is_not_opened_as_that_repository(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "memory_repo").mkdir()

    with pytest.raises(LearningFSError, match="not a memory repository"):
        MemoryRepo(project / "memory_repo")
    assert not (project / ".git" / "hooks" / "pre-commit").exists()


def test_init_inside_another_repository_creates_its_own(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)

    repo = MemoryRepo.init(project / "memory_repo")
    try:
        assert repo.root == (project / "memory_repo").resolve()
        assert (project / "memory_repo" / ".git").is_dir()
        outer = subprocess.run(["git", "-C", str(project), "log", "--oneline"], capture_output=True, text=True)
        assert outer.stdout == ""  # nothing was committed to the project
    finally:
        repo.close()
