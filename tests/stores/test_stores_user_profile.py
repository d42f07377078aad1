"""User profile: structured fields updated in place, custom schemas the model can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from learning_fs.format.records import ProfileRecord
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserProfile, UserProfileConfig
from learning_fs.stores.user_profile import UserProfileStore
from tests.fakellm import FakeLLM
from tests.stores.conftest import commit_count, process, system_prompt, tools, turn


@dataclass
class CustomerProfile(UserProfile):
    company: str | None = field(default=None, metadata={"description": "The company the user works for"})
    plan_tier: str | None = field(default=None, metadata={"description": "Subscription tier: free, pro or enterprise"})
    languages: list[str] | None = field(default=None, metadata={"description": "Programming languages they use"})


def _store(repo: MemoryRepo, **options: Any) -> UserProfileStore:
    return UserProfileConfig(schema=CustomerProfile, **options).build(repo)


def test_tool_updates_fields_in_place(repo: MemoryRepo) -> None:
    store = _store(repo, mode="agentic")
    update = tools(store, repo)["update_user_profile"]
    assert "company='Acme'" in update(name="Alice", company="Acme")
    first = store.recall(user_id="alice")
    assert update(company="Globex").startswith("Updated")
    assert update(company="Globex") == "Profile already up to date."
    record = store.recall(user_id="alice")
    assert isinstance(record, ProfileRecord) and record.id == first.id  # same file, same record
    assert record.fields == {"name": "Alice", "company": "Globex"}
    assert repo.paths("profile") == [UserProfileStore.path("alice")]
    assert "Error: unknown profile field(s) salary" in update(salary=1)


def test_context_lists_set_fields_with_their_descriptions(repo: MemoryRepo) -> None:
    store = _store(repo, mode="agentic")
    tools(store, repo)["update_user_profile"](preferred_name="Ali", plan_tier="pro")
    context = store.build_context(store.recall(user_id="alice"))
    assert "What the user likes to be called: Ali" in context
    assert "Subscription tier: free, pro or enterprise: pro" in context
    assert store.build_context(store.recall(user_id="bob")) == ""


def test_custom_schema_descriptions_reach_the_model(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = _store(repo)
    fake_llm.enqueue_tool_calls([("update_user_profile", {"company": "Acme", "languages": ["Rust", "Go"]})])
    fake_llm.enqueue_text("Done.")
    process(store, repo, model, turn("I'm at Acme now, writing Rust and Go all day.", "Nice!"))
    schema, _nothing = fake_llm.requests[0]["tools"]
    properties = schema["function"]["parameters"]["properties"]
    assert properties["company"]["description"] == "The company the user works for"
    assert properties["plan_tier"]["description"] == "Subscription tier: free, pro or enterprise"
    assert properties["languages"]["anyOf"][0] == {"items": {"type": "string"}, "type": "array"}
    assert "Programming languages they use" in system_prompt(fake_llm)
    assert "I'm at Acme now" in fake_llm.requests[0]["messages"][1]["content"]
    assert "Nice!" in fake_llm.requests[0]["messages"][1]["content"]  # the answer is part of the turn
    assert store.recall(user_id="alice").fields == {"company": "Acme", "languages": ["Rust", "Go"]}


def test_extraction_sees_the_current_profile(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = _store(repo)
    fake_llm.enqueue_tool_calls([("update_user_profile", {"company": "Acme"})]).enqueue_text("ok")
    process(store, repo, model, turn("I work at Acme"))
    fake_llm.enqueue_text("Nothing new.")
    before = commit_count(repo)
    process(store, repo, model, turn("What's the weather?"))
    assert "company: The company the user works for = Acme" in system_prompt(fake_llm, 2)
    assert commit_count(repo) == before  # nothing new, nothing written


def test_model_none_is_a_no_op(repo: MemoryRepo) -> None:
    store = _store(repo)
    before = commit_count(repo)
    process(store, repo, None, turn("I'm Alice"))
    assert commit_count(repo) == before


def test_profiles_are_private(repo: MemoryRepo) -> None:
    store = _store(repo, mode="agentic")
    tools(store, repo, user_id="alice")["update_user_profile"](company="Acme")
    assert store.recall(user_id="bob") is None
    assert tools(store, repo, user_id="bob")["update_user_profile"](name="Bob").startswith("Updated")
    assert store.recall(user_id="alice").fields == {"company": "Acme"}
