"""The one contract every embedder meets, and the embedders that are not the offline default.

The index only ever calls :meth:`Embedder.embed` and reads ``name``/``dim``: ``name`` is stored
with the index so vectors from two different models are never mixed (opening an index with
another embedder raises :class:`~learning_fs.index.errors.IndexMismatchError`). Vectors are
L2-normalised by contract, so cosine similarity is a dot product and scores from different
partitions of the index are comparable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import openai

#: Output sizes of the OpenAI models people configure most; anything else must pass ``dim``.
OPENAI_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. ``name`` identifies the vector space, ``dim`` its size."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return float32 ``[len(texts), dim]``, each row L2-normalised, in input order."""
        ...


def l2_normalise(vectors: Any) -> np.ndarray:
    """Rows scaled to unit length as float32 (zero rows stay zero rather than becoming NaN)."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.clip(norms, 1e-12, None)


def default_embedder() -> Embedder:
    """The offline default (all-MiniLM-L6-v2 int8), loaded and hash-checked on each call."""
    from learning_fs.index.minilm import MiniLMEmbedder

    return MiniLMEmbedder()


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/embeddings`` endpoint (OpenAI, a local server via ``base_url``).

    Requests are batched (``batch_size`` inputs each) and the answer is re-ordered by its
    ``index`` field, because the API does not promise to answer in input order.
    """

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        dim: int | None = None,
        batch_size: int = 256,
        client: openai.OpenAI | None = None,
    ) -> None:
        if dim is None and model not in OPENAI_DIMS:
            raise ValueError(f"pass dim= for embedding model {model!r} (its output size is not known here)")
        if client is None:
            import openai

            client = openai.OpenAI(base_url=base_url, api_key=api_key)
        self._client = client
        self.model = model
        self.name = f"openai:{model}"
        self.dim = dim if dim is not None else OPENAI_DIMS[model]
        self._batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts through the endpoint, ``batch_size`` per request."""
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            response = self._client.embeddings.create(model=self.model, input=batch)
            ordered = sorted(response.data, key=lambda item: item.index)
            rows.extend(item.embedding for item in ordered)
        return _checked(l2_normalise(rows) if rows else np.zeros((0, self.dim), np.float32), self)


class FunctionEmbedder:
    """Adapts any Chroma ``EmbeddingFunction`` (or a plain ``list[str] -> vectors`` callable).

    The index never hands an embedding function to Chroma itself: Chroma's default one downloads
    a model on first use. Wrapping keeps every embedding call in this package, where the vectors
    are normalised and their size checked. ``dim`` is probed with one call when not given.
    """

    def __init__(self, function: Callable[[Sequence[str]], Any], *, name: str | None = None, dim: int | None = None):
        self._function = function
        self.name = name or _function_name(function)
        self.dim = dim if dim is not None else int(l2_normalise(function(["dimension probe"])).shape[1])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Call the wrapped function and normalise its output."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _checked(l2_normalise(self._function(texts)), self)


def _function_name(function: Callable[..., Any]) -> str:
    namer = getattr(function, "name", None)
    if callable(namer):
        try:
            return f"chroma:{namer()}"
        except TypeError:  # an instance method that wants arguments: not Chroma's static name()
            pass
    return f"function:{type(function).__qualname__}"


def _checked(vectors: np.ndarray, embedder: Embedder) -> np.ndarray:
    if vectors.ndim != 2 or vectors.shape[1] != embedder.dim:
        raise ValueError(f"{embedder.name} returned vectors of shape {vectors.shape}, expected [n, {embedder.dim}]")
    return vectors
