"""Per-call limits: how many tokens and how many seconds each kind of model call may take.

A chat reply, a background extraction, a curation verdict and a probe have different needs: a
reply may be long, an extraction is a few tool calls, a verdict is a small JSON object. Every
request carries ``max_tokens`` (a local server with no cap generates to the end of its context: a
135M model held llama.cpp's server for 128 s that way) and its own timeout.

Where the numbers come from, first match wins: arguments to ``OpenAIChat``, then the environment
(``LEARNING_FS_MAX_TOKENS`` / ``LEARNING_FS_TIMEOUT`` for every kind, ``LEARNING_FS_MAX_TOKENS_EXTRACT``
and friends for one kind), then ``learning_fs.yaml``'s ``model:`` section (see docs/models.md), then
:data:`DEFAULTS`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

CALL_KINDS = ("chat", "extract", "judge", "probe")
"""``chat``: the agent's reply; ``extract``: a store learning from a turn; ``judge``: curation; ``probe``: doctor."""


@dataclass(frozen=True)
class CallLimits:
    """The cap on one request: completion tokens and wall-clock seconds."""

    max_tokens: int
    timeout: float


DEFAULTS: dict[str, CallLimits] = {
    "chat": CallLimits(max_tokens=1024, timeout=120.0),
    "extract": CallLimits(max_tokens=512, timeout=90.0),
    "judge": CallLimits(max_tokens=512, timeout=60.0),
    "probe": CallLimits(max_tokens=64, timeout=30.0),
}


def resolve_limits(
    max_tokens: int | Mapping[str, int] | None = None,
    timeout: float | Mapping[str, float] | None = None,
    settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, CallLimits]:
    """The limits of every call kind from arguments, environment and ``settings`` (the yaml section).

    A plain number applies to every kind; a mapping ``{"extract": 256}`` to the kinds it names.
    Raises ``ValueError`` for a value that is not a positive number, naming where it came from.
    """
    env = os.environ if environ is None else environ
    settings = settings or {}
    limits = dict(DEFAULTS)
    layers: list[tuple[str, Any, Any]] = [("learning_fs.yaml model:", settings.get("max_tokens"),
                                           settings.get("timeout"))]
    layers.append(("LEARNING_FS_MAX_TOKENS/LEARNING_FS_TIMEOUT", env.get("LEARNING_FS_MAX_TOKENS"),
                   env.get("LEARNING_FS_TIMEOUT")))
    layers.append(("environment", {k: env[f"LEARNING_FS_MAX_TOKENS_{k.upper()}"] for k in CALL_KINDS
                                   if f"LEARNING_FS_MAX_TOKENS_{k.upper()}" in env},
                   {k: env[f"LEARNING_FS_TIMEOUT_{k.upper()}"] for k in CALL_KINDS
                    if f"LEARNING_FS_TIMEOUT_{k.upper()}" in env}))
    layers.append(("OpenAIChat arguments", max_tokens, timeout))
    for where, tokens, seconds in layers:
        for kind, value in _per_kind(tokens, where).items():
            limits[kind] = replace(limits[kind], max_tokens=int(_positive(value, where, integer=True)))
        for kind, value in _per_kind(seconds, where).items():
            limits[kind] = replace(limits[kind], timeout=_positive(value, where, integer=False))
    return limits


def _per_kind(value: Any, where: str) -> dict[str, Any]:
    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(CALL_KINDS))
        if unknown:
            raise ValueError(f"{where}: unknown call kind(s) {', '.join(map(str, unknown))}; "
                             f"known: {', '.join(CALL_KINDS)}")
        return dict(value)
    return {kind: value for kind in CALL_KINDS}


def _positive(value: Any, where: str, *, integer: bool) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a number") from None
    if number <= 0 or (integer and not number.is_integer()):
        raise ValueError(f"{where}: {value!r} must be a positive {'whole ' if integer else ''}number")
    return number
