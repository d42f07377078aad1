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
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import cached, machine_line, markdown_table, p50_p95_ms

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k users (under a minute)")
    parser.add_argument("--samples", type=int, default=2000, help="timed calls per row")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 100_000]
    load = f", load average {os.getloadavg()[0]:.1f} at start" if hasattr(os, "getloadavg") else ""
    rows = []
    for users in sizes:
        path = cached(f"recall-{users}-users", lambda root, n=users: build_repo(root, n))
        with MemoryRepo(path) as repo:
            rows += measure(repo, users, min(args.samples, users // 3 or 1))
    print(f"recall + build_context, profile + memory + session ({machine_line()}{load})\n")
    print(markdown_table(["users", "path", "cache", "p50 ms", "p95 ms", "calls"], rows))
    print("\ntarget: p50 <= 1 ms at 100k users")


if __name__ == "__main__":
    main()
