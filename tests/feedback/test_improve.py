"""Self-improvement: patterns in the feedback become proposal branches that review approves, rejects, reverts."""

from __future__ import annotations

from learning_fs import LearningMachine
from learning_fs.format import Item, LearningRecord
from learning_fs.format.records import InstructionsRecord
from learning_fs.improve import Improver, SelfImprovementConfig
from learning_fs.review import approve, get_proposal, list_proposals, reject
from tests.fakellm import FakeLLM, make_model
from tests.feedback.helpers import QUESTION, branches, corrected, git

CONFIG = SelfImprovementConfig(min_corrections=3, min_users=2)
PROPOSAL = "instructions/bot/add-use-metric-units"


def improver(repo, **kwargs):
    return Improver(repo, config=kwargs.pop("config", CONFIG), agent="bot", **kwargs)


def test_repeated_corrections_become_a_proposal_branch_with_the_evidence(machine, repo):
    corrected(machine, ["alice", "bob", "carol"])
    head = git(repo, "rev-parse", "HEAD")
    report = improver(repo).run()

    [made] = report.proposed
    assert made.proposal_id == PROPOSAL and made.branch == "proposals/" + PROPOSAL
    assert git(repo, "rev-parse", "HEAD") == head  # never straight to main
    assert not (repo.root / "agents" / "bot" / "instructions.md").exists()
    message = git(repo, "log", "-1", "--format=%B", made.branch)
    assert message.startswith("Add instruction: Use metric units.")
    assert "Said:\n> No, I said use metric units." in message
    assert "corrected 3 time(s) by 3 user(s)" in message
    for user in ("alice", "bob", "carol"):
        assert f"user {user}" in message and f"session s-{user}-" in message
    ids = [r.id for r in made.finding.evidence]
    assert len(ids) == 3 and all(i in message for i in ids)
    assert "Learning-Store: self_improvement" in message and "Learning-Feedback: " in message
    proposal = get_proposal(repo, PROPOSAL)
    assert proposal.kind == "instructions" and proposal.paths == ["agents/bot/instructions.md"]
    assert "No, I said use metric units." in (proposal.evidence.quote or "")


def test_too_few_corrections_or_one_person_propose_nothing(machine, repo):
    corrected(machine, ["alice", "bob"])
    assert improver(repo).run().proposed == []
    corrected(machine, ["alice", "alice"], tag="again-")  # 4 corrections, but by 2 people only … enough
    assert [p.proposal_id for p in improver(repo).run().proposed] == [PROPOSAL]


def test_one_persons_taste_is_not_a_rule_for_everyone(machine, repo):
    corrected(machine, ["alice", "alice", "alice"])
    report = improver(repo).run()
    assert report.proposed == [] and report.findings == []


def test_approve_puts_the_rule_in_the_next_context(machine, repo):
    corrected(machine, ["alice", "bob", "carol"])
    improver(repo).run()
    assert "Use metric units." not in machine.build_context("dave", "s-new", QUESTION)
    approve(repo, PROPOSAL)
    context = machine.build_context("dave", "s-new", QUESTION)
    assert "<instructions>" in context and "- Use metric units." in context
    assert list_proposals(repo) == []
    assert improver(repo).run().proposed == []  # the rule exists: nothing left to propose


def test_a_rejected_proposal_is_not_proposed_again(machine, repo):
    corrected(machine, ["alice", "bob", "carol"])
    improver(repo).run()
    reject(repo, PROPOSAL, "units depend on the user; keep it a memory")
    corrected(machine, ["dave", "erin", "frank"], tag="more-")  # new feedback of the same kind
    report = improver(repo).run()
    assert report.proposed == []
    assert [why for _, why in report.skipped] == [f"rejected before ({PROPOSAL})"]
    assert not any(b.startswith("proposals/") for b in branches(repo))


def test_an_open_proposal_is_not_proposed_twice(machine, repo):
    corrected(machine, ["alice", "bob", "carol"])
    improver(repo).run()
    corrected(machine, ["dave"], tag="more-")
    report = improver(repo).run()
    assert report.proposed == [] and "already proposed" in report.skipped[0][1]


def test_a_rule_that_is_not_followed_is_reworded_and_revert_restores_it(machine, repo):
    repo.write(InstructionsRecord(agent="bot", rules=[Item(id="rule-units", text="Use metric units.")]))
    corrected(machine, ["alice", "bob", "carol"])  # corrected while the rule was in the prompt
    [made] = improver(repo).run().proposed
    assert made.proposal_id == "instructions/bot/reword-rule-units"
    assert "it is not followed" in git(repo, "log", "-1", "--format=%B", made.branch)
    approval = approve(repo, made.proposal_id)
    context = machine.build_context("dave", "s-new", QUESTION)
    assert "without exception" in context
    repo.revert(approval.commit)
    context = machine.build_context("dave", "s-newer", QUESTION)
    assert "- Use metric units.\n" in context + "\n" and "without exception" not in context


