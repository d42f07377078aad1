"""Asking the model about pairs of similar statements: duplicate, contradiction, or distinct.

Embeddings say two statements are close, not whether they agree: "Prefers answers in German"
and "Prefers answers in English" are 0.88 apart, closer than many paraphrases. So when the
curator has a model, each close pair is shown to it (a batch of pairs per request, through
``learning_fs.extract``'s validated JSON output). An answer that fails — HTTP error, invalid
JSON, a pair left out — is a verdict of ``None`` for those pairs: the curator then falls back
to what it does without a model, and the run never fails because of the model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from learning_fs.extract import ModelError
from learning_fs.extract.structured import json_schema_format, parse_json_content, validate_output

log = logging.getLogger(__name__)

Verdict = Literal["duplicate", "contradiction", "distinct"]

SYSTEM_PROMPT = """You curate the long-term memory of an AI agent. You get numbered pairs of statements \
from the same memory (the same user, entity or knowledge base); in each pair, A was written before B.
For every pair decide:
- "duplicate": A and B say the same thing (one may add detail). Also give "merged": one short statement \
that keeps every detail of both, worded like B.
- "contradiction": A and B cannot both be true now; B, the later one, replaces A.
- "distinct": anything else, including statements that are related but compatible.
Answer every pair, as JSON: {"verdicts": [{"pair": 1, "verdict": "duplicate", "merged": "..."}]}"""


class PairVerdict(BaseModel):
    pair: int
    verdict: Verdict
    merged: str | None = None


class Verdicts(BaseModel):
    verdicts: list[PairVerdict] = Field(default_factory=list)


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    merged: str | None = None


@dataclass
class JudgeReport:
    judgements: list[Judgement | None]
    seconds: float = 0.0
    failures: int = 0  # requests that failed (their pairs have no verdict)


def judge_pairs(model: Any, pairs: Sequence[tuple[str, str]], batch: int = 20) -> JudgeReport:
    """A verdict for each ``(older text, newer text)`` pair, or None where the model gave none."""
    judgements: list[Judgement | None] = [None] * len(pairs)
    report = JudgeReport(judgements)
    started = time.perf_counter()
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        listing = "\n\n".join(f"Pair {n}:\nA: {_flat(a)}\nB: {_flat(b)}" for n, (a, b) in enumerate(chunk, start=1))
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": listing}]
        try:
            answer = Verdicts.model_validate(_ask_json(model, messages))
        except (ModelError, ValueError) as exc:
            report.failures += 1
            log.warning("curator: the model could not judge pairs %d-%d (%s); treated as unjudged",
                        start + 1, start + len(chunk), exc)
            continue
        for verdict in answer.verdicts:
            if 1 <= verdict.pair <= len(chunk):
                merged = " ".join((verdict.merged or "").split()) or None
                judgements[start + verdict.pair - 1] = Judgement(verdict.verdict, merged)
    report.seconds = time.perf_counter() - started
    return report


def _ask_json(model: Any, messages: list[dict[str, str]]) -> dict[str, Any]:
    """JSON following :class:`Verdicts`: ``complete_json`` when the model has it (``OpenAIChat``), else ``complete``."""
    if callable(getattr(model, "complete_json", None)):
        return model.complete_json(messages, Verdicts)
    response = model.complete(messages, response_format=json_schema_format("Verdicts", Verdicts.model_json_schema()))
    return validate_output(parse_json_content(response.content), Verdicts, response.content)


def _flat(text: str, limit: int = 600) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + " …"
