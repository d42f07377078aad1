"""Reading and writing records: one commit per logical write, clear subjects and trailers, empty diffs stay empty."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from learning_fs import ConflictError, MemoryRepo, RecordNotFoundError, UnsafePathError
from learning_fs.format import (
    DecisionRecord,
    EntityRecord,
    Item,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    SessionRecord,
)
from learning_fs.repo import CommitEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.repo.conftest import GitView

PAST = "2020-01-01T00:00:00Z"


def test_init_creates_settings_gitignore_and_one_commit(tmp_path: Path,
                                                       gitview: Callable[[MemoryRepo], GitView]) -> None:
    repo = MemoryRepo.init(tmp_path / "r")
    git = gitview(repo)

    assert git.files() == {"learning_fs.yaml", ".gitignore"}
    assert ".learning_fs/" in (repo.root / ".gitignore").read_text()
    assert git.count() == 1
    assert repo.branch == "main"

    MemoryRepo.init(tmp_path / "r")  # idempotent: opening again adds nothing
    assert git.count() == 1


def test_opening_a_folder_that_is_not_a_repository_says_so(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a memory repository"):
        MemoryRepo(tmp_path)


def test_every_kind_is_written_read_listed_and_found(memory_repo: MemoryRepo) -> None:
    records = [
        ProfileRecord(user="alice", fields={"name": "Alice"}),
        MemoriesRecord(user="alice", memories=[Item(id="m-1", text="Likes tea")]),
        SessionRecord(user="alice", session_id="s-1", summary="Setting up"),
        EntityRecord(name="Acme", facts=[Item(id="f-1", text="Uses Postgres")]),
        LearningRecord(title="Pin numpy", learning="Pin numpy<2."),
        DecisionRecord(title="Use uv", decision="Switch to uv."),
    ]
    for record in records:
        memory_repo.write(record)

    for record in records:
        assert record.path is not None
        assert memory_repo.read(record.path) == record
        assert memory_repo.find(record.id) == record
        assert [r.id for r in memory_repo.list(record.kind)] == [record.id]
    assert {r.id for r in memory_repo.list(user="alice")} == {r.id for r in records[:3]}
    with pytest.raises(RecordNotFoundError):
        memory_repo.find("lrn-nothere000")


def test_one_write_is_one_commit_with_subject_and_trailers(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Pin numpy", learning="Pin numpy<2.", source={"user": "alice"})
    before = git.count()

    info = memory_repo.write(record, trailers={"Learning-Store": "learned_knowledge", "Learning-User": "alice",
                                               "Learning-Session": "s-1", "Learning-Mode": "agentic"})

    assert info is not None and git.count() == before + 1 and git.head() == info.sha
    message = git("log", "-1", "--format=%B")
    assert message.startswith("Add learning: Pin numpy\n")
    trailers = git("log", "-1", "--format=%(trailers:only,unfold)").strip().splitlines()
    assert trailers == ["Learning-Store: learned_knowledge", "Learning-User: alice", "Learning-Session: s-1",
                        "Learning-Mode: agentic", "Learning-Kind: learning", f"Learning-Record: {record.id}"]
    assert info.trailers["Learning-Record"] == record.id
    assert git("show", "--name-only", "--format=", "HEAD").split() == [record.path]

    record.learning = "Pin numpy<2 until the wheels are rebuilt."
    memory_repo.write(record)
    assert git("log", "-1", "--format=%s").strip() == "Update learning: Pin numpy"


def test_a_batch_is_one_commit(memory_repo: MemoryRepo, git: GitView) -> None:
    doomed = LearningRecord(title="Old lesson")
    memory_repo.write(doomed)
    before = git.count()
    batch = [LearningRecord(title=f"Lesson {i}") for i in range(3)]

    memory_repo.write_many(batch, message="Learn three things", trailers={"Learning-Store": "learned_knowledge"})
    with memory_repo.transaction("Replace the old lesson") as tx:
        tx.write(LearningRecord(title="New lesson"))
        tx.delete(doomed)

    assert git.count() == before + 2
    assert all(r.path in git.files("HEAD~1") for r in batch)
    assert git("log", "-1", "--skip=1", "--format=%s").strip() == "Learn three things"
    assert doomed.path not in git.files() and not (memory_repo.root / str(doomed.path)).exists()
    assert tx.commit is not None and tx.commit.subject == "Replace the old lesson"


def test_writing_an_unchanged_record_makes_no_commit(memory_repo: MemoryRepo, git: GitView) -> None:
    record = EntityRecord(name="Acme", facts=[Item(id="f-1", text="Uses Postgres")])
    memory_repo.write(record)
    before = git.count()

    assert memory_repo.write(record) is None
    assert memory_repo.write(memory_repo.read(str(record.path))) is None  # read back from disk: same bytes
    assert memory_repo.write_many([record, memory_repo.read(str(record.path))]) is None
    assert git.count() == before


def test_a_change_updates_only_the_changed_lines_and_updated(memory_repo: MemoryRepo, git: GitView) -> None:
    record = EntityRecord(name="Acme", facts=[Item(id="f-1", text="Uses Postgres")], created=PAST)
    memory_repo.write(record)

    record.facts.append(Item(id="f-2", text="Pays in EUR"))
    memory_repo.write(record)

    diff = git("diff", "-U0", "HEAD~1", "HEAD", "--", str(record.path)).splitlines()
    changed = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [f"-updated: '{PAST}'", f"+updated: '{record.updated}'", "+- Pays in EUR <!-- id=f-2 -->"]
    assert record.updated > PAST


def test_a_persons_hand_edit_survives_a_library_write(memory_repo: MemoryRepo, git: GitView) -> None:
    record = EntityRecord(name="Acme", facts=[Item(id="f-1", text="Uses Postgres")])
    memory_repo.write(record)
    file = memory_repo.root / str(record.path)
    text = file.read_text()
    text = text.replace("kind: entity\n", "kind: entity\nreviewed_by: carol\n")
    text = text.replace("## Facts\n", "Carol's note: call before Friday.\n\n## Facts\n")
    text += "- Typed by hand\n\n## Phone\n+31 10 000 0000\n"
    file.write_text(text)
    git("commit", "-qam", "Carol's notes")

    loaded = memory_repo.read(str(record.path))
    assert isinstance(loaded, EntityRecord)
    loaded.facts.append(Item(id="f-3", text="Pays in EUR"))
    memory_repo.write(loaded)

    written = git.text(str(record.path))
    for kept in ("reviewed_by: carol", "Carol's note: call before Friday.", "## Phone\n+31 10 000 0000",
                 "- Pays in EUR <!-- id=f-3 -->"):
        assert kept in written
    assert "- Typed by hand <!-- id=f-" in written  # the bare bullet got its stable content id


def test_titles_that_slug_alike_get_distinct_files(memory_repo: MemoryRepo) -> None:
    first, second = LearningRecord(title="C++"), LearningRecord(title="C")

    memory_repo.write(first)
    memory_repo.write(second)

    assert first.path != second.path
    assert memory_repo.read(str(first.path)).id == first.id and memory_repo.read(str(second.path)).id == second.id
    assert str(second.path).endswith(f"/c-{second.path.split('-')[-1]}")  # type: ignore[union-attr]


def test_a_second_profile_for_the_same_user_is_refused(memory_repo: MemoryRepo, git: GitView) -> None:
    memory_repo.write(ProfileRecord(user="alice", fields={"name": "Alice"}))
    before = git.count()

    with pytest.raises(ConflictError):
        memory_repo.write(ProfileRecord(user="alice", fields={"name": "Mallory"}))

    assert git.count() == before
    assert "name: Alice" in git.text(memory_repo.paths("profile")[0])


def test_a_record_keeps_its_file_when_its_title_changes(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="First title")
    memory_repo.write(record)
    path = record.path

    record.title = "A better title"
    memory_repo.write(record)

    assert record.path == path and git.files() >= {str(path)}


def test_delete(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Short lived")
    memory_repo.write(record)

    memory_repo.delete(record)

    assert record.path not in git.files()
    assert git("log", "-1", "--format=%s").strip() == f"Delete {record.path}"
    assert memory_repo.get(str(record.path)) is None
    with pytest.raises(RecordNotFoundError):
        memory_repo.delete(str(record.path))


def test_listeners_hear_every_commit_and_cannot_break_a_write(memory_repo: MemoryRepo,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    events: list[CommitEvent] = []
    memory_repo.on_commit(events.append)
    memory_repo.on_commit(lambda event: 1 / 0)  # type: ignore[func-returns-value]
    record = LearningRecord(title="Heard")

    with caplog.at_level(logging.ERROR):
        info = memory_repo.write(record)

    assert info is not None
    assert len(events) == 1 and events[0].commit == info.sha and events[0].checked_out
    assert events[0].records == {record.path: record}
    assert events[0].changes[str(record.path)] == record.to_markdown().encode()
    assert "listener" in caplog.text


@pytest.mark.parametrize("path", ["../outside.md", "/etc/passwd", ".git/config", "a/../../b.md"])
def test_paths_from_callers_cannot_leave_the_repository(memory_repo: MemoryRepo, path: str) -> None:
    with pytest.raises(UnsafePathError):
        memory_repo.read(path)
    with pytest.raises(UnsafePathError), memory_repo.transaction() as tx:
        tx.write_bytes(path, b"x")
    with pytest.raises(UnsafePathError):
        memory_repo.write(LearningRecord(title="x"), path=path)


def test_maintenance_packs_loose_objects(memory_repo: MemoryRepo, git: GitView) -> None:
    memory_repo.write_many([LearningRecord(title=f"Lesson {i}") for i in range(20)])
    git("config", "gc.auto", "1")
    # `gc --auto` estimates loose objects from .git/objects/17/: make sure that sample is over the threshold.
    in_17 = 0
    for i in range(100_000):
        if str(memory_repo.git.create_blob(f"filler {i}".encode())).startswith("17"):
            in_17 += 1
            if in_17 == 3:
                break
    objects = lambda: dict(line.split(": ") for line in git("count-objects", "-v").splitlines())  # noqa: E731
    assert objects()["packs"] == "0"

    memory_repo.maintenance()

    assert int(objects()["packs"]) >= 1
    assert git("fsck", "--strict", "--no-dangling") == ""


def test_a_record_knows_the_blob_it_was_read_from(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Blob")
    memory_repo.write(record)
    blob = git("rev-parse", f"HEAD:{record.path}").strip()

    assert record.blob == blob
    assert memory_repo.read(str(record.path)).blob == blob
    assert memory_repo.as_of("HEAD").read(str(record.path)).blob == blob


def test_a_file_saved_with_windows_line_endings_reads_the_same(memory_repo: MemoryRepo) -> None:
    record = LearningRecord(title="CRLF", learning="one\ntwo")
    memory_repo.write(record)
    file = memory_repo.root / str(record.path)
    file.write_bytes(file.read_bytes().replace(b"\n", b"\r\n"))

    assert memory_repo.read(str(record.path)) == record


def test_writes_refuse_a_detached_head_and_reads_still_work(memory_repo: MemoryRepo, git: GitView) -> None:
    record = LearningRecord(title="Before detaching")
    memory_repo.write(record)
    memory_repo.flush()
    git("checkout", "-q", "--detach")
    branches = git("for-each-ref", "refs/heads")

    with pytest.raises(Exception, match="HEAD is detached"):
        memory_repo.write(LearningRecord(title="Nowhere to go"))

    assert git("for-each-ref", "refs/heads") == branches  # no branch named after a commit id
    assert memory_repo.read(str(record.path)) == record
    assert [c.subject for c in memory_repo.log(limit=1)] == ["Add learning: Before detaching"]
    assert memory_repo.write(LearningRecord(title="Proposed"), branch="proposals/x") is not None
