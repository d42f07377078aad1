"""Similar pairs without n² work, and a vector cache that embeds each text once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from learning_fs.curate import VectorCache, similar_pairs, vectors
from learning_fs.index import FunctionEmbedder


def _clustered(count: int, seed: int = 7) -> np.ndarray:
    """Unit vectors in topic clusters, with every 25th one nearly copied (the near-duplicates)."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(40, 64))
    data = topics[rng.integers(0, 40, count)] + rng.normal(size=(count, 64)) * 0.6
    for i in range(0, count - 1, 25):
        data[i + 1] = data[i] + rng.normal(size=64) * 0.05
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data.astype(np.float32)


def _brute_force(data: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    scores = data @ data.T
    return {(int(i), int(j)) for i, j in np.argwhere(np.triu(scores, 1) >= threshold)}


def test_small_sets_are_compared_exactly() -> None:
    data = _clustered(300)

    pairs = similar_pairs(data, 0.95)

    assert {(i, j) for i, j, _ in pairs} == _brute_force(data, 0.95)
    assert all(i < j for i, j, _ in pairs)
    assert [s for _, _, s in pairs] == sorted((s for _, _, s in pairs), reverse=True)


def test_blocking_finds_the_near_duplicates_of_a_large_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors, "EXACT_LIMIT", 200)  # force blocking on a set small enough to check
    data = _clustered(3000)
    expected = _brute_force(data, 0.95)

    found = {(i, j) for i, j, _ in similar_pairs(data, 0.95)}

    assert len(expected) >= 100
    assert found <= expected
    assert len(found) >= 0.95 * len(expected)


def test_the_cache_embeds_each_text_once_and_persists(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.array([[len(t), t.count("a") + 1.0, 1.0] for t in texts])

    embedder = FunctionEmbedder(embed, name="toy", dim=3)
    first = VectorCache(embedder, tmp_path)
    a = first.vectors(["alpha", "beta", "alpha"])
    again = VectorCache(embedder, tmp_path).vectors(["beta", "alpha", "gamma"])

    assert calls == [["alpha", "beta"], ["gamma"]]
    assert np.allclose(a[0], a[2]) and np.allclose(again[1], a[0], atol=1e-3)
    assert first.embedded == 2


def test_a_read_only_cache_writes_nothing(tmp_path: Path) -> None:
    embedder = FunctionEmbedder(lambda texts: np.ones((len(texts), 3)), name="ones", dim=3)

    VectorCache(embedder, tmp_path / "cache", read_only=True).vectors(["x"])

    assert not (tmp_path / "cache").exists()
