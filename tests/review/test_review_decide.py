"""Approve (fast-forward, merge, conflict, --edit), reject (recorded, shown to the extractor), the review walk."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learning_fs.index.service import RepoIndex
from learning_fs.machine.writer import RecordWriter
from learning_fs.repo import MemoryRepo
from learning_fs.review import list_proposals, list_rejections, rejected_examples
from learning_fs.stores import LearnedKnowledgeConfig
from tests.fakellm import FakeLLM, make_model
from tests.review.conftest import Invoke, branches, git, head, learn, propose


@pytest.fixture
def index(repo: MemoryRepo, embedder: Any) -> Iterator[RepoIndex]:
    opened = RepoIndex.open(repo, embedder=embedder, write_through="sync")
    yield opened
    opened.close()


def _paths(index: RepoIndex, query: str) -> list[str]:
    return [hit.path for hit in index.search(query, k=3)]


def test_approve_fast_forwards_main_and_the_checkout_and_index_follow(repo: MemoryRepo, lfs: Invoke,
                                                                     index: RepoIndex) -> None:
    proposal_id = propose(lfs, "Use uv", "Use uv to install Python packages in CI.")
    [proposal] = list_proposals(repo)
    assert _paths(index, "install python packages with uv") == []

    result = lfs("approve", proposal_id)

    assert result.exit_code == 0, result.output
    assert "(fast-forward)" in result.stdout
    assert head(repo) == proposal.tip  # no merge commit: main simply moved to the proposal
    assert (repo.root / proposal.paths[0]).is_file()
    assert _paths(index, "install python packages with uv") == proposal.paths
    assert "proposals/learning/use-uv" not in branches(repo)
    repo.flush()
    assert git(repo, "status", "--porcelain") == ""


def test_approve_makes_a_real_merge_when_main_moved(repo: MemoryRepo, lfs: Invoke, index: RepoIndex) -> None:
    proposal_id = propose(lfs, "Use uv", "Use uv to install Python packages in CI.")
    [proposal] = list_proposals(repo)
    learn(repo, "Pin versions", "Pin tool versions in CI images.")
    moved = head(repo)

    result = lfs("approve", proposal_id)

    assert result.exit_code == 0 and "(merge commit)" in result.stdout
    assert git(repo, "rev-list", "--parents", "-n1", "HEAD").split()[1:] == [moved, proposal.tip]
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Approve proposal learning/use-uv: Use uv")
    assert "Learning-Proposal: learning/use-uv" in message and "Learning-Approved-By: Test Person" in message
    assert sorted(r.title for r in repo.list("learning")) == ["Pin versions", "Use uv"]  # type: ignore[attr-defined]
    assert _paths(index, "install python packages with uv")[0] == proposal.paths[0]


def test_approve_no_ff_records_who_approved_even_when_main_did_not_move(repo: MemoryRepo, lfs: Invoke) -> None:
    proposal_id = propose(lfs, "Use uv", "Use uv to install Python packages in CI.")
    [proposal] = list_proposals(repo)

    result = lfs("approve", proposal_id, "--no-ff")

    assert result.exit_code == 0 and "(merge commit)" in result.stdout
    assert git(repo, "rev-list", "--parents", "-n1", "HEAD").split()[1:] == [proposal.base, proposal.tip]
    assert "Learning-Approved-By: Test Person <person@example.com>" in git(repo, "log", "-1", "--format=%B")


def test_approve_with_conflicting_edits_reports_the_conflict_and_changes_nothing(repo: MemoryRepo,
                                                                                 lfs: Invoke) -> None:
    record = learn(repo, "Use uv", "Use uv.")
    proposed = repo.read(record.path or "")
    proposed.learning = "Use uv with a lockfile."  # type: ignore[attr-defined]
    RecordWriter(repo, store="learned_knowledge", mode="propose").save([proposed], summary="Update: Use uv")
    ours = repo.read(record.path or "")
    ours.learning = "Use pip."  # type: ignore[attr-defined]
    repo.write(ours)
    before, text = head(repo), (repo.root / (record.path or "")).read_text()

    result = lfs("approve", "learning/use-uv")

    assert result.exit_code == 1
    assert f"conflicts with main in: {record.path}" in result.stderr
    assert head(repo) == before and (repo.root / (record.path or "")).read_text() == text
    assert "proposals/learning/use-uv" in branches(repo)  # still open: edit it, or reject it


def test_approve_edit_opens_the_editor_on_the_proposed_file_first(repo: MemoryRepo, lfs: Invoke,
                                                                  tmp_path: Path) -> None:
    propose(lfs, "Use uv", "Use uv to install Python packages in CI.")
    editor = tmp_path / "editor.py"
    editor.write_text("import pathlib, sys\n"
                      "f = pathlib.Path(sys.argv[1])\n"
                      "f.write_text(f.read_text().replace('in CI.', 'in CI and locally.'))\n")

    result = lfs("approve", "learning/use-uv", "--edit", env={"EDITOR": f"{sys.executable} {editor}",
                                                               "VISUAL": ""})

    assert result.exit_code == 0, result.output
    assert "edited before approving" in result.stdout
    [record] = repo.list("learning")
    assert record.learning == "Use uv to install Python packages in CI and locally."  # type: ignore[attr-defined]
    assert "Edit proposal learning/use-uv before approving it" in git(repo, "log", "--format=%s")


def test_an_edit_that_breaks_the_file_approves_nothing(repo: MemoryRepo, lfs: Invoke, tmp_path: Path) -> None:
    propose(lfs, "Use uv", "Use uv.")
    editor = tmp_path / "editor.py"
    editor.write_text("import pathlib, sys\npathlib.Path(sys.argv[1]).write_text('---\\nkind: learning\\n')\n")
    before = head(repo)

    result = lfs("approve", "learning/use-uv", "--edit", env={"EDITOR": f"{sys.executable} {editor}", "VISUAL": ""})

    assert result.exit_code == 1 and "the edited file has problems" in result.stderr
    assert head(repo) == before and [p.id for p in list_proposals(repo)] == ["learning/use-uv"]


def test_reject_records_the_reason_and_the_extractor_prompt_lists_it(repo: MemoryRepo, lfs: Invoke) -> None:
    propose(lfs, "Users like long answers", "Always write long, detailed answers.")

    result = lfs("reject", "learning/users-like-long-answers", "--reason", "One user's taste, not a rule")

    assert result.exit_code == 0, result.output
    assert "proposals/learning/users-like-long-answers" not in branches(repo)
    [rejection] = list_rejections(repo)
    assert rejection.proposal == "learning/users-like-long-answers"
    assert rejection.reason == "One user's taste, not a rule"
    assert rejection.text == "Always write long, detailed answers." and rejection.path in result.stdout
    assert git(repo, "ls-files", "reviews/").strip() == rejection.path  # committed: it travels with clones
    assert "Learning-Rejected: learning/users-like-long-answers" in git(repo, "log", "-1", "--format=%B")
    assert rejected_examples(repo) == [
        "Users like long answers: Always write long, detailed answers. (rejected: One user's taste, not a rule)"]

    fake = FakeLLM()
    fake.enqueue_text("Nothing to save.")
    store = LearnedKnowledgeConfig(mode="always").build(repo)
    writer = RecordWriter(repo, store="learned_knowledge", mode="always", user_id="alice").buffered()
    turn = [{"role": "user", "content": "Please answer in detail."}, {"role": "assistant", "content": "Sure."}]
    store.process(turn, model=make_model(fake), writer=writer, user_id="alice", repo=repo)
    prompt = str(fake.requests[0]["messages"][0]["content"])
    assert "People rejected these earlier proposals" in prompt
    assert "Users like long answers: Always write long, detailed answers. (rejected: One user's taste" in prompt


def test_reject_needs_a_reason(repo: MemoryRepo, lfs: Invoke) -> None:
    propose(lfs, "Use uv", "Use uv.")
    result = lfs("reject", "learning/use-uv", "--reason", "  ")
    assert result.exit_code == 1 and "say why" in result.stderr
    assert [p.id for p in list_proposals(repo)] == ["learning/use-uv"]


def test_review_walks_the_queue(repo: MemoryRepo, lfs: Invoke) -> None:
    propose(lfs, "Use uv", "Use uv to install Python packages.")
    propose(lfs, "Long answers", "Always write long answers.")
    propose(lfs, "Tabs", "Indent with tabs.")
    order = [p.id for p in list_proposals(repo)]
    answers = {"learning/use-uv": "a\n", "learning/long-answers": "r\nOne user's taste\n", "learning/tabs": "s\n"}

    result = lfs("review", input="".join(answers[p] for p in order))

    assert result.exit_code == 0, result.output
    assert result.stdout.count("[learning · global]") == 3 and "+Use uv to install Python packages." in result.stdout
    assert "1 approved, 1 rejected, 1 skipped" in result.stdout
    assert [r.title for r in repo.list("learning")] == ["Use uv"]  # type: ignore[attr-defined]
    assert [r.proposal for r in list_rejections(repo)] == ["learning/long-answers"]
    assert [p.id for p in list_proposals(repo)] == ["learning/tabs"]


def test_a_propose_save_in_an_auto_approved_namespace_lands_at_once(repo: MemoryRepo, lfs: Invoke) -> None:
    config = repo.root / "learning_fs.yaml"
    config.write_text(config.read_text().replace("auto_approve: []", "auto_approve:\n  - user"))
    git(repo, "commit", "-qam", "Let private memories skip review")
    repo.config = type(repo.config).load(repo.root)
    before = head(repo)

    result = lfs("propose", "learning", "--title", "My editor", "--namespace", "user", "--user", "alice",
                 "I use Helix.")
    shared = propose(lfs, "Use uv", "Use uv.")

    assert result.exit_code == 0 and "approved at once" in result.stdout
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    assert "Learning-Review: auto-approved" in git(repo, "log", "-1", "--format=%B")
    assert [r.title for r in repo.list("learning", user="alice")] == ["My editor"]  # type: ignore[attr-defined]
    assert [p.id for p in list_proposals(repo)] == [shared]  # the shared namespace still waits for review
