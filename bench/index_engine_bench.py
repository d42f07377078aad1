"""Search latency and bulk-upsert throughput of the search index at 10k and 100k entries.

Target: hybrid search p50 <= 25 ms at 100k entries with a namespace or user filter, query
embedding included, on the project's 2-core machine.

The corpus imitates a memory repository: texts are LongMemEval user turns (real sentences,
cycled, each tagged with its entry number), spread over shared namespaces (``global`` 40%,
``team-a`` 15%, ``team-b`` 10%, ``team-c`` 5%) and 300 users' private namespaces (30%), with 10%
of the entries superseded. Embedding 100k real texts would take hours on 2 cores, so the large
corpora use *precomputed* vectors: MiniLM vectors of 2,000 of the turns (computed once and
cached) plus Gaussian noise, picked by a hash of the text — no model call during the load. The
real embedder's throughput is measured separately on a sample of distinct turns.

Searches use the 59 LongMemEval questions as queries. "with embedding" is the full search as an
agent calls it; "without" repeats the same searches with the query vectors already computed
(a cache in front of the embedder), which isolates the index's own cost.

    python bench/index_engine_bench.py            # 10k and 100k entries (a few minutes)
    python bench/index_engine_bench.py --quick    # 2k and 10k entries, under a minute
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util` next to this script

from _util import CACHE_DIR, machine_line, markdown_table, p50_p95_ms

from learning_fs.index import IndexDoc, MiniLMEmbedder, SearchIndex
from learning_fs.index.minilm import load_tokenizer

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "longmemeval_s_dev.json.gz"
SHARED = [("global", 0.40), ("team-a", 0.15), ("team-b", 0.10), ("team-c", 0.05)]
USERS = 300
BASE_VECTORS = 2000


def load_text(path: Path) -> tuple[list[str], list[str]]:
    """Distinct user turns (the corpus texts) and the questions (the queries)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        items = json.load(f)
    turns = {t["content"] for item in items for s in item["haystack_sessions"] for t in s if t["role"] == "user"}
    return sorted(turns), [item["question"] for item in items]


