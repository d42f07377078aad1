"""Grounded saves: refuse a write tool's arguments that the turn does not support.

Measured on a real 135M model behind llama.cpp, extraction committed whatever came back: an
empty profile name, an id (``m-0a1b2c3d4e``) as a memory, the tool's own argument description
(``The new text of the memory.``) as a memory, a URL nobody said. This module checks every free-text
argument of a write call *before* the tool runs:

1. not empty (an empty optional argument is dropped, not refused; a call left with nothing is);
2. not id-shaped (``m-0a1b2c3d4e``, a UUID, ``call_1``, a long hex string);
3. not a placeholder (``string``, ``N/A``, ``<memory>``, ``{value}``, ``...``, the argument's own name);
4. not a copy of the tool's descriptions (its summary or an argument's description, fuzzily);
5. supported by the turn: the share of its content words found in the conversation (exactly, by
   stem or by a shared 5-letter prefix) is at least ``threshold``, and every *specific* token —
   a URL, an e-mail address, a number, a capitalised name after the first word — occurs in it.

The check is lexical on purpose: it needs only strings (no model, no index), takes microseconds,
and ``bench/extraction_bench.py`` measures it on a labelled set (junk accepted, good rejected).
Ids (``*_id``), enumerations and search arguments are not checked (see :data:`UNCHECKED`).
A refusal says why in words the model can act on; the tool answers ``Error: …`` and writes nothing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_THRESHOLD = 0.5
"""Share of a value's content words the turn must contain (``StoreConfig.grounding``; 0 turns it off)."""

CONVERSATION_CHARS = 24_000
"""Characters of an agent's conversation a tool call is checked against, newest first (a bound on the work)."""
SYSTEM_CHARS = 6_000
"""Of those, at most this many from system messages (the recalled memory the agent was shown)."""

UNCHECKED = frozenset({
    "limit", "query", "quality", "entity_type", "relation", "namespace", "date", "supersedes", "tags",
    "category", "kind", "mode", "confidence", "alternatives",
})
"""Arguments that are labels, enumerations or references rather than claims about the turn."""
REASONS = frozenset({"reasoning", "context", "why", "rationale"})
"""Arguments that hold the model's own reasoning: shape-checked, and names, numbers and URLs in them
must occur in the turn, but their words need not (a reason is an inference, not a quote)."""

_ID = re.compile(
    r"^(?:[a-z]{1,12}[-_][0-9a-f]{6,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|call_\w+|[0-9a-f]{12,}|[a-z]+-\d{3,}|id[-_:]?\w*\d\w*)$",
    re.IGNORECASE,
)
_PLACEHOLDER_WORDS = frozenset({
    "string", "str", "text", "value", "none", "null", "nil", "n/a", "na", "undefined", "unknown", "todo", "tbd",
    "example", "placeholder", "memory", "fact", "name", "description", "title", "summary", "content", "data",
    "test", "foo", "bar", "baz", "xxx", "lorem ipsum", "your text here", "insert text here", "sample",
    "something", "anything", "info", "information", "details", "note", "empty", "default", "true", "false",
})
_PLACEHOLDER_SHAPES = re.compile(
    r"^(?:<[^<>]*>|\{[^{}]*\}|\[[^\[\]]*\]|\$\{?\w+\}?|%\w+%|\.{2,}|…+|[-_?*#.]+|x{2,})$", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_STOP_WORDS = """
a an the and or but if then so of to in on at by for with from as into onto about over under after before
is are was were be been being am do does did has have had having will would shall should can could may
might must this that these those it its it's they them their there here he she him her his hers we us our
you your i me my mine not no yes very really just also too more most less least some any all each every
which who whom whose what when where why how than such only own same other again once both few many much
user user's users person people they'd he's she's someone s t re ve ll d m
prefers prefer preferred likes like liked wants want wanted needs need needed uses use used usually
always never often sometimes currently now still already new wants
"""
_STOP = frozenset(_STOP_WORDS.split())
_LEGAL_FORMS = frozenset({"corp", "corporation", "inc", "ltd", "llc", "gmbh", "ag", "sa", "plc", "co", "company",
                          "group", "bv", "srl", "oy", "ab", "as"})
"""Added to a company's name without being said ("Acme" -> "Acme Corp"): not a new name."""
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "ers", "er", "ed", "es", "ly", "s")


@dataclass(frozen=True)
class Verdict:
    """The result of checking one tool call: ``ok``, else ``reason`` (said to the model and logged)."""

    ok: bool
    reason: str | None = None
    arguments: Mapping[str, Any] | None = None  # the arguments to run the tool with (empty optionals dropped)


