"""The search index: derived from the memory repository, rebuildable, offline by default.

``SearchIndex`` ranks entries by meaning (MiniLM vectors in Chroma) and by words (BM25 in
SQLite FTS5) and fuses both; it never reads git itself — a sync layer feeds it ``IndexDoc``s.
"""

from learning_fs.index.embeddings import Embedder, FunctionEmbedder, OpenAIEmbedder, default_embedder, l2_normalise
from learning_fs.index.errors import IndexMismatchError, ModelIntegrityError
from learning_fs.index.fusion import reciprocal_rank_fusion
from learning_fs.index.minilm import MiniLMEmbedder
from learning_fs.index.search_index import SearchIndex
from learning_fs.index.types import Hit, IndexDoc, Metadata, MetadataValue, SearchMode

__all__ = [
    "Embedder",
    "FunctionEmbedder",
    "Hit",
    "IndexDoc",
    "IndexMismatchError",
    "Metadata",
    "MetadataValue",
    "MiniLMEmbedder",
    "ModelIntegrityError",
    "OpenAIEmbedder",
    "SearchIndex",
    "SearchMode",
    "default_embedder",
    "l2_normalise",
    "reciprocal_rank_fusion",
]
