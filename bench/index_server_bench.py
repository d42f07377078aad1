"""The search index with its vectors embedded vs on a Chroma server (``index.chroma``), on one machine.

Prints one Markdown table. Two repositories of ``--records`` learnings (500) are indexed by
``RepoIndex.open``: one with the default embedded Chroma in the index folder, one with
``index.chroma`` pointing at a real ``chroma run`` server on a free port of 127.0.0.1 (stopped at
the end, and by ``timeout``). For each: the cold build (embedding included), then 40 searches per
mode (dense, lexical, hybrid), p50/p95 ms. Lexical search reads only the local SQLite catalog in
both set-ups; dense and hybrid pay the HTTP hop to the server.

    python bench/index_server_bench.py            # 500 learnings
    python bench/index_server_bench.py --quick    # 100 learnings
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import fmt_ms, machine_line, markdown_table, p50_p95_ms

from learning_fs.index.service import RepoIndex
from learning_fs.ops import Origin, add_learning
from learning_fs.repo import MemoryRepo

MODES = ("dense", "lexical", "hybrid")


def start_server(data: Path) -> tuple[subprocess.Popen[bytes], int]:
    exe = shutil.which("chroma")
    if exe is None:
        raise SystemExit("the `chroma` executable of the chromadb package is not on PATH")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(["timeout", "900", exe, "run", "--path", str(data), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise SystemExit("chroma run did not start")


def measure(root: Path, records: int, port: int | None) -> list[list[str]]:
    subprocess.run([sys.executable, "-m", "learning_fs.cli", "--repo", str(root), "init"], check=True,
                   capture_output=True)
    if port is not None:
        config = root / "learning_fs.yaml"
        data = yaml.safe_load(config.read_text())
        data.setdefault("index", {})["chroma"] = {"host": "127.0.0.1", "port": port}
        config.write_text(yaml.safe_dump(data))
        subprocess.run(["git", "commit", "-qam", "Use the Chroma server"], cwd=root, check=True)
    with MemoryRepo(root) as repo, repo.transaction("learnings") as tx:
        for i in range(records):
            add_learning(tx, f"Lesson {i}", f"When tool {i} fails with error {i * 7}, retry after "
                         f"{i % 13} seconds.", Origin())
    where = "Chroma server" if port is not None else "embedded"
    with MemoryRepo(root) as repo:
        start = time.perf_counter()
        with RepoIndex.open(repo) as index:
            rows = [[where, f"cold build, {records} learnings", f"{time.perf_counter() - start:.1f} s", ""]]
            for mode in MODES:
                timings = []
                for q in range(40):
                    start = time.perf_counter()
                    index.search(f"tool {q} error retry", mode=mode, k=10)  # type: ignore[arg-type]
                    timings.append(time.perf_counter() - start)
                p50, p95 = p50_p95_ms(timings)
                rows.append([where, f"search {mode}", fmt_ms(p50), fmt_ms(p95)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 learnings")
    parser.add_argument("--records", type=int, default=None, help="learnings per repository (500)")
    args = parser.parse_args()
    records = args.records or (100 if args.quick else 500)
    print(machine_line())
    print()
    with tempfile.TemporaryDirectory(prefix="learning_fs-index-server-") as name:
        tmp = Path(name)
        server, port = start_server(tmp / "server")
        try:
            rows = measure(tmp / "embedded", records, None) + measure(tmp / "served", records, port)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
    print(markdown_table(["vectors", "operation", "p50 ms (or time)", "p95 ms"], rows))


if __name__ == "__main__":
    main()
