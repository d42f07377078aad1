"""Which fusion of the dense and BM25 legs: measured on development data, sessions and long memories.

Equal-weight RRF can rank below its better leg: on long, multi-topic texts the dense leg is
nearly flat (every chunk is a little similar to every question) and its noise pulls a clear BM25
winner down. This script compares fusions of the engine's own two rankings on the LongMemEval
sample (development data; ``shared/data/README.md``), in two shapes:

- **sessions**: the protocol as is (one entry per session, ~320 tokens, 1-3 chunks);
- **long**: synthetic long memories, four consecutive sessions of the haystack joined into one
  entry (~1,300 tokens, multi-topic); relevant = holds a relevant session. BM25 is the engine's
  FTS5 over the joined text; the dense score of a long memory is the best of its sessions'
  chunks (what the engine's max-over-chunks gives, with session-aligned chunks);
- **long, one vector each**: the same with a weak dense leg, the mean of the sessions' scores
  (a multi-topic text embedded whole is near the average of its topics): the case where the
  dense leg is flat and equal-weight RRF can fall below BM25.

Fusions: plain RRF (k=5, the engine's previous default), RRF with a fixed weight on the dense leg
(chosen by two-fold cross-validation: picked on half the questions, scored on the other),
min-max CombSUM, and RRF with the dense confidence check (``learning_fs.index.fusion.
checked_fusion``: the dense leg weighted by its best hit's cosine, 0 at 0.10 — unrelated texts —
to 1 at 0.40 — a real match; the two constants were read off the first 18 questions, so
``--split`` also reports the other 41 apart).

Vectors come from the bench cache shared with ``retrieval_bench.py`` / ``context_bench.py``.

    python bench/fusion_bench.py            # all 59 questions
    python bench/fusion_bench.py --quick    # every 6th question
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import CACHE_DIR, machine_line, markdown_table
from context_bench import DEFAULT_DATA, Task, load_tasks
from retrieval_bench import CachedEmbedder, session_doc

from learning_fs.index import MiniLMEmbedder, SearchIndex, reciprocal_rank_fusion
from learning_fs.index.fusion import RRF_K, checked_fusion, dense_weight

GROUP = 4
Ranking = list[tuple[str, float]]


class NoVectors:
    """An embedder for a lexical-only index (the long memories' BM25): constant vectors, no model."""

    name = "none"
    dim = 8

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32) / math.sqrt(self.dim)


def ndcg(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranking[:k]) if d in relevant)
    return dcg / sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))


def legs(task: Task, index: SearchIndex, lexical_index: SearchIndex) -> dict[str, tuple[Ranking, Ranking, set[str]]]:
    """(dense, lexical, relevant) per shape, rankings with scores, best first."""
    index.clear()
    index.upsert(session_doc(sid, text) for sid, text in task.sessions.items())
    depth = len(task.sessions)
    dense = [(h.id, h.score) for h in index.search(task.question, k=depth, mode="dense")]
    lexical = [(h.id, h.score) for h in index.search(task.question, k=depth, mode="lexical")]
    shapes = {"sessions": (dense, lexical, set(task.relevant))}
    ids = list(task.sessions)
    groups = {f"g{n // GROUP}": ids[n : n + GROUP] for n in range(0, len(ids), GROUP)}
    group_of = {sid: g for g, members in groups.items() for sid in members}
    best: dict[str, float] = {}
    for sid, score in dense:
        best[group_of[sid]] = max(best.get(group_of[sid], -1.0), score)
    long_dense = sorted(best.items(), key=lambda pair: -pair[1])
    lexical_index.clear()
    lexical_index.upsert(session_doc(g, " ".join(task.sessions[s] for s in members)) for g, members in groups.items())
    long_lexical = [(h.id, h.score) for h in lexical_index.search(task.question, k=len(groups), mode="lexical")]
    relevant_groups = {group_of[s] for s in task.relevant}
    shapes["long"] = (long_dense, long_lexical, relevant_groups)
    # The same long memories with a weak dense leg: one vector per memory instead of one per chunk
    # (a multi-topic text's single embedding is close to the average of its topics').
    scores: dict[str, list[float]] = {}
    for sid, score in dense:
        scores.setdefault(group_of[sid], []).append(score)
    flat_dense = sorted(((g, sum(v) / len(v)) for g, v in scores.items()), key=lambda pair: -pair[1])
    shapes["long, one vector each"] = (flat_dense, long_lexical, relevant_groups)
    return shapes


