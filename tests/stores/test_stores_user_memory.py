"""User memory: add/update/delete by id, ranked recall within a budget, one commit per turn."""

from __future__ import annotations

from typing import Any

from learning_fs.context import estimate_tokens
from learning_fs.format.records import MemoriesRecord
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig
from learning_fs.stores.user_memory import UserMemoryStore
from tests.fakellm import FakeLLM
from tests.stores.conftest import commit_count, process, system_prompt, tools, turn, writer


def _agentic(repo: MemoryRepo, **options: Any) -> UserMemoryStore:
    return UserMemoryConfig(mode="agentic", **options).build(repo)


def _ids(result: str) -> str:
    return result.split("(")[1].rstrip(").")


def test_add_update_delete(repo: MemoryRepo) -> None:
    store = _agentic(repo)
    t = tools(store, repo)
    tea = _ids(t["add_memory"]("Prefers tea over coffee"))
    assert t["add_memory"]("prefers  TEA over coffee").startswith("Already remembered")
    cats = _ids(t["add_memory"]("Has two cats"))
    assert t["update_memory"](cats, "Has three cats") == f"Updated ({cats})."
    assert t["delete_memory"](tea) == f"Deleted ({tea})."
    assert t["delete_memory"](tea).startswith("Error: no memory")
    assert t["update_memory"]("m-unknown", "x").startswith("Error: no memory")
    assert [m.text for m in store.recall(user_id="alice")] == ["Has three cats"]
    record = repo.read(UserMemoryStore.path("alice"))
    assert isinstance(record, MemoriesRecord) and record.memories[0].id == cats


def test_recall_ranks_by_relevance_to_the_message(repo: MemoryRepo) -> None:
    store = _agentic(repo)
    add = tools(store, repo)["add_memory"]
    for text in ["Allergic to peanuts", "Drives a blue Volvo", "Works as a nurse in Leeds", "Likes jazz"]:
        add(text)
    recalled = store.recall(user_id="alice", message="Can you suggest a snack without peanuts?")
    assert recalled[0].text == "Allergic to peanuts"
    assert store.recall(user_id="alice")[0].text == "Likes jazz"  # no message: newest first


def test_recall_fits_the_budget_instead_of_dumping_everything(repo: MemoryRepo) -> None:
    store = _agentic(repo, context_budget=60, max_memories=100)
    add = tools(store, repo)["add_memory"]
    for i in range(40):
        add(f"Observation number {i} about the user's habits and routines")
    add("Speaks Portuguese at home")
    recalled = store.recall(user_id="alice", message="What language do they speak at home?")
    assert recalled[0].text == "Speaks Portuguese at home"
    assert 1 < len(recalled) < 10
    assert estimate_tokens(store.build_context(recalled)) <= 60


def test_superseded_and_expired_memories_are_not_recalled(repo: MemoryRepo) -> None:
    store = _agentic(repo)
    t = tools(store, repo)
    t["add_memory"]("Lives in Paris")
    t["add_memory"]("Training for a marathon")
    t["add_memory"]("Vegetarian")
    path = UserMemoryStore.path("alice")
    record = repo.read(path)
    assert isinstance(record, MemoriesRecord)
    record.memories[0].status = "superseded"
    record.memories[1].expires = "2001-01-01"
    repo.write(record)
    assert [m.text for m in store.recall(user_id="alice", message="Paris marathon vegetarian")] == ["Vegetarian"]


def test_process_saves_a_whole_turn_as_one_commit(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = UserMemoryConfig().build(repo)
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Is moving to Berlin in May"}),
                                 ("add_memory", {"memory": "Has a dog called Rex"})])
    fake_llm.enqueue_text("Saved two memories.")
    before = commit_count(repo)
    process(store, repo, model, turn("I'm moving to Berlin in May with my dog Rex", tool_result="flight booked"))
    assert commit_count(repo) == before + 1
    assert {m.text for m in store.recall(user_id="alice")} == {"Is moving to Berlin in May", "Has a dog called Rex"}
    sent = fake_llm.requests[0]["messages"][1]["content"]
    assert "flight booked" in sent and "OK." in sent  # tool results and the answer are extracted from too
    assert [t["function"]["name"] for t in fake_llm.requests[0]["tools"]] == [
        "add_memory", "update_memory", "delete_memory", "nothing_to_save"]


def test_process_shows_existing_memories_with_ids(repo: MemoryRepo, fake_llm: FakeLLM, model: Any) -> None:
    store = UserMemoryConfig().build(repo)
    fake_llm.enqueue_tool_calls([("add_memory", {"memory": "Lives in Leeds"})]).enqueue_text("ok")
    process(store, repo, model, turn("I live in Leeds"))
    [memory] = store.recall(user_id="alice")
    fake_llm.enqueue_tool_calls([("update_memory", {"memory_id": memory.id, "memory": "Lives in York"})])
    fake_llm.enqueue_text("ok")
    process(store, repo, model, turn("Actually I moved to York"))
    assert f"{memory.id}: Lives in Leeds" in system_prompt(fake_llm, 2)
    [updated] = store.recall(user_id="alice")
    assert (updated.id, updated.text) == (memory.id, "Lives in York")


def test_one_users_memories_never_reach_another(repo: MemoryRepo) -> None:
    store = _agentic(repo)
    tools(store, repo, user_id="alice")["add_memory"]("Secret: planning a surprise party")
    assert store.recall(user_id="bob", message="surprise party") == []
    bob = tools(store, repo, user_id="bob")
    alice_id = store.recall(user_id="alice")[0].id
    assert bob["delete_memory"](alice_id).startswith("Error: no memory")
    assert bob["update_memory"](alice_id, "hacked").startswith("Error: no memory")
    assert store.recall(user_id="alice")[0].text == "Secret: planning a surprise party"


def test_in_propose_mode_the_tools_report_a_proposal_not_a_save(repo: MemoryRepo) -> None:
    store = UserMemoryConfig(mode="propose", enable_agent_tools=True).build(repo)
    t = tools(store, repo)
    before = commit_count(repo)

    reply = t["add_memory"]("Prefers tea over coffee")

    assert reply.startswith("Proposed the memory m-") and "Remembered" not in reply
    assert "on branch proposals/memories/" in reply and "not remembered until a person merges" in reply
    assert commit_count(repo) == before and store.recall(user_id="alice") == []
    staged = store.write_tools(user_id="alice", writer=writer(repo, store).buffered(), repo=repo)
    assert staged[0]("Has two cats").startswith("Staged the memory m-")  # extraction: proposed when the turn ends
