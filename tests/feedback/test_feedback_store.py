"""The feedback store: signals read off turns and ratings, each with the ids its run's context held."""

from __future__ import annotations

import pytest

from learning_fs import LearningMachine
from learning_fs.format import Item, LearningRecord, MemoriesRecord
from learning_fs.format.records import FeedbackRecord, InstructionsRecord
from learning_fs.ops import validate_repo
from learning_fs.repo import MemoryRepo
from learning_fs.stores import BehavioralFeedbackConfig
from tests.fakellm import FakeLLM, make_model
from tests.feedback.helpers import CORRECTION, QUESTION, git, turn


def feedback(repo: MemoryRepo) -> list[FeedbackRecord]:
    found = [repo.get(path) for path in repo.paths("feedback")]
    return sorted((r for r in found if isinstance(r, FeedbackRecord)), key=lambda r: (r.created, r.id))


@pytest.fixture
def known(repo: MemoryRepo) -> dict[str, str]:
    """A memory, a learning and a rule the context of a distance question will hold."""
    repo.write(MemoriesRecord(user="alice", memories=[Item(id="m-lives", text="Lives in Paris, travels by train.")]))
    repo.write(LearningRecord(id="lrn-distance", title="Paris to Berlin distance",
                              learning="How far Paris is from Berlin depends on the route: give road and rail."))
    repo.write(InstructionsRecord(agent="bot", rules=[Item(id="rule-cite", text="Cite a source for figures.")]))
    return {"memory": "m-lives", "learning": "lrn-distance", "rule": "rule-cite"}


def test_a_correction_is_recorded_with_the_ids_of_the_context_it_corrects(machine, repo, known):
    context = turn(machine, "alice", "s-1", QUESTION, "About 545 miles.", "run-1")
    assert "Cite a source" in context and "Lives in Paris" in context and "Paris to Berlin distance" in context
    turn(machine, "alice", "s-1", CORRECTION, "About 880 km.", "run-2")

    [signal] = feedback(repo)
    assert signal.signal == "correction" and signal.score == -1
    assert signal.about == "use metric units"
    assert signal.run_id == "run-1"  # the answer it corrects, not the run that says so
    assert {known["memory"], known["learning"], known["rule"]} <= set(signal.in_context)
    assert signal.comment == CORRECTION and signal.reply == "About 545 miles."
    assert signal.source.user == "alice" and signal.session_id == "s-1" and signal.agent == "bot"
    assert signal.path.startswith("feedback/global/")
    assert "Learning-Store: feedback" in git(repo, "log", "-1", "--format=%B")
    assert validate_repo(repo) == []


def test_an_ordinary_next_question_records_nothing(machine, repo, known):
    turn(machine, "alice", "s-1", QUESTION, "About 880 km.", "run-1")
    turn(machine, "alice", "s-1", "And from Berlin to Rome?", "About 1500 km.", "run-2")
    assert feedback(repo) == []


def test_reask_praise_and_tool_errors_are_signals(machine, repo):
    turn(machine, "bob", "s-2", "What is the capital of Australia?", "Sydney.", "run-1")
    turn(machine, "bob", "s-2", "What is the capital city of Australia?", "Canberra.", "run-2")
    turn(machine, "bob", "s-2", "Thanks, perfect.", "You're welcome.", "run-3")
    messages = [
        {"role": "user", "content": "Book it."},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "book_train", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "Error: date must be YYYY-MM-DD"},
        {"role": "assistant", "content": "I could not book it."},
    ]
    machine.build_context("bob", "s-2", "Book it.", run_id="run-4")
    machine.process(messages, "bob", "s-2", run_id="run-4")
    kinds = [(r.signal, r.run_id, r.about) for r in feedback(repo)]
    assert ("reask", "run-1", None) in kinds
    assert ("praise", "run-2", None) in kinds
    assert ("tool_error", "run-4", "book_train") in kinds


def test_a_decision_outcome_blames_the_run_that_made_the_decision(machine, repo, known):
    logged = [{"role": "user", "content": "Which route?"},
              {"role": "tool", "tool_call_id": "c1", "content": "Logged decision dec-0000000001."},
              {"role": "assistant", "content": "The night train."}]
    machine.build_context("alice", "s-3", "Which route?", run_id="run-decide")
    machine.process(logged, "alice", "s-3", run_id="run-decide")
    outcome = [{"role": "user", "content": "The night train was cancelled."},
               {"role": "tool", "tool_call_id": "c2", "content": "Recorded the outcome of dec-0000000001 (bad)."},
               {"role": "assistant", "content": "Noted."}]
    machine.build_context("alice", "s-4", "The night train was cancelled.", run_id="run-later")
    machine.process(outcome, "alice", "s-4", run_id="run-later")
    [signal] = [r for r in feedback(repo) if r.signal == "outcome"]
    assert signal.score == -1 and signal.about == "dec-0000000001" and signal.run_id == "run-decide"


