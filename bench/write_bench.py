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

    python bench/write_bench.py            # 0 / 10k / 100k / 1M records (first run builds the repos)
    python bench/write_bench.py --quick    # 0 / 1k / 5k records, under a minute

Targets (issue 2, 2-core machine): one record p50 <= 15 ms and p95 <= 25 ms at 100k records and
within 2x of the empty repository; 8 writers >= 100 commits/s with nothing lost; proposal <= 5 ms.
Issue 10: write p50 and recall p50 at 1M records within 2x of 100k; also printed: a write that
merges a person's uncommitted edit, and how long building the 1M repository took.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import (
    CACHE_DIR,
    cached,
    fmt_ms,
    import_commit,
    link_copy,
    machine_line,
    markdown_table,
    p50_p95_ms,
    seed_repo,
    time_calls,
)

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
from learning_fs.format.layout import user_folder
from learning_fs.format.slugs import shard_of
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


_MARK = 9_876_543_210  # a number no record text holds otherwise: the slot templates substitute


def fast_corpus(records: int) -> Iterator[tuple[str, bytes]]:
    """The same mix as :func:`corpus_record`, rendered ~100x faster: one library rendering per kind,
    then the record number substituted into that text (1M records in seconds, not half an hour).

    The ten prototypes are the library's own output for records ``_MARK + k``; every place the
    number appears (ids, titles, text, the user ``user<i // 10>``, the session ``s<i>``) is a slot.
    Text derived otherwise from the number (``i % 97``) stays the prototype's: it does not change
    the size or shape of a file.
    """
    templates = []
    for kind in range(10):
        mark = _MARK + kind
        record = corpus_record(mark)
        text = record.to_markdown().replace(str(mark), "\0I\0").replace(f"user{mark // 10}", "user\0U\0")
        path = record_path(record).replace(str(mark), "\0I\0").replace(f"user{mark // 10}", "user\0U\0")
        templates.append((text, path, record.namespace == "user"))
    for i in range(records):
        text, path, private = templates[i % 10]
        number, user = f"{i:010d}" if "\0I\0" in text else "", str(i // 10)
        body = text.replace("\0I\0", number).replace("\0U\0", user)
        if private:
            owner = f"user{user}"
            rest = path.split("/", 3)[3].replace("\0I\0", number)
            target = f"{user_folder(owner)}/{rest}"
        else:
            folder, namespace, _shard, name = path.split("/")
            name = name.replace("\0I\0", number)
            target = f"{folder}/{namespace}/{shard_of(name[:-3])}/{name}"
        yield target, body.encode()


def build_repo_fast(root: Path, records: int) -> None:
    """Like :func:`build_repo` for big sizes: fast-import for the commit, the files written directly.

    ``git reset --hard`` of 1M files takes many minutes; here each file is written once while it is
    streamed into fast-import, and ``git read-tree`` makes the index (without stat data: the library
    never needs it, and a person's first ``git status`` refreshes it).
    """
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    from learning_fs.repo.config import CONFIG_FILE, GITIGNORE, RepoConfig

    made: set[str] = set()

    def files() -> Iterator[tuple[str, bytes]]:
        head = [(CONFIG_FILE, RepoConfig().to_yaml().encode()), (".gitignore", GITIGNORE.encode())]
        for path, data in itertools.chain(head, fast_corpus(records)):
            folder = path.rpartition("/")[0]
            if folder and folder not in made:
                (root / folder).mkdir(parents=True, exist_ok=True)
                made.add(folder)
            (root / path).write_bytes(data)
            yield path, data

    import_commit(root, files(), "Seed the benchmark corpus")
    subprocess.run(["git", "read-tree", "HEAD"], cwd=root, check=True)


def fresh_repo(workdir: Path, records: int) -> MemoryRepo:
    """A private copy of the cached ``records``-record repository (an empty one for 0)."""
    target = workdir / f"repo-{records}"
    if records == 0:
        return MemoryRepo.init(target)
    if records >= FAST_FROM:
        name = f"repo-{records}-fast-v1"
        took = CACHE_DIR / f"{name}.seconds"  # beside the cached repository: how long building it took

        def build(path: Path) -> None:
            started = time.perf_counter()
            build_repo_fast(path, records)
            took.write_text(f"{time.perf_counter() - started:.0f}\n")

        source = cached(name, build)
        BUILD_SECONDS[records] = float(took.read_text()) if took.exists() else float("nan")
    else:
        source = cached(f"repo-{records}-v1", lambda path: build_repo(path, records))
    link_copy(source, target)
    # Hard-linking changed every file's ctime: without this the first git command re-hashes them all.
    subprocess.run(["git", "config", "core.trustctime", "false"], cwd=target, check=True)
    return MemoryRepo(target)


FAST_FROM = 100_000  # sizes seeded by build_repo_fast
BUILD_SECONDS: dict[int, float] = {}  # how long building each cached big repository took (this run or earlier)


# -- measurements --------------------------------------------------------------------------------
def new_learning(tag: str, i: int) -> LearningRecord:
    return LearningRecord(title=f"Bench {tag} {i}", learning="Measured write latency.", tags=["bench"])


def settle(repo: MemoryRepo) -> None:
    """Let the background index sync of the previous phase finish, so phases do not time each other."""
    repo.flush()
    time.sleep(0.2)


def measure_writes(repo: MemoryRepo, label: str, repeat: int, batches: int,
                   size: int = 0) -> tuple[list[list[str]], dict[str, float]]:
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
    settle(repo)
    mine = MemoriesRecord(user=f"bench-{label.split()[0]}", memories=[Item(id="m-0", text="First")])
    repo.write(mine)
    file = repo.root / str(mine.path)
    file.write_text(file.read_text() + "- Typed by hand, not committed\n")  # a person's uncommitted edit

    def merge_write(i: int) -> None:
        mine.memories.append(Item(id=f"m-{i + 10}", text=f"Library memory {i}"))
        repo.write(mine)  # merges the hand edit with the library's change in the working tree

    merged = p50_p95_ms(time_calls(merge_write, max(10, repeat // 3)))
    assert "Typed by hand" in file.read_text(), "the hand edit was lost"
    rows.append(["write 1 record beside a hand edit (merged)", label, *map(fmt_ms, merged)])
    figures["merge_p50"] = merged[0]
    users = max(1, size // 10)
    rng = random.Random(size)

    def recall(i: int) -> None:  # what the per-user stores read: a user's profile and memories
        folder = user_folder(f"user{rng.randrange(users)}")
        for name in ("profile.md", "memories.md"):
            repo.get(f"{folder}/{name}", copy=False)

    recall_timing = p50_p95_ms(time_calls(recall, repeat)) if size else (float("nan"), float("nan"))
    rows.append(["recall: read a user's profile + memories", label, *map(fmt_ms, recall_timing)])
    figures["recall_p50"] = recall_timing[0]
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
    if repo._syncer._thread is not None:
        repo._syncer._thread.join(10)
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
    ]
    if 100_000 in figures and max(figures) > 100_000:
        ref = figures[100_000]
        checks += [
            (f"1 record p50 at {max(figures):,} vs 100,000", "<= 2x", big["single_p50"] / ref["single_p50"],
             big["single_p50"] <= 2 * ref["single_p50"]),
            (f"recall p50 at {max(figures):,} vs 100,000", "<= 2x", big["recall_p50"] / ref["recall_p50"],
             big["recall_p50"] <= 2 * ref["recall_p50"]),
        ]
    checks += [
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
    sizes = args.sizes or ([0, 1_000, 5_000] if args.quick else [0, 10_000, 100_000, 1_000_000])
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
            if size >= FAST_FROM:
                seconds = BUILD_SECONDS.get(size, float("nan"))
                print(f"repository of {size:,} records: building it took "
                      f"{f'{seconds:.0f} s' if seconds == seconds else 'an unknown time (cached earlier)'}",
                      file=sys.stderr)
            size_rows, figures[size] = measure_writes(repo, f"{size:,} records", repeat, batches, size)
            rows += size_rows
            if size == max(x for x in sizes if x <= FAST_FROM):  # 1M: a git add would refresh 1M entries
                rows += measure_person_commit(repo, f"{size:,} records")
            repo.close()
        rows += measure_layout(min(sizes[-1], FAST_FROM) or 1000, repeat)  # 1M flat: minutes, same answer
        print(markdown_table(["operation", "repository", "p50 ms", "p95 ms"], rows))
        for size, seconds in sorted(BUILD_SECONDS.items()):
            if seconds != seconds:  # NaN: cached before build times were kept
                continue
            print(f"\nbuilding the {size:,}-record repository (fast-import + files written directly): "
                  f"{seconds:.0f} s (measured when it was built; it is cached under {CACHE_DIR})")

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
