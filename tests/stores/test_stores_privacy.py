"""A private (``user`` namespace) record never reaches another user's recall, search or tools."""

from __future__ import annotations

from learning_fs.repo import MemoryRepo
from learning_fs.stores import (
    DecisionLogConfig,
    EntityMemoryConfig,
    LearnedKnowledgeConfig,
    UserMemoryConfig,
    UserProfileConfig,
    call_with_context,
)
from tests.stores.conftest import tools

SECRET = "zanzibar"


def _fill_alice(repo: MemoryRepo) -> None:
    tools(UserProfileConfig(mode="agentic").build(repo), repo)["update_user_profile"](name=f"Alice {SECRET}")
    tools(UserMemoryConfig(mode="agentic").build(repo), repo)["add_memory"](f"Holiday in {SECRET}")
    tools(EntityMemoryConfig(mode="agentic", namespace="user").build(repo), repo)["add_fact"](SECRET, "a place")
    tools(LearnedKnowledgeConfig(namespace="user").build(repo), repo)["save_learning"](SECRET, f"{SECRET} tip")
    tools(DecisionLogConfig(namespace="user").build(repo), repo)["log_decision"](f"Go to {SECRET}", "sunny")


def test_nothing_of_alice_reaches_bob(repo: MemoryRepo) -> None:
    _fill_alice(repo)
    stores = [UserProfileConfig().build(repo), UserMemoryConfig().build(repo),
              EntityMemoryConfig(namespace="user").build(repo), LearnedKnowledgeConfig(namespace="user").build(repo),
              DecisionLogConfig(namespace="user").build(repo)]
    for store in stores:
        for user in ("alice", "bob", None):
            data = call_with_context(store.recall, user_id=user, message=f"Tell me about {SECRET}", repo=repo)
            context = store.build_context(data)
            assert (SECRET in context.casefold()) == (user == "alice"), (store.learning_type, user)
    for store in stores[2:]:
        for user in ("alice", "bob"):
            search = next(t for name, t in tools(store, repo, user_id=user).items() if name.startswith("search_"))
            assert (SECRET in search(SECRET).casefold()) == (user == "alice"), (store.learning_type, user)


def test_bob_cannot_change_alices_records_through_ids(repo: MemoryRepo) -> None:
    _fill_alice(repo)
    decisions = DecisionLogConfig(namespace="user").build(repo)
    [decision] = decisions.recall(user_id="alice", message=SECRET)
    outcome = tools(decisions, repo, user_id="bob")["record_outcome"](decision.id, "hijacked", "bad")
    assert outcome.startswith("Error: no decision")
    assert decisions.recall(user_id="alice", message=SECRET)[0].outcome == ""
