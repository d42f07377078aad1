"""The model's part in self-improvement: wording a rule, never deciding whether one is needed.

The rule layer counted the corrections; the model only turns the users' words into one clear,
general instruction (``feedback_extract.jinja``). Any failure — no answer, an HTTP error, a reply
that is not one short line — falls back to the rule layer's wording, so a proposal never depends
on the model being up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from learning_fs.context import ContextRenderer
from learning_fs.extract import ModelError

if TYPE_CHECKING:
    from learning_fs.improve.patterns import Finding
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

RULE_LIMIT = 240


def word(model: Any, repo: MemoryRepo, finding: Finding) -> str | None:
    """One line: the instruction as the model words it, or None (use the rule layer's)."""
    prompt = ContextRenderer.for_repo(repo).render(
        "feedback_extract.jinja", action=finding.action, draft=finding.text, current=finding.target_text,
        reason=finding.reason, quotes=[" ".join(r.comment.split()) for r in finding.evidence if r.comment][:8])
    messages = [{"role": "system", "content": prompt},
                {"role": "user", "content": "Write the instruction, one line."}]
    try:
        response = model.complete(messages)
    except ModelError as exc:
        log.warning("self-improvement: the model could not word the rule (%s); using the rule layer's", exc)
        return None
    content = getattr(response, "content", None)
    lines = [line.strip().lstrip("-*• ").strip().strip('"') for line in str(content or "").splitlines()]
    text = next((line for line in lines if line), "")
    if not text or len(text) > RULE_LIMIT:
        return None
    return " ".join(text.split())
