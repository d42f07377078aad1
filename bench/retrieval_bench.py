"""Retrieval quality of the search index on the LongMemEval sample: BM25, dense and hybrid side by side.

Protocol (``shared/data/README.md``, the LongMemEval paper's session-level retrieval): each
question is its own task — index that question's ~50 sessions and nothing else; a session's text
is its user turns joined by a space; relevant sessions are the ``answer_session_ids`` with a user
turn marked ``has_answer``; questions ending in ``_abs`` or without such a session are skipped;
the query is the question; report recall_any@k, recall_all@k and nDCG@k (binary) for k = 5, 10.

Every ranking comes from the real engine (``SearchIndex`` in a temporary directory: Chroma, FTS5,
chunking, the default MiniLM), so the numbers are what an agent would get. Besides the three
modes, the script re-fuses the engine's own dense and BM25 rankings with other RRF settings (the
tuning table) and ranks with ``bm25s`` as a second BM25 implementation.

Session embeddings are cached by text hash under the bench cache (``LEARNING_FS_BENCH_CACHE``,
default /tmp/learning_fs-bench-cache), so only the first run pays for embedding (~800k word
pieces: several minutes on 2 cores); ``--no-cache`` measures it again.

    python bench/retrieval_bench.py                # all 59 questions
    python bench/retrieval_bench.py --quick        # every 15th question, under a minute
    python bench/retrieval_bench.py --data PATH    # another copy of the sample
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import CACHE_DIR, machine_line, markdown_table

from learning_fs.index import IndexDoc, MiniLMEmbedder, SearchIndex, reciprocal_rank_fusion

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "longmemeval_s_dev.json.gz"
KS = (5, 10)


@dataclass
class Task:
    """One question: its haystack sessions (id -> text) and the relevant session ids."""

    qid: str
    qtype: str
    question: str
    sessions: dict[str, str]
    relevant: set[str]


def load_tasks(path: Path) -> tuple[list[Task], int]:
    """Tasks by the protocol, and how many questions were skipped."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        items = json.load(f)
    tasks, skipped = [], 0
    for item in items:
        sessions, evidence = {}, set()
        for sid, turns in zip(item["haystack_session_ids"], item["haystack_sessions"], strict=True):
            user_turns = [t for t in turns if t["role"] == "user"]
            sessions[sid] = " ".join(t["content"] for t in user_turns)
            if any(t.get("has_answer") for t in user_turns):
                evidence.add(sid)
        relevant = set(item["answer_session_ids"]) & evidence
        if item["question_id"].endswith("_abs") or not relevant:
            skipped += 1
            continue
        tasks.append(Task(item["question_id"], item["question_type"], item["question"], sessions, relevant))
    return tasks, skipped


class CachedEmbedder:
    """MiniLM with a persistent text-hash -> vector cache, so re-runs and tuning skip embedding."""

    def __init__(self, inner: MiniLMEmbedder, cache_file: Path | None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.cache_file = cache_file
        self.vectors: dict[str, np.ndarray] = {}
        self.embedded = 0
        self.seconds = 0.0
        if cache_file is not None and cache_file.exists():
            with np.load(cache_file) as data:
                self.vectors = {key: data[key] for key in data.files}

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items())
        if missing:
            start = time.perf_counter()
            fresh = self.inner.embed([t for _, t in missing])
            self.seconds += time.perf_counter() - start
            self.embedded += len(missing)
            self.vectors.update({k: v for (k, _), v in zip(missing, fresh, strict=True)})
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        if self.cache_file is not None and self.embedded:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_file.with_suffix(".tmp.npz")
            np.savez(tmp, **self.vectors)
            tmp.replace(self.cache_file)


def metrics(ranking: Sequence[str], relevant: set[str]) -> dict[str, float]:
    out = {}
    for k in KS:
        top = ranking[:k]
        found = sum(1 for sid in top if sid in relevant)
        out[f"recall_any@{k}"] = float(found > 0)
        out[f"recall_all@{k}"] = float(found == len(relevant))
        dcg = sum(1 / math.log2(i + 2) for i, sid in enumerate(top) if sid in relevant)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
        out[f"ndcg@{k}"] = dcg / ideal
    return out


def bm25s_ranking(task: Task) -> list[str]:
    """The same task ranked by the ``bm25s`` package (scikit-learn tokens, English stopwords)."""
    import bm25s

    ids = list(task.sessions)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([task.sessions[i] for i in ids], show_progress=False), show_progress=False)
    tokens = bm25s.tokenize([task.question], show_progress=False)
    if not tokens.vocab:
        return []
    docs, _ = retriever.retrieve(tokens, k=len(ids), show_progress=False)
    return [ids[int(i)] for i in docs[0]]


def session_doc(sid: str, text: str) -> IndexDoc:
    meta = {
        "kind": "session", "namespace": "global", "user": "", "path": f"sessions/{sid}.md", "record_id": sid,
        "item_id": "", "status": "active", "created": "", "updated": "", "blob": "",
    }  # fmt: skip
    return IndexDoc(sid, text, meta)


