"""Helpers for the curator tests: records with ages relative to a fixed NOW, plain git, file snapshots."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from learning_fs.format import Item, LearningRecord, MemoriesRecord
from learning_fs.repo import MemoryRepo

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def stamp(days_before_now: float) -> str:
    """A timestamp ``days_before_now`` days before :data:`NOW`, as the format writes it."""
    return (NOW - dt.timedelta(days=days_before_now)).strftime("%Y-%m-%dT%H:%M:%SZ")


def memory(item_id: str, text: str, days_ago: float = 30, **fields: Any) -> Item:
    return Item(id=item_id, text=text, created=stamp(days_ago), **fields)


def memories(user: str, *items: Item) -> MemoriesRecord:
    return MemoriesRecord(id=f"mem-{user}", user=user, memories=list(items), created=stamp(60))


def learning(title: str, text: str, days_ago: float = 30, **fields: Any) -> LearningRecord:
    return LearningRecord(title=title, learning=text, created=stamp(days_ago), **fields)


def git(repo: MemoryRepo, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=True)
    return result.stdout


def head(repo: MemoryRepo) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def tree_of(repo: MemoryRepo, ref: str = "HEAD") -> str:
    return git(repo, "rev-parse", f"{ref}^{{tree}}").strip()


def snapshot_files(root: Path, *, derived: bool = True) -> dict[str, bytes]:
    """Every file under ``root`` except .git (and .learning_fs/ unless ``derived``), by relative path."""
    skip = {".git"} if derived else {".git", ".learning_fs"}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not skip & set(p.relative_to(root).parts)}
