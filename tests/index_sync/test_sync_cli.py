"""``learning-fs index`` and ``learning-fs watch`` as a person runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from learning_fs.cli import cli
from learning_fs.repo import MemoryRepo
from tests.index_sync.helpers import hand_written, learning, wait_until


def _lfs(repo: MemoryRepo, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo.root), *args], catch_exceptions=False)
    return result.exit_code, result.stdout if "--json" in args else result.output


def test_index_builds_then_only_catches_up_and_rebuild_starts_over(repo: MemoryRepo) -> None:
    repo.write_many([learning(f"Lesson {i}", f"Text {i}.") for i in range(3)])
    code, output = _lfs(repo, "index", "--json")
    first = json.loads(output)
    assert code == 0 and (first["trigger"], first["updated"], first["entries"]) == ("build", 3, 3)
    code, output = _lfs(repo, "index", "--json")
    second = json.loads(output)
    assert (second["updated"], second["removed"], second["embedded"]) == (0, 0, 0)  # nothing changed since
    hand_written(repo, learning("By hand", "Added without the library."))
    code, output = _lfs(repo, "index")
    assert code == 0 and output.startswith("catch-up: 1 files checked (1 updated")
    code, output = _lfs(repo, "index", "--rebuild", "--json")
    assert code == 0 and (json.loads(output)["embedded"], json.loads(output)["entries"]) == (4, 4)


def test_index_refuses_contradictory_options(repo: MemoryRepo) -> None:
    code, output = _lfs(repo, "index", "--rebuild", "--verify")
    assert code == 2 and "cannot be combined" in output


def test_watch_keeps_the_index_current_and_stops_cleanly_on_ctrl_c(repo: MemoryRepo) -> None:
    repo.write(learning("Before", "Written before the watcher started."))
    command = [sys.executable, "-c", "from learning_fs.cli import main; main()",
               "--repo", str(repo.root), "watch", "--debounce", "0.1"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert process.stdout is not None
        began, line = time.monotonic(), ""
        while not line.startswith("watching") and time.monotonic() - began < 90:
            line = process.stdout.readline()
            assert line or process.poll() is None, "watch exited early"
        assert line.startswith("watching"), line
        path = hand_written(repo, learning("Typed by hand", "Pangolins roll into a ball."))

        def found() -> bool:
            code, output = _lfs(repo, "search", "pangolin", "--mode", "lexical", "--json")
            return code == 0 and any(hit["path"] == path for hit in json.loads(output))

        wait_until(found, timeout=30, step=0.2)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "stopped" in output and "Traceback" not in output
