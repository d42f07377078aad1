"""Reciprocal rank fusion: combine rankings whose scores are not comparable.

BM25 scores are unbounded and cosine similarities live in [-1, 1]; RRF uses only ranks,
``score(d) = sum_i w_i / (k + rank_i(d))``, so an entry found by only one ranking still gets
a score (a hybrid search returns results when only one side matches) and one found by both rises.
The constant ``k`` flattens the head of each list. 60 (Cormack et al. 2009) was set for
1000-deep TREC runs; here each side contributes ~50 candidates and on the LongMemEval sample
(59 questions) every k from 1 to 8 gave recall_all@5 0.898-0.915 against 0.864 for k=60
(BM25 alone 0.881, dense alone 0.831). 5 sits in the middle of that plateau; the measurements
and a two-fold check are printed by bench/retrieval_bench.py.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 5


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