def minmax_sum(dense: Ranking, lexical: Ranking, w: float = 0.5) -> list[str]:
    def norm(run: Ranking) -> dict[str, float]:
        if not run:
            return {}
        hi, lo = run[0][1], run[-1][1]
        return {i: (s - lo) / (hi - lo) if hi > lo else 1.0 for i, s in run}

    d, lx = norm(dense), norm(lexical)
    return sorted(set(d) | set(lx), key=lambda i: -(w * d.get(i, 0.0) + (1 - w) * lx.get(i, 0.0)))


def ids(run: Sequence[tuple[str, float]]) -> list[str]:
    return [i for i, _ in run]


FIXED: dict[str, Callable[[Ranking, Ranking], list[str]]] = {
    "dense only": lambda d, lx: ids(d),
    "BM25 only": lambda d, lx: ids(lx),
    "RRF k=5 (previous default)": lambda d, lx: ids(reciprocal_rank_fusion([ids(d), ids(lx)], k=RRF_K)),
    "CombSUM min-max 0.5": lambda d, lx: minmax_sum(d, lx),
    "RRF + dense confidence check": lambda d, lx: ids(reciprocal_rank_fusion(
        [ids(d), ids(lx)], k=RRF_K, weights=[dense_weight(d[0][1]) if d else 0.0, 1.0])),
    "CombSUM min-max + dense confidence check (new default)": lambda d, lx: ids(checked_fusion(d, lx)),
}
SEEN = 18  # the first 18 questions were used to read off the dense check's constants
WEIGHTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # dense weight; BM25 weight 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="every 6th question")
    args = parser.parse_args()
    tasks = load_tasks(args.data)
    if args.quick:
        tasks = tasks[::6]
    embedder = CachedEmbedder(MiniLMEmbedder(), CACHE_DIR / "retrieval_bench" / "minilm-vectors.npz")
    global SEEN
    SEEN = 0 if args.quick else SEEN
    runs: dict[str, list[tuple[Ranking, Ranking, set[str]]]] = {"sessions": [], "long": [],
                                                                 "long, one vector each": []}
    with tempfile.TemporaryDirectory() as tmp, SearchIndex.open(Path(tmp) / "a", embedder=embedder) as index, \
            SearchIndex.open(Path(tmp) / "b", embedder=NoVectors()) as lexical_index:  # type: ignore[arg-type]
        for n, task in enumerate(tasks, 1):
            for shape, run in legs(task, index, lexical_index).items():
                runs[shape].append(run)
            print(f"\r{n}/{len(tasks)}", end="", file=sys.stderr, flush=True)
    embedder.save()
    print(file=sys.stderr)
    print(f"# Fusion on the LongMemEval sample ({len(tasks)} questions; {machine_line()})\n")
    for shape, shape_runs in runs.items():
        rows = []
        for name, fuse in FIXED.items():
            scores = [(ndcg(fuse(d, lx), rel), float(rel <= set(fuse(d, lx)[:5]))) for d, lx, rel in shape_runs]
            unseen = scores[SEEN:]  # questions not looked at when the check's constants were read off
            rows.append([name, f"{statistics.mean(s[0] for s in scores):.3f}",
                         f"{statistics.mean(s[1] for s in scores):.3f}",
                         f"{statistics.mean(s[0] for s in unseen):.3f}" if unseen else "-"])
        # per-leg weight, chosen on one half and scored on the other (two folds)
        def weighted(w: float, d: Ranking, lx: Ranking) -> list[str]:
            return ids(reciprocal_rank_fusion([ids(d), ids(lx)], k=RRF_K, weights=[w, 1.0]))

        held: list[float] = [0.0] * len(shape_runs)
        chosen = []
        for parity in (0, 1):
            train = [i for i in range(len(shape_runs)) if i % 2 == parity]
            test = [i for i in range(len(shape_runs)) if i % 2 != parity]
            best = max(WEIGHTS, key=lambda w: statistics.mean(
                ndcg(weighted(w, shape_runs[i][0], shape_runs[i][1]), shape_runs[i][2]) for i in train))
            chosen.append(best)
            for i in test:
                held[i] = ndcg(weighted(best, shape_runs[i][0], shape_runs[i][1]), shape_runs[i][2])
        rows.append([f"RRF, dense weight cross-validated (chose {' / '.join(map(str, chosen))})",
                     f"{statistics.mean(held):.3f}", "-", "-"])
        print(f"## {shape}\n")
        print(markdown_table(["fusion", "nDCG@10", "recall_all@5", f"nDCG@10, questions {SEEN + 1}+"], rows))
        print()


if __name__ == "__main__":
    main()
