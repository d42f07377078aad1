"""Many writers at once — threads and processes — lose nothing and leave a repository git fsck calls clean."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from learning_fs import MemoryRepo
from learning_fs.format import Item, LearningRecord, MemoriesRecord, record_path

if TYPE_CHECKING:
    from tests.repo.conftest import GitView

PROCESSES = 8
WRITES = 50


def _write_learnings(root: str, worker: int, count: int) -> list[str]:
    repo = MemoryRepo(root)
    paths = []
    for i in range(count):
        record = LearningRecord(title=f"Worker {worker} lesson {i}", learning=f"Written by process {worker}.")
        repo.write(record, trailers={"Learning-Store": "test", "Learning-Agent": f"worker-{worker}"})
        paths.append(str(record.path))
    repo.close()
    return paths


def _append_memories(root: str, worker: int, count: int) -> None:
    """Read-modify-write of one shared file: the pattern that loses updates without a lock around it."""
    repo = MemoryRepo(root)
    path = record_path(MemoriesRecord(user="alice"))
    for i in range(count):
        with repo.transaction(f"Remember {worker}.{i}") as tx:
            record = tx.read(path) or MemoriesRecord(user="alice")
            assert isinstance(record, MemoriesRecord)
            record.memories.append(Item(id=f"m-{worker}-{i}", text=f"Memory {i} from worker {worker}"))
            tx.write(record, path=path)
    repo.close()


def _fsck(git: GitView) -> str:
    return git("fsck", "--strict", "--no-progress", "--no-dangling")


def test_eight_processes_writing_fifty_records_each_lose_nothing(memory_repo: MemoryRepo, git: GitView) -> None:
    before = git.count()
    context = multiprocessing.get_context("spawn")

    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(_write_learnings, [(str(memory_repo.root), w, WRITES) for w in range(PROCESSES)])

    written = [path for paths in results for path in paths]
    assert len(set(written)) == PROCESSES * WRITES
    assert set(written) <= git.files()  # every record is in HEAD
    assert git.count() == before + PROCESSES * WRITES  # one commit each, none lost to a race on the tip
    assert _fsck(git) == ""
    agents = git("log", "--format=%(trailers:key=Learning-Agent,valueonly)").split()
    assert sorted(set(agents)) == [f"worker-{w}" for w in range(PROCESSES)]
    memory_repo.flush()
    assert git.status() == []  # each process synced .git/index on exit; the syncs converged


def test_processes_appending_to_one_file_lose_no_update(memory_repo: MemoryRepo, git: GitView) -> None:
    context = multiprocessing.get_context("spawn")

    with context.Pool(4) as pool:
        pool.starmap(_append_memories, [(str(memory_repo.root), w, 10) for w in range(4)])

    record = memory_repo.read(record_path(MemoriesRecord(user="alice")))
    assert isinstance(record, MemoriesRecord)
    assert sorted(item.id for item in record.memories) == sorted(f"m-{w}-{i}" for w in range(4) for i in range(10))
    assert _fsck(git) == ""


def test_threads_of_one_process_lose_nothing(memory_repo: MemoryRepo, git: GitView) -> None:
    errors: list[BaseException] = []
    written: list[str] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            for i in range(20):
                record = LearningRecord(title=f"Thread {worker} lesson {i}")
                memory_repo.write(record)
                with lock:
                    written.append(str(record.path))
            _append_in_thread(memory_repo, worker)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert set(written) <= git.files() and len(set(written)) == 120
    record = memory_repo.read(record_path(MemoriesRecord(user="bob")))
    assert isinstance(record, MemoriesRecord) and len(record.memories) == 6 * 5
    assert _fsck(git) == ""


def _append_in_thread(repo: MemoryRepo, worker: int) -> None:
    path = record_path(MemoriesRecord(user="bob"))
    for i in range(5):
        with repo.transaction() as tx:
            record = tx.read(path) or MemoriesRecord(user="bob")
            assert isinstance(record, MemoriesRecord)
            record.memories.append(Item(id=f"m-{worker}-{i}", text=f"Thread {worker} memory {i}"))
            tx.write(record, path=path)


def test_a_writer_in_another_repository_object_sees_the_new_tip(tmp_path: Path) -> None:
    first = MemoryRepo.init(tmp_path / "r")
    second = MemoryRepo(tmp_path / "r")
    path = record_path(MemoriesRecord(user="carol"))

    for repo, memory in ((first, "from the first"), (second, "from the second"), (first, "first again")):
        with repo.transaction() as tx:
            record = tx.read(path) or MemoriesRecord(user="carol")
            assert isinstance(record, MemoriesRecord)
            record.memories.append(Item(id=f"m-{len(record.memories)}", text=memory))
            tx.write(record, path=path)

    record = second.read(path)
    assert isinstance(record, MemoriesRecord)
    assert [m.text for m in record.memories] == ["from the first", "from the second", "first again"]
