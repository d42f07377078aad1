"""The embedders: the offline MiniLM (quality sanity, integrity checks) and the pluggable ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from learning_fs.index import Embedder, FunctionEmbedder, MiniLMEmbedder, ModelIntegrityError, OpenAIEmbedder
from learning_fs.index.minilm import MODEL_SHA256, default_model_path, tokenizer_path, verify_file

PARAPHRASES = [
    ("How do I reset my password?", "I forgot my password, how can I change it?"),
    ("We decided to use PostgreSQL for the billing service.", "The billing service will store its data in Postgres."),
    ("The deploy failed because the Docker image was too large.", "Deployment broke: the container image was too big."),
    ("She prefers tea over coffee in the morning.", "In the mornings she would rather drink tea than coffee."),
]
UNRELATED = [
    "The stock market fell sharply on Tuesday.",
    "Photosynthesis converts light into chemical energy.",
    "Use a torque wrench to tighten the wheel bolts.",
    "The recipe needs two eggs and a cup of flour.",
]


def test_minilm_vectors_are_unit_float32_in_input_order(embedder: MiniLMEmbedder) -> None:
    texts = ["a short one", "a much longer sentence " * 20, ""]
    vectors = embedder.embed(texts)
    assert isinstance(embedder, Embedder)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching with padding must not change a text's vector (the mask excludes the padding).
    np.testing.assert_allclose(vectors[0], embedder.embed(["a short one"])[0], atol=1e-4)


def test_minilm_ranks_paraphrases_above_unrelated_sentences(embedder: MiniLMEmbedder) -> None:
    left = embedder.embed([a for a, _ in PARAPHRASES])
    right = embedder.embed([b for _, b in PARAPHRASES])
    unrelated = embedder.embed(UNRELATED)
    paired = (left * right).sum(axis=1)
    assert paired.min() > 0.6
    assert paired.min() > (left @ unrelated.T).max() + 0.3
    assert ((left @ right.T).argmax(axis=1) == np.arange(len(PARAPHRASES))).all()


def test_minilm_refuses_a_model_file_that_does_not_match_the_pinned_hash(tmp_path: Path) -> None:
    tampered = tmp_path / "model.onnx"
    shutil.copyfile(default_model_path(), tampered)
    with tampered.open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        MiniLMEmbedder(model_path=tampered)
    with pytest.raises(ModelIntegrityError, match="not found"):
        MiniLMEmbedder(model_path=tmp_path / "missing.onnx")


def test_installed_model_and_vendored_tokenizer_match_their_pins(tmp_path: Path) -> None:
    assert verify_file(default_model_path(), MODEL_SHA256, "model") == default_model_path()
    edited = tmp_path / "tokenizer.json"
    data = json.loads(tokenizer_path().read_text())
    data["model"]["vocab"]["hello"] = 1
    edited.write_text(json.dumps(data))
    from learning_fs.index.minilm import TOKENIZER_SHA256

    verify_file(tokenizer_path(), TOKENIZER_SHA256, "tokenizer")
    with pytest.raises(ModelIntegrityError):
        verify_file(edited, TOKENIZER_SHA256, "tokenizer")


def _fake_openai(requests: list[dict]) -> openai.OpenAI:
    """An OpenAI client whose HTTP transport answers /embeddings locally, in reversed order."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 1.0, 0.0]}
            for i, text in enumerate(body["input"])
        ]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": data[::-1],
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            },
        )

    return openai.OpenAI(
        api_key="test",
        base_url="http://embeddings.test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_openai_embedder_batches_restores_order_and_normalises() -> None:
    requests: list[dict] = []
    embedder = OpenAIEmbedder("local-model", dim=3, batch_size=2, client=_fake_openai(requests))
    vectors = embedder.embed(["a", "bbb", "cc"])
    assert [r["input"] for r in requests] == [["a", "bbb"], ["cc"]]
    assert requests[0]["model"] == "local-model"
    expected = np.array([[1, 1, 0], [3, 1, 0], [2, 1, 0]], dtype=np.float32)
    np.testing.assert_allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True), rtol=1e-6)
    assert embedder.name == "openai:local-model" and embedder.dim == 3


def test_openai_embedder_needs_a_dimension_for_unknown_models() -> None:
    with pytest.raises(ValueError, match="dim"):
        OpenAIEmbedder("my-own-model", client=_fake_openai([]))
    assert OpenAIEmbedder("text-embedding-3-small", client=_fake_openai([])).dim == 1536


class CountingFunction:
    """Shaped like a Chroma ``EmbeddingFunction``: callable on a list of texts, static ``name()``."""

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        return [np.array([len(t), 2.0], dtype=np.float32) for t in input]

    @staticmethod
    def name() -> str:
        return "counting"


def test_function_embedder_adapts_a_chroma_style_embedding_function() -> None:
    embedder = FunctionEmbedder(CountingFunction())
    assert embedder.name == "chroma:counting" and embedder.dim == 2
    vectors = embedder.embed(["ab", "abcd"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert embedder.embed([]).shape == (0, 2)
