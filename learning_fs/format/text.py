"""What "the same statement" means, once for the whole library.

The curator merges exact duplicates, ``check`` rejects them in pull requests and analytics counts
them over time; all three must agree, so they share this one definition: case, accents, spacing
and punctuation do not matter, but ``C++`` and ``C#`` stay apart from ``C``.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w+#]+")  # keep C++ and C# apart from C


def normalise(text: str) -> str:
    """Case-, accent-, spacing- and punctuation-insensitive form of ``text``."""
    text = str(text)
    if text.isascii():  # the common case, 10x faster: no compatibility forms, no accents to strip
        return " ".join(_NON_WORD.sub(" ", text.lower()).split())
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", folded).split())