def test_an_explicit_rating_keeps_the_run_context(machine, repo, known):
    turn(machine, "alice", "s-1", QUESTION, "About 545 miles.", "run-1")
    record = machine.feedback("run-1", -0.5, "Too vague", user_id="alice")
    assert record.signal == "rating" and record.score == -0.5 and record.run_id == "run-1"
    assert known["learning"] in record.in_context
    assert repo.get(record.path).comment == "Too vague"
    with pytest.raises(ValueError):
        machine.feedback("run-1", 3, "out of range")


def test_the_agent_names_each_run_and_rates_it(repo, fake_llm: FakeLLM):
    from learning_fs import Agent

    repo.write(InstructionsRecord(agent="bot", rules=[Item(id="rule-short", text="Answer in one sentence.")]))
    fake_llm.enqueue_text("Berlin is about 880 km from Paris.")
    machine = LearningMachine(repo, instructions=True, feedback=True, background=False, agent_id="bot")
    with machine, Agent(model=make_model(fake_llm), learning=machine, agent_id="bot") as agent:
        response = agent.run(QUESTION, user_id="alice", session_id="s-1")
        assert response.run_id and response.run_id.startswith("run-")
        assert "Answer in one sentence." in fake_llm.requests[0]["messages"][0]["content"]
        record = agent.feedback(response.run_id, 1, "Exactly", user_id="alice")
    assert "rule-short" in record.in_context and record.run_id == response.run_id


def test_cli_rating_finds_the_run_context_in_the_journal(machine, repo, known, invoke):
    turn(machine, "alice", "s-1", QUESTION, "About 545 miles.", "run-9")
    result = invoke("--repo", str(repo.root), "feedback", "add", "run-9", "--score", "-1", "--comment",
                    "Wrong units", "--user", "alice")
    assert result.exit_code == 0, result.output
    assert "on run-9" in result.output
    [record] = [r for r in feedback(repo) if r.signal == "rating"]
    assert known["learning"] in record.in_context and record.source.user == "alice"
    listed = invoke("--repo", str(repo.root), "feedback", "list", "--signal", "rating")
    assert record.id in listed.output and "Wrong units" in listed.output
    assert invoke("feedback", "--help").exit_code == 0


def test_feedback_is_never_private(repo):
    with pytest.raises(ValueError, match="shared namespace"):
        LearningMachine(repo, feedback=BehavioralFeedbackConfig(namespace="user"))


def test_validate_checks_the_new_kinds(repo):
    (repo.root / "agents" / "bot").mkdir(parents=True)
    (repo.root / "agents" / "bot" / "instructions.md").write_text(
        "---\nid: ins-1\nkind: instructions\nagent: other\n---\n\n# Instructions\n\n## Rules\n- Be brief.\n")
    folder = repo.root / "feedback" / "global" / "00"
    folder.mkdir(parents=True)
    (folder / "fb-1.md").write_text("---\nid: fb-1\nkind: feedback\nsignal: rating\nscore: 5\n---\n\n# x\n")
    problems = [str(p) for p in validate_repo(repo)]
    assert any("agents/bot/instructions.md" in p and "belong in agents/other/instructions.md" in p for p in problems)
    assert any("fb-1.md" in p and "score must be between -1 and 1" in p for p in problems)


@pytest.mark.parametrize("message", ["No problem, thanks!", "No worries.", "No need, that's all."])
def test_politeness_is_not_a_correction(message):
    from learning_fs.stores.signals import detect

    assert detect(message, "How far is it from Paris to Berlin?") is None


def test_a_broken_feedback_file_is_skipped_not_fatal(machine, repo, invoke):
    turn(machine, "alice", "s-1", QUESTION, "About 545 miles.", "run-1")
    turn(machine, "alice", "s-1", CORRECTION, "About 880 km.", "run-2")
    folder = repo.root / "feedback" / "global" / "zz"
    folder.mkdir(parents=True)
    (folder / "fb-broken.md").write_text("---\nid: fb-broken\nkind: feedback\nscore: [not a number\n---\n")
    result = invoke("--repo", str(repo.root), "feedback", "list")
    assert result.exit_code == 0 and "No, I said use metric units." in result.output
    assert invoke("--repo", str(repo.root), "improve").exit_code == 0


def test_a_rule_typed_by_hand_reaches_the_context_with_a_stable_id(machine, repo):
    path = repo.root / "agents" / "bot" / "instructions.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\nid: ins-hand\nkind: instructions\nagent: bot\n---\n\n# Instructions for bot\n\n"
                    "## Rules\n- Never promise delivery dates.\n")
    context = turn(machine, "alice", "s-1", QUESTION, "About 880 km.", "run-1")
    assert "- Never promise delivery dates." in context
    turn(machine, "alice", "s-1", CORRECTION, "About 880 km.", "run-2")
    [signal] = feedback(repo)
    rule = repo.get("agents/bot/instructions.md").rules[0]
    assert rule.id.startswith("rule-") and rule.id in signal.in_context
    assert repo.get("agents/bot/instructions.md").rules[0].id == rule.id  # derived from the text: stable
