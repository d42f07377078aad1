"""The review and check policy of a memory repository, read from ``learning_fs.yaml``.

The settings travel with the memories (the file is committed), so a team agrees on one policy
through git: which namespaces skip review, how similar two learnings must be before ``check``
calls them duplicates, and whether e-mail addresses in shared memories fail a pull request.
Everything is optional; an absent key keeps the default below::

    review:
      auto_approve: [user]        # namespaces whose proposals are approved at once
      check:
        duplicates:
          warning: 0.85           # cosine similarity reported as a possible duplicate
          error: 0.95             # ... and from here on, a duplicate that fails the check
          embed_limit: 500        # existing texts embedded at most per run; beyond, words pick candidates
        pii: error                # e-mail/phone in shared namespaces: error | warning | off
        secrets: error            # API keys, tokens, private keys: error | warning | off
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from learning_fs.errors import RecordParseError
from learning_fs.repo.config import CONFIG_FILE, RepoConfig

Level = Literal["error", "warning", "off"]


class DuplicateSettings(BaseModel):
    """Thresholds for near-duplicates.

    Peers found no single cosine threshold that separates duplicates from related notes, so
    there are two: from ``warning`` a pair is shown with its similarity for the reviewer to
    judge, and only from ``error`` (a paraphrase of the same sentence) does it fail the check.
    Defaults measured with the offline MiniLM: rewordings of one lesson score 0.89-0.95, a copy
    with one word changed 0.99, two different lessons about the same tool 0.31-0.46.
    """

    model_config = ConfigDict(extra="forbid")

    warning: float = Field(default=0.85, ge=0, le=1)
    error: float = Field(default=0.95, ge=0, le=1)
    embed_limit: int = Field(default=500, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> DuplicateSettings:
        if self.error < self.warning:
            raise ValueError(f"duplicates.error ({self.error}) must not be below duplicates.warning ({self.warning})")
        return self


class CheckSettings(BaseModel):
    """``review.check`` in ``learning_fs.yaml``."""

    model_config = ConfigDict(extra="forbid")

    duplicates: DuplicateSettings = Field(default_factory=DuplicateSettings)
    secrets: Level = "error"
    pii: Level = "error"


def check_settings(config: RepoConfig) -> CheckSettings:
    """The ``review.check`` section (defaults where absent); a malformed one names the file."""
    extra: dict[str, Any] = config.review.model_extra or {}
    raw = extra.get("check") or {}
    try:
        return CheckSettings.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in ("review", "check", *error["loc"]))
        raise RecordParseError(CONFIG_FILE, f"{where}: {error['msg']}") from None


def auto_approved(config: RepoConfig, namespace: str) -> bool:
    """Whether proposals in ``namespace`` skip review (``review.auto_approve``)."""
    return namespace in set(config.review.auto_approve)
