"""What a record file contributes to the index: entries per searchable item, owners, statuses."""

from __future__ import annotations

import pytest

from learning_fs.format import (
    DecisionRecord,
    EntityRecord,
    Item,
    LearningRecord,
    MemoriesRecord,
    SessionRecord,
    record_path,
)
from learning_fs.index.documents import documents_for, is_content_path


def _docs(record, path: str | None = None):
    return documents_for(record, path or record_path(record), "b" * 40)


def test_a_learning_is_one_entry_with_the_metadata_the_index_filters_on() -> None:
    record = LearningRecord(title="Prefer uv", learning="Use uv in CI.", context="Slow pip installs.", tags=["ci"])
    [doc] = _docs(record)
    assert doc.id == record_path(record)
    assert "Prefer uv" in doc.text and "Use uv in CI." in doc.text and "Slow pip" in doc.text and "ci" in doc.text
    meta = doc.metadata
    assert (meta["kind"], meta["namespace"], meta["user"], meta["record_id"], meta["item_id"], meta["status"]) == (
        "learning", "global", "", record.id, "", "active")
    assert meta["path"] == record_path(record) and meta["blob"] == "b" * 40
    assert meta["created"] == record.created and meta["updated"] == record.updated
    doc.validate()


def test_each_memory_is_its_own_entry_with_its_own_status() -> None:
    record = MemoriesRecord(user="alice", memories=[
        Item(id="m-1", text="Prefers tea."),
        Item(id="m-2", text="Lived in Paris.", status="superseded"),
        Item(id="m-3", text="On holiday until spring.", expires="2000-01-01"),
    ])
    docs = {doc.metadata["item_id"]: doc for doc in _docs(record)}
    assert set(docs) == {"m-1", "m-2", "m-3"}
    assert [docs[i].metadata["status"] for i in ("m-1", "m-2", "m-3")] == ["active", "superseded", "expired"]
    assert all(doc.metadata["namespace"] == "user" and doc.metadata["user"] == "alice" for doc in docs.values())
    assert docs["m-1"].id == f"{record_path(record)}#m-1"


def test_an_entity_is_one_entry_for_who_it_is_and_one_per_fact_and_event() -> None:
    record = EntityRecord(
        name="Acme Corp", entity_type="company", aliases=["Acme"], description="A billing company.",
        facts=[Item(id="f-1", text="Runs PostgreSQL 16."), Item(id="f-0", text="Runs MySQL.", status="superseded")],
        events=[Item(id="e-1", text="Founded in Berlin.", date="2019-03-01")],
        relationships=[Item(id="r-1", text="", relation="employs", target="Alice")],
    )
    docs = {doc.metadata["item_id"]: doc for doc in _docs(record)}
    assert set(docs) == {"", "f-1", "f-0", "e-1"}
    assert "Acme" in docs[""].text and "billing company" in docs[""].text and "employs Alice" in docs[""].text
    assert docs["f-1"].text == "Acme Corp: Runs PostgreSQL 16."
    assert docs["f-0"].metadata["status"] == "superseded"
    assert "2019-03-01" in docs["e-1"].text and docs["e-1"].metadata["item_kind"] == "event"


def test_decisions_and_sessions_are_searchable_by_their_reasoning_and_summary() -> None:
    decision = DecisionRecord(title="Run at 02:00", decision="Export daily at 02:00 UTC.",
                              reasoning="The warehouse load ends at 01:30.",
                              alternatives=[Item(id="a-1", text="Hourly runs")])
    [doc] = _docs(decision)
    assert "warehouse load" in doc.text and "Hourly runs" in doc.text
    session = SessionRecord(user="alice", session_id="s-1", summary="Moving billing to Airflow.", goal="A daily DAG.")
    [doc] = _docs(session)
    assert "Moving billing to Airflow." in doc.text and "A daily DAG." in doc.text
    assert doc.metadata["namespace"] == "user" and doc.metadata["user"] == "alice"


def test_a_superseded_record_makes_all_its_items_inactive() -> None:
    record = EntityRecord(name="Old Co", status="superseded", facts=[Item(id="f-1", text="Was big.")])
    assert {doc.metadata["status"] for doc in _docs(record)} == {"superseded"}


def test_a_file_under_another_users_folder_is_not_indexed_at_all() -> None:
    """The folder decides privacy: a record claiming to be shared, or someone else's, in bob's folder."""
    shared_claim = LearningRecord(title="Bob's secret", learning="The code is 4711.")  # namespace global
    assert _docs(shared_claim, "users/aa/bob/learnings/bobs-secret.md") == []
    wrong_owner = MemoriesRecord(user="alice", memories=[Item(id="m-1", text="x")])
    assert _docs(wrong_owner, "users/aa/bob/memories.md") == []


def test_a_private_record_in_a_shared_folder_stays_private_to_its_user() -> None:
    record = LearningRecord(title="Alice only", learning="Private.", namespace="user", user="alice")
    [doc] = _docs(record, "learnings/global/ab/alice-only.md")
    assert (doc.metadata["namespace"], doc.metadata["user"]) == ("user", "alice")
    nobody = LearningRecord(title="Nobody's", learning="Private.", namespace="user")
    assert _docs(nobody, "learnings/global/ab/nobodys.md") == []


@pytest.mark.parametrize(("path", "content"), [
    ("learnings/global/ab/x.md", True),
    ("users/2b/alice/memories.md", True),
    ("learnings/global/ab/.x.md.swp", False),
    ("learnings/global/ab/.lfs-1234.tmp", False),
    ("learnings/global/ab/x.md~", False),
    ("README.md", False),
    (".learning_fs/index/x.md", False),
    ("learnings/.obsidian/x.md", False),
])
def test_only_markdown_files_in_content_folders_are_content(path: str, content: bool) -> None:
    assert is_content_path(path) is content
