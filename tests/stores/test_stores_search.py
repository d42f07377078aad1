"""The lexical searcher: ranking, filters, inactive records, and the privacy rule."""

from __future__ import annotations

from learning_fs.format.records import DecisionRecord, LearningRecord
from learning_fs.repo import MemoryRepo
from learning_fs.search import LexicalSearcher, Searcher, visible_to
from learning_fs.stores import UserMemoryConfig
from tests.stores.conftest import tools


def _learning(repo: MemoryRepo, title: str, text: str, namespace: str = "global", user: str | None = None,
              status: str = "active") -> LearningRecord:
    record = LearningRecord(title=title, learning=text, namespace=namespace, user=user, status=status)
    repo.write(record)
    return record


def test_best_match_first_and_only_matches(repo: MemoryRepo) -> None:
    uv = _learning(repo, "Use uv for installs", "uv installs Python packages much faster than pip")
    _learning(repo, "Pin Docker images", "Pin base images by digest for reproducible builds")
    _learning(repo, "Python typing", "Prefer built-in generics in Python 3.10")
    searcher = LexicalSearcher(repo)
    assert isinstance(searcher, Searcher)
    hits = searcher.search("install python packages fast")
    assert hits[0].record_id == uv.id and hits[0].kind == "learning" and hits[0].score > 0
    assert all("Docker" not in hit.snippet for hit in hits)
    assert searcher.search("kubernetes helm") == []


def test_kind_and_namespace_filters(repo: MemoryRepo) -> None:
    _learning(repo, "Team deploys", "deploy on fridays never", namespace="platform")
    _learning(repo, "Global deploys", "deploy with blue green")
    repo.write(DecisionRecord(title="deploy tool", decision="Use Argo to deploy"))
    searcher = LexicalSearcher(repo)
    assert {h.kind for h in searcher.search("deploy", limit=10)} == {"learning", "decision"}
    assert {h.kind for h in searcher.search("deploy", kind="decision")} == {"decision"}
    team = searcher.search("deploy", namespace="platform", limit=10)
    assert [h.snippet.split(".")[0] for h in team] == ["Team deploys"]


def test_superseded_records_are_left_out_unless_asked(repo: MemoryRepo) -> None:
    _learning(repo, "Old advice", "use setup.py develop", status="superseded")
    searcher = LexicalSearcher(repo)
    assert searcher.search("setup.py develop") == []
    assert len(searcher.search("setup.py develop", include_inactive=True)) == 1


def test_private_records_only_reach_their_owner(repo: MemoryRepo) -> None:
    secret = _learning(repo, "Alice salary", "alice earns ninety thousand", namespace="user", user="alice")
    searcher = LexicalSearcher(repo)
    assert [h.record_id for h in searcher.search("salary ninety", user="alice")] == [secret.id]
    assert searcher.search("salary ninety", user="bob") == []
    assert searcher.search("salary ninety") == []
    assert searcher.search("salary ninety", namespace="user", user="bob") == []
    assert searcher.search("salary ninety", namespace="user") == []


def test_memories_are_found_item_by_item_and_stay_private(repo: MemoryRepo) -> None:
    store = UserMemoryConfig(mode="agentic").build(repo)
    add = tools(store, repo, user_id="alice")["add_memory"]
    add("Allergic to peanuts")
    add("Plays the cello")
    hits = LexicalSearcher(repo).search("peanuts allergy", user="alice")
    assert len(hits) == 1 and hits[0].item_id and hits[0].snippet == "Allergic to peanuts"
    assert LexicalSearcher(repo).search("peanuts allergy", user="bob") == []


def test_visible_to() -> None:
    from learning_fs.format.layout import user_folder

    assert visible_to("learnings/global/ab/x.md", None)
    assert visible_to(f"{user_folder('alice')}/memories.md", "alice")
    assert not visible_to(f"{user_folder('alice')}/memories.md", "bob")
    assert not visible_to(f"{user_folder('alice')}/memories.md", None)
    assert not visible_to(f"{user_folder('alice')}x/memories.md", "alice")
