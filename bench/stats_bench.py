"""``learning-fs stats`` on a long history: the whole command, and its parts.

Prints one Markdown table: for repositories of 1k and 10k commits (``--quick``: 1k and 3k), the
wall time of ``learning-fs --repo PATH stats --json`` run as a user runs it (a fresh process:
interpreter start, imports and all), and in-process the time to read the history into DataFrames
(``History.load``: one ``git log``) and to compute the headline numbers from it.

The repositories are not built by 10k library writes (minutes): a seeded generator writes a
``git fast-import`` stream of commits shaped like a real memory repository's — library commits
with ``Learning-*`` trailers adding and updating learnings, memories, entities and sessions in
sharded folders, a person's hand edits without trailers, proposals on ``proposals/...`` branches
merged with merge commits or left open, curation commits that delete merged records — and
checks the result out (one pack, ~2 s for 10k commits). They are cached under
``/tmp/learning_fs-bench-cache`` (``LEARNING_FS_BENCH_CACHE``).

    python bench/stats_bench.py            # 1k and 10k commits
    python bench/stats_bench.py --quick    # 1k and 3k commits, under a minute

Target (issue 7): ``learning-fs stats`` on a 10k-commit repository in <= 5 s.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import cached, machine_line, markdown_table, mean

START = 1735725600  # 2025-01-01 10:00 UTC
LIBRARY = "learning-fs <learning-fs@localhost>"
PEOPLE = ["Dana Reviewer <dana@example.com>", "Sam Ops <sam@example.com>"]
NAMESPACES = ["global", "global", "team-data", "team-web"]
CONFIG = "version: 1\nbranch: main\nauthor:\n  name: learning-fs\n  email: learning-fs@localhost\n"
TARGET_SECONDS = 5.0


def _shard(name: str) -> str:
    import hashlib

    return hashlib.sha256(name.encode()).hexdigest()[:2]


class _Stream:
    """Writes a ``git fast-import`` stream: commits with inline blobs, marks, merges."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.tips: dict[str, int] = {}
        self.clock = START

    def commit(self, branch: str, who: str, subject: str, trailers: dict[str, str], files: dict[str, str | None],
               *, start_from: str | None = None, merge: int | None = None) -> int:
        self.mark += 1
        self.clock += random.randint(600, 5400)
        message = subject + ("\n\n" + "\n".join(f"{k}: {v}" for k, v in trailers.items()) if trailers else "") + "\n"
        raw = message.encode()
        head = [f"commit refs/heads/{branch}", f"mark :{self.mark}", f"author {who} {self.clock} +0000",
                f"committer {LIBRARY} {self.clock} +0000", f"data {len(raw)}"]
        out = "\n".join(head).encode() + b"\n" + raw
        lines = []
        if start_from is not None and branch not in self.tips:
            lines.append(f"from :{self.tips[start_from]}")
        if merge is not None:
            lines.append(f"merge :{merge}")
        for path, content in files.items():
            if content is None:
                lines.append(f"D {path}")
            else:
                data = content.encode()
                lines.append(f"M 100644 inline {path}\ndata {len(data)}\n{content}")
        out += ("\n".join(lines) + "\n\n").encode() if lines else b"\n"
        self.parts.append(out)
        self.tips[branch] = self.mark
        return self.mark


def _record(kind: str, rid: str, title: str, user: str | None, namespace: str, body: str) -> str:
    owner = f"user: {user}\n" if user else ""
    return (f"---\nid: {rid}\nkind: {kind}\nnamespace: {namespace}\n{owner}created: '2025-01-01T10:00:00Z'\n"
            f"updated: '2025-01-01T10:00:00Z'\n---\n\n# {title}\n\n{body}\n")


