"""Budgeted selection: a long memory never empties the context, nothing exceeds the budget, privacy holds."""

from __future__ import annotations

import random

import pytest

from learning_fs.context import estimate_tokens
from learning_fs.context.budget import BudgetPlan
from learning_fs.format.items import Item
from learning_fs.format.records import DecisionRecord, EntityRecord, LearningRecord, MemoriesRecord
from learning_fs.machine import LearningMachine
from learning_fs.repo import MemoryRepo
from learning_fs.stores import (
    DecisionLogConfig,
    EntityMemoryConfig,
    LearnedKnowledgeConfig,
    UserMemoryConfig,
)
from learning_fs.stores.selection import Candidate, Excerpt, best_passage, select

FILLER = ("We talked about the weather and the traffic on the way to work. The meeting moved to Thursday. "
          "Someone brought pastries for the team. The printer on the third floor jammed again. ")
EVIDENCE = "My sister's wedding is in Porto on the twelfth of June and I am giving the toast."


def long_memory(words_before: int = 3600) -> str:
    """A ~4,000-character memory (a whole conversation kept as one) with the evidence near the end."""
    text = ""
    while len(text) < words_before:
        text += FILLER
    return text + EVIDENCE + " " + FILLER[:200]


def save_memories(repo: MemoryRepo, user: str, texts: list[str]) -> None:
    items = [Item(id=f"m-{user[:3]}{i:07d}", text=t, created="2026-01-01T00:00:00Z") for i, t in enumerate(texts)]
    repo.write(MemoriesRecord(user=user, memories=items))


def test_a_long_relevant_memory_ranked_first_no_longer_empties_the_context(repo: MemoryRepo) -> None:
    memory = long_memory()
    assert len(memory) > 3800
    save_memories(repo, "alice", ["Likes green tea", memory, "Has a cat called Miso"])
    with LearningMachine(repo, user_memory=UserMemoryConfig()) as machine:
        context = machine.build_context(user_id="alice", session_id="s1",
                                        message="Where is my sister's wedding and what am I doing there?")
    assert EVIDENCE in context
    assert "excerpt; whole memory: users/" in context  # the pointer to the rest of the memory
    assert estimate_tokens(context) <= 2000


def test_a_memory_longer_than_the_store_budget_is_shown_by_its_best_passage(repo: MemoryRepo) -> None:
    save_memories(repo, "alice", [long_memory()])
    store = UserMemoryConfig(context_budget=120).build(repo)
    recalled = store.recall(user_id="alice", message="sister's wedding in Porto toast")
    [excerpt] = recalled
    assert isinstance(excerpt, Excerpt) and excerpt.excerpt_of.endswith(f"#{excerpt.id}")
    assert EVIDENCE in excerpt.text
    assert estimate_tokens(store.build_context(recalled)) <= 120


def test_what_does_not_fit_is_skipped_not_a_reason_to_stop() -> None:
    candidates = [Candidate("huge", 900), Candidate("small", 10), Candidate("medium", 40)]
    assert select(candidates, 100, "anything") == ["small", "medium"]


@pytest.mark.parametrize("budget", [30, 60, 120, 250, 500, 2000])
def test_selection_never_exceeds_the_budget(repo: MemoryRepo, budget: int) -> None:
    rng = random.Random(budget)
    words = ["tea", "wedding", "Porto", "marathon", "Rust", "jazz", "piano", "Berlin", "cats", "garden", "sister",
             "toast", "June"]
    texts = [" ".join(rng.choice(words) + ("." if rng.random() < 0.1 else "") for _ in range(rng.randint(3, 900)))
             for _ in range(30)]
    save_memories(repo, "alice", texts)
    store = UserMemoryConfig(max_memories=30).build(repo)
    recalled = store.recall(user_id="alice", message="sister wedding in Porto", budget=budget)
    assert recalled  # something always fits
    assert estimate_tokens(store.build_context(recalled)) <= budget


def test_best_passage_keeps_whole_sentences_around_the_match() -> None:
    text = long_memory()
    passage = best_passage(text, "wedding Porto toast", 60)
    assert EVIDENCE in passage and passage.startswith("…") and estimate_tokens(passage) <= 60
    assert best_passage("short text", "anything", 60) == "short text"


def test_a_store_with_nothing_to_say_leaves_its_room_to_the_others(repo: MemoryRepo) -> None:
    save_memories(repo, "alice", [f"Memory {i}: " + FILLER for i in range(40)])
    with LearningMachine(repo, user_memory=UserMemoryConfig(), learned_knowledge=LearnedKnowledgeConfig()) as machine:
        context = machine.build_context(user_id="alice", message="what did we talk about on the way to work")
    # no learning matches: the memories get the room learned knowledge would have been guaranteed
    assert estimate_tokens(context) > UserMemoryConfig().context_budget + 400
    assert estimate_tokens(context) <= machine.context_budget


def test_every_store_keeps_its_guaranteed_share_when_all_have_much_to_say(repo: MemoryRepo) -> None:
    save_memories(repo, "alice", [f"Deploy note {i}: the deploy of the billing service failed at step {i}. " * 3
                                  for i in range(40)])
    repo.write_many([LearningRecord(title=f"Billing deploy {i}", learning="When the billing deploy fails, "
                                    f"roll back step {i} and check the migrations. " * 3) for i in range(15)])
    with LearningMachine(repo, user_memory=UserMemoryConfig(), learned_knowledge=LearnedKnowledgeConfig()) as machine:
        context = machine.build_context(user_id="alice", message="the billing deploy failed")
    assert "<user_memory>" in context and "<learned_knowledge>" in context
    learned = context.split("<learned_knowledge>")[1]
    assert estimate_tokens(learned) >= 0.8 * LearnedKnowledgeConfig().context_budget
    assert estimate_tokens(context) <= machine.context_budget


