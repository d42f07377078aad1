"""``learning-fs doctor repo`` reports what keeps a repository healthy and repairs what is safe."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner, Result

from learning_fs.cli import cli
from learning_fs.format import MemoriesRecord
from learning_fs.format.items import Item
from learning_fs.repo import MemoryRepo


def _doctor(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--repo", str(root), "doctor", "repo", *args], catch_exceptions=False)


def _checks(result: Result) -> dict[str, dict[str, object]]:
    return {check["name"]: check for check in json.loads(result.stdout)["checks"]}


def test_a_repository_made_by_init_is_healthy(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    assert CliRunner().invoke(cli, ["--repo", str(root), "init"]).exit_code == 0
    repo = MemoryRepo(root)
    repo.write(MemoriesRecord(user="alice", memories=[Item(id="m-0000000001", text="Likes tea")]))
    repo.flush()
    result = _doctor(root, "--json")
    assert result.exit_code == 0, result.output
    assert all(check["ok"] for check in _checks(result).values())
    assert "search index" in _checks(result)


def test_stale_git_locks_are_reported_then_removed_but_symlinks_only_reported(repo: MemoryRepo, tmp_path: Path) -> None:
    lock = repo.git_dir / "index.lock"
    lock.write_text("")
    an_hour_ago = time.time() - 3600
    os.utime(lock, (an_hour_ago, an_hour_ago))
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo.root / "users").mkdir(exist_ok=True)
    (repo.root / "users" / "evil").symlink_to(outside, target_is_directory=True)

    found = _doctor(repo.root, "--json", "--no-index")
    assert found.exit_code == 1
    checks = _checks(found)
    assert not checks["git locks"]["ok"] and "index.lock" in str(checks["git locks"]["detail"])
    assert not checks["symlinks"]["ok"] and "users/evil" in str(checks["symlinks"]["detail"])

    repaired = _doctor(repo.root, "--json", "--no-index", "--repair")
    checks = _checks(repaired)
    assert checks["git locks"]["ok"] and checks["git locks"]["repaired"]
    assert not lock.exists()
    assert (repo.root / "users" / "evil").is_symlink()  # never deleted by doctor
    assert repaired.exit_code == 1  # the symlink is still a problem


def test_a_fresh_lock_of_a_running_git_is_left_alone(repo: MemoryRepo) -> None:
    lock = repo.git_dir / "HEAD.lock"
    lock.write_text("")
    result = _doctor(repo.root, "--json", "--no-index", "--repair")
    assert _checks(result)["git locks"]["ok"] and lock.exists()
    lock.unlink()


def test_a_missing_merge_driver_is_registered_by_repair(repo: MemoryRepo) -> None:
    """A repository made by MemoryRepo.init (not the CLI), or a clone, has no driver until told."""
    subprocess.run(["git", "config", "--unset", "merge.learning-fs.driver"], cwd=repo.root, check=False)
    assert _doctor(repo.root, "--no-index").exit_code == 1
    repaired = _doctor(repo.root, "--json", "--no-index", "--repair")
    assert repaired.exit_code == 0 and _checks(repaired)["merge driver"]["repaired"]


def test_settings_that_do_not_load_are_the_first_finding(repo: MemoryRepo) -> None:
    (repo.root / "learning_fs.yaml").write_text("author:\n  name: \"a\\nb\"\n", encoding="utf-8")
    result = _doctor(repo.root)
    assert result.exit_code == 1
    assert "PROBLEM" in result.output and "author.name" in result.output
