"""Lexical relevance: a tokenizer and Okapi BM25, small enough to run per request.

Used where the candidates are few and already in memory (one user's memories) and by the
lexical fallback searcher. No stemming library: lower-casing, dropping stop words and a plural
``s`` catch most of what matters for short notes, and the semantic index handles the rest.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = """a an and are as at be by do does for from has have how i in is it its me my of on or our so that the their
them there they this to was we what when where which who why will with you your"""
STOP_WORDS = frozenset(_STOP.split())
K1 = 1.2
B = 0.75


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words; a trailing plural ``s`` is dropped."""
    tokens = []
    for word in _WORD.findall(text.casefold()):
        if word in STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        tokens.append(word)
    return tokens


def bm25_scores(query: Sequence[str], docs: Sequence[Counter[str]],
                lengths: Sequence[int] | None = None) -> list[float]:
    """BM25 score of each document (term counts) for the query terms; 0.0 for no shared term."""
    if not docs or not query:
        return [0.0] * len(docs)
    lengths = lengths if lengths is not None else [sum(doc.values()) for doc in docs]
    average = (sum(lengths) / len(lengths)) or 1.0
    terms = set(query)
    count = len(docs)
    idf = {}
    for term in terms:
        df = sum(1 for doc in docs if term in doc)
        if df:
            idf[term] = math.log(1.0 + (count - df + 0.5) / (df + 0.5))
    scores = []
    for doc, length in zip(docs, lengths, strict=True):
        score = 0.0
        norm = K1 * (1.0 - B + B * length / average)
        for term, weight in idf.items():
            tf = doc.get(term)
            if tf:
                score += weight * tf * (K1 + 1.0) / (tf + norm)
        scores.append(score)
    return scores
