"""Reciprocal rank fusion: combine rankings whose scores are not comparable.

BM25 scores are unbounded and cosine similarities live in [-1, 1]; RRF uses only ranks,
``score(d) = sum_i w_i / (k + rank_i(d))``, so an entry found by only one ranking still gets
a score (hybrid search never returns less than its best side) and an entry found by both rises.
The constant ``k`` (60 in Cormack et al. 2009) flattens the head of each list; the default here
was checked on the LongMemEval sample (see bench/retrieval_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fused (id, score) pairs, best first; ties keep the order of first appearance."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
