"""Namespaces through the machine: private stays private, a team namespace is shared by its team only."""

from __future__ import annotations

from learning_fs.machine import LearningMachine, LearningMode
from learning_fs.repo import MemoryRepo
from learning_fs.stores import EntityMemoryConfig, LearnedKnowledgeConfig

QUESTION = "How do we deploy the billing service?"


def _tools(machine: LearningMachine, user: str) -> dict[str, object]:
    return {tool.__name__: tool for tool in machine.get_tools(user_id=user, session_id="s")}


def test_user_namespace_learnings_never_reach_another_user(repo: MemoryRepo) -> None:
    machine = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC,
                                                                            namespace="user"))
    alice = _tools(machine, "alice")
    alice["save_learning"](title="Deploy billing on Fridays", learning="Alice deploys billing on Fridays only.")

    bob = _tools(machine, "bob")
    assert bob["search_learnings"](query="deploy billing") == "No matching learnings."
    assert "Fridays" not in machine.build_context(user_id="bob", message=QUESTION)
    assert "Fridays" not in machine.build_context(message=QUESTION)
    assert "Fridays" in alice["search_learnings"](query="deploy billing")
    assert "Fridays" in machine.build_context(user_id="alice", message=QUESTION)
    [path] = repo.paths("learning")
    assert path.startswith("users/") and "/alice/" in path


def test_a_team_namespace_is_shared_within_the_team_and_invisible_outside(repo: MemoryRepo) -> None:
    team_a = LearningMachine(repo, namespace="team-a",
                             learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC),
                             entity_memory=EntityMemoryConfig(mode=LearningMode.AGENTIC))
    team_b = LearningMachine(repo, namespace="team-b",
                             learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC))
    _tools(team_a, "alice")["save_learning"](title="Deploy billing with blue-green",
                                               learning="Billing deploys blue-green behind the load balancer.")
    _tools(team_a, "alice")["add_fact"](entity="Billing service", fact="Owned by team A")

    assert "blue-green" in team_a.build_context(user_id="carol", message=QUESTION)  # a teammate
    assert "Owned by team A" in team_a.build_context(user_id="carol", message="billing service owner")
    assert "blue-green" not in team_b.build_context(user_id="dave", message=QUESTION)
    assert _tools(team_b, "dave")["search_learnings"](query="deploy billing") == "No matching learnings."
    [path] = repo.paths("learning")
    assert path.startswith("learnings/team-a/")
