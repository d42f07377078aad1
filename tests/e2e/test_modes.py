"""Every mode through the reference agent, as an application would use it."""

from __future__ import annotations

from learning_fs.agent import Agent
from learning_fs.machine import Evidence, LearningMachine, LearningMode
from learning_fs.repo import MemoryRepo
from learning_fs.stores import LearnedKnowledgeConfig
from tests.fakellm import FakeLLM, make_model
from tests.machine.fixtures import Switchboard, branches, git, head, offered_tools

QUESTION = "Our CI keeps failing on flaky network installs. Should we retry package installs, say 3 retries?"
LESSON = {"title": "Retry package installs in CI", "learning": "Wrap package installs in CI with 3 retries.",
          "context": "flaky CI networks"}


def test_propose_mode_learns_into_a_proposal_and_main_stays_untouched(
    repo: MemoryRepo, switchboard: Switchboard
) -> None:
    extractor = switchboard.extraction("save_learning")
    extractor.enqueue_tool_calls([("save_learning", LESSON)]).enqueue_text("proposed")
    switchboard.agent.enqueue_text("Add retries to the install step.")
    machine = LearningMachine(repo, model=switchboard.model(),
                              learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.PROPOSE), agent_id="helper")
    agent = Agent(model=switchboard.model(), learning=machine)
    main_before = head(repo, "main")

    response = agent.run(QUESTION, user_id="alice", session_id="s1")
    assert machine.wait(timeout=20)

    assert response.content == "Add retries to the install step."
    assert offered_tools(switchboard.agent.requests[0]) == ["search_learnings"]  # the agent itself saves nothing
    assert head(repo, "main") == main_before
    repo.flush()
    assert git(repo, "status", "--porcelain") == ""
    assert not list((repo.root).glob("learnings/**/*.md"))
    [proposal] = [b for b in branches(repo) if b.startswith("proposals/")]
    assert proposal == "proposals/learning/retry-package-installs-in-ci"
    proposed = git(repo, "show", f"{proposal}:{_only_file(repo, proposal)}")
    assert "Wrap package installs in CI with 3 retries." in proposed
    evidence = Evidence.from_commit_message(git(repo, "log", "-1", "--format=%B", proposal))
    assert (evidence.store, evidence.mode, evidence.user_id, evidence.session_id, evidence.agent_id) == (
        "learned_knowledge", "propose", "alice", "s1", "helper")
    assert evidence.quote == QUESTION
    assert "Retry package installs" not in machine.build_context(user_id="alice", message=QUESTION)


def _only_file(repo: MemoryRepo, branch: str) -> str:
    [path] = [p for p in git(repo, "diff", "--name-only", f"main...{branch}").split() if p.endswith(".md")]
    return path


def test_hitl_pauses_saves_but_never_searches(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("search_learnings", {"query": "flaky CI"}), ("save_learning", LESSON)],
                                content="Nothing saved yet; this one is worth keeping.")
    fake_llm.enqueue_text("Saved, and add retries.")
    machine = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.HITL))
    agent = Agent(model=make_model(fake_llm), learning=machine)
    before = head(repo)

    paused = agent.run(QUESTION, user_id="alice", session_id="s1")

    assert [r.tool_name for r in paused.requirements] == ["save_learning"]
    assert [r.name for r in paused.tool_calls] == ["search_learnings"]  # ran without asking
    assert head(repo) == before
    paused.requirements[0].confirm()
    done = agent.continue_run(paused)
    assert done.content == "Saved, and add retries."
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Learn: Retry package installs in CI")
    assert "Learning-Mode: hitl" in message and "> Our CI keeps failing" in message
    assert "Retry package installs in CI" in machine.build_context(user_id="bob", message=QUESTION)


def test_agentic_mode_saves_on_main_during_the_run(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("save_learning", LESSON)]).enqueue_text("Saved.")
    machine = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC))
    agent = Agent(model=make_model(fake_llm), learning=machine)
    before = head(repo)

    response = agent.run(QUESTION, user_id="alice", session_id="s1")

    assert not response.is_paused and response.content == "Saved."
    assert git(repo, "rev-list", "--count", f"{before}..main").strip() == "1"
    assert "Learning-Mode: agentic" in git(repo, "log", "-1", "--format=%B")
    assert branches(repo) == ["main"]


def test_propose_mode_agent_tools_say_they_proposed_and_name_the_proposal(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("save_learning", LESSON)]).enqueue_text("I proposed it for review.")
    fake_llm.enqueue_text("Already proposed; nothing to add.")  # PROPOSE still extracts after the turn
    config = LearnedKnowledgeConfig(mode=LearningMode.PROPOSE, enable_agent_tools=True)
    machine = LearningMachine(repo, learned_knowledge=config)
    agent = Agent(model=make_model(fake_llm), learning=machine)

    response = agent.run(QUESTION, user_id="alice", session_id="s1")
    assert machine.wait(timeout=20)

    [call] = response.tool_calls
    [proposal] = [b for b in branches(repo) if b.startswith("proposals/")]
    assert call.content.startswith("Proposed learning lrn-")  # not "Saved learning": main has nothing yet
    assert f"proposal {proposal.removeprefix('proposals/')} on branch {proposal}" in call.content
    assert "Saved" not in call.content and "not remembered until a person merges" in call.content
    assert "Saves become proposals a person reviews" in str(fake_llm.requests[0]["messages"][0]["content"])


def test_instructions_describe_only_the_tools_the_agent_has(repo: MemoryRepo) -> None:
    search_only = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.PROPOSE))
    text = search_only.instructions(user_id="alice", session_id="s1")
    assert "learned_knowledge: your tools search_learnings." in text
    assert "proposal" not in text and "Save only what is specific" not in text  # it has nothing to save with
    assert "Learned automatically after each reply (nothing for you to save): learned_knowledge." in text
    tools_too = LearnedKnowledgeConfig(mode=LearningMode.PROPOSE, enable_agent_tools=True)
    text = LearningMachine(repo, learned_knowledge=tools_too).instructions(user_id="alice", session_id="s1")
    assert "nothing for you to save" not in text and "Saves become proposals" in text
    hitl = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.HITL))
    assert "waits for the user's confirmation" in hitl.instructions(user_id="alice", session_id="s1")
