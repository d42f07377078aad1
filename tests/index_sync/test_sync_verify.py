"""``verify`` proves the index matches the files, and finds planted drift of every kind."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from learning_fs.cli import cli
from learning_fs.index import IndexDoc
from learning_fs.repo import MemoryRepo
from tests.index_sync.conftest import OpenIndex
from tests.index_sync.helpers import hand_written, learning, write_file


@pytest.fixture
def drifted(repo: MemoryRepo, open_index: OpenIndex) -> tuple[str, str, str]:
    """An index synced with three records, then files changed behind its back: (stale, missing, orphaned)."""
    records = [learning(f"Record {i}", f"Text {i}.") for i in range(3)]
    repo.write_many(records)
    open_index().close()
    stale, orphaned = records[0].path or "", records[1].path or ""
    write_file(repo, stale, (repo.root / stale).read_text().replace("Text 0.", "Changed by hand."))
    (repo.root / orphaned).unlink()
    missing = hand_written(repo, learning("Added by hand", "Nobody indexed this."))
    return stale, missing, orphaned


def test_verify_names_stale_missing_and_orphaned_entries(open_index: OpenIndex, drifted: tuple[str, str, str]) -> None:
    stale, missing, orphaned = drifted
    report = open_index(catch_up=False).verify()
    assert not report.ok
    assert (report.stale, report.missing, report.orphaned) == ([stale], [missing], [orphaned])


def test_catching_up_removes_the_drift(open_index: OpenIndex, drifted: tuple[str, str, str]) -> None:
    index = open_index(catch_up=False)
    index.catch_up()
    assert index.verify().ok


def test_cli_verify_exits_non_zero_on_drift_and_repair_fixes_it(
    repo: MemoryRepo, drifted: tuple[str, str, str]
) -> None:
    runner = CliRunner()
    root = str(repo.root)
    result = runner.invoke(cli, ["--repo", root, "index", "--verify"], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"stale: {drifted[0]}" in result.output and f"missing: {drifted[1]}" in result.output
    assert f"orphaned: {drifted[2]}" in result.output
    result = runner.invoke(cli, ["--repo", root, "index", "--verify", "--repair"], catch_exceptions=False)
    assert result.exit_code == 0
    result = runner.invoke(cli, ["--repo", root, "index", "--verify", "--json"], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True


def test_an_entry_built_from_an_old_blob_is_stale_even_when_git_sees_no_change(
    repo: MemoryRepo, open_index: OpenIndex
) -> None:
    """Drift the sync could not know about (a corrupted index): only verify finds it."""
    record = learning("Blob check", "Original.")
    repo.write(record)
    index = open_index()
    [doc_path] = index.sync.indexed_paths()
    hit = index.search("original", k=1)[0]
    index.index.upsert([IndexDoc(hit.id, "Original.", {**hit.metadata, "blob": "0" * 40})])
    assert index.verify().stale == [doc_path]
