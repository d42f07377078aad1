"""Fusion that does not rank below its better leg, and one query embedding per turn."""

from __future__ import annotations

from typing import Any

from learning_fs.index import SearchIndex
from learning_fs.index.fusion import DENSE_FLOOR, DENSE_SURE, checked_fusion, dense_weight, reciprocal_rank_fusion
from tests.index.conftest import DocFactory


def test_a_flat_dense_leg_cannot_pull_a_clear_bm25_winner_down() -> None:
    lexical = [("answer", 12.0), ("b", 3.0), ("c", 2.5)]
    noise = [("b", 0.12), ("c", 0.11), ("d", 0.11), ("answer", 0.10)]  # what unrelated texts score
    plain = [i for i, _ in reciprocal_rank_fusion([[i for i, _ in noise], [i for i, _ in lexical]], k=5)]
    assert plain[0] == "b"  # equal-weight RRF: the dense noise wins
    assert checked_fusion(noise, lexical)[0][0] == "answer"


def test_a_sure_dense_leg_counts_as_much_as_bm25() -> None:
    dense = [("para", 0.62), ("x", 0.30), ("y", 0.20)]
    lexical = [("x", 5.0), ("z", 1.0)]
    fused = dict(checked_fusion(dense, lexical))
    assert fused["para"] == 0.5 and fused["x"] == 0.5 * (0.10 / 0.42) + 0.5 and fused["z"] == 0.0
    assert dense_weight(DENSE_SURE) == 1.0 and dense_weight(DENSE_FLOOR) == 0.0
    assert 0 < dense_weight((DENSE_FLOOR + DENSE_SURE) / 2) < 1
    assert checked_fusion([], lexical) == [("x", 1.0), ("z", 0.0)]
    assert [i for i, _ in checked_fusion([("only", 0.05)], [])] == ["only"]  # a dense-only hit still comes back


def test_the_stores_of_one_turn_share_one_query_embedding(index: SearchIndex, make_doc: DocFactory) -> None:
    index.upsert([make_doc("a", "Retry S3 uploads with backoff", kind="learning"),
                  make_doc("b", "Acme runs PostgreSQL", kind="entity")])
    calls: list[list[str]] = []
    embed = index.embedder.embed

    def counting(texts: list[str]) -> Any:
        calls.append(texts)
        return embed(texts)

    index.embedder.embed = counting  # type: ignore[method-assign]
    try:
        for kind in ("learning", "entity", "decision", "memories"):
            index.search("what to do when uploads fail", kind=kind)
        index.search("another question")
    finally:
        index.embedder.embed = embed  # type: ignore[method-assign]
    assert calls == [["what to do when uploads fail"], ["another question"]]
