"""A broken file someone hand-edited is reported with its name and line, and never stops the rest from being read."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from learning_fs import MemoryRepo, RecordParseError
from learning_fs.format import LearningRecord

if TYPE_CHECKING:
    from tests.repo.conftest import GitView


@pytest.fixture
def repo_with_broken_files(memory_repo: MemoryRepo, git: GitView) -> tuple[MemoryRepo, list[LearningRecord]]:
    good = [LearningRecord(title=f"Good {i}") for i in range(3)]
    memory_repo.write_many(good)
    broken = {
        "learnings/global/00/bad-yaml.md": "---\nid: lrn-1\nkind: learning\ntitle: a: b\n---\n",
        "learnings/global/00/unclosed.md": "---\nid: lrn-2\nkind: learning\n",
        "learnings/global/00/no-kind.md": "---\nid: lrn-3\ntitle: x\n---\n",
        "learnings/global/00/wrong-type.md": "---\nid: lrn-4\nkind: learning\ntags:\n- a\nstatus: bogus\n---\n",
        "learnings/global/00/latin1.md": "---\nid: lrn-5\nkind: learning\ntitle: caf\xe9\n---\n",
    }
    for path, text in broken.items():
        file = memory_repo.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(text.encode("latin-1"))
    return memory_repo, good


def test_listing_skips_broken_files_and_reports_each_with_file_and_line(
        repo_with_broken_files: tuple[MemoryRepo, list[LearningRecord]], caplog: pytest.LogCaptureFixture) -> None:
    repo, good = repo_with_broken_files
    errors: list[RecordParseError] = []

    with caplog.at_level(logging.WARNING):
        listed = list(repo.list("learning", errors=errors))

    assert sorted(r.id for r in listed) == sorted(r.id for r in good)
    where = {(e.path.rsplit("/", 1)[1], e.line) for e in errors}
    assert where == {("bad-yaml.md", 4), ("unclosed.md", 1), ("no-kind.md", 1), ("wrong-type.md", 6),
                     ("latin1.md", None)}
    assert "learnings/global/00/bad-yaml.md:4: invalid YAML" in caplog.text
    assert "not UTF-8" in caplog.text


def test_reading_a_broken_file_raises_a_clear_error_and_others_still_read(
        repo_with_broken_files: tuple[MemoryRepo, list[LearningRecord]]) -> None:
    repo, good = repo_with_broken_files

    with pytest.raises(RecordParseError, match=r"^learnings/global/00/bad-yaml\.md:4: invalid YAML"):
        repo.read("learnings/global/00/bad-yaml.md")

    assert repo.read(str(good[0].path)) == good[0]
    assert repo.find(good[1].id) == good[1]


def test_fixing_the_file_is_seen_at_once(repo_with_broken_files: tuple[MemoryRepo, list[LearningRecord]]) -> None:
    repo, _ = repo_with_broken_files
    path = "learnings/global/00/bad-yaml.md"
    with pytest.raises(RecordParseError):
        repo.read(path)

    (repo.root / path).write_text("---\nid: lrn-1\nkind: learning\ntitle: 'a: b'\n---\n")

    fixed = repo.read(path)
    assert isinstance(fixed, LearningRecord) and fixed.title == "a: b"


def test_a_snapshot_lists_past_broken_files_too(memory_repo: MemoryRepo, git: GitView) -> None:
    good = LearningRecord(title="Fine")
    memory_repo.write(good)
    with memory_repo.transaction("Add a broken file") as tx:
        tx.write_bytes("learnings/global/00/bad.md", b"---\nid: x\nkind: learning\ntitle: [\n---\n")

    assert [r.id for r in memory_repo.as_of("HEAD").list("learning")] == [good.id]
