"""A person committing by hand while library writer processes commit as fast as they can.

Prints one Markdown table per repository size: the person's commits (``git commit -am`` after an
edit of their own file, and ``git add`` + plain ``git commit`` of a new file, alternating, never
retried) and every failure with git's message and how long the command ran; the writers' writes
(acknowledged, failed, p50 / p95 / max latency); and, after the run, whether every acknowledged
library write and every person edit is in HEAD, ``git status`` is clean and ``git fsck --strict``
passes.

    python bench/person_bench.py                 # 8 writers, 40 person commits, 0 and 20k records
    python bench/person_bench.py --quick         # 8 writers, 20 person commits, empty repository
    python bench/person_bench.py --writers 4 --commits 30 --records 5000
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import fmt_ms, machine_line, markdown_table, p50_p95_ms, seed_repo

from learning_fs import MemoryRepo
from learning_fs.format import LearningRecord


def writer(root: Path, worker: int, out: Path, stop: Path) -> None:
    """One writer process: write learnings until ``stop`` exists; log each acknowledged write and failure."""
    handler = logging.FileHandler(out.with_suffix(".warnings"), encoding="utf-8")
    handler.setLevel(logging.WARNING)
    logging.getLogger("learning_fs").addHandler(handler)
    repo = MemoryRepo(root)
    with open(out, "a", encoding="utf-8") as log:
        i = 0
        while not stop.exists():
            record = LearningRecord(title=f"Writer {worker} lesson {i}")
            started = time.perf_counter()
            try:
                repo.write(record)
            except Exception as exc:  # counted, never fatal
                log.write(f"fail\t{time.perf_counter() - started:.4f}\t{type(exc).__name__}: {exc}\n")
            else:
                log.write(f"ok\t{time.perf_counter() - started:.4f}\t{record.path}\t{record.id}\n")
            log.flush()
            i += 1
    repo.close()


def start_writers(root: Path, count: int, folder: Path, stop: Path) -> list[int]:
    pids = []
    for worker in range(count):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                writer(root, worker, folder / f"writer-{worker}.log", stop)
            except BaseException:  # a child must never return into the parent's code
                code = 1
            os._exit(code)
        pids.append(pid)
    return pids


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The person's git: once, never retried."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def person(root: Path, commits: int, pause: float) -> tuple[list[tuple[str, float, str]], list[str], list[str]]:
    """The person's loop: ``(command, seconds, stderr)`` of each failure, lines and files they committed."""
    failures: list[tuple[str, float, str]] = []
    lines: list[str] = []
    files: list[str] = []
    notes = root / "notes.md"
    for n in range(commits):
        time.sleep(random.uniform(0, pause))
        if n % 2 == 0:
            line = f"person edit {n}"
            notes.write_text(notes.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
            steps = [("commit -am", ["commit", "-qam", f"Person edit {n}"])]
        else:
            name = f"person/note-{n}.md"
            (root / "person").mkdir(exist_ok=True)
            (root / name).write_text(f"note {n}\n", encoding="utf-8")
            steps = [("add", ["add", name]), ("commit", ["commit", "-qm", f"Person note {n}"])]
        ok = True
        for label, args in steps:
            started = time.perf_counter()
            result = git(root, *args)
            if result.returncode != 0:
                failures.append((label, time.perf_counter() - started, result.stderr.strip()))
                ok = False
                break
        if not ok:  # leave the tree as a person would after giving up: the edit stays for the next commit
            continue
        if n % 2 == 0:
            lines.append(line)
        else:
            files.append(name)
    return failures, lines, files


def run(records: int, writers: int, commits: int, pause: float, root: Path) -> list[list[str]]:
    if records:
        seed_repo(root, ((f"seed/{i % 100:02d}/s{i}.md", f"seed {i}\n".encode()) for i in range(records)),
                  "Seed")
    MemoryRepo.init(root).close()
    (root / "notes.md").write_text("the person's notes\n", encoding="utf-8")
    git(root, "add", "notes.md")
    first = git(root, "commit", "-qm", "Person's notes")
    assert first.returncode == 0, first.stderr
    folder = root.parent / "logs"
    folder.mkdir()
    stop = root.parent / "stop"
    pids = start_writers(root, writers, folder, stop)
    time.sleep(0.5)  # writers are up and committing
    began = time.perf_counter()
    try:
        failures, lines, files = person(root, commits, pause)
    finally:
        took = time.perf_counter() - began
        stop.write_text("stop\n")
        deadline = time.monotonic() + 60
        for pid in pids:
            while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
                time.sleep(0.05)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
    repo = MemoryRepo(root)
    repo.flush(timeout=30)
    repo.close()
    acked, writes_failed, latencies = [], [], []
    for log in folder.glob("writer-*.log"):
        for row in log.read_text(encoding="utf-8").splitlines():
            kind, seconds, *rest = row.split("\t")
            latencies.append(float(seconds))
            (acked if kind == "ok" else writes_failed).append(rest)
    head = set(git(root, "ls-tree", "-r", "--name-only", "HEAD").stdout.splitlines())
    lost = [path for path, _id in acked if path not in head]
    notes = git(root, "show", "HEAD:notes.md").stdout
    lost_person = [line for line in lines if line not in notes] + [name for name in files if name not in head]
    status = git(root, "status", "--porcelain", "--untracked-files=all").stdout.splitlines()
    fsck = git(root, "fsck", "--strict", "--no-dangling", "--no-progress")
    p50, p95 = p50_p95_ms(latencies)
    kinds = collections.Counter(re.sub(r"[0-9a-f]{40}", "<sha>", message.splitlines()[-1] if message else "?")
                                for _label, _s, message in failures)
    size = f"{records:,} records"
    rows = [[size, "person commits", f"{commits - len(failures)} of {commits} succeeded in {took:.1f} s"]]
    for label, seconds, message in failures:
        rows.append([size, f"failed: git {label} after {seconds * 1000:.0f} ms",
                     message.splitlines()[-1] if message else "?"])
    for message, count in kinds.items():
        rows.append([size, f"failure kind x{count}", message])
    rows += [
        [size, "library writes", f"{len(acked)} acknowledged, {len(writes_failed)} failed ({writers} writers)"],
        [size, "write latency",
         f"p50 {fmt_ms(p50)} ms, p95 {fmt_ms(p95)} ms, max {max(latencies, default=0) * 1000:.0f} ms"],
        [size, "acknowledged writes missing from HEAD", str(len(lost))],
        [size, "person edits missing from HEAD", str(len(lost_person))],
        [size, "git status after the run", "clean" if not status else f"{len(status)} lines: {status[:3]}"],
        [size, "git fsck --strict", "clean" if fsck.returncode == 0 and not fsck.stdout.strip() else fsck.stdout[:200]],
    ]
    warnings = [line for log in folder.glob("*.warnings") for line in log.read_text(encoding="utf-8").splitlines()]
    rows.append([size, "writer warnings", f"{len(warnings)}" + (f": {warnings[0][:150]}" if warnings else "")])
    for rest in writes_failed[:3]:
        rows.append([size, "a failed write", rest[0][:200]])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 person commits in an empty repository")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--commits", type=int, default=None, help="person commits per repository (40; quick 20)")
    parser.add_argument("--records", type=int, action="append", help="repository size (repeatable)")
    parser.add_argument("--pause", type=float, default=0.1, help="longest random pause between person commits (s)")
    args = parser.parse_args()
    commits = args.commits or (20 if args.quick else 40)
    sizes = args.records or ([0] if args.quick else [0, 20_000])
    print(machine_line())
    rows = []
    for records in sizes:
        with tempfile.TemporaryDirectory(prefix="learning_fs-person-") as tmp:
            rows += run(records, args.writers, commits, args.pause, Path(tmp) / "repo")
    print(markdown_table(["repository", "what", "result"], rows))


if __name__ == "__main__":
    main()
