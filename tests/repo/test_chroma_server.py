"""``index.chroma`` in ``learning_fs.yaml``: the index's vectors on a real Chroma server (``chroma run``).

One process writes (and holds the index folder's writer lock), another — a fresh
``learning-fs search`` process — searches by meaning only and finds the write: the vectors came
from the server, not from a Chroma folder of its own. Misconfiguration is refused by name.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from learning_fs.cli import cli
from learning_fs.errors import LearningFSError
from learning_fs.index.service import RepoIndex
from learning_fs.ops import Origin, add_learning
from learning_fs.repo import MemoryRepo
from learning_fs.repo.config import IndexSettings

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


@pytest.fixture(autouse=True)
def _embedder(one_embedder: None) -> None:
    """In-process indexes use the session's embedder (the subprocess loads the same model)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1, asked in a child process (this one may run under --disable-socket)."""
    probe = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
    return int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)


def heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.fixture
def chroma_port(tmp_path: Path) -> Iterator[int]:
    """The port of a ``chroma run`` server on 127.0.0.1 with its data in tmp (killed after; ``timeout`` too)."""
    exe = shutil.which("chroma")
    if exe is None:
        pytest.skip("the `chroma` executable of the chromadb package is not on PATH")
    for _ in range(3):  # the port may be taken between the probe and the bind: try another
        port = free_port()
        server = subprocess.Popen(["timeout", "300", exe, "run", "--path", str(tmp_path / "chroma-server"),
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while server.poll() is None and time.monotonic() < deadline and not heartbeat(port):
            time.sleep(0.2)
        if server.poll() is None and heartbeat(port):
            break
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    else:
        pytest.fail("chroma run did not start")
    try:
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def repo_on_server(root: Path, port: int) -> Path:
    result = CliRunner().invoke(cli, ["--repo", str(root), "init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    config = root / "learning_fs.yaml"
    data = yaml.safe_load(config.read_text())
    data.setdefault("index", {})["chroma"] = {"host": "127.0.0.1", "port": port}
    config.write_text(yaml.safe_dump(data))
    subprocess.run(["git", "commit", "-qam", "Keep the index vectors on the team's Chroma server"], cwd=root,
                   check=True, capture_output=True)
    return root


def test_one_process_writes_another_searches_through_the_server(tmp_path: Path, chroma_port: int) -> None:
    root = repo_on_server(tmp_path / "memory", chroma_port)
    with MemoryRepo(root) as repo, RepoIndex.open(repo, write_through="sync") as index:
        assert not index.read_only  # this process is the writer
        with repo.transaction("learning") as tx:
            add_learning(tx, "Retry uploads", "Retry S3 uploads with exponential backoff.", Origin())

        # Another process, while this one holds the writer lock: read-only, vectors from the server.
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        found = subprocess.run([sys.executable, "-m", "learning_fs.cli", "--repo", str(root), "search",
                                "how to push files to object storage again after a failure", "--mode", "dense",
                                "--json"], capture_output=True, text=True, env=env, timeout=300, check=False)
        assert found.returncode == 0, found.stderr
        hits = json.loads(found.stdout)
        assert hits and "Retry uploads" in json.dumps(hits[0])

    assert not (root / ".learning_fs" / "index" / "chroma").exists()  # no embedded Chroma was made
    import chromadb

    server = chromadb.HttpClient(host="127.0.0.1", port=chroma_port)
    names = [c.name for c in server.list_collections()]
    assert names and all(name.startswith("lfs-") for name in names)
    assert sum(server.get_collection(name).count() for name in names) >= 1


def test_the_server_settings_are_checked(tmp_path: Path) -> None:
    assert IndexSettings.model_validate({"chroma": {"host": "10.0.0.5"}}).chroma.port == 8000  # type: ignore[union-attr]
    for bad in ({"host": "h", "port": 70000}, {"host": "h", "prot": 8000}, {"host": " "}, {"port": 8000}):
        with pytest.raises(ValidationError):
            IndexSettings.model_validate({"chroma": bad})

    root = repo_on_server(tmp_path / "memory", free_port())  # nothing listens there
    with MemoryRepo(root) as repo, pytest.raises(LearningFSError, match=r"Chroma server at http://127\.0\.0\.1"):
        RepoIndex.open(repo)
