"""The point of learning_fs: the agent on interaction N is better than on interaction 1.

A scripted two-session scenario over a real repository and the real ``openai`` client: in
session 1 Alice tells the agent who she is and about her company, and the agent saves a lesson;
background extraction learns her profile, an entity fact and the session's summary. Session 2 is
a new conversation (no shared chat history), yet the request the model receives carries what
session 1 taught, and session 1's request did not.
"""

from __future__ import annotations

from learning_fs.agent import Agent
from learning_fs.machine import LearningMachine, LearningMode
from learning_fs.repo import MemoryRepo
from learning_fs.stores import (
    EntityMemoryConfig,
    LearnedKnowledgeConfig,
    SessionContextConfig,
    UserProfileConfig,
)
from tests.machine.fixtures import Switchboard, git, offered_tools

LESSON = "Run database migrations in CI with a pinned uv lockfile"
FACT = "Runs PostgreSQL 15 for billing"


def _machine(repo: MemoryRepo, board: Switchboard) -> LearningMachine:
    return LearningMachine(
        repo,
        model=board.model(),
        user_profile=UserProfileConfig(),
        session_context=SessionContextConfig(),
        entity_memory=EntityMemoryConfig(mode=LearningMode.ALWAYS, namespace="acme-team"),
        learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC),
        agent_id="helper",
    )


def test_session_two_request_carries_what_session_one_taught(repo: MemoryRepo, switchboard: Switchboard) -> None:
    profile = switchboard.extraction("update_user_profile")
    entities = switchboard.extraction("create_entity", "add_fact")
    session = switchboard.extraction("update_session_context")
    agent_model = switchboard.agent

    # Session 1: the agent saves a lesson itself (AGENTIC); the other stores learn in the background.
    agent_model.enqueue_tool_calls([("save_learning", {
        "title": LESSON, "learning": "Pin uv's lockfile so CI migrations run the same tool versions as laptops.",
        "context": "CI pipelines for database migrations", "tags": ["ci", "uv"]})],
        # A learning is the agent's own conclusion; grounding takes it from what the agent says beside the call.
        content="Lesson worth keeping: run database migrations in CI with a pinned uv lockfile, so CI runs "
                "the same tool versions as laptops.")
    agent_model.enqueue_text("Done: migrations now run in CI with a pinned lockfile.")
    profile.enqueue_tool_calls([("update_user_profile", {"name": "Alice Chen", "preferred_name": "Alice"})])
    profile.enqueue_text("ok")
    entities.enqueue_tool_calls([("create_entity", {"name": "Acme Corp", "entity_type": "organization"}),
                                 ("add_fact", {"entity": "Acme Corp", "fact": FACT})])
    entities.enqueue_text("ok")
    session.enqueue_tool_calls([("update_session_context", {"summary": "Set up CI migrations for Acme billing."})])
    session.enqueue_text("ok")
    agent = Agent(model=switchboard.model(), learning=_machine(repo, switchboard), instructions="Be concise.")

    first = agent.run("Hi, I'm Alice Chen. Acme runs PostgreSQL 15 for billing; help me run migrations in CI.",
                      user_id="alice", session_id="s1")
    assert first.content and first.content.startswith("Done")
    assert agent.learning is not None and agent.learning.wait(timeout=20)

    # Session 2: a new conversation about the same work.
    for fake in (profile, entities, session):
        fake.enqueue_text("nothing new")
    agent_model.enqueue_text("Use the pinned lockfile, as before.")
    second = agent.run("How should I run Acme's database migrations in CI?", user_id="alice", session_id="s2")
    assert second.content == "Use the pinned lockfile, as before."
    assert agent.learning.wait(timeout=20)

    session_one = agent_model.requests[0]["messages"][0]["content"]
    session_two = agent_model.requests[2]["messages"][0]["content"]
    for taught in ("Alice Chen", LESSON, FACT):
        assert taught not in session_one
        assert taught in session_two, f"session 2 should know {taught!r}:\n{session_two}"
    assert [m["role"] for m in agent_model.requests[2]["messages"]] == ["system", "user"]  # no chat history
    assert "<user_profile>" in session_two and "<entity_memory>" in session_two
    assert "<learned_knowledge>" in session_two
    assert {"save_learning", "search_learnings"} <= set(offered_tools(agent_model.requests[2]))
    assert "learned_knowledge: your tools search_learnings, save_learning." in session_two
    assert "search before saving" in session_two

    # The lesson is shared knowledge (global); the profile is private to Alice; all of it is in git.
    log = git(repo, "log", "--format=%s%n%(trailers:only,unfold)")
    for store in ("learned_knowledge", "user_profile", "entity_memory", "session_context"):
        assert f"Learning-Store: {store}" in log
    bob = agent.learning.build_context(user_id="bob", session_id="b1",
                                       message="How should I run Acme's database migrations in CI?")
    assert LESSON in bob and FACT in bob and "Alice Chen" not in bob
    agent.close()
