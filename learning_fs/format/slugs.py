"""Safe, human-readable path segments from arbitrary names.

User ids, entity names and namespaces come from people and from models. Anything that becomes
part of a path goes through :func:`slugify` (for names) or :func:`safe_segment` (for ids), which
only ever produce ``[a-z0-9-]`` segments: no ``..``, no separators, no NUL, no reserved device
names, no unicode look-alikes. :func:`safe_join` is the last line of defence and refuses any
result outside the repository.

Names in any script stay readable: letters are transliterated to ASCII (``text-unidecode``:
``Ølstykke`` → ``olstykke``, ``Łódź`` → ``lodz``, ``Москва`` → ``moskva``, ``東京`` →
``dong-jing``), where stripping accents alone used to drop them (``lstykke``,
``untitled-<hash>``). Only what has no transliteration at all (emoji, symbols) still falls back to
a hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from text_unidecode import unidecode

from learning_fs.errors import InvalidInputError, UnsafePathError

MAX_SLUG_LENGTH = 64
#: Longest user id, session id, namespace or entity name accepted (a path segment keeps 64).
MAX_NAME_LENGTH = 256
_BAD_IN_TEXT = re.compile("[\x00\ud800-\udfff]")
_BAD_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_SEGMENT = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,126}[a-z0-9])?$")
_HASH_LENGTH = 16  # hex digits (64 bits) that keep distinct identifiers apart
_HASHED = re.compile(rf"-[0-9a-f]{{{_HASH_LENGTH}}}$")
_WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def check_text(value: str, what: str, *, single_line: bool = False, max_length: int | None = None) -> str:
    """``value`` if it can be stored as UTF-8 text; else :class:`InvalidInputError` saying why and where.

    Lone surrogates (from a bad decode) cannot be written as UTF-8 at all and NUL ends strings in
    git and C tools, so neither is accepted anywhere. Names and ids (``single_line``) also refuse
    every other control character, which would be invisible in a listing or break a line.
    """
    text = str(value)
    if max_length is not None and len(text) > max_length:
        raise InvalidInputError(f"{what} is {len(text):,} characters long; the limit is {max_length:,}")
    found = (_BAD_IN_NAME if single_line else _BAD_IN_TEXT).search(text)  # C speed: this runs on every write
    if found is None:
        return text
    code, position = ord(found.group()), found.start()
    if 0xD800 <= code <= 0xDFFF:
        raise InvalidInputError(f"{what} holds a lone surrogate (U+{code:04X}) at position {position}: it is not "
                                "valid Unicode; decode the input with errors='replace'")
    raise InvalidInputError(f"{what} holds the control character U+{code:04X} at position {position}; remove it")


def short_hash(text: str, length: int = 8) -> str:
    """A stable hex digest used to keep distinct inputs apart after slugging."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def slugify(name: str, fallback: str = "untitled") -> str:
    """Turn a title or name into a readable ASCII slug (``"Café Ünïcode!"`` → ``cafe-unicode``).

    Letters of every script are transliterated (``"Łódź"`` → ``lodz``, ``"東京"`` → ``dong-jing``).
    Lossy on purpose: two names that differ only in case or accents share a slug, which is what
    people expect for titles (the layout keeps two such records apart with a hash suffix).
    Callers that need distinct inputs to stay distinct (user ids) use :func:`safe_segment`.
    """
    text = unicodedata.normalize("NFKC", check_text(name, "a name", single_line=True, max_length=4 * MAX_NAME_LENGTH))
    text = unidecode(text).casefold()
    slug = _NON_SLUG.sub("-", text).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rstrip("-")
    if not slug:
        # Nothing readable survived (e.g. only CJK or symbols): keep inputs apart by hash.
        return f"{fallback}-{short_hash(str(name))}"
    if slug in _WINDOWS_RESERVED:
        slug = f"{slug}-x"
    return slug


def legacy_slugify(name: str, fallback: str = "untitled") -> str:
    """The slug of releases before transliteration (accents stripped, other letters dropped).

    Files named that way stay where they are; lookups by name (``ops.find_entity``) also try this
    slug, so an entity written as ``lstykke.md`` is still found as "Ølstykke".
    """
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", text).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rstrip("-")
    if not slug:
        return f"{fallback}-{short_hash(str(name))}"
    return f"{slug}-x" if slug in _WINDOWS_RESERVED else slug


def safe_segment(identifier: str) -> str:
    """A path segment for an identifier that must stay *injective* (user ids, session ids, namespaces).

    An id that is already a clean slug is used as is, so ``alice`` lives in ``alice/``. Any other id
    gets its readable slug plus a 64-bit hash of the exact original, so ``Alice`` and ``alice`` or
    ``../alice`` never share a folder — a private memory can never be read by another user because
    their ids happen to slug alike. A clean id that *looks* hashed (ends in ``-`` and 16 hex
    digits) is hashed too, so nobody can pick the user id ``alice-<hash of "Alice">`` and land in
    Alice's folder; 64 bits keep a deliberately crafted hash collision out of reach.
    """
    raw = str(identifier)
    if not raw:
        raise UnsafePathError("an empty identifier cannot name a folder")
    check_text(raw, f"the identifier {raw[:40]!r}", single_line=True, max_length=MAX_NAME_LENGTH)
    slug = slugify(raw, fallback="id")
    if slug == raw and _SEGMENT.match(slug) and not _HASHED.search(slug):
        return slug
    base = slug[: MAX_SLUG_LENGTH - _HASH_LENGTH - 1].rstrip("-") or "id"
    return f"{base}-{short_hash(raw, _HASH_LENGTH)}"


def shard_of(slug: str) -> str:
    """Two hex characters that spread a folder of many files over 256 sub-folders.

    Measured on this project's machine: a commit that rewrites a flat 100k-entry tree costs
    ~144 ms, one that rewrites a ~400-entry shard costs well under a millisecond, so every folder
    that can grow with the number of users or records is sharded (see docs/format.md).
    """
    return short_hash(slug, 2)


def safe_join(root: str | Path, *segments: str) -> Path:
    """Join segments under ``root`` and refuse any result that would leave it."""
    root_path = Path(root).resolve()
    for segment in segments:
        if not segment or "\x00" in segment or "/" in segment or "\\" in segment or segment in {".", ".."}:
            raise UnsafePathError(f"unsafe path segment {segment!r}")
    candidate = root_path.joinpath(*segments).resolve()
    if candidate != root_path and root_path not in candidate.parents:
        raise UnsafePathError(f"{'/'.join(segments)!r} escapes {root_path}")
    return candidate


def check_relative_path(path: str) -> str:
    """Validate a repository-relative POSIX path given by a caller (CLI argument, API call)."""
    if not path or "\x00" in path or path.startswith("/") or "\\" in path:
        raise UnsafePathError(f"unsafe repository path {path!r}")
    parts = path.split("/")
    if any(part in {"", ".", ".."} for part in parts) or parts[0] == ".git":
        raise UnsafePathError(f"unsafe repository path {path!r}")
    return path
