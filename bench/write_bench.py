"""Write path of the memory repository: how long a write+commit takes, alone and under contention.

Prints one Markdown table:

- one record and a 50-record batch written as one commit, in repositories of 0, 10k and 100k
  records (p50/p95 ms), and a rewrite of an existing record;
- a write to a proposal branch (``branch="proposals/learning/x"``, the checkout untouched);
- 8 processes writing at once: records written, records found in HEAD, commits/s, ``git fsck``;
- the layout question: one commit into a flat folder of N files vs the sharded layout.

Big repositories are built in seconds, not by N library writes: the records are rendered by the
library, streamed into one commit with ``git fast-import`` (one pack), and checked out with
``git reset --hard`` so the index and the working tree match. They are cached under
``/tmp/learning_fs-bench-cache`` (``LEARNING_FS_BENCH_CACHE``) and hard-link copied per run.

    python bench/write_bench.py            # 0 / 10k / 100k records (first run builds the repos)
    python bench/write_bench.py --quick    # 0 / 1k / 5k records, under a minute

Targets (issue 2, 2-core machine): one record p50 <= 15 ms and p95 <= 25 ms at 100k records and
within 2x of the empty repository; 8 writers >= 100 commits/s with nothing lost; proposal <= 5 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import cached, fmt_ms, link_copy, machine_line, markdown_table, p50_p95_ms, seed_repo, time_calls

from learning_fs import MemoryRepo
from learning_fs.format import (
    DecisionRecord,
    EntityRecord,
    Item,
    LearningRecord,
    MemoriesRecord,
    ProfileRecord,
    Record,
    SessionRecord,
    record_path,
)
from learning_fs.repo import trees

STAMP = "2026-01-01T00:00:00Z"


# -- building big repositories fast --------------------------------------------------------------
def corpus_record(i: int) -> Record:
    """Record ``i`` of a realistic mix: 40% learnings, 20% entities, 10% decisions, 30% per-user files."""
    kind = i % 10
    if kind < 4:
        return LearningRecord(id=f"lrn-{i:010d}", title=f"Lesson {i} about tools", learning=f"Prefer tool {i % 97}.",
                              context="Seen in review.", tags=["tools"], created=STAMP)
    if kind < 6:
        return EntityRecord(id=f"ent-{i:010d}", name=f"Entity {i}", entity_type="project", created=STAMP,
                            facts=[Item(id=f"f-{i:010d}", text=f"Fact about {i}", created=STAMP)])
    if kind == 6:
        return DecisionRecord(id=f"dec-{i:010d}", title=f"Decision {i}", decision="Shard folders.",
                              reasoning="Measured.", created=STAMP)
    user = f"user{i // 10}"
    if kind == 7:
        return ProfileRecord(id=f"usr-{i:010d}", user=user, fields={"name": f"User {i}"}, created=STAMP)
    if kind == 8:
        return MemoriesRecord(id=f"mem-{i:010d}", user=user, created=STAMP,
                              memories=[Item(id=f"m-{i:010d}", text="Likes short answers", created=STAMP)])
    return SessionRecord(id=f"ses-{i:010d}", user=user, session_id=f"s{i}", summary="Benchmarking.", created=STAMP)


def build_repo(root: Path, records: int) -> None:
    """A memory repository holding ``records`` records in one commit, index and worktree in step."""
    rendered = ((record_path(r), r.to_markdown().encode()) for r in map(corpus_record, range(records)))
    seed_repo(root, rendered, "Seed the benchmark corpus")


def fresh_repo(workdir: Path, records: int) -> MemoryRepo:
    """A private copy of the cached ``records``-record repository (an empty one for 0)."""
    target = workdir / f"repo-{records}"
    if records == 0:
        return MemoryRepo.init(target)
    source = cached(f"repo-{records}-v1", lambda path: build_repo(path, records))
    link_copy(source, target)
    # Hard-linking changed every file's ctime: without this the first git command re-hashes them all.
    subprocess.run(["git", "config", "core.trustctime", "false"], cwd=target, check=True)
    return MemoryRepo(target)


# -- measurements --------------------------------------------------------------------------------
def new_learning(tag: str, i: int) -> LearningRecord:
    return LearningRecord(title=f"Bench {tag} {i}", learning="Measured write latency.", tags=["bench"])


def settle(repo: MemoryRepo) -> None:
    """Let the background index sync of the previous phase finish, so phases do not time each other."""
    repo.flush()
    time.sleep(0.2)


def measure_writes(repo: MemoryRepo, label: str, repeat: int, batches: int) -> tuple[list[list[str]], dict[str, float]]:
    """Rows for the table, and the figures the targets are checked against."""
    rows, figures = [], {}
    settle(repo)
    single = p50_p95_ms(time_calls(lambda i: repo.write(new_learning(f"one {label}", i)), repeat))
    rows.append(["write 1 new record", label, *map(fmt_ms, single)])
    figures["single_p50"], figures["single_p95"] = single
    existing = LearningRecord(title=f"Bench rewrite {label}", learning="v0")
    repo.write(existing)

    def rewrite(i: int) -> None:
        existing.learning = f"v{i}"
        repo.write(existing)

    settle(repo)
    rows.append(["rewrite 1 record", label, *map(fmt_ms, p50_p95_ms(time_calls(rewrite, repeat)))])
    settle(repo)
    batch = time_calls(lambda i: repo.write_many([new_learning(f"batch {label} {i}", j) for j in range(50)]),
                       batches, warmup=1)
    rows.append(["write 50 records, 1 commit", label, *map(fmt_ms, p50_p95_ms(batch))])
    branch = "proposals/learning/x"
    settle(repo)
    proposal = p50_p95_ms(time_calls(lambda i: repo.write(new_learning(f"proposal {label}", i), branch=branch),
                                     repeat))
    rows.append([f"write 1 record to {branch}", label, *map(fmt_ms, proposal)])
    figures["proposal_p50"], figures["proposal_p95"] = proposal
    return rows, figures


def measure_person_commit(repo: MemoryRepo, label: str, repeat: int = 5) -> list[list[str]]:
    """What a person's ``git add`` + ``git commit`` costs, and what the pre-commit hook adds to it.

    Without the hook (``--no-verify``) and with it, the index already in step (after ``flush()``);
    then with it right after a library write, the background sync held back, so the hook has the
    index to repair.
    """
    def person_commit(i: int, *extra: str) -> float:
        (repo.root / "notes.md").write_text(f"note {i} {time.time_ns()}\n")
        start = time.perf_counter()
        subprocess.run(["git", "add", "notes.md"], cwd=repo.root, check=True)
        subprocess.run(["git", "commit", "-q", *extra, "-m", "A person's note"], cwd=repo.root, check=True)
        return time.perf_counter() - start

    rows = []
    for name, extra in (("without the hook", ("--no-verify",)), ("hook, nothing to repair", ())):
        timings = []
        for i in range(repeat):
            repo.write(new_learning(f"before {label} {name}", i))
            repo.flush()
            timings.append(person_commit(i, *extra))
        rows.append([f"person's git add + commit, {name}", label, *map(fmt_ms, p50_p95_ms(timings))])
    repo._syncer.stop()  # hold the background sync back: the hook does the work (as when a person is quick)
    timings = []
    for i in range(repeat):
        repo.write(new_learning(f"before {label} hook", i))
        timings.append(person_commit(i))
    rows.append(["person's git add + commit, hook repairs index", label, *map(fmt_ms, p50_p95_ms(timings))])
    return rows


def _writer(root: str, worker: int, count: int, start: multiprocessing.synchronize.Event,
            results: multiprocessing.Queue) -> None:
    repo = MemoryRepo(root)
    records = [LearningRecord(title=f"Writer {worker} record {i}", learning="Concurrent write.") for i in range(count)]
    start.wait()
    begin = time.time()
    paths = []
    for record in records:
        repo.write(record, trailers={"Learning-Store": "bench"})
        paths.append(record.path)
    results.put((begin, time.time(), paths))
    repo.close()


def measure_concurrency(repo: MemoryRepo, processes: int, count: int) -> list[str]:
    """``processes`` writers, ``count`` commits each; is every record in HEAD, is fsck clean?"""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results: multiprocessing.Queue = context.Queue()
    workers = [context.Process(target=_writer, args=(str(repo.root), w, count, start, results))
               for w in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # let every process import and open the repository before the gun
    start.set()
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join()
    begin = min(o[0] for o in outcomes)
    end = max(o[1] for o in outcomes)
    written = [p for o in outcomes for p in o[2]]
    head = pygit2.Repository(str(repo.root)).head.peel(pygit2.Commit).tree
    found = sum(1 for p in written if p in head)
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=repo.root, capture_output=True, text=True)
    verdict = "clean" if fsck.returncode == 0 and not fsck.stdout.strip() else f"FAILED: {fsck.stdout[:80]}"
    rate = len(written) / (end - begin)
    return [f"{processes} processes x {count} writes", str(len(written)), str(found), f"{rate:.0f}", verdict]


def measure_layout(files: int, repeat: int) -> list[list[str]]:
    """One new file committed into a flat folder of ``files`` entries vs 256 shards of the same files."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        git = pygit2.init_repository(tmp, bare=True)
        blob = git.create_blob(b"---\nid: x\nkind: learning\n---\n")
        names = [f"lesson-{i}-about-tools.md" for i in range(files)]
        flat = git.TreeBuilder()
        for name in names:
            flat.insert(name, blob, trees.BLOB)
        shards: dict[str, pygit2.TreeBuilder] = {}
        for name in names:
            shard = pygit2.hash(name.encode()).raw.hex()[:2]
            shards.setdefault(shard, git.TreeBuilder()).insert(name, blob, trees.BLOB)
        sharded = git.TreeBuilder()
        for shard, builder in shards.items():
            sharded.insert(shard, builder.write(), trees.TREE)
        signature = pygit2.Signature("bench", "bench@localhost")
        for label, tree_id, path in (("flat", flat.write(), "learnings/global/{name}"),
                                     ("sharded (256 folders)", sharded.write(), "learnings/global/ab/{name}")):
            top = git.TreeBuilder()
            global_ = git.TreeBuilder()
            global_.insert("global", tree_id, trees.TREE)
            top.insert("learnings", global_.write(), trees.TREE)
            base = git[top.write()]
            ref = f"refs/heads/{label.split()[0]}"
            git.references.create(ref, git.create_commit(None, signature, signature, "seed", base.id, []))

            def commit(i: int, ref: str = ref, path: str = path) -> None:
                tip = git.references[ref].peel(pygit2.Commit)
                tree = trees.apply_changes(git, tip.tree, {path.format(name=f"new-{i}-{time.time_ns()}.md"): b"x"})
                git.create_commit(ref, signature, signature, "one file", tree, [tip.id])

            rows.append([f"commit 1 new file, {label}", f"{files:,} files",
                         *map(fmt_ms, p50_p95_ms(time_calls(commit, repeat)))])
    return rows


