"""A team on one memory: N clones write at once and sync through a real git server on 127.0.0.1.

Prints one Markdown table. A seed repository is made with ``learning-fs init`` and pushed to a
bare repository served by ``git daemon --export-all --enable=receive-pack`` on a free port of
127.0.0.1 (``git://``, the protocol a team's own server speaks; killed at the end, and by
``timeout`` should the bench die). ``--clones`` clones (8) run as separate processes — separate
machines as far as git is concerned — and each makes ``--writes`` writes (100) through the
library: a memory for one of ``--users`` shared users, alternating with a fact for one of
``--entities`` shared entities, so every clone edits the same files as every other. After each
write the clone calls ``repo.sync()``: fetch, merge as records, push, retry when another clone
pushed first. Then:

- **written vs found**: a fresh clone of the remote, every record file parsed, the writes counted
  by their unique text (``clone C write W``); anything missing is a lost write;
- **conflicts**: ``ConflictError`` raised by a sync, plus ``merge_conflict`` sections or git
  conflict markers in the fresh clone, plus ``validate`` errors;
- **fsck**: ``git fsck --strict`` of the bare remote and of the fresh clone;
- **sync latency** p50/p95 of one ``repo.sync()`` (rounds included), how many rounds a sync
  needed (p50/p95/max: a round more means another clone pushed first), and throughput: writes
  and syncs per second of wall time for the whole team.

    python bench/team_bench.py            # 8 clones x 100 writes (a few minutes on 2 cores)
    python bench/team_bench.py --quick    # 4 clones x 10 writes

Target (issue 11): 8 clones x 100 writes -> 800 of 800 on the remote, 0 conflicts, fsck clean.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import fmt_ms, machine_line, markdown_table, percentile

from learning_fs import MemoryRepo
from learning_fs.errors import ConflictError, LearningFSError
from learning_fs.format import parse_record
from learning_fs.ops import Origin, add_fact, add_memory, validate_repo

WRITE = re.compile(r"clone (\d+) write (\d+)\b")


def git(cwd: Path, *args: str, check: bool = True, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GitDaemon:
    """``git daemon`` serving ``base`` read-write on 127.0.0.1; stopped on exit (and by ``timeout``)."""

    def __init__(self, base: Path, limit_s: int) -> None:
        self.base, self.limit_s = base, limit_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> GitDaemon:
        for _ in range(5):  # the port may be taken between the probe and the bind: try another
            self.port = free_port()
            self.proc = subprocess.Popen(
                ["timeout", str(self.limit_s), "git", "daemon", "--reuseaddr", "--export-all",
                 "--enable=receive-pack", "--listen=127.0.0.1", f"--port={self.port}",
                 f"--base-path={self.base}", str(self.base)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                if git(self.base, "ls-remote", self.url("memory.git"), check=False, timeout=10).returncode == 0:
                    return self
                time.sleep(0.05)
            self._stop()
        raise RuntimeError("git daemon did not start")

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def __exit__(self, *exc: object) -> None:
        self._stop()


@dataclass
class CloneReport:
    clone: int
    written: int = 0
    sync_s: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)


def work(root: str, n: int, writes: int, users: int, entities: int, attempts: int) -> CloneReport:
    """One clone: ``writes`` library writes, each followed by a sync (runs in its own process)."""
    report = CloneReport(n)
    origin = Origin(store="bench", agent=f"clone-{n}")
    with MemoryRepo(root) as repo:
        for i in range(writes):
            text = f"Note from clone {n} write {i}."
            with repo.transaction(f"bench: clone {n} write {i}") as tx:
                if i % 2 == 0:
                    add_memory(tx, f"user{(n + i) % users}", text, origin)
                else:
                    add_fact(tx, f"Project {(n + i) % entities}", text, origin)
            report.written += 1
            start = time.perf_counter()
            try:
                result = repo.sync(attempts=attempts)
                report.rounds.append(result.attempts)
            except ConflictError as exc:
                report.conflicts += 1
                report.errors.append(f"conflict: {exc}")
            except LearningFSError as exc:
                report.errors.append(f"{type(exc).__name__}: {exc}")
            report.sync_s.append(time.perf_counter() - start)
        repo.flush()
    return report


def count_remote(tmp: Path, url: str) -> tuple[set[tuple[int, int]], int, int, str]:
    """The writes found in a fresh clone of the remote, conflict marks, validate errors, fsck."""
    check = tmp / "check"
    git(tmp, "clone", "-q", url, str(check))
    found: set[tuple[int, int]] = set()
    marks = 0
    for path in check.rglob("*.md"):
        if ".git" in path.parts or path.parent == check:
            continue
        text = path.read_text()
        if "merge_conflict" in text or "<<<<<<<" in text:
            marks += 1
        record = parse_record(text, path=str(path.relative_to(check)))
        items = [*getattr(record, "memories", []), *getattr(record, "facts", [])]
        for item in items:
            match = WRITE.search(item.text)
            if match:
                found.add((int(match[1]), int(match[2])))
    with MemoryRepo(check) as repo:
        errors = sum(1 for p in validate_repo(repo) if p.severity == "error")
    fsck = git(check, "fsck", "--strict", "--no-progress", check=False)
    return found, marks, errors, "clean" if fsck.returncode == 0 else (fsck.stderr or fsck.stdout).strip()[:200]


def run(clones: int, writes: int, users: int, entities: int, attempts: int) -> str:
    with tempfile.TemporaryDirectory(prefix="learning_fs-team-") as name:
        tmp = Path(name)
        seed = tmp / "seed"
        subprocess.run([sys.executable, "-m", "learning_fs.cli", "--repo", str(seed), "init"], check=True,
                       capture_output=True)
        served = tmp / "served"
        served.mkdir()
        git(served, "clone", "-q", "--bare", str(seed), "memory.git")
        with GitDaemon(served, limit_s=3600) as daemon:
            url = daemon.url("memory.git")
            roots = []
            for n in range(clones):
                root = tmp / f"clone{n}"
                git(tmp, "clone", "-q", url, str(root))
                roots.append(str(root))
            start = time.perf_counter()
            ctx = multiprocessing.get_context("spawn")  # fresh interpreters: separate machines
            with ctx.Pool(clones) as pool:
                reports = pool.starmap(work, [(root, n, writes, users, entities, attempts)
                                              for n, root in enumerate(roots)])
            wall = time.perf_counter() - start
            found, marks, invalid, fsck_clone = count_remote(tmp, url)
        fsck_bare = git(served / "memory.git", "fsck", "--strict", "--no-progress", check=False)
        fsck_remote = "clean" if fsck_bare.returncode == 0 else fsck_bare.stderr.strip()[:200]

    expected = {(n, i) for n in range(clones) for i in range(writes)}
    written = sum(r.written for r in reports)
    sync_s = [s for r in reports for s in r.sync_s]
    rounds = [x for r in reports for x in r.rounds]
    conflicts = sum(r.conflicts for r in reports)
    errors = [e for r in reports for e in r.errors]
    rows = [
        ("clones x writes", f"{clones} x {writes} ({users} users, {entities} entities shared)"),
        ("records written", written),
        ("records found on the remote", f"{len(found & expected)} of {len(expected)}"),
        ("lost writes", len(expected - found)),
        ("conflicts (ConflictError + conflict marks in files)", f"{conflicts} + {marks}"),
        ("validate errors on the remote", invalid),
        ("sync errors (other than conflicts)", len(errors) - conflicts),
        ("git fsck --strict (bare remote / fresh clone)", f"{fsck_remote} / {fsck_clone}"),
        ("sync latency p50 / p95 ms", f"{fmt_ms(percentile(sync_s, 50) * 1000)} / "
                                      f"{fmt_ms(percentile(sync_s, 95) * 1000)}"),
        ("rounds per sync p50 / p95 / max", f"{percentile(rounds, 50):.0f} / {percentile(rounds, 95):.0f} / "
                                            f"{max(rounds, default=0)}"),
        ("wall time s", f"{wall:.1f}"),
        ("throughput (writes + syncs) per s", f"{written / wall:.1f}"),
    ]
    out = markdown_table(["measure", "value"], rows)
    if errors:
        out += "\n\nfirst errors:\n" + "\n".join(errors[:5])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 clones x 10 writes")
    parser.add_argument("--clones", type=int, default=None, help="clones writing at once (8)")
    parser.add_argument("--writes", type=int, default=None, help="writes per clone, each then synced (100)")
    parser.add_argument("--users", type=int, default=4, help="shared users the memories go to")
    parser.add_argument("--entities", type=int, default=4, help="shared entities the facts go to")
    parser.add_argument("--attempts", type=int, default=100, help="rounds a sync may take (repo.sync attempts)")
    args = parser.parse_args()
    clones = args.clones or (4 if args.quick else 8)
    writes = args.writes or (10 if args.quick else 100)
    print(machine_line())
    print()
    print(run(clones, writes, args.users, args.entities, args.attempts))


if __name__ == "__main__":
    main()
