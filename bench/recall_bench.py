"""Recall + build_context latency of the per-user stores (profile, memory, session) at 1k and 100k users.

This is the hot path of every agent turn: before the model is called, the machine recalls what
it knows about the user and the session and renders it into the system prompt. It must cost
about what a SQLite lookup costs (Agno: 0.5-1.0 ms), however many users the repository holds.

Prints one Markdown table with p50/p95 in milliseconds for:

- ``warm``: users whose files were read before (parsed records cached by stat): the steady
  state of a running agent, where the same users come back;
- ``cold``: the first recall of a user in this process (3 file reads + YAML/Markdown parse);
- ``stores``: the three stores called directly (``recall`` then ``build_context``);
- ``machine``: ``LearningMachine.build_context(user_id, session_id, message)`` over the same
  stores: adds keyword filtering, the privacy scrub and the delimited, budgeted assembly.

No embedding call is involved (these stores rank memories lexically). Each user has a profile,
10 memories and one session. The repositories are built fast, not by N library writes: records
are rendered by the library, written as blobs with pygit2 into one commit (via an index), and
written to the working tree; cached under ``/tmp/learning_fs-bench-cache``.

    python bench/recall_bench.py            # 1k and 100k users (first run builds ~300k files)
    python bench/recall_bench.py --quick    # 1k and 10k users, under a minute

Target (issue 3): p50 <= 1 ms for recall + build_context of profile + memory + session at 100k users.

**All six stores with semantic search** (second table): a repository of N records — per user a
profile, 10 memories and a session; shared learnings, entities (3 facts each) and decisions —
with its search index, and ``LearningMachine.build_context`` over all six stores with the index
searcher, one new message per turn (so every turn embeds its query: ~10 ms of MiniLM), for a
random user each turn (mostly users not read before). The query is embedded once per turn, from
its start (``prefetch``), which then starts the shared Chroma query of each kind the stores ask;
a user's 10 memories all fit, so they need no search; the stores share one BM25 pass
(docs/search.md). To build 100k records' index in minutes,
the stored vectors are random unit vectors written under the MiniLM's name (latency of a
nearest-neighbour search does not depend on what the vectors mean; texts, catalog, BM25 and
Chroma are the real ones, written by the real sync in 20k-file steps); queries are embedded by
the real MiniLM. Sizes: 1k, 10k and 100k records (``--quick``: 1k and 10k). Target (issue 13):
p50 <= 25 ms at 100k records, query embedding included.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import CACHE_DIR, cached, machine_line, markdown_table, p50_p95_ms

from learning_fs import MemoryRepo
from learning_fs.format import Item, MemoriesRecord, ProfileRecord, SessionRecord, record_path
from learning_fs.repo.config import CONFIG_FILE, GITIGNORE, RepoConfig
from learning_fs.stores import SessionContextConfig, UserMemoryConfig, UserProfileConfig

STAMP = "2026-01-01T00:00:00Z"
SESSION = "s1"
TOPICS = ["hiking in the Alps", "learning Rust", "a vegetarian diet", "jazz piano", "remote work from Lisbon",
          "a dog called Rex", "marathon training", "Kubernetes at work", "short answers", "German lessons",
          "home espresso", "sci-fi novels", "a standing desk", "night shifts", "woodworking"]
MESSAGES = ["Any tips for my marathon training this week?", "What should I cook tonight?",
            "Help me debug this Rust borrow checker error", "Recommend a jazz album", "How do I say thanks in German?"]


def user_records(i: int) -> list[ProfileRecord | MemoriesRecord | SessionRecord]:
    """A realistic user: a profile, 10 memories, one session with a summary."""
    user = f"user{i:06d}"
    rng = random.Random(i)
    memories = [Item(id=f"m-{i:06d}{k:04d}", text=f"Is into {topic}", created=STAMP)
                for k, topic in enumerate(rng.sample(TOPICS, 10))]
    return [
        ProfileRecord(id=f"usr-{i:010d}", user=user, fields={"name": f"User {i}", "preferred_name": f"U{i}"},
                      created=STAMP),
        MemoriesRecord(id=f"mem-{i:010d}", user=user, memories=memories, created=STAMP),
        SessionRecord(id=f"ses-{i:010d}", user=user, session_id=SESSION, created=STAMP,
                      summary=f"User {i} is planning their week around {rng.choice(TOPICS)}."),
    ]


def build_repo(root: Path, users: int) -> None:
    """One commit holding every user's files, and the same files in the working tree."""
    git = pygit2.init_repository(str(root), initial_head="main")
    index = git.index
    files = {CONFIG_FILE: RepoConfig(branch="main").to_yaml().encode(), ".gitignore": GITIGNORE.encode()}
    started = time.perf_counter()
    for i in range(users):
        for record in user_records(i):
            files[record_path(record)] = record.to_markdown().encode()
        if len(files) >= 30_000 or i == users - 1:
            for path, data in files.items():
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                index.add(pygit2.IndexEntry(path, git.create_blob(data), pygit2.GIT_FILEMODE_BLOB))
            files = {}
            print(f"  built {i + 1}/{users} users ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    tree = index.write_tree()
    index.write()
    signature = pygit2.Signature("bench", "bench@example.invalid", 1767225600, 0)
    git.create_commit("refs/heads/main", signature, signature, f"Seed {users} users", tree, [])


def measure(repo: MemoryRepo, users: int, samples: int) -> list[list[str]]:
    from learning_fs.machine import LearningMachine

    stores = [UserProfileConfig().build(repo), UserMemoryConfig().build(repo), SessionContextConfig().build(repo)]
    machine = LearningMachine(repo=repo, user_profile=True, user_memory=True, session_context=True)
    rng = random.Random(7)
    order = rng.sample(range(users), min(users, 3 * samples))
    cold_stores, cold_machine, warm_set = order[:samples], order[samples:2 * samples], order[2 * samples:] or order

    def direct(i: int, message: str) -> str:
        user = f"user{i:06d}"
        return "\n".join(
            [stores[0].build_context(stores[0].recall(user_id=user)),
             stores[1].build_context(stores[1].recall(user_id=user, message=message)),
             stores[2].build_context(stores[2].recall(user_id=user, session_id=SESSION))])

    def via_machine(i: int, message: str) -> str:
        return machine.build_context(user_id=f"user{i:06d}", session_id=SESSION, message=message)

    assert "Is into" in direct(order[0], MESSAGES[0]) and "<user_memory>" in via_machine(order[0], MESSAGES[0])
    rows = []
    for label, call, cold in (("stores", direct, cold_stores), ("machine", via_machine, cold_machine)):
        timings = _time(call, cold)
        rows.append([f"{users:,}", label, "cold (first read)", *_fmt(timings)])
        for i in warm_set:  # warm: every user read once
            call(i, MESSAGES[0])
        timings = _time(call, [rng.choice(warm_set) for _ in range(samples)])
        rows.append([f"{users:,}", label, "warm (cached)", *_fmt(timings)])
    machine.close()
    return rows


def _time(call: object, users: list[int]) -> list[float]:
    timings = []
    for n, i in enumerate(users):
        message = MESSAGES[n % len(MESSAGES)]
        start = time.perf_counter()
        call(i, message)  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return timings


def _fmt(timings: list[float]) -> list[str]:
    p50, p95 = p50_p95_ms(timings)
    return [f"{p50:.3f}", f"{p95:.3f}", str(len(timings))]


# -- all six stores, semantic -------------------------------------------------------------------
SHARED_TOPICS = ["billing", "retries", "postgres", "kubernetes", "onboarding", "refunds", "latency", "caching",
                 "airflow", "terraform", "oncall", "pricing", "search", "exports", "mobile"]


def six_store_records(records: int) -> list:
    """``records`` records: a quarter as users (3 files each), the rest shared learnings/entities/decisions."""
    from learning_fs.format import DecisionRecord, EntityRecord, LearningRecord

    users = records // 4 // 3
    out: list = [r for i in range(users) for r in user_records(i)]
    rng = random.Random(13)
    shared = records - len(out)
    for n in range(shared):
        topic, other = rng.choice(SHARED_TOPICS), rng.choice(SHARED_TOPICS)
        if n % 4 < 2:
            out.append(LearningRecord(id=f"lrn-{n:010d}", title=f"{topic} lesson {n}", created=STAMP,
                                      learning=f"When {topic} breaks, check {other} first; it fixed case {n}."))
        elif n % 4 == 2:
            facts = [Item(id=f"f-{n:06d}{k:04d}", text=f"{topic} fact {k}: depends on {other}", created=STAMP)
                     for k in range(3)]
            out.append(EntityRecord(id=f"ent-{n:010d}", name=f"{topic.title()} service {n}", entity_type="project",
                                    created=STAMP, description=f"Owns {topic}", facts=facts))
        else:
            out.append(DecisionRecord(id=f"dec-{n:010d}", title=f"{topic} decision {n}", created=STAMP,
                                      decision=f"Use {other} for {topic}",
                                      reasoning=f"{other} was cheaper in case {n}"))
    return out


def six_repo(records: int) -> Path:
    """The six-store repository of ``records`` records with its index, built once and cached.

    In two steps, each remembered: the files in one commit, then the index. An interrupted index
    build (100k records take an hour or more on a loaded 2-core machine: Chroma's inserts) resumes
    where it stopped: the sync skips every file already indexed.
    """
    name = f"recall-six-{records}-records"
    target, files, done = CACHE_DIR / name, CACHE_DIR / f"{name}.files", CACHE_DIR / f"{name}.complete"
    if done.exists() and target.is_dir():
        return target
    if not (files.exists() and target.is_dir()):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        write_six_files(target, records)
        files.write_text("ok\n")
    index_six(target)
    done.write_text("ok\n")
    return target


def write_six_files(root: Path, records: int) -> None:
    """The records in one commit, and the same files in the working tree."""
    git = pygit2.init_repository(str(root), initial_head="main")
    index = git.index
    files = {CONFIG_FILE: RepoConfig(branch="main").to_yaml().encode(), ".gitignore": GITIGNORE.encode()}
    for record in six_store_records(records):
        files[record_path(record)] = record.to_markdown().encode()
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        index.add(pygit2.IndexEntry(path, git.create_blob(data), pygit2.GIT_FILEMODE_BLOB))
    tree = index.write_tree()
    index.write()
    signature = pygit2.Signature("bench", "bench@example.invalid", 1767225600, 0)
    git.create_commit("refs/heads/main", signature, signature, f"Seed {records} records", tree, [])


def index_six(root: Path) -> None:
    """Build (or resume building) the index from the files, with random MiniLM-named vectors."""
    import numpy as np

    from learning_fs.index import sync
    from learning_fs.index.minilm import MiniLMEmbedder
    from learning_fs.index.service import RepoIndex

    class RandomVectors:  # the MiniLM's name and size, random unit vectors: no model run per entry
        name, dim = MiniLMEmbedder.name, 384

        def __init__(self) -> None:
            self.rng = np.random.default_rng(0)

        def embed(self, texts: list[str]) -> np.ndarray:
            vectors = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    started = time.perf_counter()
    # The real sync path, in steps of 20k files instead of 256: each step's entries reach Chroma
    # grouped by collection in a few large writes (the 32 private buckets made 256-file steps
    # thousands of small ones).
    step, sync.FILES_PER_BATCH = sync.FILES_PER_BATCH, 20_000
    try:
        with MemoryRepo(root) as repo, RepoIndex.open(repo, embedder=RandomVectors(), write_through="off",  # type: ignore[arg-type]
                                                      progress=lambda d, t: print(f"\r  indexed {d}/{t} files", end="",
                                                                                  file=sys.stderr)) as built:
            print(f"\n  {built.count():,} entries in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    finally:
        sync.FILES_PER_BATCH = step


def measure_six(repo: MemoryRepo, records: int, samples: int) -> list[list[str]]:
    from learning_fs.index.service import RepoIndex
    from learning_fs.machine import LearningMachine
    from learning_fs.search.semantic import IndexSearcher
    from learning_fs.stores import DecisionLogConfig, EntityMemoryConfig, LearnedKnowledgeConfig

    users = records // 4 // 3
    rows = []
    with RepoIndex.open(repo, write_through="off") as index:
        machine = LearningMachine(repo=repo, user_profile=True, user_memory=True, session_context=True,
                                  entity_memory=EntityMemoryConfig(), learned_knowledge=LearnedKnowledgeConfig(),
                                  decision_log=DecisionLogConfig(), searcher=IndexSearcher(index), track_recalls=False)
        rng = random.Random(11)
        questions = [f"{MESSAGES[n % len(MESSAGES)]} And what about {rng.choice(SHARED_TOPICS)} #{n}?"
                     for n in range(samples + 20)]
        for n in range(20):  # warm up: model, collections, parsed files of a few users
            machine.build_context(user_id=f"user{rng.randrange(users):06d}", session_id=SESSION, message=questions[n])
        timings, cpu = [], []
        embed_timings, embed_cpu = [], []
        load = _load()
        for n in range(samples):
            user = f"user{rng.randrange(users):06d}"
            start, used = time.perf_counter(), time.process_time()
            context = machine.build_context(user_id=user, session_id=SESSION, message=questions[20 + n])
            timings.append(time.perf_counter() - start)
            cpu.append(time.process_time() - used)
            assert "<learned_knowledge>" in context or "<decision_log>" in context or "<entity_memory>" in context
            start, used = time.perf_counter(), time.process_time()
            index.index.embedder.embed([questions[20 + n] + "?"])
            embed_timings.append(time.perf_counter() - start)
            embed_cpu.append(time.process_time() - used)
        machine.close()
    load = f"{load}-{_load()}"
    rows.append([f"{records:,}", "six stores, semantic (one query embedding per turn)", *_fmt(timings),
                 f"{p50_p95_ms(cpu)[0]:.1f}", load])
    rows.append([f"{records:,}", "of which one query embedding alone", *_fmt(embed_timings),
                 f"{p50_p95_ms(embed_cpu)[0]:.1f}", load])
    return rows


def _load() -> str:
    """The 1-minute load average: on a shared 2-core machine it moves latency more than code does."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k users (under a minute)")
    parser.add_argument("--samples", type=int, default=2000, help="timed calls per row")
    parser.add_argument("--six-only", action="store_true", help="only the six-store semantic table")
    args = parser.parse_args()
    sizes = [] if args.six_only else [1_000, 10_000] if args.quick else [1_000, 100_000]
    load = f", load average {os.getloadavg()[0]:.1f} at start" if hasattr(os, "getloadavg") else ""
    rows = []
    for users in sizes:
        path = cached(f"recall-{users}-users", lambda root, n=users: build_repo(root, n))
        with MemoryRepo(path) as repo:
            rows += measure(repo, users, min(args.samples, users // 3 or 1))
    if rows:
        print(f"recall + build_context, profile + memory + session ({machine_line()}{load})\n")
        print(markdown_table(["users", "path", "cache", "p50 ms", "p95 ms", "calls"], rows))
        print("\ntarget: p50 <= 1 ms at 100k users\n")
    six = []
    for records in ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]):
        with MemoryRepo(six_repo(records)) as repo:
            six += measure_six(repo, records, min(args.samples, 300))
    print(f"build_context over all six stores with the search index ({machine_line()})\n")
    print(markdown_table(["records", "what", "p50 ms", "p95 ms", "calls", "CPU p50 ms", "load"], six))
    print("\nCPU: process time of the turn, every thread (the prefetch embeds on one); load: the load average"
          " before-after the row\ntarget: p50 <= 25 ms at 100k records, query embedding included")


if __name__ == "__main__":
    main()
