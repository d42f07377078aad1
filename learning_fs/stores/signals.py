"""Feedback signals read off a conversation by rules: corrections, re-asks, praise, tool errors.

No model is asked: a correction ("no, I said metric units"), a user asking the same thing again,
a "thanks, perfect" and a tool result that starts with ``Error`` are recognisable from the words,
and counting them must be cheap, deterministic and the same on every machine (the
self-improvement analyser counts patterns on what these rules return). What a correction asks
for is kept as ``about``: the wish in a few normalised words ("use metric units"), so corrections
of the same kind by different people in different sessions are counted together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CORRECTION_SCORE = -1.0
REASK_SCORE = -0.5
TOOL_ERROR_SCORE = -0.5
PRAISE_SCORE = 0.5
REASK_SIMILARITY = 0.7  # word overlap (Jaccard) above which a message asks the same thing again
QUOTE_LIMIT = 500

_OPENING = re.compile(
    r"^\W*(?:no(?!\W+(?:problem|worries|thanks|thank you|need|rush|hurry)\b)|nope|wrong|incorrect|not quite|"
    r"not like that|that'?s (?:not|wrong)|that is (?:not|wrong)|"
    r"actually|again)\b[\s,.!:;—–-]*", re.IGNORECASE)
_REPROACH = re.compile(
    r"\b(?:i (?:said|asked(?: you)?(?: for| to)?|told you(?: to)?|already said|meant)|as i said|"
    r"not what i (?:asked|said|wanted)|you forgot(?: to)?|you keep (?:forgetting|ignoring))\b", re.IGNORECASE)
_WISH = re.compile(
    r"\b(?:i (?:said|asked(?: you)?(?: for| to)?|told you(?: to)?|already said|meant|want(?:ed)?|need(?:ed)?|"
    r"prefer(?:red)?)|as i said|please|you forgot(?: to)?|you should(?: have)?|always)\b"
    r"[\s,:;—–-]*(?P<wish>[^.!?\n]+)", re.IGNORECASE)
_PRAISE = re.compile(r"^\W*(?:thanks|thank you|perfect|great|exactly|excellent|that'?s (?:right|it|perfect|great))\b",
                     re.IGNORECASE)
_ABBREVIATION = re.compile(r"\b(Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|vs|etc|approx)\.(?=\s)", re.IGNORECASE)
_LEADING = re.compile(r"^(?:(?:that|to|you|me|please|always|,)\s+)+", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOP = frozenset({"a", "an", "the", "to", "of", "in", "on", "for", "and", "or", "with", "me", "my", "i",
                   "you", "your", "it", "is", "are", "be", "please", "as", "at", "by", "from", "so", "this",
                   "that", "these", "those", "do", "does", "can", "could", "would", "should", "will", "just",
                   "also", "every", "all"})


@dataclass(frozen=True)
class Signal:
    """One detected signal: its kind, score (-1 … 1), what it is about, and the words it came from."""

    signal: str
    score: float
    about: str | None
    quote: str


def detect(message: str | None, previous: str | None = None) -> Signal | None:
    """What the user's ``message`` says about the previous answer (``previous``: their message before).

    A correction wins over a re-ask, a re-ask over praise; ``None`` when the message is just the
    next request.
    """
    text = " ".join(str(message or "").split())
    if not text:
        return None
    quote = text[:QUOTE_LIMIT]
    if _OPENING.match(text) or _REPROACH.search(text):
        return Signal("correction", CORRECTION_SCORE, wish(text), quote)
    if previous and similarity(text, previous) >= REASK_SIMILARITY:
        return Signal("reask", REASK_SCORE, None, quote)
    if _PRAISE.match(text):
        return Signal("praise", PRAISE_SCORE, None, quote)
    return None


def wish(text: str) -> str | None:
    """What a correction asks for, normalised ("No, I said use metric units!" → "use metric units")."""
    phrase = wish_phrase(text)
    return normalise(phrase) if phrase else None


def wish_phrase(text: str) -> str | None:
    """What a correction asks for, in the user's words and case ("use ISO dates (YYYY-MM-DD)")."""
    text = _ABBREVIATION.sub(r"\1", text)  # "Dr. Kim" is one name, not the end of a sentence
    match = _WISH.search(text)
    if match:
        phrase = match.group("wish")
    else:
        phrase = _OPENING.sub("", text, count=1)
        phrase = re.split(r"[.!?\n]", phrase, maxsplit=1)[0]
    phrase = _LEADING.sub("", phrase.strip(" ,:;—–-\"'")).strip()
    return phrase if normalise(phrase) else None


def normalise(text: str) -> str:
    """Lower case, words only, one space: the form corrections are grouped and compared in."""
    return " ".join(_WORD.findall(text.casefold()))


def keywords(text: str) -> frozenset[str]:
    """The content words of ``text`` (stop words left out)."""
    return frozenset(word for word in _WORD.findall(text.casefold()) if word not in _STOP)


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the content words of two texts (0 … 1)."""
    left, right = keywords(a), keywords(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def tool_errors(messages: Sequence[Mapping[str, Any]]) -> list[Signal]:
    """One signal per tool result of the turn that reports an error (``about``: the tool's name)."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            if isinstance(call, Mapping):
                names[str(call.get("id"))] = str((call.get("function") or {}).get("name") or "tool")
    found = []
    for message in messages:
        if message.get("role") != "tool":
            continue
        content = str(message.get("content") or "")
        if content.lstrip().lower().startswith("error"):
            name = str(message.get("name") or names.get(str(message.get("tool_call_id")), "tool"))
            found.append(Signal("tool_error", TOOL_ERROR_SCORE, name, " ".join(content.split())[:QUOTE_LIMIT]))
    return found


OUTCOME_SCORES = {"good": 1.0, "mixed": 0.0, "bad": -1.0}
_OUTCOME = re.compile(r"Recorded the outcome of (?P<id>dec-[0-9a-z]+) \((?P<quality>good|bad|mixed|unknown)\)")
_LOGGED = re.compile(r"Logged decision (?P<id>dec-[0-9a-z]+)")


def decision_events(messages: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Decisions logged in the turn, and ``(decision id, quality)`` of outcomes recorded in it."""
    logged: list[str] = []
    outcomes: list[tuple[str, str]] = []
    for message in messages:
        if message.get("role") != "tool":
            continue
        content = str(message.get("content") or "")
        logged += [m.group("id") for m in _LOGGED.finditer(content)]
        outcomes += [(m.group("id"), m.group("quality")) for m in _OUTCOME.finditer(content)]
    return logged, outcomes


def rule_text(about: str) -> str:
    """The deterministic wording of a rule from a wish: "use metric units" → "Use metric units."."""
    words = about.strip()
    if not words:
        return ""
    return words[0].upper() + words[1:] + ("" if words.endswith((".", "!", "?")) else ".")