class Grounder:
    """Checks write calls against one turn's text (``support``); ``None`` skips the support check.

    Build one per turn: the conversation's words are indexed once and every call of the turn is
    checked against them.
    """

    def __init__(self, support: str | None, threshold: float = DEFAULT_THRESHOLD, *, whole_turn: bool = True) -> None:
        self.support = support or ""
        self.threshold = threshold
        # Only the user's message is known (an agent's tool call mid-turn: its own reasoning and tool
        # results are not): the shape checks apply, the support check needs the whole turn.
        self.whole_turn = whole_turn
        self._words = {_fold(w) for w in _WORD.findall(self.support)}
        self._stems = {_stem(w) for w in self._words}
        self._prefixes = {w[:5] for w in self._words if len(w) >= 5}
        self._folded = _fold(self.support)

    def check(self, arguments: Mapping[str, Any], *, required: Iterable[str] = (),
              descriptions: Mapping[str, str] | None = None, summary: str = "") -> Verdict:
        """Check a call's arguments; ``descriptions``: ``{argument: description}`` from the tool's docstring."""
        descriptions = dict(descriptions or {})
        required = set(required)
        texts = [summary, *descriptions.values()]
        kept: dict[str, Any] = {}
        checked = 0
        for name, value in arguments.items():
            if name in UNCHECKED or name == "id" or name.endswith("_id") or not isinstance(value, str):
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, str) and (problem := self._shape(item, name, texts)):
                            return Verdict(False, f"{name} item {item!r}: {problem}")
                kept[name] = value
                continue
            if not value.strip():
                if name in required:
                    return Verdict(False, f"{name} is empty")
                continue  # an empty optional argument means "not given"
            problem = self._shape(value, name, texts) or self._unsupported(
                value, words=self.whole_turn and name not in REASONS)
            if problem:
                return Verdict(False, f"{name} {problem}")
            kept[name] = value
            checked += 1
        if not checked and not kept:
            return Verdict(False, "every value is empty")
        return Verdict(True, None, kept)

    # -- the checks ---------------------------------------------------------------------------
    @staticmethod
    def _shape(value: str, name: str, descriptions: list[str]) -> str | None:
        """Empty, id, placeholder or description copy: junk whatever the turn says."""
        text = " ".join(value.split())
        if not text:
            return "is empty"
        plain = text.strip(" .!?:;\"'`").lower()
        if not plain:
            return "is empty"
        if _ID.match(plain):
            return f"{text!r} looks like an id, not a value"
        if plain in _PLACEHOLDER_WORDS or _PLACEHOLDER_SHAPES.match(plain) or plain == name.lower().replace("_", " "):
            return f"{text!r} is a placeholder, not a value"
        folded = fold_value(text)
        for description in descriptions:
            for part in _parts(description):
                if len(part) >= 12 and (folded == part or difflib.SequenceMatcher(None, folded, part).ratio() >= 0.85):
                    return f"{text!r} copies the tool's description instead of saying something from the conversation"
        return None

    def _unsupported(self, value: str, *, words: bool = True) -> str | None:
        """Why the turn does not support ``value`` (``None``: it does, or there is no turn to ask)."""
        if not self.support.strip() or self.threshold <= 0 or not self.whole_turn:
            return None
        for token in self._specific(value):
            if not self._mentions(token):
                return f"mentions {token!r}, which the conversation does not"
        if not words:
            return None
        content = [w for w in (_fold(w) for w in _WORD.findall(value)) if w not in _STOP and not w.isdigit()]
        if not content:
            return None
        found = sum(1 for w in content if self._has(w))
        if found / len(content) < self.threshold:
            missing = [w for w in content if not self._has(w)][:4]
            return (f"is not supported by the conversation ({found} of {len(content)} words found; "
                    f"missing: {', '.join(missing)})")
        return None

    def _has(self, word: str) -> bool:
        return (word in self._words or _stem(word) in self._stems
                or (len(word) >= 5 and word[:5] in self._prefixes))

    def _mentions(self, token: str) -> bool:
        folded = _fold(token).rstrip("/.")
        return folded in self._folded or (folded.endswith("'s") and folded[:-2] in self._folded)  # "Alice's"

    @staticmethod
    def _specific(value: str) -> list[str]:
        """URLs, e-mail addresses, numbers and capitalised names after the first word: must occur verbatim."""
        found = _URL.findall(value) + _EMAIL.findall(value)
        rest = _EMAIL.sub(" ", _URL.sub(" ", value))
        found += [n for n in _NUMBER.findall(rest) if len(n) > 1 or not found]
        words = _WORD.findall(rest)
        for index, word in enumerate(words):
            if (index and word[:1].isupper() and _fold(word) not in _STOP and len(word) > 1
                    and _fold(word) not in _LEGAL_FORMS):
                found.append(word)
        return found


