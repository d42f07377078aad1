"""The search index kept in sync with a memory repository: rebuild, write-through, watcher, catch-up, search.

Measured on real repositories of 10k and 100k record files (built once with ``git fast-import``
and cached), with the real offline embedder (MiniLM int8) and Chroma:

* cold rebuild: every file read, parsed, embedded and written (records/s and entries/s);
* write-through: ``repo.write`` of a new learning and of one more memory in a user's file, without
  an index, with the default asynchronous write-through (the write queues, a worker indexes, and
  a search waits for it) and with the synchronous one; "write + search" is a write followed by a
  search that must see it;
* edit-to-searchable through the watcher: a file rewritten by hand until the watcher's batch that
  indexed it is applied (debounce 0.3 s included);
* catch-up after 0, 1, 100 and 1,000 files changed and committed with plain ``git``;
* search p50/p95 with a namespace filter, a user, and a user's private namespace, query embedding
  included (the LongMemEval questions as queries);
* peak memory (max RSS) of the process measuring one size.

Texts are sentences of LongMemEval user turns (``../shared/data``), one to three per record.
Each size runs in its own process (so its peak memory is its own) and prints one JSON line.

    python bench/index_bench.py            # 10k and 100k records (~45 minutes on 2 busy cores, the 100k
                                           # rebuild ~33 of them; built indexes are cached and reused)
    python bench/index_bench.py --fresh    # measure the cold rebuilds again instead of reusing them
    python bench/index_bench.py --quick    # 1k records, under a minute
    python bench/index_bench.py --sizes 0,10000,100000 --vectors hashed --writes-only
                                           # the searchable write from 0 to 100k: corpus built with
                                           # word-hash vectors (100k in ~19 min on busy cores instead
                                           # of hours), every measured write embedded with MiniLM

Results on the project's 2-core VM (other jobs kept the load average at 2-7), 10k / 100k records:
cold rebuild 39 / 51 records/s (48 / 63 entries/s: embedding-bound); a new learning written in
2.1 / 2.2 ms without an index, 2.7 / 3.1 ms with async write-through (98-122 ms with sync: two
Chroma upserts of ~44 ms each at 100k); edit-to-searchable through the watcher p50 430 / 381 ms;
catch-up 49 / 242 ms with nothing changed, 129 / 396 ms for 1 file, 3.0 / 2.9 s for 100 and
17.7 / 16.3 s for 1,000; filtered search p50 11.8-16.8 / 10.6-19.8 ms; peak RSS 0.85 / 1.56 GB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import CACHE_DIR, cached, link_copy, machine_line, markdown_table, p50_p95_ms, seed_repo

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
from learning_fs.repo import MemoryRepo

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "longmemeval_s_dev.json.gz"
STAMP = "2026-01-01T00:00:00Z"
SHARED = (("global", 0.6), ("team-a", 0.25), ("team-b", 0.15))
CORPUS_VERSION = "v1"
GIT_PERSON = ["-c", "user.name=Bench Person", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]


# -- corpus ----------------------------------------------------------------------------------------
def load_text(path: Path) -> tuple[list[str], list[str]]:
    """Sentences of user turns (record texts) and the benchmark's questions (queries)."""
    if not path.exists():  # no shared data: synthetic but distinct sentences
        words = ["airflow", "billing", "export", "warehouse", "sensor", "retry", "invoice", "postgres"]
        rng = random.Random(5)
        sentences = [" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(20_000)]
        return sentences, [" ".join(rng.choice(words) for _ in range(6)) + "?" for _ in range(59)]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        items = json.load(f)
    sentences: set[str] = set()
    for item in items:
        for session in item["haystack_sessions"]:
            for turn in session:
                if turn["role"] == "user":
                    for sentence in re.split(r"(?<=[.!?])\s+", turn["content"]):
                        if 40 <= len(sentence) <= 220:
                            sentences.add(" ".join(sentence.split()))
    return sorted(sentences), [item["question"] for item in items]


def corpus_records(n: int, sentences: list[str]) -> list[Record]:
    """``n`` record files: per user a profile and a memories file (3 memories); the rest learnings
    (55%), entities with a fact (20%), decisions (10%) and session summaries (15%)."""
    rng = random.Random(11)
    users = max(5, n // 50) if n >= 10 else 1  # "0": an empty repository but for one user's two files

    def text(k: int = 1) -> str:
        return " ".join(rng.choice(sentences) for _ in range(k))

    records: list[Record] = []
    for u in range(users):
        user = f"user{u}"
        records.append(ProfileRecord(id=f"usr-{u:09d}", user=user, created=STAMP,
                                     fields={"name": f"User {u}", "role": rng.choice(["engineer", "analyst", "cto"])}))
        records.append(MemoriesRecord(id=f"mem-{u:09d}", user=user, created=STAMP, memories=[
            Item(id=f"m-{u:07d}{j}", text=text(), created=STAMP) for j in range(3)]))
    for i in range(max(0, n - 2 * users)):
        roll = rng.random()
        namespace = rng.choices([s for s, _ in SHARED], [w for _, w in SHARED])[0]
        if roll < 0.55:
            records.append(LearningRecord(id=f"lrn-{i:010d}", title=f"Lesson {i}", learning=text(2),
                                          namespace=namespace, created=STAMP))
        elif roll < 0.75:
            records.append(EntityRecord(id=f"ent-{i:010d}", name=f"Entity {i}", entity_type="project",
                                        description=text(), created=STAMP,
                                        facts=[Item(id=f"f-{i:010d}", text=text(), created=STAMP)]))
        elif roll < 0.85:
            records.append(DecisionRecord(id=f"dec-{i:010d}", title=f"Decision {i}", decision=text(),
                                          reasoning=text(), namespace=namespace, created=STAMP))
        else:
            records.append(SessionRecord(id=f"ses-{i:010d}", user=f"user{rng.randrange(users)}", session_id=f"s{i}",
                                         summary=text(2), created=STAMP))
    return records


def build_repo(root: Path, n: int, sentences: list[str]) -> None:
    """A memory repository of ``n`` record files in one commit (``git fast-import``), checked out."""
    rendered = ((record_path(r), r.to_markdown().encode()) for r in corpus_records(n, sentences))
    seed_repo(root, rendered, "Seed the index benchmark corpus")


# -- measurements (one size, in a child process) ----------------------------------------------------
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settle(repo: MemoryRepo) -> None:
    repo.flush()
    time.sleep(0.3)


class HashedWordsEmbedder:
    """Word-hash vectors filed under the real model's name, for ``--vectors hashed`` builds only.

    Embedding 100k records with MiniLM takes 30 minutes on 2 idle cores and hours on busy ones; the
    write, search and catch-up figures depend on how many vectors the index holds, not on what they
    mean. Each word gets a fixed random unit vector (seeded by its hash) and a text the normalised
    sum of its words', so texts sharing words lie close together as real ones do. Only the corpus
    is built with it: the index is then reopened with the real MiniLM, which embeds every measured
    write and query. Search *quality* on such an index means nothing; its speed does.
    """

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim
        self._words: dict[str, Any] = {}

    def embed(self, texts: list[str]) -> Any:
        import hashlib

        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vector = self._words.get(word)
                if vector is None:
                    seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")
                    vector = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
                    self._words[word] = vector
                out[row] += vector
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def measure_one(n: int, quick: bool, fresh: bool, data: Path, vectors: str = "minilm",
                writes_only: bool = False) -> dict[str, Any]:
    from learning_fs.index.service import RepoIndex, shared_embedder

    sentences, queries = load_text(data)
    source = cached(f"index-repo-{n}-{CORPUS_VERSION}", lambda path: build_repo(path, n, sentences))
    work = Path(tempfile.mkdtemp(prefix="lfs-index-bench-"))
    result: dict[str, Any] = {"records": n}
    try:
        target = work / "repo"
        link_copy(source, target)
        subprocess.run(["git", "config", "core.trustctime", "false"], cwd=target, check=True)
        repo = MemoryRepo(target)
        embedder = shared_embedder()
        index_dir = target / ".learning_fs" / "index"
        built = CACHE_DIR / f"index-built-{n}-{CORPUS_VERSION}{'-hashed' if vectors == 'hashed' else ''}"
        result["vectors"] = vectors
        # 1. Cold rebuild (or the cached index and the figures measured when it was built).
        if fresh or not (built / "rebuild.json").exists():
            log(f"{n:,}: cold rebuild")
            began = time.perf_counter()
            builder = HashedWordsEmbedder(embedder.name, embedder.dim) if vectors == "hashed" else embedder
            index = RepoIndex.open(repo, embedder=builder)
            seconds = time.perf_counter() - began
            rebuild = {"seconds": seconds, "files": len(repo.paths()), "entries": index.count(),
                       "rss_mb": rss_mb(), "measured": time.strftime("%Y-%m-%d %H:%M")}
            index.close()
            shutil.rmtree(built, ignore_errors=True)
            shutil.copytree(index_dir, built)
            (built / "rebuild.json").write_text(json.dumps(rebuild))
        else:
            log(f"{n:,}: reusing the index built {json.loads((built / 'rebuild.json').read_text())['measured']}")
            shutil.copytree(built, index_dir, ignore=shutil.ignore_patterns("rebuild.json", "writer.lock"))
        result["rebuild"] = json.loads((built / "rebuild.json").read_text())
        index = RepoIndex.open(repo, embedder=embedder)
        result["entries"] = index.count()
        result["load"] = os.getloadavg()[0]
        if not writes_only:
            result["search"] = measure_search(index, queries[::3] if quick else queries)
        result["writes"] = measure_writes(repo, index, 20 if quick else 50)
        result["load"] = max(result["load"], os.getloadavg()[0])
        if not writes_only:
            result["watcher"] = measure_watcher(repo, index, 10 if quick else 30)
            result["catch_up"] = measure_catch_up(repo, index, (0, 1, 10, 100) if quick else (0, 1, 100, 1000))
        index.close()
        repo.close()
        result["rss_mb"] = rss_mb()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def measure_search(index: Any, queries: list[str]) -> list[list[Any]]:
    log("search latency")
    cases: list[tuple[str, dict[str, Any]]] = [
        ("namespace=global", {"namespace": "global"}),
        ("namespace=team-b", {"namespace": "team-b"}),
        ("user=U (shared + U's private)", {"user": "user7"}),
        ("user=U, namespace=user (private only)", {"user": "user7", "namespace": "user"}),
    ]
    index.search("warm up every collection", k=10, user="user7", include_inactive=True)
    rows = []
    for label, filters in cases:
        timings = []
        for query in queries:
            began = time.perf_counter()
            index.search(query, k=10, **filters)
            timings.append(time.perf_counter() - began)
        rows.append([label, *p50_p95_ms(timings)])
    return rows


def measure_writes(repo: MemoryRepo, index: Any, count: int) -> list[list[Any]]:
    """Write latency without an index, with async and with sync write-through (p50/p95 ms).

    "write + search": the write, then a search (BM25, no query embedding) that must return it;
    with async write-through the search is what waits for the indexing.
    """
    from learning_fs.index.service import RepoIndex

    log("write-through")
    rows = []
    memories_path = next(path for path in repo.paths("memories"))
    owner = memories_path.split("/")[2]
    for mode in ("none", "async", "sync"):
        writer = MemoryRepo(repo.root)  # a repository object per mode: listeners cannot be removed
        handle = RepoIndex.open(writer, write_through=mode, catch_up=False) if mode != "none" else None
        settle(writer)
        timings: dict[str, list[float]] = {"learn": [], "learn+search": [], "memory": [], "memory+search": []}
        for i in range(count):
            record = LearningRecord(title=f"Bench {mode} {i}", learning=f"Measured write {i} with {mode} indexing.")
            began = time.perf_counter()
            writer.write(record)
            timings["learn"].append(time.perf_counter() - began)
            if handle is not None:
                assert handle.search(f"Bench {mode} {i}", k=1, mode="lexical")
                timings["learn+search"].append(time.perf_counter() - began)
            memories = writer.read(memories_path)
            text = f"Bench memory {i} written {mode}."
            memories.memories.append(Item(id=f"m-bench-{mode}-{i}", text=text))  # type: ignore[attr-defined]
            began = time.perf_counter()
            writer.write(memories)
            timings["memory"].append(time.perf_counter() - began)
            if handle is not None:
                assert handle.search(text, k=1, user=owner, mode="lexical")
                timings["memory+search"].append(time.perf_counter() - began)
        fold: list[float] = [float("nan"), 0, 0]  # ms, rows applied, rows the background had folded meanwhile
        if handle is not None and hasattr(handle.index, "fold"):  # what the writes left for Chroma, in one go
            began = time.perf_counter()
            applied = handle.index.fold()
            fold = [(time.perf_counter() - began) * 1000, applied, handle.index.pending()]
        if handle is not None:
            handle.close()
        writer.close()
        rows.append([mode, *(value for key in timings for value in p50_p95_ms(timings[key])), *fold])
        settle(repo)
        index.catch_up()  # the files written without an index: indexed before the next mode starts
    return rows


def measure_watcher(repo: MemoryRepo, index: Any, edits: int) -> dict[str, Any]:
    """Hand edits (write in place) until the watcher's batch with the change is applied."""
    log("watcher")
    applied = threading.Event()
    stamps: list[float] = []

    def on_batch(report: Any) -> None:
        if report.updated:
            stamps.append(time.perf_counter())
            applied.set()

    watcher = index.watch(debounce=0.3, reconcile_every=None, on_batch=on_batch)
    paths = repo.paths("learning")[: edits]
    timings, missed = [], 0
    for i, path in enumerate(paths):
        file = repo.root / path
        text = file.read_text(encoding="utf-8")
        applied.clear()
        began = time.perf_counter()
        file.write_text(text.rstrip("\n") + f"\nEdited by hand: zanzibar{i}quokka.\n", encoding="utf-8")
        if applied.wait(10):
            timings.append(stamps[-1] - began)
            if not index.search(f"zanzibar{i}quokka", k=1, mode="lexical"):
                missed += 1
        else:
            missed += 1
        time.sleep(0.2)
    watcher.stop()
    index.catch_up()  # the edits are uncommitted: leave them indexed and accounted for
    p50, p95 = p50_p95_ms(timings)
    return {"edits": len(paths), "p50_ms": p50, "p95_ms": p95, "missed": missed}


def measure_catch_up(repo: MemoryRepo, index: Any, changes: tuple[int, ...]) -> list[list[Any]]:
    """Files edited and committed with plain git, then ``catch_up``: time, files updated, entries embedded."""
    log("catch-up")
    subprocess.run(["git", *GIT_PERSON, "commit", "-qam", "Commit the watcher's edits"], cwd=repo.root, check=False)
    index.catch_up()
    pool = repo.paths("learning")
    rng = random.Random(3)
    rows = []
    for n in changes:
        for path in rng.sample(pool, n):
            file = repo.root / path
            file.write_text(file.read_text(encoding="utf-8").rstrip("\n") + f"\nPulled change {n}.\n", encoding="utf-8")
        if n:
            subprocess.run(["git", *GIT_PERSON, "commit", "-qam", f"Edit {n} files"], cwd=repo.root, check=True)
        began = time.perf_counter()
        report = index.catch_up()
        seconds = time.perf_counter() - began
        rows.append([n, seconds * 1000, report.updated, report.embedded])
    return rows


# -- driver ----------------------------------------------------------------------------------------
def run_size(n: int, quick: bool, fresh: bool, data: Path, vectors: str = "minilm",
             writes_only: bool = False) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", str(n), "--data", str(data), "--vectors", vectors]
    command += ["--writes-only"] if writes_only else []
    command += ["--quick"] if quick else []
    command += ["--fresh"] if fresh else []
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _pair(p50: float, p95: float) -> str:
    return "-" if p50 != p50 else f"{p50:.1f} / {p95:.1f}"  # NaN: not measured


def report(results: list[dict[str, Any]]) -> str:
    loads = ", ".join(f"{r.get('load', float('nan')):.1f}" for r in results)
    out = [f"Measured on {machine_line()}; load average {os.getloadavg()[0]:.1f} at the end, "
           f"{loads} (highest seen) while each size ran.", ""]
    out.append(markdown_table(
        ["records", "files", "entries", "cold build s", "records/s", "entries/s", "peak RSS MB (build)", "vectors"],
        [[f"{r['records']:,}", f"{r['rebuild']['files']:,}", f"{r['rebuild']['entries']:,}",
          f"{r['rebuild']['seconds']:.1f}", f"{r['rebuild']['files'] / r['rebuild']['seconds']:.0f}",
          f"{r['rebuild']['entries'] / r['rebuild']['seconds']:.0f}", f"{r['rebuild']['rss_mb']:.0f}",
          "word-hash (build only)" if r.get("vectors") == "hashed" else "MiniLM"]
         for r in results]))
    out.append("")
    out.append(markdown_table(
        ["records", "write-through", "new learning p50/p95 ms", "+ search", "+1 memory in a file p50/p95 ms",
         "+ search", "then: fold into Chroma ms (rows)"],
        [[f"{r['records']:,}", row[0], *(_pair(row[k], row[k + 1]) for k in (1, 3, 5, 7)),
          "-" if len(row) < 10 or row[9] != row[9] else f"{row[9]:.0f} ({row[10]})"] for r in results
         for row in r["writes"]]))
    if any("watcher" not in r for r in results):
        return "\n".join(out)
    out.append("")
    out.append(markdown_table(
        ["records", "watcher: edits", "edit-to-searchable p50 ms", "p95 ms", "missed"],
        [[f"{r['records']:,}", r["watcher"]["edits"], f"{r['watcher']['p50_ms']:.0f}", f"{r['watcher']['p95_ms']:.0f}",
          r["watcher"]["missed"]] for r in results]))
    out.append("")
    out.append(markdown_table(
        ["records", "files changed (git commit)", "catch-up ms", "files updated", "entries embedded"],
        [[f"{r['records']:,}", f"{n:,}", f"{ms:.0f}", updated, embedded]
         for r in results for n, ms, updated, embedded in r["catch_up"]]))
    out.append("")
    out.append(markdown_table(
        ["records", "search filter (hybrid, query embedding included)", "p50 ms", "p95 ms"],
        [[f"{r['records']:,}", label, f"{p50:.1f}", f"{p95:.1f}"] for r in results for label, p50, p95 in r["search"]]))
    out.append("")
    out.append(markdown_table(["records", "peak RSS MB (whole run of the size)"],
                              [[f"{r['records']:,}", f"{r['rss_mb']:.0f}"] for r in results]))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k records, fewer repetitions (under a minute)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the index even if a cached one exists")
    parser.add_argument("--sizes", type=lambda text: [int(s) for s in text.split(",")], help="e.g. 10000,100000")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="longmemeval_s_dev.json.gz")
    parser.add_argument("--vectors", choices=("minilm", "hashed"), default="minilm",
                        help="build the corpus with MiniLM (default) or with word-hash vectors (minutes instead "
                             "of hours at 100k; measured writes and queries still use MiniLM)")
    parser.add_argument("--writes-only", action="store_true",
                        help="measure only the write-through table (and the build, when not cached)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure_one(args.one, args.quick, args.fresh, args.data, args.vectors, args.writes_only)))
        return
    sizes = args.sizes or ([1_000] if args.quick else [10_000, 100_000])
    results = [run_size(n, args.quick, args.fresh or args.quick, args.data, args.vectors, args.writes_only)
               for n in sizes]
    print(report(results))
    if args.writes_only:
        return
    targets = [r for r in results if r["records"] >= 100_000] or results
    filtered = [p50 for r in targets for label, p50, _ in r["search"] if "namespace" in label or "user" in label]
    print(f"\nTargets: search p50 <= 25 ms with a filter at {targets[-1]['records']:,}: max p50 "
          f"{max(filtered):.1f} ms; edit-to-searchable p50 <= 500 ms: "
          f"{statistics.median(r['watcher']['p50_ms'] for r in results):.0f} ms; write-through adds <= 30 ms: "
          "see the 'async' rows against 'none'.")


if __name__ == "__main__":
    main()
