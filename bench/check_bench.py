"""``learning-fs check`` on a pull request: 100 new learnings against 10k and 100k existing records.

Prints one Markdown table. For each repository size, a pull request adds 100 learnings to main
(90 new lessons, 5 exact copies of existing ones with other case and punctuation, 5 rewordings
of existing ones) and ``check --base main`` runs on its checkout:

- **cold**: no check cache (a first run, or CI without its cache): every existing learning's
  blob is read once, and shared rare words pick 5 candidates per new learning to embed;
- **warm**: the check cache holds a vector for every existing learning (what CI restores with
  the action's cache step). Filling it for real would embed 100k texts (~17 minutes on the
  2-core machine), so the bench writes random unit vectors for the existing texts: the time of
  a warm run does not depend on their values. The 100 new learnings and the 10 originals of the
  planted duplicates are embedded for real, so the duplicates found are real findings (the new
  learnings' vectors are not in the cache: each warm run embeds them);
- **CLI**: the warm run as CI runs it, ``learning-fs check --base main --format github`` in a
  fresh process (interpreter, imports and model load included).

Repositories are built with ``git fast-import`` and cached under ``/tmp/learning_fs-bench-cache``
(``LEARNING_FS_BENCH_CACHE``); each run works on a hard-linked copy.

    python bench/check_bench.py            # 10k and 100k records (first run builds them: ~1 min)
    python bench/check_bench.py --quick    # 1k and 10k

Target (issue 5): a pull request adding 100 learnings to a 100k-record repository checks in <= 15 s.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import cached, import_commit, link_copy, machine_line, markdown_table, seed_repo

from learning_fs.format import LearningRecord, record_path
from learning_fs.repo import MemoryRepo
from learning_fs.review import check
from learning_fs.review.checks import CACHE_DIR, shared_embedder
from learning_fs.review.duplicates import learning_from_bytes
from learning_fs.review.vectors import CheckCache, text_digest

STAMP = "2026-01-01T00:00:00Z"
NEW = 100
COPIES, REWORDED = 5, 5
TOOLS = ("airflow", "kafka", "postgres", "redis", "terraform", "docker", "kubernetes", "nginx", "celery", "spark",
         "pytest", "uv", "poetry", "s3", "bigquery", "snowflake", "dbt", "grafana", "prometheus", "helm", "ansible",
         "jenkins", "github actions", "elasticsearch", "rabbitmq", "mysql", "mongodb", "django", "fastapi", "react")
ACTIONS = ("retry", "pin", "cache", "batch", "index", "vacuum", "shard", "throttle", "log", "monitor", "rotate",
           "compress", "partition", "validate", "version", "isolate", "timeout", "paginate", "dedupe", "warm up")
OBJECTS = ("uploads", "queries", "connections", "deploys", "migrations", "images", "secrets", "jobs", "tests",
           "workers", "sensors", "topics", "buckets", "dashboards", "alerts", "schemas", "builds", "releases")
WHEN = ("under load", "after bulk deletes", "in CI", "on Mondays", "during backfills", "before releases",
        "when the queue grows", "for large tenants", "on cold starts", "after failovers", "in staging first")
WHY = ("it failed twice last quarter", "latency doubled otherwise", "the on-call asked for it",
       "costs dropped by a third", "the incident review said so", "flaky runs went away", "it saves a day per month")


def lesson(i: int) -> tuple[str, str]:
    """A distinct, plausible lesson (title, text) for seed ``i``."""
    rng = random.Random(i)
    tool, action, obj, when, why = (rng.choice(TOOLS), rng.choice(ACTIONS), rng.choice(OBJECTS), rng.choice(WHEN),
                                    rng.choice(WHY))
    title = f"{action.capitalize()} {tool} {obj} {when} ({i})"
    text = (f"{action.capitalize()} {tool} {obj} {when}; {why}. Check case {i} before changing it, and "
            f"note the {rng.choice(OBJECTS)} it touched.")
    return title, text


def _record(title: str, text: str, i: int) -> LearningRecord:
    return LearningRecord(id=f"lrn-{i:010d}", title=title, learning=text, tags=["bench"], created=STAMP)


def pull_request(existing: int) -> dict[str, bytes]:
    """100 learnings: new lessons, exact copies (other case and punctuation) and rewordings of existing ones."""
    files = {}
    picks = random.Random(7).sample(range(existing), COPIES + REWORDED)
    for n in range(NEW):
        i = existing + n
        if n < COPIES:
            title, text = lesson(picks[n])
            record = _record(f"Copied {title}", text.upper().replace(";", ",") + "!", i)
        elif n < COPIES + REWORDED:
            title, text = lesson(picks[n])
            words = text.split(";")[0]
            record = _record(f"Reworded {title}", f"In short: {words.lower()} — {text.split(';')[1].strip()}", i)
        else:
            record = _record(*lesson(i), i)
        files[record_path(record)] = record.to_markdown().encode()
    return files


def build(root: Path, records: int) -> None:
    """main with ``records`` learnings, a ``pr`` branch adding 100, checked out with index and worktree."""
    existing = (_record(*lesson(i), i) for i in range(records))
    seed_repo(root, ((record_path(r), r.to_markdown().encode()) for r in existing), f"Seed {records} learnings")
    import_commit(root, pull_request(records).items(), "Add 100 learnings", branch="pr", parent="refs/heads/main")
    subprocess.run(["git", "checkout", "-q", "-f", "pr"], cwd=root, check=True)
    subprocess.run(["git", "repack", "-adq"], cwd=root, check=True)


def prepare(workdir: Path, records: int) -> MemoryRepo:
    source = cached(f"check-{records}-v1", lambda path: build(path, records))
    target = workdir / f"repo-{records}"
    link_copy(source, target)
    subprocess.run(["git", "config", "core.trustctime", "false"], cwd=target, check=True)
    return MemoryRepo(target)


def fill_cache_with_random_vectors(repo: MemoryRepo, records: int) -> None:
    """Cache every existing learning as a cold run would, with random vectors (see the module docstring).

    The originals of the planted duplicates get their real vectors, so rewordings are found.
    """
    import pygit2

    git = repo.git
    main = git.revparse_single("main").peel(pygit2.Commit)
    units: dict[str, object] = {}
    for path, blob in _walk(git, main.tree["learnings"], "learnings/"):
        info = learning_from_bytes(git[blob].data, path)
        if info is not None:
            units[blob] = info
    name = shared_embedder().name
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(units), shared_embedder().dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    originals = {lesson(i)[0] for i in random.Random(7).sample(range(records), COPIES + REWORDED)}
    real = [u for u in units.values() if u.title in originals]  # type: ignore[attr-defined]
    with CheckCache(repo.derived_dir / CACHE_DIR) as cache:
        cache.put_learnings(units)  # type: ignore[arg-type]
        cache.put_vectors([text_digest(name, u.text) for u in units.values()], vectors)  # type: ignore[attr-defined]
        cache.put_vectors([text_digest(name, u.text) for u in real], shared_embedder().embed([u.text for u in real]))


def _walk(git, tree, prefix):  # type: ignore[no-untyped-def]
    for entry in tree:
        if entry.type_str == "tree":
            yield from _walk(git, git[entry.id], f"{prefix}{entry.name}/")
        else:
            yield f"{prefix}{entry.name}", str(entry.id)


def summary(report) -> str:  # type: ignore[no-untyped-def]
    dup = [f for f in report.findings if f.check == "duplicates"]
    exact = sum(1 for f in dup if f.similarity == 1.0)
    return f"{exact} exact, {len(dup) - exact} near ({len(report.errors)} errors)"


def measure(records: int, workdir: Path) -> list[list[str]]:
    rows = []
    repo = prepare(workdir, records)
    label = f"{records // 1000}k"
    try:
        shutil.rmtree(repo.derived_dir / CACHE_DIR, ignore_errors=True)
        began = time.perf_counter()
        report = check(repo, base="main")
        rows.append([label, "cold (no cache)", f"{time.perf_counter() - began:.2f}", summary(report)])
        shutil.rmtree(repo.derived_dir / CACHE_DIR, ignore_errors=True)
        fill_cache_with_random_vectors(repo, records)
        began = time.perf_counter()
        report = check(repo, base="main")  # the 100 new learnings are embedded here
        rows.append([label, "warm (cache restored)", f"{time.perf_counter() - began:.2f}", summary(report)])
        shutil.rmtree(repo.derived_dir / CACHE_DIR, ignore_errors=True)
        fill_cache_with_random_vectors(repo, records)
        began = time.perf_counter()
        result = subprocess.run(["learning-fs", "--repo", str(repo.root), "check", "--base", "main", "--format",
                                 "github"], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - began
        errors = result.stdout.count("::error ")
        found = f"exit {result.returncode}, {errors} ::error"
        rows.append([label, "warm, CLI (fresh process)", f"{seconds:.2f}", found])
    finally:
        repo.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k records instead of 10k and 100k")
    args = parser.parse_args()
    sizes = (1_000, 10_000) if args.quick else (10_000, 100_000)
    shared_embedder()  # loaded once, outside the timings (the CLI row includes its own load)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lfs-check-bench-") as folder:
        for size in sizes:
            rows += measure(size, Path(folder))
    print(f"check --base main, a pull request adding {NEW} learnings ({COPIES} copies, {REWORDED} rewordings "
          f"of existing ones); {machine_line()}\n")
    print(markdown_table(["existing", "run", "seconds", "duplicates found"], rows))


if __name__ == "__main__":
    main()
