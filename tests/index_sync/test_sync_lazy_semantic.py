"""Semantic from the first save: a fresh repository searches by meaning without a manual index build."""

from __future__ import annotations

import pytest

from learning_fs.format.records import LearningRecord
from learning_fs.index.service import index_directory
from learning_fs.machine import LearningMachine
from learning_fs.repo import MemoryRepo
from learning_fs.search import LexicalSearcher, tokenize
from learning_fs.search.semantic import SEMANTIC_ENV, LazyIndexSearcher
from learning_fs.stores import LearnedKnowledgeConfig

QUESTION = "What should my kitten eat?"


def save_learnings(repo: MemoryRepo) -> None:
    repo.write_many([
        LearningRecord(title="Feline diet", learning="Cats need taurine in their food; dog food lacks it."),
        LearningRecord(title="Pin Docker base images", learning="Pin images by digest so builds are reproducible."),
        LearningRecord(title="Use uv for Python installs", learning="uv installs packages far faster than pip."),
    ])


def test_a_fresh_repo_finds_a_paraphrase_with_no_word_in_common(repo: MemoryRepo,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SEMANTIC_ENV, raising=False)
    assert not (index_directory(repo) / "catalog.sqlite3").exists()  # nobody built an index
    with LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig()) as machine:
        assert isinstance(machine.searcher, LazyIndexSearcher) and not machine.searcher.opened
        save_learnings(repo)  # the first saves, after the machine was made
        store = machine.stores["learned_knowledge"]
        assert not set(tokenize(QUESTION)) & set(tokenize("Feline diet Cats need taurine in their food dog lacks it"))
        [best, *_] = store.recall(message=QUESTION, searcher=machine.searcher)
        assert best.title == "Feline diet"
        assert "<learned_knowledge>\n- Feline diet" in machine.build_context(message=QUESTION)
        assert machine.searcher.opened
    assert (index_directory(repo) / "catalog.sqlite3").exists()  # built lazily, kept for the next open
    assert LexicalSearcher(repo).search(QUESTION, kind="learning") == []  # words alone find nothing


def test_the_lazy_index_can_be_switched_off(repo: MemoryRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEMANTIC_ENV, "off")
    save_learnings(repo)
    with LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig()) as machine:
        assert isinstance(machine.searcher, LexicalSearcher)
        assert machine.build_context(message=QUESTION) == ""
    assert not (index_directory(repo) / "catalog.sqlite3").exists()
