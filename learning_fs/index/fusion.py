"""Fusing the dense and BM25 rankings: the engine's score fusion with a dense confidence check, and RRF.

The engine fuses with :func:`checked_fusion` (scaled scores, the dense leg weighted by how sure
its best hit is): on the development data it ranks at or above the better leg in every shape
measured, where equal-weight RRF fell below BM25 on long memories (bench/fusion_bench.py,
docs/search.md). :func:`reciprocal_rank_fusion` stays for callers fusing rankings without scores.

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


#: The dense confidence check, in cosine similarity of the default embedder (MiniLM): a best
#: dense hit at or below ``DENSE_FLOOR`` is what unrelated texts score (the dense leg knows
#: nothing: BM25 alone decides), one at ``DENSE_SURE`` or above is a real match (plain RRF).
#: On the LongMemEval sample the best session scores 0.40 on average and a whole multi-topic
#: long memory 0.17 (bench/fusion_bench.py). An embedder with another scale sets
#: ``cosine_scale = (floor, sure)``.
DENSE_FLOOR = 0.10
DENSE_SURE = 0.40


def dense_weight(best_similarity: float, floor: float = DENSE_FLOOR, sure: float = DENSE_SURE) -> float:
    """How much the dense ranking counts, from 0 (its best hit is noise) to 1 (a clear match)."""
    if sure <= floor:
        return 1.0
    return min(1.0, max(0.0, (best_similarity - floor) / (sure - floor)))


def checked_fusion(
    dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]],
    floor: float = DENSE_FLOOR, sure: float = DENSE_SURE,
) -> list[tuple[str, float]]:
    """Score fusion of the two legs, the dense one weighted by how sure its best hit is.

    Each leg's scores are scaled to [0, 1] over its candidates (min-max; an entry a leg did not
    return scores 0 there) and summed, the dense leg's weighted by :func:`dense_weight`:
    ``score = w * dense + (1 - w) * bm25`` with ``w = dense_weight(best cosine) / 2``, so two sure
    legs count equally and a dense leg whose best hit is noise counts for nothing. Scores keep
    what ranks throw away (a BM25 winner far ahead of the rest stays ahead); the check keeps
    min-max from stretching a flat dense ranking — a long, multi-topic text is a little similar
    to every question and clearly to none — into confident-looking [0, 1] scores that pull BM25's
    clear winners down. On the development data this ranks at or above the better leg in every
    shape measured, where equal-weight RRF fell below BM25 on long memories (bench/fusion_bench.py).
    ``dense`` holds (id, cosine similarity), ``lexical`` (id, BM25 score), both best first.
    """
    weight = 0.5 * dense_weight(dense[0][1], floor, sure) if dense else 0.0
    scores: dict[str, float] = {}
    for run, share in ((dense, weight), (lexical, 1.0 - weight)):
        if not run or share <= 0:
            continue
        high, low = max(s for _, s in run), min(s for _, s in run)
        for item, score in run:
            scaled = (score - low) / (high - low) if high > low else 1.0
            scores[item] = scores.get(item, 0.0) + share * scaled
    for item, _ in dense:  # a dense-only hit with no weight still comes back, after the others
        scores.setdefault(item, 0.0)
    return sorted(scores.items(), key=lambda pair: -pair[1])
