"""learning_fs.yaml is validated on load (messages name the key and line), and limits bound every write.

A memory repository is often someone else's clone: a settings file with a newline in the author
name, an index folder pointing into .git or users/, or a 30 MB settings file must give one clear
error, and a 1 MB "memory" from a model or a 50 MB committed file must not be committed, checked or
indexed as if it were normal.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from learning_fs.cli import cli
from learning_fs.errors import RecordParseError, RecordTooLargeError
from learning_fs.format import MemoriesRecord
from learning_fs.format.items import Item
from learning_fs.machine import LearningMachine
from learning_fs.repo import MemoryRepo
from learning_fs.repo.config import RepoConfig
from learning_fs.stores import UserMemoryConfig

BAD_SETTINGS = {
    "author name with a newline": ("author:\n  name: \"Bob\\nEvil\"\n", "author.name", 2),
    "author e-mail with spaces": ("author:\n  email: not an address\n", "author.email", 2),
    "index inside .git": ("index:\n  directory: .git/index\n", "index.directory", 2),
    "index inside users/": ("index:\n  directory: users/idx\n", "index.directory", 2),
    "index outside the repository": ("index:\n  directory: ../elsewhere\n", "index.directory", 2),
    "negative gc_every": ("gc_every: -5\n", "gc_every", 1),
    "limit out of range": ("limits:\n  max_item_chars: 5\n", "limits.max_item_chars", 2),
    "unknown limit": ("limits:\n  max_bananas: 5\n", "limits.max_bananas", 2),
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_bad_settings_name_the_key_and_the_line(tmp_path: Path, case: str) -> None:
    text, key, line = BAD_SETTINGS[case]
    (tmp_path / "learning_fs.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RecordParseError) as caught:
        RepoConfig.load(tmp_path)
    assert caught.value.line == line
    assert key in str(caught.value) and str(caught.value).startswith(f"learning_fs.yaml:{line}:")


def test_a_huge_settings_file_is_refused_at_once(tmp_path: Path) -> None:
    (tmp_path / "learning_fs.yaml").write_text("notes: |\n" + "  filler line\n" * 2_500_000, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(RecordParseError, match="limited to"):
        RepoConfig.load(tmp_path)
    assert time.monotonic() - started < 3.0


def test_a_newline_in_the_author_is_a_clear_cli_error_not_branch_kept_moving(repo: MemoryRepo) -> None:
    (repo.root / "learning_fs.yaml").write_text("author:\n  name: \"Bob\\nEvil\"\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--repo", str(repo.root), "add", "memory", "--user", "alice", "Likes tea"])
    assert result.exit_code != 0
    assert "author.name" in result.output and "kept moving" not in result.output


def test_a_record_over_the_size_limit_is_refused_naming_the_file(repo: MemoryRepo) -> None:
    (repo.root / "learning_fs.yaml").write_text("limits:\n  max_record_bytes: 2000\n", encoding="utf-8")
    small = MemoryRepo(repo.root)
    items = [Item(id=f"m-{i:010d}", text=f"memory number {i} about tea and biscuits") for i in range(100)]
    with pytest.raises(RecordTooLargeError, match=r"users/.*memories\.md.*max_record_bytes"):
        small.write(MemoriesRecord(user="alice", memories=items))
    assert not list(repo.root.glob("users/*/alice/memories.md"))


def test_a_model_proposed_megabyte_memory_is_refused_and_the_model_told_why(repo: MemoryRepo) -> None:
    from learning_fs.extract import call_tool
    from learning_fs.extract.model import ToolCall

    machine = LearningMachine(repo, user_memory=UserMemoryConfig(mode="agentic"))
    tools = machine.get_tools(user_id="alice", session_id="s1")
    before = _commits(repo)
    answer = call_tool(tools, ToolCall(id="call_1", name="add_memory", arguments={"memory": "tea " * 250_000}))
    assert not answer.ok and "limits.max_item_chars" in answer.content  # the model reads why
    assert _commits(repo) == before  # nothing committed


def _commits(repo: MemoryRepo) -> int:
    listed = subprocess.run(["git", "rev-list", "--all"], cwd=repo.root, capture_output=True, text=True, check=True)
    return len(listed.stdout.split())


def test_check_and_index_skip_a_huge_file_in_bounded_time(repo: MemoryRepo) -> None:
    from learning_fs.index.service import RepoIndex
    from learning_fs.review.checks import check

    (repo.root / "learning_fs.yaml").write_text("limits:\n  max_record_bytes: 100000\n", encoding="utf-8")
    repo = MemoryRepo(repo.root)
    big = repo.root / "learnings" / "global" / "huge.md"
    big.parent.mkdir(parents=True, exist_ok=True)
    big.write_text("---\nid: lrn-huge000001\nkind: learning\n---\n# Huge\n\n" + "word " * 400_000, encoding="utf-8")
    started = time.monotonic()
    report = check(repo, paths=["learnings/global/huge.md"])
    assert any("limits.max_record_bytes" in finding.message for finding in report.findings)
    with RepoIndex.open(repo, write_through="off") as index:
        assert index.count() == 0
    assert time.monotonic() - started < 60