FUSIONS: dict[str, Callable[[list[str], list[str]], list[str]]] = {
    **{
        f"RRF k={k}": (lambda d, lx, k=k: [i for i, _ in reciprocal_rank_fusion([d, lx], k=k)])
        for k in (1, 2, 3, 5, 8, 10, 15, 20, 30, 60)
    },
    **{
        f"RRF k=60, dense x{w}": (
            lambda d, lx, w=w: [i for i, _ in reciprocal_rank_fusion([d, lx], k=60, weights=[w, 1])]
        )
        for w in (0.5, 0.75, 1.5, 2.0)
    },
    **{
        f"RRF k=60, top {n} each": (lambda d, lx, n=n: [i for i, _ in reciprocal_rank_fusion([d[:n], lx[:n]], k=60)])
        for n in (10, 20)
    },
}


def run(tasks: list[Task], embedder: CachedEmbedder) -> tuple[dict[str, list[dict[str, float]]], float]:
    per_system: dict[str, list[dict[str, float]]] = {}

    def record(name: str, ranking: Sequence[str], task: Task) -> None:
        per_system.setdefault(name, []).append(metrics(ranking, task.relevant))

    search_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp, SearchIndex.open(Path(tmp), embedder=embedder) as index:
        for n, task in enumerate(tasks, 1):
            index.clear()
            index.upsert(session_doc(sid, text) for sid, text in task.sessions.items())
            depth = len(task.sessions)
            start = time.perf_counter()
            rankings = {
                mode: [hit.id for hit in index.search(task.question, k=depth, mode=mode)]
                for mode in ("lexical", "dense", "hybrid")
            }
            search_seconds += time.perf_counter() - start
            record("BM25 (FTS5, engine)", rankings["lexical"], task)
            record("dense (MiniLM, engine)", rankings["dense"], task)
            record("hybrid (engine default)", rankings["hybrid"], task)
            record("BM25 (bm25s)", bm25s_ranking(task), task)
            for name, fuse in FUSIONS.items():
                record(f"fusion: {name}", fuse(rankings["dense"], rankings["lexical"]), task)
            print(f"\r{n}/{len(tasks)} questions", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return per_system, search_seconds


def cross_validated(per_system: dict[str, list[dict[str, float]]]) -> tuple[str, list[dict[str, float]]]:
    """Two-fold check of the RRF constant: pick k on even questions, score on odd, and vice versa.

    The held-out numbers are what tuning on 59 questions can honestly claim; the chosen k of each
    fold shows whether the choice is stable.
    """
    candidates = [name for name in per_system if name.startswith("fusion: RRF k=") and "," not in name]
    n = len(next(iter(per_system.values())))
    held_out: list[dict[str, float]] = [{} for _ in range(n)]
    chosen = []
    for train_parity in (0, 1):
        train = [i for i in range(n) if i % 2 == train_parity]
        test = [i for i in range(n) if i % 2 != train_parity]

        def quality(name: str, rows: list[int] = train) -> tuple[float, float]:
            runs = per_system[name]
            return float(np.mean([runs[i]["recall_all@5"] for i in rows])), float(
                np.mean([runs[i]["ndcg@10"] for i in rows])
            )

        best = max(candidates, key=quality)
        chosen.append(best.removeprefix("fusion: "))
        for i in test:
            held_out[i] = per_system[best][i]
    return " / ".join(chosen), held_out


def table(per_system: dict[str, list[dict[str, float]]], names: Sequence[str]) -> str:
    columns = [f"{m}@{k}" for k in KS for m in ("recall_any", "recall_all", "ndcg")]
    rows = [[name, *(f"{np.mean([r[c] for r in per_system[name]]):.3f}" for c in columns)] for name in names]
    return markdown_table(["system", *columns], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="longmemeval_s_dev.json.gz")
    parser.add_argument("--quick", action="store_true", help="every 15th question (4): under a minute")
    parser.add_argument("--no-cache", action="store_true", help="embed everything again")
    args = parser.parse_args()

    tasks, skipped = load_tasks(args.data)
    if args.quick:
        tasks = tasks[::15]
    cache = None if args.no_cache else CACHE_DIR / "retrieval_bench" / "minilm-vectors.npz"
    started = time.perf_counter()
    embedder = CachedEmbedder(MiniLMEmbedder(), cache)
    per_system, search_seconds = run(tasks, embedder)
    embedder.save()
    total = time.perf_counter() - started

    print(f"# Retrieval on LongMemEval_S sample ({args.data.name})")
    print(f"{machine_line()}")
    print(
        f"{len(tasks)} questions ({skipped} skipped by the protocol), "
        f"{sum(len(t.sessions) for t in tasks)} sessions indexed; {embedder.embedded} texts embedded this run "
        f"in {embedder.seconds:.1f} s (the rest from cache); 3 engine searches per question took "
        f"{search_seconds / max(len(tasks), 1) * 1000:.0f} ms in all on average; total {total:.1f} s\n"
    )
    main_rows = ["BM25 (FTS5, engine)", "dense (MiniLM, engine)", "hybrid (engine default)", "BM25 (bm25s)"]
    print(table(per_system, main_rows))
    print("\n## Fusion settings tried (same dense and BM25 rankings, re-fused)\n")
    print(table(per_system, [name for name in per_system if name.startswith("fusion:")]))
    chosen, held_out = cross_validated(per_system)
    print(f"\n## Two-fold check of the RRF constant (chosen on one half: {chosen}; scored on the other)\n")
    print(table({"RRF, k chosen on the other half": held_out}, ["RRF, k chosen on the other half"]))


if __name__ == "__main__":
    main()