def check_targets(figures: dict[int, dict[str, float]], rate: float, lost: int) -> list[list[str]]:
    """The issue's targets against what was measured (the largest repository for the latency ones)."""
    big, empty = figures[max(figures)], figures[min(figures)]
    checks = [
        (f"1 record p50 at {max(figures):,} records", "<= 15 ms", big["single_p50"], big["single_p50"] <= 15),
        (f"1 record p95 at {max(figures):,} records", "<= 25 ms", big["single_p95"], big["single_p95"] <= 25),
        ("flat: p50 vs empty repository", "<= 2x", big["single_p50"] / empty["single_p50"],
         big["single_p50"] <= 2 * empty["single_p50"]),
        ("proposal-branch write p50", "<= 5 ms", big["proposal_p50"], big["proposal_p50"] <= 5),
        ("8 concurrent writers", ">= 100 commits/s", rate, rate >= 100),
        ("records lost by concurrent writers", "0", lost, lost == 0),
    ]
    return [[name, target, f"{value:.1f}" if isinstance(value, float) else str(value), "ok" if ok else "MISSED"]
            for name, target, value, ok in checks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="0 / 1k / 5k records, fewer repetitions (< 1 minute)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="repository sizes, e.g. 0,10000")
    parser.add_argument("--repeat", type=int, help="single writes per size (default 100, quick 30)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([0, 1_000, 5_000] if args.quick else [0, 10_000, 100_000])
    repeat = args.repeat or (30 if args.quick else 100)
    batches = 5 if args.quick else 20
    print(f"# learning_fs write benchmark ({'quick' if args.quick else 'full'})\n\n{machine_line()}\n", flush=True)

    rows: list[list[str]] = []
    figures: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="learning_fs-bench-") as tmp:
        workdir = Path(tmp)
        for size in sizes:
            started = time.perf_counter()
            repo = fresh_repo(workdir, size)
            print(f"repository of {size:,} records ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            size_rows, figures[size] = measure_writes(repo, f"{size:,} records", repeat, batches)
            rows += size_rows
            if size == sizes[-1]:
                rows += measure_person_commit(repo, f"{size:,} records")
            repo.close()
        rows += measure_layout(sizes[-1] or 1000, repeat)
        print(markdown_table(["operation", "repository", "p50 ms", "p95 ms"], rows))

        concurrent_size = sizes[1] if len(sizes) > 1 else sizes[0]
        repo = fresh_repo(workdir, concurrent_size)
        row = measure_concurrency(repo, processes=8, count=50)
        repo.close()
        print()
        print(markdown_table([f"concurrent writers ({concurrent_size:,}-record repo)", "records written",
                              "found in HEAD", "commits/s", "git fsck --strict"], [row]))
        print()
        targets = check_targets(figures, float(row[3]), int(row[1]) - int(row[2]))
        print(markdown_table(["target (issue 2)", "wanted", "measured", ""], targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