class ConversationGrounder:
    """Checks an agent's tool calls against the conversation it is in, read when each call is made.

    An agent calls a save mid-run: by then it has read the session's earlier messages, the user's
    message and tool results (a search it learned from), none of which the tool saw when it was
    built. ``conversation()`` returns that transcript (the tool loop's, ``None`` outside a loop);
    each check uses ``base`` (the user's message and id, what the caller said the turn is) plus
    :func:`conversation_text` of it, so a name said three messages ago is supported and one nobody
    said is not. The word index is rebuilt only when the transcript has grown. ``own_words``: the
    text of the reply that makes the call counts too (see :func:`conversation_text`).
    """

    def __init__(self, base: str | None, threshold: float,
                 conversation: Callable[[], Sequence[Mapping[str, Any]] | None], *, own_words: bool = False) -> None:
        self.base = base or ""
        self.threshold = threshold
        self.own_words = own_words
        self._conversation = conversation
        self._key: tuple[int, int] | None = None
        self._grounder = Grounder(self.base, threshold)

    def check(self, arguments: Mapping[str, Any], *, required: Iterable[str] = (),
              descriptions: Mapping[str, str] | None = None, summary: str = "") -> Verdict:
        """:meth:`Grounder.check` against the base text and the conversation as it is now."""
        return self.grounder().check(arguments, required=required, descriptions=descriptions, summary=summary)

    def grounder(self) -> Grounder:
        """The :class:`Grounder` for the conversation as it stands (rebuilt when it has grown)."""
        messages = self._conversation()
        key = (id(messages), len(messages)) if messages else None
        if key != self._key:
            said = conversation_text(messages or (), own_words=self.own_words)
            self._grounder = Grounder("\n".join(part for part in (self.base, said) if part), self.threshold)
            self._key = key
        return self._grounder


def conversation_text(messages: Sequence[Mapping[str, Any]], limit: int = CONVERSATION_CHARS, *,
                      own_words: bool = False) -> str:
    """The text of a tool loop's transcript a save may be grounded in, newest first up to ``limit``.

    User messages, the assistant's earlier replies and the tool results it read count. Left out:
    the arguments of tool calls (a value never supports itself), the text of the reply that makes
    the call being checked (the last assistant message: the model's own words in the same breath
    are not evidence), and tool results that begin with ``Error`` (a refusal quotes the refused
    value, so a retry would "find" it there). System messages (instructions, the recalled memory)
    count for at most :data:`SYSTEM_CHARS`. ``own_words`` keeps the calling reply's text: a learning
    or a decision is the agent's own conclusion, and saying it beside the call is saying it.
    """
    last_assistant = -1 if own_words else max(
        (i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
    kept: list[str] = []
    left, system_left = limit, SYSTEM_CHARS
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        role = message.get("role")
        if index == last_assistant or role not in ("user", "assistant", "tool", "system"):
            continue
        text = _text(message.get("content"))
        if not text or (role == "tool" and text.lstrip().startswith("Error")):
            continue
        if role == "system":
            text = text[:system_left]
            system_left -= len(text)
            if not text:
                continue
        text = text[-left:] if len(text) > left else text
        kept.append(text)
        left -= len(text)
        if left <= 0:
            break
    return "\n".join(reversed(kept))


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


def _fold(text: str) -> str:
    """Lower case without accents and with one kind of apostrophe: "Zürich" matches "zurich"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stem = stem[:-1]  # running -> run, planned -> plan
            return stem
    return word


def _parts(description: str) -> list[str]:
    """A description and its clauses, folded: a model copies "The new text of the memory" or half of one.

    Examples (``e.g. "Prefers answers in German"``) are left out: saying the example is junk only
    when the turn does not support it, which the support check decides.
    """
    folded = fold_value(re.split(r"\be\.g\.|\bfor example\b", description, maxsplit=1, flags=re.IGNORECASE)[0])
    folded = folded.rstrip(" ,(")
    parts = [folded] if folded else []
    for piece in re.split(r"[.;:]\s+|\(|\)", folded):
        piece = piece.strip(" .,\"'")
        if piece and piece not in parts:
            parts.append(piece)
    return parts


def fold_value(value: str) -> str:
    """The normalised form grounding compares (for tests and benches)."""
    return _fold(" ".join(value.split())).strip(" .")