def test_a_rule_people_keep_asking_against_is_retired(machine, repo):
    repo.write(InstructionsRecord(agent="bot", rules=[Item(id="rule-miles", text="Give distances in miles.")]))
    corrected(machine, ["alice", "bob", "carol"], correction="No, please give distances in kilometres.")
    report = improver(repo).run()
    ids = sorted(p.proposal_id for p in report.proposed)
    assert "instructions/bot/retire-rule-miles" in ids
    approve(repo, "instructions/bot/retire-rule-miles")
    record = repo.get("agents/bot/instructions.md")
    assert record.rules[0].status == "superseded"  # kept, struck through, for history
    assert "miles" not in machine.build_context("dave", "s-new", QUESTION)


def test_a_learning_in_failed_runs_is_proposed_for_demotion(machine, repo):
    repo.write(LearningRecord(id="lrn-miles", title="Paris Berlin distance in miles",
                              learning="Paris is 545 miles from Berlin."))
    corrected(machine, ["alice", "bob", "carol"], correction="No, that is wrong.")
    report = improver(repo).run()
    [made] = [p for p in report.proposed if p.finding.action == "demote"]
    assert made.proposal_id == "learning/demote-lrn-miles"
    approve(repo, made.proposal_id)
    assert "545 miles" not in machine.build_context("dave", "s-new", QUESTION)


def test_the_model_words_the_rule_but_the_rule_layer_decides(machine, repo, fake_llm: FakeLLM):
    corrected(machine, ["alice", "bob", "carol"])
    fake_llm.enqueue_text("Give every distance, weight and temperature in metric units.")
    [made] = improver(repo, model=make_model(fake_llm)).run().proposed
    assert made.proposal_id == PROPOSAL  # named by the pattern, not by the model's words
    assert made.finding.text == "Give every distance, weight and temperature in metric units."
    assert "No, I said use metric units." in fake_llm.requests[0]["messages"][0]["content"]


def test_a_failing_model_falls_back_to_the_rule_layer(machine, repo, fake_llm: FakeLLM):
    corrected(machine, ["alice", "bob", "carol"])
    fake_llm.enqueue_raw(400, {"error": {"message": "model unavailable"}})
    [made] = improver(repo, model=make_model(fake_llm, max_retries=0)).run().proposed
    assert made.finding.text == "Use metric units."


def test_the_machine_improves_on_a_schedule(repo):
    config = SelfImprovementConfig(every=4, min_corrections=2, min_users=2)
    with LearningMachine(repo, self_improvement=config, background=False, agent_id="bot",
                         track_recalls=False) as machine:
        assert {"instructions", "feedback"} <= set(machine.stores)
        corrected(machine, ["alice", "bob"])  # 4 turns: the analyser runs after the 4th
        assert [p.id for p in machine.proposals()] == [PROPOSAL]
        machine.approve(PROPOSAL)
        assert "Use metric units." in machine.build_context("carol", "s-c", QUESTION)


def test_cli_improve(machine, repo, invoke):
    corrected(machine, ["alice", "bob", "carol"])
    assert invoke("improve", "--help").exit_code == 0
    dry = invoke("--repo", str(repo.root), "improve", "--agent", "bot")
    assert dry.exit_code == 0 and f"would propose {PROPOSAL}" in dry.output
    assert not any(b.startswith("proposals/") for b in branches(repo))
    made = invoke("--repo", str(repo.root), "improve", "--propose", "--agent", "bot")
    assert made.exit_code == 0 and f"proposed {PROPOSAL}" in made.output
    assert "proposals/" + PROPOSAL in branches(repo)



def test_different_peoples_names_are_not_one_rule(machine, repo):
    corrected(machine, ["alice"], correction="No, please address me as Dr. Kim.")
    corrected(machine, ["bob"], correction="No, please address me as Dr. Okafor.", tag="b-")
    corrected(machine, ["carol"], correction="No, please address me as Dr. Novak.", tag="c-")
    report = improver(repo, config=SelfImprovementConfig(min_corrections=2, min_users=2)).run()
    assert report.proposed == [] and report.findings == []


def test_approving_keeps_a_rule_a_person_committed_meanwhile(machine, repo):
    repo.write(InstructionsRecord(agent="bot", rules=[Item(id="rule-cite", text="Cite a source for figures.")]))
    corrected(machine, ["alice", "bob", "carol"])
    improver(repo).run()
    record = repo.get("agents/bot/instructions.md")  # a person adds a rule on main while the proposal waits
    record.rules.append(Item(id="rule-brief", text="Keep answers under 100 words."))
    repo.write(record)
    approve(repo, PROPOSAL)
    context = machine.build_context("dave", "s-new", QUESTION)
    for rule in ("Cite a source for figures.", "Keep answers under 100 words.", "Use metric units."):
        assert rule in context


def test_the_schedule_runs_in_the_background_after_the_turns_feedback(repo):
    config = SelfImprovementConfig(every=4, min_corrections=2, min_users=2)
    with LearningMachine(repo, self_improvement=config, agent_id="bot", track_recalls=False) as machine:
        corrected(machine, ["alice", "bob"])
        assert machine.wait(30)
        assert [p.id for p in machine.proposals()] == [PROPOSAL]