def build_history(path: Path, commits: int, seed: int = 7) -> None:
    """A memory repository with ``commits`` commits of a realistic mix (see the module docstring)."""
    random.seed(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    s = _Stream()
    s.commit("main", LIBRARY, "Initialise memory repository", {"Learning-Store": "repo"},
             {"learning_fs.yaml": CONFIG, ".gitignore": ".learning_fs/\n"})
    learnings: list[str] = []
    users = [f"user{n:03d}" for n in range(120)]
    entities: list[str] = []
    proposals = 0
    while s.mark < commits:
        roll = random.random()
        user = random.choice(users)
        session = f"s-{random.randint(1, 4000):04d}"
        origin = {"Learning-Store": "", "Learning-Mode": "always", "Learning-User": user, "Learning-Session": session}
        if roll < 0.25 or not learnings:
            ns = random.choice(NAMESPACES)
            slug = f"lesson-{s.mark}"
            p = f"learnings/{ns}/{_shard(slug)}/{slug}.md"
            learnings.append(p)
            origin["Learning-Store"] = "learned_knowledge"
            s.commit("main", LIBRARY, f"Learn: lesson {s.mark}", {**origin, "Learning-Kind": "learning"},
                     {p: _record("learning", f"lrn-{s.mark:010d}", f"Lesson {s.mark}", None, ns, "Do the thing.")})
        elif roll < 0.40:
            p = random.choice(learnings)
            origin["Learning-Store"] = "learned_knowledge"
            s.commit("main", LIBRARY, "Update: a lesson", {**origin, "Learning-Kind": "learning"},
                     {p: _record("learning", "lrn-x", "Lesson", None, "global", f"Revised {s.mark}.")})
        elif roll < 0.60:
            p = f"users/{_shard(user)}/{user}/memories.md"
            origin["Learning-Store"] = "user_memory"
            s.commit("main", LIBRARY, f"Remember about {user}", {**origin, "Learning-Kind": "memories"},
                     {p: _record("memories", f"mem-{user}", f"Memories about {user}", user, "user",
                                 f"## Memories\n\n- observation {s.mark}")})
        elif roll < 0.72:
            name = f"entity-{random.randint(0, 600)}"
            p = f"entities/global/{_shard(name)}/{name}.md"
            entities.append(p)
            origin["Learning-Store"] = "entity_memory"
            s.commit("main", LIBRARY, f"Learn about {name}", {**origin, "Learning-Kind": "entity"},
                     {p: _record("entity", f"ent-{name}", name, None, "global", f"## Facts\n\n- fact {s.mark}")})
        elif roll < 0.84:
            p = f"users/{_shard(user)}/{user}/sessions/{session}.md"
            origin["Learning-Store"] = "session_context"
            s.commit("main", LIBRARY, f"Update session {session}", {**origin, "Learning-Kind": "session"},
                     {p: _record("session", f"ses-{session}", f"Session {session}", user, "user", "## Summary\n\nx")})
        elif roll < 0.88:
            p = random.choice(learnings)
            s.commit("main", random.choice(PEOPLE), "Fix wording of a lesson", {},
                     {p: _record("learning", "lrn-y", "Lesson", None, "global", f"Edited by hand {s.mark}.")})
        elif roll < 0.95:
            proposals += 1
            slug = f"proposed-{proposals}"
            ns = random.choice(NAMESPACES)
            p = f"learnings/{ns}/{_shard(slug)}/{slug}.md"
            branch = f"proposals/learning/{slug}"
            content = _record("learning", f"lrn-p{proposals:08d}", slug, None, ns, "Proposed.")
            origin.update({"Learning-Store": "learned_knowledge", "Learning-Mode": "propose",
                           "Learning-Proposal": f"learning/{slug}", "Learning-Kind": "learning"})
            mark = s.commit(branch, LIBRARY, f"Learn: {slug}", origin, {p: content}, start_from="main")
            if random.random() < 0.7:  # approved: a merge commit on main; else left open
                learnings.append(p)
                s.commit("main", PEOPLE[0], f"Approve proposal learning/{slug}",
                         {"Learning-Proposal": f"learning/{slug}"}, {p: content}, merge=mark)
        elif len(learnings) > 3:
            gone = random.sample(learnings, 2)
            for p in gone:
                learnings.remove(p)
            s.commit("main", LIBRARY, "Curate: merge 2 duplicate learnings",
                     {"Learning-Store": "curator", "Learning-Mode": "always"}, dict.fromkeys(gone))
    stream = b"".join(s.parts) + b"done\n"
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=path, input=stream, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True)


def _cli_seconds(path: Path, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        command = [sys.executable, "-c", "from learning_fs.cli import main; main()", "--repo", str(path), "stats",
                   "--json"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        timings.append(time.perf_counter() - began)
        if result.returncode != 0:
            raise SystemExit(f"learning-fs stats failed: {result.stderr}")
    return timings


def _parts_seconds(path: Path, repeat: int) -> tuple[list[float], list[float]]:
    from learning_fs.analytics import History, headline

    loads, heads = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        history = History.load(path)
        loads.append(time.perf_counter() - began)
        began = time.perf_counter()
        headline(history)
        heads.append(time.perf_counter() - began)
    return loads, heads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 3k commits (under a minute)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (default 3)")
    args = parser.parse_args()
    sizes = (1000, 3000) if args.quick else (1000, 10_000)
    rows = []
    for size in sizes:
        began = time.perf_counter()
        path = cached(f"stats-history-{size}", lambda p, n=size: build_history(p, n))
        built = time.perf_counter() - began
        cli = _cli_seconds(path, args.repeat)
        loads, heads = _parts_seconds(path, args.repeat)
        verdict = "ok" if size < 10_000 or max(cli) <= TARGET_SECONDS else f"OVER {TARGET_SECONDS:.0f} s"
        rows.append([f"{size:,}", f"{built:.1f}", f"{mean(cli):.2f}", f"{max(cli):.2f}",
                     f"{mean(loads):.2f}", f"{mean(heads):.3f}", verdict])
    print(machine_line())
    print(markdown_table(["commits", "build/cache s", "stats CLI mean s", "stats CLI max s",
                          "History.load s", "headline s", "target <= 5 s"], rows))


if __name__ == "__main__":
    main()
