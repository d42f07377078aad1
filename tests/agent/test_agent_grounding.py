"""An agent's saves are checked against the conversation it is in, with grounding on by default.

The agent calls ``add_memory`` mid-run; by then it has read the session's earlier turns, the
user's message and the results of other tools. A value any of those states is saved; a name or
URL none of them states is refused, the model reads why as the tool's ``Error: …`` answer, and
nothing is committed.
"""

from __future__ import annotations

import asyncio

from learning_fs.agent import Agent
from learning_fs.format import MemoriesRecord
from learning_fs.machine import LearningMachine, LearningMode
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig
from learning_fs.stores.grounding import DEFAULT_THRESHOLD
from tests.fakellm import FakeLLM, make_model
from tests.machine.fixtures import head


def team_directory(team: str) -> str:
    """Who is on a team, from the company directory.

    Args:
        team: The team's name.
    """
    return f"{team}: the on-call rotation is owned by Priya Raman (priya@atlas.example)."


def agentic(repo: MemoryRepo, fake: FakeLLM, mode: LearningMode = LearningMode.AGENTIC, **agent: object) -> Agent:
    machine = LearningMachine(repo, user_memory=UserMemoryConfig(mode=mode), agent_id="bot", background=False)
    return Agent(model=make_model(fake), learning=machine, **agent)  # type: ignore[arg-type]


def memories(agent: Agent, user: str = "alice") -> list[str]:
    assert agent.learning is not None
    store = agent.learning.stores["user_memory"]
    record = store.repo.get(store.path(user))
    return [m.text for m in record.memories] if isinstance(record, MemoriesRecord) else []


def tool_answers(fake: FakeLLM) -> list[str]:
    """What the model was told by each tool call, in order (the ``tool`` messages it was sent last)."""
    return [m["content"] for m in fake.requests[-1]["messages"] if m["role"] == "tool"]


def test_grounding_is_on_by_default() -> None:
    assert UserMemoryConfig().grounding == DEFAULT_THRESHOLD > 0


def test_a_save_of_what_an_earlier_message_said_is_accepted(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text("Congratulations on the new job!")
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Works at Zalando in Berlin as a data engineer"})])
    fake_llm.enqueue_text("Saved.")
    agent = agentic(repo, fake_llm)

    agent.run("I just started at Zalando in Berlin, as a data engineer.", user_id="alice", session_id="s1")
    before = head(repo)
    done = agent.run("Please remember where I work.", user_id="alice", session_id="s1")

    assert [(r.name, r.ok) for r in done.tool_calls] == [("add_memory", True)]
    assert memories(agent) == ["Works at Zalando in Berlin as a data engineer"]
    assert head(repo) != before
    agent.close()


def test_a_save_of_what_a_tool_result_said_is_accepted(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("team_directory", {"team": "Atlas"})])
    saved = "Priya Raman owns the on-call rotation of Alice's team Atlas"
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": saved})])
    fake_llm.enqueue_text("Priya Raman.")
    agent = agentic(repo, fake_llm, tools=[team_directory])

    done = agent.run("Who owns on-call for my team Atlas? Remember it.", user_id="alice", session_id="s1")

    assert [(r.name, r.ok) for r in done.tool_calls] == [("team_directory", True), ("add_memory", True)]
    assert memories(agent) == [saved]
    agent.close()


def test_a_url_nobody_said_is_refused_the_model_is_told_and_nothing_is_committed(
    repo: MemoryRepo, fake_llm: FakeLLM
) -> None:
    fake_llm.enqueue_text("Which site is it?")
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Favourite recipe site is https://recipes.example.org"})])
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Favourite recipe site is https://recipes.example.org"})])
    fake_llm.enqueue_text("Sorry, I could not save that.")
    agent = agentic(repo, fake_llm)
    agent.run("I cook a lot from one recipe site.", user_id="alice", session_id="s1")
    before = head(repo)

    done = agent.run("Remember my favourite recipe site.", user_id="alice", session_id="s1")

    assert [(r.name, r.ok) for r in done.tool_calls] == [("add_memory", False), ("add_memory", False)]
    first, retry = tool_answers(fake_llm)
    assert first.startswith("Error: not saved") and "https://recipes.example.org" in first
    assert retry.startswith("Error: not saved")  # the refusal quoting the URL does not ground the retry
    assert head(repo) == before and memories(agent) == []
    agent.close()


