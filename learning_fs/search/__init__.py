"""Search behind one interface: the lexical fallback now, the semantic index (same protocol) later."""

from learning_fs.search.lexical import LexicalSearcher
from learning_fs.search.protocol import Searcher, SearchHit, visible_to
from learning_fs.search.scoring import bm25_scores, tokenize

__all__ = ["LexicalSearcher", "SearchHit", "Searcher", "bm25_scores", "tokenize", "visible_to"]
