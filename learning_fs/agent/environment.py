"""Which model to talk to, from the environment: the one rule for every default model.

``Agent(model=None)``, ``learning-fs chat``, the demo and the examples all call
:func:`model_from_env`, so they agree on the default. ``OPENAI_API_KEY`` means OpenAI (model
``$LEARNING_FS_MODEL``, default :data:`DEFAULT_OPENAI_MODEL`, ``gpt-4.1-mini``);
``LEARNING_FS_BASE_URL`` means a local or self-hosted OpenAI-compatible server (Ollama, vLLM,
llama.cpp server), which needs ``LEARNING_FS_MODEL`` to name the model. Neither: a
``ModelConfigError`` that says exactly that, instead of a request failing later.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from learning_fs.extract import ModelConfigError, OpenAIChat

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
"""The model used with ``OPENAI_API_KEY`` when neither an argument nor ``LEARNING_FS_MODEL`` names one."""
NO_MODEL = (
    "No model is configured. Set OPENAI_API_KEY (OpenAI), or point LEARNING_FS_BASE_URL (--base-url) at an "
    "OpenAI-compatible server: Ollama http://localhost:11434/v1, vLLM http://localhost:8000/v1, "
    "llama.cpp server http://localhost:8080/v1, and name the model with LEARNING_FS_MODEL (--model)."
)


def model_configured() -> bool:
    """Whether the environment names a model endpoint at all (no request is made)."""
    return bool(os.environ.get("LEARNING_FS_BASE_URL") or os.environ.get("OPENAI_API_KEY"))


def model_from_env(model_id: str | None = None, base_url: str | None = None, *,
                   settings: Mapping[str, Any] | None = None, max_tokens: int | Mapping[str, int] | None = None,
                   timeout: float | Mapping[str, float] | None = None) -> OpenAIChat:
    """The configured model; ``ModelConfigError`` when there is none.

    Arguments win over the environment, the environment over ``settings`` (the ``model:`` section
    of ``learning_fs.yaml``: ``base_url``, ``id``, ``max_tokens``, ``timeout``; see docs/models.md).
    """
    settings = dict(settings or {})
    base_url = base_url or os.environ.get("LEARNING_FS_BASE_URL") or settings.get("base_url") or None
    model_id = model_id or os.environ.get("LEARNING_FS_MODEL") or settings.get("id") or None
    options: dict[str, Any] = {"settings": settings, "max_tokens": max_tokens, "timeout": timeout}
    if base_url is None:
        if not os.environ.get("OPENAI_API_KEY"):
            raise ModelConfigError(NO_MODEL)
        return OpenAIChat(model_id or DEFAULT_OPENAI_MODEL, **options)
    if model_id is None:
        raise ModelConfigError(
            f"Which model should {base_url} run? Set LEARNING_FS_MODEL (--model), e.g. a name shown by `ollama list`."
        )
    return OpenAIChat(model_id, base_url=base_url, **options)


def repo_model_settings(repo: Any) -> dict[str, Any]:
    """The ``model:`` section of a repository's ``learning_fs.yaml`` (``{}`` when there is none)."""
    extra = getattr(getattr(repo, "config", None), "model_extra", None) or {}
    section = extra.get("model")
    return dict(section) if isinstance(section, Mapping) else {}


def model_or_exit() -> OpenAIChat:
    """For scripts and examples: the configured model, or the configuration help on stderr and exit 1."""
    try:
        return model_from_env()
    except ModelConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
