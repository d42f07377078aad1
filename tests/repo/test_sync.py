"""``learning-fs sync`` / ``MemoryRepo.sync`` through a real git server (``git daemon`` on 127.0.0.1).

Clones write at the same time and sync through one bare remote served over ``git://``: every
write ends up on the remote, nothing conflicts, nothing is force-pushed, a true conflict is
reported and changes nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from learning_fs.cli import cli
from learning_fs.errors import ConflictError
from learning_fs.ops import Origin, add_memory, validate_repo
from learning_fs.repo import MemoryRepo
from learning_fs.repo.sync import SyncError

SOURCE = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _driver_runs_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """git runs the merge driver as a new Python process: it must import the code under test."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])))


@pytest.fixture(autouse=True)
def _embedder(one_embedder: None) -> None:
    """The index test builds a search index with the session's embedder."""


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False,
                            env={**os.environ, "GIT_EDITOR": "true"})
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result


def lfs(root: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--repo", str(root), *args], prog_name="learning-fs", catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def free_port() -> int:
    """A free TCP port on 127.0.0.1, asked in a child process (this one may run under --disable-socket)."""
    probe = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
    return int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[str]:
    """``git://127.0.0.1:<port>/memory.git``: a bare memory repository served by ``git daemon`` (killed after)."""
    seed = tmp_path / "seed"
    lfs(seed, "init")
    lfs(seed, "add", "memory", "--user", "alice", "Likes green tea.")
    served = tmp_path / "served"
    served.mkdir()
    git(served, "clone", "-q", "--bare", str(seed), "memory.git")
    for _ in range(5):  # the port may be taken between the probe and the bind: try another
        port = free_port()
        daemon = subprocess.Popen(
            ["timeout", "600", "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
             "--listen=127.0.0.1", f"--port={port}", f"--base-path={served}", str(served)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        url = f"git://127.0.0.1:{port}/memory.git"
        for _ in range(100):
            if daemon.poll() is not None or git(tmp_path, "ls-remote", url, check=False).returncode == 0:
                break
            time.sleep(0.05)
        if daemon.poll() is None:
            break
    else:
        pytest.fail("git daemon did not start")
    try:
        yield url
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=10)


def clone(tmp_path: Path, url: str, name: str) -> Path:
    git(tmp_path, "clone", "-q", url, name)
    lfs(tmp_path / name, "install-hooks")
    return tmp_path / name


def remote_memories(tmp_path: Path, url: str) -> str:
    check = tmp_path / "check"
    if check.exists():
        git(check, "pull", "-q", "--ff-only")
    else:
        git(tmp_path, "clone", "-q", url, "check")
    return "\n".join(p.read_text() for p in (check / "users").rglob("memories.md"))


def test_two_clones_sync_their_additions_and_end_in_step(tmp_path: Path, remote: str) -> None:
    a, b = clone(tmp_path, remote, "a"), clone(tmp_path, remote, "b")
    for where, who in ((a, "one"), (b, "two")):
        lfs(where, "add", "memory", "--user", "alice", f"Memory from clone {who}.")
        lfs(where, "add", "fact", "--entity", "Acme Corp", f"Fact from clone {who}.")
        lfs(where, "add", "event", "--entity", "Acme Corp", "--date", "2026-01-01", f"Event from clone {who}.")

    assert "in step" in lfs(a, "sync")
    out = lfs(b, "sync")  # b must merge a's commits first: the same files changed on both sides
    assert "in step" in out and "merged" in out and "pushed" in out
    assert "in step" in lfs(a, "sync")

    assert git(a, "rev-parse", "HEAD").stdout == git(b, "rev-parse", "HEAD").stdout
    for where in (a, b):
        text = "\n".join(p.read_text() for p in where.rglob("*.md") if ".git" not in p.parts)
        for thing in ("Memory", "Fact", "Event"):
            assert f"{thing} from clone one." in text and f"{thing} from clone two." in text
        assert "merge_conflict" not in text
        with MemoryRepo(where) as repo:
            assert [p for p in validate_repo(repo) if p.severity == "error"] == []
            repo.flush()
        assert git(where, "status", "--porcelain").stdout == ""
    assert "Memory from clone one." in remote_memories(tmp_path, remote)


def test_clones_writing_and_syncing_at_once_lose_nothing(tmp_path: Path, remote: str) -> None:
    clones = [clone(tmp_path, remote, f"c{n}") for n in range(3)]
    writes = 4
    errors: list[BaseException] = []
    rounds: list[int] = []

    def work(root: Path, n: int) -> None:
        try:
            with MemoryRepo(root) as repo:
                for i in range(writes):
                    with repo.transaction(f"memory {n}.{i}") as tx:
                        add_memory(tx, "alice", f"Clone {n} write {i}.", Origin(user="alice"))
                    rounds.append(repo.sync(attempts=40).attempts)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(root, n)) for n, root in enumerate(clones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == [] and len(rounds) == 3 * writes
    text = remote_memories(tmp_path, remote)
    missing = [f"Clone {n} write {i}." for n in range(3) for i in range(writes) if f"Clone {n} write {i}." not in text]
    assert missing == []
    assert "merge_conflict" not in text and "<<<<<<<" not in text
    assert git(tmp_path / "check", "fsck", "--no-progress").returncode == 0


def test_a_true_conflict_is_reported_and_changes_nothing(tmp_path: Path, remote: str) -> None:
    a, b = clone(tmp_path, remote, "a"), clone(tmp_path, remote, "b")
    for where, tea in ((a, "black"), (b, "white")):
        path = next(where.glob("users/**/memories.md"))
        path.write_text(path.read_text().replace("Likes green tea.", f"Likes {tea} tea."))
        git(where, "commit", "-qam", f"{tea} tea")
    lfs(a, "sync")
    head = git(b, "rev-parse", "HEAD").stdout

    with MemoryRepo(b) as repo, pytest.raises(ConflictError) as caught:
        repo.sync()

    assert caught.value.paths and caught.value.paths[0].endswith("memories.md")
    assert git(b, "rev-parse", "HEAD").stdout == head
    assert "memories.md" in lfs(b, "sync", code=1)
    assert "Likes black tea." in remote_memories(tmp_path, remote)  # a's write is on the remote, untouched


def test_sync_catches_the_search_index_up_with_the_merged_commits(tmp_path: Path, remote: str) -> None:
    a, b = clone(tmp_path, remote, "a"), clone(tmp_path, remote, "b")
    lfs(b, "index")
    lfs(a, "add", "learning", "--title", "Retry uploads", "Retry S3 uploads with backoff.")
    lfs(a, "sync")

    lfs(b, "sync")

    lfs(b, "index", "--verify")  # exit 0: no entry stale or missing after the merge
    assert "Retry uploads" in lfs(b, "search", "retry uploads")


def test_an_unreachable_remote_is_an_error_and_local_writes_stay(tmp_path: Path, remote: str) -> None:
    a = clone(tmp_path, remote, "a")
    lfs(a, "add", "memory", "--user", "alice", "Written offline.")
    git(a, "remote", "set-url", "origin", f"git://127.0.0.1:{free_port()}/memory.git")

    with MemoryRepo(a) as repo, pytest.raises(SyncError, match="fetch"):
        repo.sync()

    assert "Written offline." in next(a.glob("users/**/memories.md")).read_text()


def test_periodic_sync_pushes_a_long_running_agent_s_writes(tmp_path: Path, remote: str) -> None:
    from learning_fs.repo.sync import PeriodicSync

    a = clone(tmp_path, remote, "a")
    with MemoryRepo(a) as repo:
        syncer = PeriodicSync(repo, every=0.2).start()
        with repo.transaction("memory") as tx:
            add_memory(tx, "alice", "Learned while running.", Origin(user="alice"))
        deadline = time.monotonic() + 30
        while "Learned while running." not in remote_memories(tmp_path, remote) and time.monotonic() < deadline:
            time.sleep(0.2)
        syncer.stop()

    assert "Learned while running." in remote_memories(tmp_path, remote)
    assert syncer.error is None and syncer.last is not None and syncer.last.in_step
