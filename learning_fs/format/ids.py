"""Stable record and item ids.

Ids are short, typed by a prefix a person recognises (``lrn-…`` is a learning) and never change
when a record is renamed or edited, so history, review and curation can point at them. Items a
person adds by hand without an id get one derived from their text, so parsing the same file
twice gives the same ids.
"""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: no i, l, o, u

PREFIXES = {
    "profile": "usr",
    "memories": "mem",
    "session": "ses",
    "entity": "ent",
    "learning": "lrn",
    "decision": "dec",
    "instructions": "ins",
    "feedback": "fb",
    "memory": "m",
    "fact": "f",
    "event": "e",
    "relationship": "r",
    "step": "p",
    "progress": "g",
    "alternative": "a",
    "rule": "rule",
}


def _encode(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 32)
        chars.append(_ALPHABET[rem])
    return "".join(chars)


def new_id(kind: str) -> str:
    """A fresh random id (50 bits: collision odds ~1e-5 at 100k records of one kind)."""
    return f"{PREFIXES.get(kind, kind)}-{_encode(secrets.token_bytes(8), 10)}"


def path_id(kind: str, path: str) -> str:
    """The id of a hand-written record that has none yet, derived from where it is.

    Reading the same note twice gives the same id, so search and recall can point at it before
    anything is written; the library writes it into the file the first time it changes the note
    (and ``learning-fs validate --fix`` does so at once).
    """
    digest = hashlib.sha256(f"path\0{path}".encode("utf-8", "surrogatepass")).digest()
    return f"{PREFIXES.get(kind, kind)}-{_encode(digest, 10)}"


def content_id(kind: str, text: str) -> str:
    """A deterministic id for an item that arrived without one (a line typed by a person)."""
    digest = hashlib.sha256(" ".join(text.split()).casefold().encode("utf-8", "surrogatepass")).digest()
    return f"{PREFIXES.get(kind, kind)}-{_encode(digest, 10)}"
