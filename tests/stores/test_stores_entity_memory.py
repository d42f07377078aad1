"""Entity memory: facts, events, relationships on both ends, search, contradiction supersedes."""

from __future__ import annotations

from typing import Any

from learning_fs.format.records import EntityRecord
from learning_fs.repo import MemoryRepo
from learning_fs.stores import EntityMemoryConfig
from learning_fs.stores.entity_memory import EntityMemoryStore
from tests.fakellm import FakeLLM
from tests.stores.conftest import commit_count, process, system_prompt, tool_names, tools, turn


def _entity(repo: MemoryRepo, name: str) -> EntityRecord:
    [record] = [r for r in repo.list("entity") if isinstance(r, EntityRecord) and r.name == name]
    return record


def _agentic(repo: MemoryRepo, **options: Any) -> EntityMemoryStore:
    return EntityMemoryConfig(mode="agentic", **options).build(repo)


def test_relationships_are_stored_on_both_ends_in_one_commit(repo: MemoryRepo) -> None:
    t = tools(_agentic(repo), repo)
    before = commit_count(repo)
    assert "both ends" in t["add_relationship"]("Alice Smith", "works at", "Acme Corp", "since 2021")
    assert commit_count(repo) == before + 1
    alice, acme = _entity(repo, "Alice Smith"), _entity(repo, "Acme Corp")
    assert [(r.relation, r.target, r.text) for r in alice.relationships] == [("works_at", "Acme Corp", "since 2021")]
    assert [(r.relation, r.target) for r in acme.relationships] == [("employs", "Alice Smith")]
    assert "- works_at [[acme-corp|Acme Corp]]" in (repo.root / alice.path).read_text()


def test_facts_events_and_search(repo: MemoryRepo) -> None:
    store = _agentic(repo)
    t = tools(store, repo)
    t["create_entity"]("Acme Corp", "organization", "Makes rockets", ["Acme"])
    t["add_fact"]("Acme", "headcount: 250")  # found by its alias
    t["add_event"]("Acme Corp", "Raised a Series B", "2025-03-01")
    t["add_event"]("Acme Corp", "Founded", "2019-06-01")
    assert t["add_event"]("Acme Corp", "x", "last tuesday").startswith("Error: date")
    acme = _entity(repo, "Acme Corp")
    assert [e.date for e in acme.events] == ["2019-06-01", "2025-03-01"]  # a timeline
    found = t["search_entities"]("rocket company acme")
    assert "Acme Corp (organization)" in found and "headcount: 250" in found
    context = store.build_context(store.recall(user_id="alice", message="How big is Acme?"))
    assert "Acme Corp (organization): Makes rockets" in context and "2025-03-01: Raised a Series B" in context


def test_a_contradicting_fact_supersedes_the_old_one_named_by_the_model(repo: MemoryRepo) -> None:
    store = _agentic(repo)
    t = tools(store, repo)
    t["add_fact"]("Acme", "HQ is in Berlin")
    old = _entity(repo, "Acme").facts[0]
    assert "supersedes" in t["add_fact"]("Acme", "HQ moved to Munich", supersedes=old.id)
    facts = _entity(repo, "Acme").facts
    assert [(f.text, f.status) for f in facts] == [("HQ is in Berlin", "superseded"), ("HQ moved to Munich", "active")]
    assert facts[0].superseded_by == facts[1].id
    text = (repo.root / _entity(repo, "Acme").path).read_text()
    assert "~~HQ is in Berlin~~" in text and f"superseded_by={facts[1].id}" in text  # kept, struck through
    context = store.build_context(store.recall(message="Acme HQ"))
    assert "Munich" in context and "Berlin" not in context
    assert t["add_fact"]("Acme", "HQ in Hamburg", supersedes="f-unknown").startswith("Error")


def test_same_attribute_supersedes_without_being_told(repo: MemoryRepo) -> None:
    t = tools(_agentic(repo), repo)
    t["add_fact"]("Bob", "role: engineer")
    t["add_fact"]("Bob", "team: payments")
    t["add_fact"]("Bob", "Role: CTO")
    facts = {f.text: f.status for f in _entity(repo, "Bob").facts}
    assert facts == {"role: engineer": "superseded", "team: payments": "active", "Role: CTO": "active"}
    assert t["add_fact"]("Bob", "role: cto") == "Bob already has this fact."


def test_enable_flags_choose_the_tools(repo: MemoryRepo) -> None:
    store = _agentic(repo, enable_create_entity=False, enable_add_event=False)
    t = tools(store, repo)
    assert list(t) == ["search_entities", "add_fact", "add_relationship", "remember_about", "link_entities", "forget"]
    assert "no entity named 'Nobody'" in t["add_fact"]("Nobody", "exists")
    always = EntityMemoryConfig(mode="always").build(repo)
    assert list(tools(always, repo)) == ["search_entities"]  # ALWAYS: search only


def test_process_extracts_entities_from_the_turn(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = EntityMemoryConfig(mode="always").build(repo)
    tools(_agentic(repo), repo)["add_fact"]("Globex", "industry: energy")
    old = _entity(repo, "Globex").facts[0]
    fake_llm.enqueue_tool_calls([
        ("add_fact", {"entity": "Globex", "fact": "industry: robotics", "supersedes": old.id}),
        ("add_relationship", {"entity": "Dana", "relation": "manages", "target": "Globex"}),
    ]).enqueue_text("done")
    before = commit_count(repo)
    process(store, repo, model, turn("Dana runs Globex now; they pivoted from energy to robotics"))
    assert commit_count(repo) == before + 1
    assert f"fact {old.id}: industry: energy" in system_prompt(fake_llm)  # known entities with fact ids
    assert "add_relationship" in tool_names(fake_llm)
    globex = _entity(repo, "Globex")
    assert [f.status for f in globex.facts] == ["superseded", "active"]
    assert [(r.relation, r.target) for r in globex.relationships] == [("managed_by", "Dana")]


def test_private_entities_stay_with_their_user(repo: MemoryRepo) -> None:
    store = _agentic(repo, namespace="user")
    tools(store, repo, user_id="alice")["add_fact"]("Dr Patel", "Alice's therapist")
    assert "Dr Patel" in tools(store, repo, user_id="alice")["search_entities"]("Patel")
    bob = tools(store, repo, user_id="bob")
    assert bob["search_entities"]("Patel therapist") == "No matching entities."
    assert store.recall(user_id="bob", message="Dr Patel") == []
    assert store.recall(user_id=None, message="Dr Patel") == []
    bob["add_fact"]("Dr Patel", "Bob's dentist")  # bob's own, separate entity
    [alice_patel] = store.recall(user_id="alice", message="Dr Patel")
    assert [f.text for f in alice_patel.facts] == ["Alice's therapist"]


def test_team_namespaces_are_separate(repo: MemoryRepo) -> None:
    sales = _agentic(repo, namespace="sales")
    support = _agentic(repo, namespace="support")
    tools(sales, repo)["add_fact"]("Initech", "stage: negotiation")
    assert sales.recall(message="Initech")
    assert support.recall(message="Initech") == []
