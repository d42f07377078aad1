"""Proposing, listing and showing: a branch per proposal, main and the checkout untouched, evidence on show."""

from __future__ import annotations

import json

from learning_fs.format import LearningRecord
from learning_fs.machine.writer import Evidence, RecordWriter
from learning_fs.repo import MemoryRepo
from learning_fs.review import get_proposal, list_proposals
from tests.review.conftest import Invoke, branches, git, head, learn, propose


def test_propose_leaves_main_and_the_working_tree_untouched(repo: MemoryRepo, lfs: Invoke) -> None:
    learn(repo, "Pin versions", "Pin tool versions in CI.")
    repo.flush()
    main, files = head(repo), sorted(p.name for p in repo.root.rglob("*.md"))

    proposal_id = propose(lfs, "Use uv", "Use uv to install Python packages in CI.", "--why", "CI got 3x faster")

    assert proposal_id == "learning/use-uv"
    assert head(repo) == main and sorted(p.name for p in repo.root.rglob("*.md")) == files
    assert git(repo, "status", "--porcelain") == ""
    assert "proposals/learning/use-uv" in branches(repo)
    assert "Use uv to install" in git(repo, "show", "proposals/learning/use-uv:learnings/global/db/use-uv.md")
    assert repo.list("learning") and all(r.title != "Use uv" for r in repo.list("learning"))  # type: ignore[attr-defined]


def test_several_proposals_are_listed_with_age_kind_namespace_title_and_conflicts(repo: MemoryRepo,
                                                                                   lfs: Invoke) -> None:
    propose(lfs, "Use uv", "Use uv to install Python packages.")
    propose(lfs, "Team rule", "Deploy on Tuesdays.", "--namespace", "platform")
    propose(lfs, "Use uv", "Use uv, pinned.")  # the same title again: a second branch, numbered

    listing = lfs("proposals")

    assert listing.exit_code == 0
    header, *rows = listing.stdout.splitlines()
    assert header.split() == ["ID", "AGE", "KIND", "NAMESPACE", "CONFLICTS", "TITLE"]
    rows = sorted(rows)  # oldest first; these three were made within a second
    assert [row.split()[0] for row in rows] == ["learning/team-rule", "learning/use-uv", "learning/use-uv-2"]
    assert rows[0].split()[2:5] == ["learning", "platform", "no"]
    assert rows[0].split()[1].endswith("s")  # waiting for seconds
    data = sorted(json.loads(lfs("proposals", "--json").stdout), key=lambda p: p["id"])
    assert [(p["id"], p["kind"], p["namespace"], p["title"], p["conflicts_with_main"]) for p in data] == [
        ("learning/team-rule", "learning", "platform", "Team rule", False),
        ("learning/use-uv", "learning", "global", "Use uv", False),
        ("learning/use-uv-2", "learning", "global", "Use uv", False),
    ]
    assert data[0]["age_seconds"] >= 0 and data[0]["evidence"]["store"] == "cli"


def test_a_proposal_that_would_conflict_with_main_says_so(repo: MemoryRepo, lfs: Invoke) -> None:
    record = learn(repo, "Use uv", "Use uv.")
    writer = RecordWriter(repo, store="learned_knowledge", mode="propose", user_id="alice")
    proposed = repo.read(record.path or "")
    proposed.learning = "Use uv with a lockfile."  # type: ignore[attr-defined]
    writer.save([proposed], summary="Update: Use uv")
    ours = repo.read(record.path or "")
    ours.learning = "Use pip."  # type: ignore[attr-defined]
    repo.write(ours)

    [proposal] = list_proposals(repo)

    assert proposal.conflicts == [record.path] and proposal.behind
    row = lfs("proposals").stdout.splitlines()[1]
    assert f"yes: {record.path}" in row
    assert json.loads(lfs("proposals", "--json").stdout)[0]["conflicts_with_main"] is True


def test_show_prints_the_evidence_and_the_diff_against_main(repo: MemoryRepo, lfs: Invoke) -> None:
    writer = RecordWriter(repo, store="learned_knowledge", mode="propose", user_id="alice", session_id="s-7",
                          agent_id="helper", quote="uv made our CI three times faster, remember that")
    writer.save([LearningRecord(title="Use uv in CI", learning="Install Python packages with uv in CI.")],
                summary="Learn: Use uv in CI", evidence=Evidence(reasoning="A measured speed-up, reusable."))

    shown = lfs("proposals", "show", "use-uv-in-ci")

    assert shown.exit_code == 0
    out = shown.stdout
    assert out.startswith("proposal learning/use-uv-in-ci")
    proposal = get_proposal(repo, "learning/use-uv-in-ci")
    assert proposal.evidence.render() in out  # the one review surface, as a HITL requirement shows it
    assert "user alice" in out and "session s-7" in out and "> uv made our CI three times faster" in out
    assert "Why: A measured speed-up, reusable." in out
    assert "+++ b/learnings/global/" in out and "+Install Python packages with uv in CI." in out
    assert "approving fast-forwards main" in out


def test_an_unknown_proposal_is_a_clear_error(lfs: Invoke) -> None:
    result = lfs("proposals", "show", "learning/nope")
    assert result.exit_code == 1 and "names no open proposal" in result.stderr


def test_the_machine_lists_approves_and_rejects(repo: MemoryRepo, lfs: Invoke) -> None:
    from learning_fs.machine import LearningMachine

    first = propose(lfs, "Use uv", "Use uv to install Python packages.")
    second = propose(lfs, "Long answers", "Always write long answers.")
    with LearningMachine(repo, learning=False, searcher="lexical") as machine:
        assert sorted(p.id for p in machine.proposals()) == sorted([first, second])
        approval = machine.approve(first)
        rejection = machine.reject(second, "One user's taste")
        assert machine.proposals() == []
    assert approval.fast_forward and head(repo) != approval.proposal.base
    assert rejection.reason == "One user's taste"
    assert [r.title for r in repo.list("learning")] == ["Use uv"]  # type: ignore[attr-defined]


def test_a_proposal_and_a_paused_hitl_call_show_the_same_evidence_block(repo: MemoryRepo) -> None:
    """One review surface: an application renders both with one component."""
    from learning_fs.extract import PendingCall, ToolCall
    from learning_fs.machine.hitl import Requirement

    evidence = Evidence(user_id="alice", session_id="s-9", quote="uv sped CI up 3x", reasoning="Measured.",
                        store="learned_knowledge", mode="propose", agent_id="helper")
    writer = RecordWriter(repo, store="learned_knowledge", mode="propose", user_id="alice", session_id="s-9",
                          agent_id="helper")
    writer.save([LearningRecord(title="Use uv", learning="Use uv in CI.")], summary="Learn: Use uv",
                evidence=Evidence(quote="uv sped CI up 3x", reasoning="Measured."))
    [proposal] = list_proposals(repo)
    call = PendingCall(ToolCall(id="c1", name="save_learning", arguments={"title": "Use uv"}))
    requirement = Requirement(call, "learned_knowledge", evidence)

    assert proposal.evidence == evidence
    assert proposal.render().split("\n", 1)[1] == evidence.render() == requirement.render().split("\n", 1)[1]