def test_budget_plan_guarantees_and_passes_on_what_is_unused() -> None:
    plan = BudgetPlan(1000, [300, 500, 600], [5, 5, 5])  # own budgets add up to 1,415: each gets ~71% for sure
    reserved = [int(w * 1000 / 1415) for w in (305, 505, 605)]
    assert plan.grant(0) == 1000 - reserved[1] - reserved[2] - 5
    plan.spend(0, 0)  # nothing to say: its room passes on
    assert plan.grant(1) == 1000 - reserved[2] - 5
    plan.spend(1, 100)
    assert plan.grant(2) == 1000 - 105 - 5  # the last block gets everything left


def test_learnings_are_budgeted_not_capped_at_three(repo: MemoryRepo) -> None:
    repo.write_many([LearningRecord(title=f"Postgres tip {i}", learning=f"Postgres vacuum setting number {i}.")
                     for i in range(8)])
    store = LearnedKnowledgeConfig().build(repo)
    assert len(store.recall(message="postgres vacuum settings")) == 8


def test_a_long_learning_is_excerpted_with_a_pointer(repo: MemoryRepo) -> None:
    repo.write(LearningRecord(title="Notes from the offsite", learning=long_memory()))
    store = LearnedKnowledgeConfig(context_budget=150).build(repo)
    recalled = store.recall(message="who is giving the toast at the wedding in Porto")
    context = store.build_context(recalled)
    assert EVIDENCE in context and "excerpt; whole learning: learnings/global/" in context
    assert estimate_tokens(context) <= 150


def test_long_entities_and_decisions_are_cut_not_dropped(repo: MemoryRepo) -> None:
    facts = [Item(id=f"f-{i:010d}", text=f"Office {i} is on floor {i} of the tower") for i in range(200)]
    facts.append(Item(id="f-9999999999", text="The CEO is Maria Lopez"))
    repo.write(EntityRecord(name="Acme", entity_type="organization", facts=facts))
    entities = EntityMemoryConfig(context_budget=150).build(repo)
    context = entities.build_context(entities.recall(message="Who is the CEO of Acme?"))
    assert "Maria Lopez" in context and "whole entity: entities/" in context
    assert estimate_tokens(context) <= 150
    repo.write(DecisionRecord(title="Queue choice", decision="Use Redis streams for the queue",
                              reasoning=long_memory() + " Kafka was too heavy for the two-person team."))
    decisions = DecisionLogConfig(context_budget=120).build(repo)
    context = decisions.build_context(decisions.recall(message="why not kafka for the queue"))
    assert "Use Redis streams" in context and "Kafka was too heavy" in context
    assert estimate_tokens(context) <= 120


def test_another_users_long_memory_never_reaches_the_context(repo: MemoryRepo) -> None:
    save_memories(repo, "alice", [long_memory()])
    save_memories(repo, "bob", ["Likes chess"])
    with LearningMachine(repo, user_memory=UserMemoryConfig()) as machine:
        context = machine.build_context(user_id="bob", message="sister's wedding in Porto toast")
        assert "Porto" not in context and "Likes chess" in context
        assert "Porto" not in machine.build_context(message="sister's wedding in Porto toast")


def test_a_lazy_selection_takes_no_candidate_past_its_limit() -> None:
    taken: list[int] = []

    def candidates():  # type: ignore[no-untyped-def]
        for n in range(10):
            taken.append(n)
            yield Candidate(f"item {n}", 5)

    assert select(candidates(), 1000, "item", limit=3, count=10) == ["item 0", "item 1", "item 2"]
    assert taken == [0, 1, 2]  # a record read for a fourth would be read for nothing


@pytest.mark.parametrize("store", ["learned_knowledge", "decision_log", "entity_memory"])
def test_recall_reads_only_the_records_it_shows(repo: MemoryRepo, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recall asks the search for spares (in case some do not fit) but reads a file only to use it."""
    for n in range(8):
        repo.write(LearningRecord(id=f"lrn-{n}", title=f"Billing retry {n}", learning=f"Billing exports retry {n}."))
        repo.write(DecisionRecord(id=f"dec-{n}", title=f"Billing decision {n}", decision=f"Bill on day {n}.",
                                  reasoning="billing is simpler"))
        repo.write(EntityRecord(id=f"ent-{n}", name=f"Billing system {n}", entity_type="project",
                                description=f"Billing exports number {n}"))
    configs = {"learned_knowledge": LearnedKnowledgeConfig(recall_limit=2),
               "decision_log": DecisionLogConfig(recall_limit=2), "entity_memory": EntityMemoryConfig(recall_limit=2)}
    with LearningMachine(repo, learning=False, searcher="lexical", **{store: configs[store]}) as machine:  # type: ignore[arg-type]
        read: list[str] = []
        real_get = MemoryRepo.get
        monkeypatch.setattr(MemoryRepo, "get", lambda self, path, **kw: read.append(path) or real_get(self, path, **kw))
        recalled = machine.recall(message="billing exports retry decision system")[store]
    assert len(recalled) == 2
    assert len(read) == 2, read
