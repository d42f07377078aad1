"""The index sync reads git's view of the index with ``git diff-index`` (off the writer's GIL).

What a person relies on: after a sync, the library's paths are in step, and an entry the person
is resolving (stages 1-3) or staged is exactly as they left it.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from learning_fs import MemoryRepo
from learning_fs.format import LearningRecord
from learning_fs.repo import gitindex

if TYPE_CHECKING:
    from tests.repo.conftest import GitView


def held_back(repo: MemoryRepo) -> None:
    """Stop the background sync: the journal waits for an explicit sync."""
    repo._syncer.stop()
    if repo._syncer._thread is not None:
        repo._syncer._thread.join(10)


def test_a_path_in_conflict_in_the_index_is_left_to_the_person(memory_repo: MemoryRepo, git: GitView) -> None:
    record, other = LearningRecord(title="Lesson", learning="v1"), LearningRecord(title="Other", learning="v1")
    memory_repo.write_many([record, other])
    memory_repo.flush()
    held_back(memory_repo)
    base = git("rev-parse", f"HEAD:{record.path}").strip()
    record.learning, other.learning = "v2", "v2"
    memory_repo.write_many([record, other])  # both paths are in the journal, their index entries stale
    stages = "".join(f"100644 {base} {stage}\t{record.path}\0" for stage in (1, 2, 3))
    git_input(memory_repo, f"0 {'0' * 40}\t{record.path}\0{stages}")  # as a conflicted merge leaves it

    gitindex.sync_index(memory_repo.root, memory_repo.git_dir)

    listed = git("ls-files", "--stage", "--", str(record.path)).splitlines()
    assert [line.split()[2] for line in listed] == ["1", "2", "3"]  # the person's conflict, untouched
    head_other = git("rev-parse", f"HEAD:{other.path}").strip()
    assert git("ls-files", "--stage", "--", str(other.path)).split()[1] == head_other  # the library's, synced


def test_a_staged_entry_is_kept_and_a_stale_one_synced(memory_repo: MemoryRepo, git: GitView) -> None:
    staged, stale = LearningRecord(title="Staged", learning="v1"), LearningRecord(title="Stale", learning="v1")
    memory_repo.write_many([staged, stale])
    memory_repo.flush()
    held_back(memory_repo)
    staged.learning, stale.learning = "v2", "v2"
    memory_repo.write_many([staged, stale])
    file = memory_repo.root / str(staged.path)
    file.write_text(file.read_text().replace("v2", "the person's v3"))
    git("add", str(staged.path))

    gitindex.sync_index(memory_repo.root, memory_repo.git_dir)

    assert git("diff", "--cached", "--name-only").split() == [staged.path]  # the person's, still staged
    assert "the person's v3" in git("show", f":{staged.path}")
    assert git.status() == [f"M  {staged.path}"]  # the library's other path is in step


def git_input(repo: MemoryRepo, lines: str) -> None:
    """``git update-index -z --index-info`` with ``lines``."""
    subprocess.run(["git", "update-index", "-z", "--index-info"], cwd=repo.root, input=lines.encode(), check=True)