class PrecomputedVectors:
    """Vectors without a model call: a cached real MiniLM vector (chosen by text hash) plus noise."""

    name = MiniLMEmbedder.name
    dim = MiniLMEmbedder.dim

    def __init__(self, bases: np.ndarray, noise: float = 0.02) -> None:
        self.bases = bases
        self.noise = noise

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            rng = np.random.default_rng(seed)
            out[row] = self.bases[seed % len(self.bases)] + rng.normal(0.0, self.noise, self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class QueryCache:
    """The real embedder behind a dict: a second search for the same text skips the model."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self.cache[t] for t in texts])


def base_vectors(turns: list[str], embedder: MiniLMEmbedder) -> np.ndarray:
    """MiniLM vectors of 2,000 turns, computed once and kept in the bench cache."""
    cache = CACHE_DIR / "index_engine_bench" / f"bases-{BASE_VECTORS}.npy"
    if cache.exists():
        return np.load(cache)
    sample = random.Random(7).sample(turns, BASE_VECTORS)
    vectors = embedder.embed(sample)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def corpus(turns: list[str], n: int, seed: int = 1) -> Iterator[IndexDoc]:
    """``n`` entries spread over namespaces, users, kinds and statuses (deterministic)."""
    rng = random.Random(seed)
    for i in range(n):
        roll = rng.random()
        namespace, user, kinds = "user", f"user-{rng.randrange(USERS)}", ("memories", "session", "profile")
        for name, share in SHARED:
            if roll < share:
                namespace, user, kinds = name, "", ("learning", "decision", "entity")
                break
            roll -= share
        meta = {
            "kind": rng.choice(kinds), "namespace": namespace, "user": user, "path": f"{namespace}/{user}/{i}.md",
            "record_id": f"r{i}", "item_id": "", "status": "superseded" if rng.random() < 0.1 else "active",
            "created": "2025-01-01", "updated": "2025-01-01", "blob": f"{i:040x}",
        }  # fmt: skip
        yield IndexDoc(f"e{i}", f"{turns[i % len(turns)]} (entry {i})", meta)


def timed_searches(index: SearchIndex, queries: list[str], **filters: object) -> list[float]:
    timings = []
    for query in queries:
        start = time.perf_counter()
        index.search(query, k=10, **filters)  # type: ignore[arg-type]
        timings.append(time.perf_counter() - start)
    return timings


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_size(
    n: int, turns: list[str], queries: list[str], bases: np.ndarray, model: MiniLMEmbedder, rows: list[list[str]]
) -> tuple[float, float]:
    """Build an index of ``n`` entries with precomputed vectors and time the searches; return (s, docs/s)."""
    with tempfile.TemporaryDirectory() as tmp:
        with SearchIndex.open(Path(tmp), embedder=PrecomputedVectors(bases)) as index:
            start = time.perf_counter()
            index.upsert(corpus(turns, n))
            load_seconds = time.perf_counter() - start
        user = "user-7"
        cases: list[tuple[str, dict[str, object]]] = [
            ("namespace=global (largest)", {"namespace": "global"}),
            ("namespace=team-b", {"namespace": "team-b"}),
            ("namespace=global, kind=decision", {"namespace": "global", "kind": "decision"}),
            ("user=U, namespace=user (private only)", {"user": user, "namespace": "user"}),
            ("user=U (all shared + U's private)", {"user": user}),
            ("no filter (all shared)", {}),
        ]
        embedder = QueryCache(model)
        with SearchIndex.open(Path(tmp), embedder=embedder) as index:
            index.search("warm up every collection", k=10, user=user, include_inactive=True)
            for label, filters in cases:
                embedder.cache.clear()
                with_embedding = p50_p95_ms(timed_searches(index, queries, **filters))
                without = p50_p95_ms(timed_searches(index, queries, **filters))
                dense = p50_p95_ms(timed_searches(index, queries, mode="dense", **filters))
                lexical = p50_p95_ms(timed_searches(index, queries, mode="lexical", **filters))
                rows.append(
                    [f"{n:,}", label, *(f"{v:.1f}" for v in (*with_embedding, *without)),
                     *(f"{v:.1f}" for v in (*dense, *lexical))]
                )  # fmt: skip
        return load_seconds, n / load_seconds


def real_embedder_throughput(turns: list[str], model: MiniLMEmbedder, n: int) -> tuple[float, float, int]:
    """Upsert ``n`` distinct turns with the real embedder: (docs/s, word pieces/s, pieces)."""
    sample = random.Random(3).sample(turns, n)
    pieces = sum(len(e.ids) for e in load_tokenizer().encode_batch(sample))
    template = next(corpus(["-"], 1)).metadata
    docs = [IndexDoc(f"s{i}", text, {**template, "path": f"s/{i}.md"}) for i, text in enumerate(sample)]
    with tempfile.TemporaryDirectory() as tmp, SearchIndex.open(Path(tmp), embedder=model) as index:
        start = time.perf_counter()
        index.upsert(docs)
        seconds = time.perf_counter() - start
    return n / seconds, pieces / seconds, pieces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="longmemeval_s_dev.json.gz")
    parser.add_argument("--quick", action="store_true", help="2k and 10k entries, fewer queries")
    args = parser.parse_args()

    turns, queries = load_text(args.data)
    sizes = (2_000, 10_000) if args.quick else (10_000, 100_000)
    if args.quick:
        queries = queries[::3]
    model = MiniLMEmbedder()
    bases = base_vectors(turns, model)
    rows: list[list[str]] = []
    loads: list[list[str]] = []
    for n in sizes:
        seconds, rate = measure_size(n, turns, queries, bases, model, rows)
        loads.append([f"{n:,}", "precomputed vectors", f"{seconds:.1f}", f"{rate:,.0f}", "-"])
        print(f"{n:,} entries done (peak RSS {rss_mb():.0f} MB)", file=sys.stderr, flush=True)
    sample = 60 if args.quick else 300
    rate, pieces_rate, pieces = real_embedder_throughput(turns, model, sample)
    loads.append([f"{sample}", f"real MiniLM ({pieces:,} word pieces)", f"{sample / rate:.1f}", f"{rate:,.1f}",
                  f"{pieces_rate:,.0f}"])  # fmt: skip

    print("# Search index engine")
    print(machine_line())
    print(f"load average at the end (1/5/15 min): {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(
        f"{len(queries)} queries per row, k=10; times in ms. p50/p95: hybrid search with the query embedded; "
        "no-embed: the same with query vectors cached; dense-only and lexical-only: no embedding either. "
        f"Peak RSS {rss_mb():.0f} MB.\n"
    )
    print(
        markdown_table(
            ["entries", "filter", "p50", "p95", "p50 no-embed", "p95 no-embed", "dense-only p50", "dense-only p95",
             "lexical p50", "lexical p95"],
            rows,
        )
    )  # fmt: skip
    print("\n## Bulk upsert\n")
    print(markdown_table(["entries", "vectors", "seconds", "entries/s", "word pieces/s"], loads))


if __name__ == "__main__":
    main()