def test_the_models_own_words_beside_the_call_do_not_ground_it(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Lives in Lisbon"})],
                                content="You live in Lisbon, so I will remember that.")
    fake_llm.enqueue_text("ok")
    agent = agentic(repo, fake_llm)
    before = head(repo)

    done = agent.run("Any tips for a weekend trip?", user_id="alice", session_id="s1")

    assert [(r.name, r.ok) for r in done.tool_calls] == [("add_memory", False)]
    assert "'Lisbon', which the conversation does not" in tool_answers(fake_llm)[0]
    assert head(repo) == before
    agent.close()


def test_the_tools_own_description_writes_nothing_with_the_default_config(
    repo: MemoryRepo, fake_llm: FakeLLM
) -> None:
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "The new text of the memory."})]).enqueue_text("ok")
    agent = agentic(repo, fake_llm)
    before = head(repo)

    done = agent.run("Remember: the new text of the memory is what matters.", user_id="alice", session_id="s1")

    assert [(r.name, r.ok) for r in done.tool_calls] == [("add_memory", False)]
    assert "copies the tool's description" in tool_answers(fake_llm)[0]
    assert head(repo) == before and memories(agent) == []
    agent.close()


def test_a_confirmed_hitl_call_is_checked_against_the_conversation(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text("Noted.")
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Allergic to peanuts"}),
                                 ("add_memory", {"memory": "Avoids shellfish and gluten"})])
    fake_llm.enqueue_text("Saved the peanut allergy.")
    agent = agentic(repo, fake_llm, mode=LearningMode.HITL)
    agent.run("Heads up: I'm allergic to peanuts.", user_id="alice", session_id="s1")

    paused = agent.run("Keep that in mind for recipes.", user_id="alice", session_id="s1")
    for requirement in paused.requirements:
        requirement.confirm()
    done = agent.continue_run(paused)

    assert [(r.name, r.ok) for r in done.tool_calls] == [("add_memory", True), ("add_memory", False)]
    assert memories(agent) == ["Allergic to peanuts"]
    agent.close()


def test_arun_checks_against_the_conversation_too(repo: MemoryRepo, fake_llm: FakeLLM) -> None:
    fake_llm.enqueue_text("Nice.")
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Plays the cello in an orchestra"}),
                                 ("add_memory", {"memory": "Plays the violin in Vienna"})])
    fake_llm.enqueue_text("Saved.")
    agent = agentic(repo, fake_llm)

    async def scenario() -> list[tuple[str, bool]]:
        await agent.arun("I play the cello in a community orchestra.", user_id="alice", session_id="s1")
        done = await agent.arun("Remember my hobby.", user_id="alice", session_id="s1")
        return [(r.name, r.ok) for r in done.tool_calls]

    assert asyncio.run(scenario()) == [("add_memory", True), ("add_memory", False)]
    assert memories(agent) == ["Plays the cello in an orchestra"]
    agent.close()


def test_a_decision_the_agent_states_beside_the_call_is_its_own_and_is_saved(
    repo: MemoryRepo, fake_llm: FakeLLM
) -> None:
    from learning_fs.stores import DecisionLogConfig

    fake_llm.enqueue_tool_calls([("log_decision", {"decision": "Use SQLite for the prototype",
                                                   "reasoning": "One file, no server to run"})],
                                content="I'd use SQLite for the prototype: one file, no server to run.")
    fake_llm.enqueue_tool_calls([("log_decision", {"decision": "Use Oracle for the prototype",
                                                   "reasoning": "Enterprise support"})])
    fake_llm.enqueue_text("SQLite.")
    machine = LearningMachine(repo, decision_log=DecisionLogConfig(mode=LearningMode.AGENTIC), background=False)
    agent = Agent(model=make_model(fake_llm), learning=machine)

    done = agent.run("Which database for a quick prototype? Log your decision.", user_id="alice", session_id="s1")

    # The second call's reply says nothing: 'Oracle' is in nobody's words, the agent's included.
    assert [(r.name, r.ok) for r in done.tool_calls] == [("log_decision", True), ("log_decision", False)]
    assert [r.title for r in repo.list("decision")] == ["Use SQLite for the prototype"]
    agent.close()
