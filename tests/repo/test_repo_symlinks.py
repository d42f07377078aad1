"""The library never reads or writes through a symlink inside the repository (a clone can bring any).

Folders (``users/<shard>/carol -> /outside``), files, ``.learning_fs``, ``learning_fs.yaml`` and
template overrides: each is refused with :class:`SymlinkError` naming the link, nothing lands
outside the repository, and ``learning-fs validate`` reports the links.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from learning_fs import MemoryRepo
from learning_fs.errors import SymlinkError, UnsafePathError
from learning_fs.format import Item, LearningRecord, MemoriesRecord, record_path
from learning_fs.format.layout import user_folder
from learning_fs.ops.validate import validate_repo
from tests.repo.conftest import learning_fs_cli

if TYPE_CHECKING:
    from tests.repo.conftest import GitView


def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    return folder


def carol_memories() -> MemoriesRecord:
    return MemoriesRecord(user="carol", memories=[Item(id="m-1", text="Carol private memory")])


def test_a_write_into_a_symlinked_user_folder_is_refused(memory_repo: MemoryRepo, git: GitView,
                                                          tmp_path: Path) -> None:
    target = outside(tmp_path)
    folder = memory_repo.root / user_folder("carol")
    folder.parent.mkdir(parents=True)
    folder.symlink_to(target)
    before = git.head()

    with pytest.raises(SymlinkError, match="symlink") as caught:
        memory_repo.write(carol_memories())

    assert caught.value.path == user_folder("carol")
    assert list(target.iterdir()) == []  # nothing written outside the repository
    assert git.head() == before  # nothing committed either
    assert isinstance(caught.value, UnsafePathError)


def test_the_cli_refuses_a_symlinked_folder_with_a_message(memory_repo: MemoryRepo, tmp_path: Path) -> None:
    target = outside(tmp_path)
    folder = memory_repo.root / user_folder("carol")
    folder.parent.mkdir(parents=True)
    folder.symlink_to(target)

    result = learning_fs_cli("--repo", str(memory_repo.root), "add", "memory", "--user", "carol", "Lives in Paris")

    assert result.returncode != 0
    assert "symlink" in result.stderr and user_folder("carol") in result.stderr
    assert list(target.iterdir()) == []


def test_a_committed_folder_link_in_a_clone_is_refused(tmp_path: Path,
                                                       gitview: Callable[[MemoryRepo], GitView]) -> None:
    origin = MemoryRepo.init(tmp_path / "origin")
    person = gitview(origin)
    link = origin.root / user_folder("carol")
    link.parent.mkdir(parents=True)
    link.symlink_to(outside(tmp_path))
    person("add", user_folder("carol"))
    person("commit", "-qm", "A link someone committed")
    origin.close()
    subprocess.run(["git", "clone", "-q", str(origin.root), str(tmp_path / "clone")], check=True)
    clone = MemoryRepo(tmp_path / "clone")

    with pytest.raises(SymlinkError, match="symlink"):
        clone.write(carol_memories())
    with pytest.raises(SymlinkError):  # also on a branch that is not checked out (only the tree is seen)
        clone.write(carol_memories(), branch="proposals/memories/carol")
    with pytest.raises(SymlinkError):
        clone.read_committed(f"{user_folder('carol')}/memories.md")
    assert list(outside(tmp_path).iterdir()) == []
    clone.close()


def test_a_file_symlink_is_neither_read_nor_written(memory_repo: MemoryRepo, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    secret = outside(tmp_path) / "secret.md"
    original = LearningRecord(id="lrn-secret", title="Secret", learning="outside the repository")
    secret.write_text(original.to_markdown())
    lesson = LearningRecord(title="Real lesson")
    memory_repo.write(lesson)
    path = record_path(LearningRecord(title="Linked"))
    (memory_repo.root / path).parent.mkdir(parents=True, exist_ok=True)
    (memory_repo.root / path).symlink_to(secret)

    with pytest.raises(SymlinkError, match="symlink"):
        memory_repo.read(path)
    with pytest.raises(SymlinkError):
        memory_repo.exists(path)
    with caplog.at_level(logging.WARNING):
        listed = [r.id for r in memory_repo.list("learning")]
    assert listed == [lesson.id] and "symlink" in caplog.text
    with pytest.raises(SymlinkError):
        memory_repo.write(LearningRecord(title="Linked"), path=path)
    assert secret.read_text() == original.to_markdown()


def test_a_symlinked_derived_folder_is_refused(memory_repo: MemoryRepo, tmp_path: Path) -> None:
    from learning_fs.index.service import index_directory

    (memory_repo.root / ".learning_fs").symlink_to(outside(tmp_path))

    with pytest.raises(SymlinkError, match=r"\.learning_fs"):
        _ = memory_repo.derived_dir
    with pytest.raises(SymlinkError):
        index_directory(memory_repo)


def test_a_symlinked_settings_file_is_refused(tmp_path: Path) -> None:
    repo = MemoryRepo.init(tmp_path / "r")
    repo.close()
    settings = tmp_path / "elsewhere.yaml"
    settings.write_text("version: 1\n")
    (repo.root / "learning_fs.yaml").unlink()
    (repo.root / "learning_fs.yaml").symlink_to(settings)

    with pytest.raises(SymlinkError, match=r"learning_fs\.yaml"):
        MemoryRepo(repo.root)


def test_a_symlinked_template_override_is_not_read(memory_repo: MemoryRepo, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    from learning_fs.context import ContextRenderer

    evil = outside(tmp_path) / "user_profile.jinja"
    evil.write_text("LEAKED {{ 1 + 1 }}")
    (memory_repo.root / "templates").mkdir()
    (memory_repo.root / "templates" / "user_profile.jinja").symlink_to(evil)
    renderer = ContextRenderer(memory_repo)

    with caplog.at_level(logging.WARNING):
        override = renderer._override("user_profile.jinja")

    assert override is None and "symlink" in caplog.text


def test_validate_reports_every_symlink(memory_repo: MemoryRepo, tmp_path: Path) -> None:
    memory_repo.write(LearningRecord(title="Fine"))
    folder = memory_repo.root / user_folder("carol")
    folder.parent.mkdir(parents=True)
    folder.symlink_to(outside(tmp_path))
    (memory_repo.root / ".learning_fs").symlink_to(outside(tmp_path))
    os.symlink("/etc/hostname", memory_repo.root / "learnings" / "linked.md")

    problems = [p for p in validate_repo(memory_repo) if "symlink" in p.message]

    assert sorted(p.path for p in problems) == sorted([user_folder("carol"), ".learning_fs",
                                                       "learnings/linked.md"])
    assert all(p.severity == "error" for p in problems)
