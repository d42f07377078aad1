"""``CurationPolicy``: what the curator may do, and how hard, read from ``learning_fs.yaml``.

Every pass can be switched off, and the passes that delete (prune) are off until a person turns
them on: curation is a commit or a proposal a person can read and revert, so it may be
aggressive, but never surprising. A repository sets its policy in the ``curate:`` section of
``learning_fs.yaml``; the CLI's flags and the ``Curator(policy=...)`` argument override it.

The similarity thresholds are cosine similarities of all-MiniLM-L6-v2 vectors (the offline
default embedder), measured on pairs people would call duplicates or not:

    0.93  "Use uv to install Python packages in CI" / "Install Python packages with uv in CI pipelines"
    0.91  "Works as a data engineer at Acme" / "Is a data engineer at Acme Corp"
    0.90  "Runs PostgreSQL 15 for billing." / "Runs PostgreSQL 16 for billing (...)"   <- a contradiction
    0.88  "Prefers answers in German" / "Prefers answers in English"                 <- a contradiction
    0.81  "Prefers short answers" / "Likes short answers"

No threshold separates paraphrases from contradictions below ~0.92, so without a model only
pairs at or above ``near_threshold`` merge; with a model every pair at or above
``judge_threshold`` is shown to it, and it says duplicate, contradiction or distinct.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from learning_fs.errors import RecordParseError

CONFIG_SECTION = "curate"


class CurationPolicy(BaseModel):
    """The knobs of one curation run (defaults: dedup, supersede, expire and budget on; pruning off)."""

    model_config = ConfigDict(extra="forbid")

    # -- dedup / merge --------------------------------------------------------------------------
    dedup: bool = True
    """Merge exact duplicates (same text after normalising case, accents, spacing and punctuation)."""
    near_duplicates: bool = True
    """Also merge near-duplicates found by embedding similarity (needs the embedder)."""
    near_threshold: float = Field(0.93, ge=0.0, le=1.0)
    """Cosine similarity at which a pair merges without a model."""
    judge_threshold: float = Field(0.80, ge=0.0, le=1.0)
    """With a model: pairs at or above this are shown to it (duplicate / contradiction / distinct)."""
    confirm_with_model: bool = True
    """Use the model, when the curator has one, to confirm near-duplicates and find contradictions."""
    judge_batch: int = Field(20, ge=1, le=200)
    """Pairs per model request."""
    max_judged_pairs: int = Field(2000, ge=0)
    """At most this many pairs go to the model per run (the most similar first); the rest are
    handled as without a model (merged at ``near_threshold``, else left for a later run)."""

    # -- supersede / expire ---------------------------------------------------------------------
    supersede: bool = True
    """``attribute: value`` items with the same attribute, and learnings with the same title: newest wins."""
    expire: bool = True
    """Records and items past their ``expires`` get ``status: expired``."""

    # -- prune (off unless set) -----------------------------------------------------------------
    max_age_days: dict[str, int] = Field(default_factory=dict)
    """Delete records not updated in N days, per kind: ``{session: 90}`` (session, learning, entity,
    decision; items by item kind: ``memory``, ``fact``, ``event``). A profile or memories file never."""
    stale_days: int | None = Field(None, ge=1)
    """Delete memories, learnings, entities and decisions nobody recalled in N days (and older than that)."""
    inactive_days: int | None = Field(None, ge=0)
    """Delete superseded and expired records and items N days after they stopped being active."""
    max_memories: int | None = Field(None, ge=0)
    """Keep at most N active memories per user; the least recently recalled, oldest go first."""
    max_file_bytes: int | None = Field(None, ge=512)
    """Shrink memory and entity files above this size: inactive items first, then the least used."""

    # -- feedback (learning_fs.stores.feedback) ---------------------------------------------------
    feedback: bool = True
    """Demote learnings that keep appearing in the context of failed runs (and promote them back
    once successes outnumber failures); needs the feedback store's records."""
    feedback_min_failures: int = Field(3, ge=1)
    """Failed runs (corrections, re-asks, tool errors, bad outcomes, negative ratings) before a demotion."""
    feedback_failure_ratio: float = Field(0.75, ge=0.0, le=1.0)
    """Share of the learning's rated runs that failed, at least, for a demotion."""

    # -- budget ---------------------------------------------------------------------------------
    budget: bool = True
    """Keep each user's always-loaded context under ``budget_tokens`` by demoting memories."""
    budget_tokens: int = Field(500, ge=0)
    """Token budget of a user's always-loaded context (profile + memories not demoted)."""

    # -- the commit -----------------------------------------------------------------------------
    max_message_lines: int = Field(2000, ge=10)
    """Actions listed one per line in the commit message; more are summed up in a last line."""

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> CurationPolicy:
        """The ``curate:`` section of a repository's settings (``RepoConfig``), with ``overrides`` on top."""
        extra = getattr(config, "model_extra", None) or {}
        section = extra.get(CONFIG_SECTION) or {}
        if not isinstance(section, dict):
            raise RecordParseError("learning_fs.yaml", f"'{CONFIG_SECTION}' must be a mapping")
        values = {**section, **{k: v for k, v in overrides.items() if v is not None}}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = ".".join(str(part) for part in error["loc"])
            raise RecordParseError("learning_fs.yaml", f"{CONFIG_SECTION}.{key}: {error['msg']}") from None
