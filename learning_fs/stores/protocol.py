"""The seam between the LearningMachine and its stores: modes, the store protocol, configs.

A store is anything with ``learning_type``, ``recall``, ``process``, ``build_context`` and
``get_tools``. The machine calls each method through :func:`call_with_context`, which passes only
the context keywords the method declares, so a custom store can be as small as
``def recall(self, user_id)`` and never has to accept (or ignore) keywords it does not use.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from learning_fs.stores.grounding import DEFAULT_THRESHOLD

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo


class LearningMode(str, enum.Enum):
    """When and how a store learns; the machine validates each store's mode at construction."""

    ALWAYS = "always"  # extract after each turn, off the hot path
    BACKGROUND = "always"  # noqa: PIE796 -- deliberate alias of ALWAYS (same value, same member)
    AGENTIC = "agentic"  # the agent calls the store's tools; writes land on the checked-out branch
    PROPOSE = "propose"  # writes go to proposals/<kind>/<slug>; main untouched until approved
    HITL = "hitl"  # the agent's tool calls pause the run until a person confirms

    def __str__(self) -> str:  # "always", not "LearningMode.ALWAYS", in trailers and messages
        return self.value


# -- what each mode means: the one table the stores, the machine and the writer all read ---------
EXTRACTING_MODES = frozenset({LearningMode.ALWAYS, LearningMode.PROPOSE})
"""Modes in which ``process`` runs after every turn, in the background, and extracts with the model."""

TOOL_MODES = frozenset({LearningMode.AGENTIC, LearningMode.HITL})
"""Modes in which the agent gets a store's write tools by default (``enable_agent_tools=None``).

ALWAYS and PROPOSE stores learn by extraction instead, so the agent is not asked to do the same
work twice; ``enable_agent_tools=True`` gives them the tools anyway (PROPOSE: each save becomes
a proposal). Read-only tools such as ``search_learnings`` are offered in every mode.
"""

PAUSING_MODES = frozenset({LearningMode.HITL})
"""Modes whose write-tool calls stop the agent's run until a person confirms or rejects them."""

PROPOSING_MODES = frozenset({LearningMode.PROPOSE})
"""Modes whose writes land on a new ``proposals/...`` branch, never on the checked-out branch."""

# Every keyword the machine may pass to a store method; a method receives the subset it declares.
CONTEXT_KEYS: tuple[str, ...] = (
    "user_id", "session_id", "message", "namespace", "agent_id", "repo", "model", "writer", "searcher", "budget",
)


@runtime_checkable
class LearningStore(Protocol):
    """What the machine needs from a store. Optional async twins: ``arecall``, ``aprocess``.

    The members are read-only callables, not methods with fixed signatures, on purpose: the
    machine calls them through :func:`call_with_context`, so ``def recall(self, user_id)`` and
    ``def recall(self, user_id=None, message=None, namespace=None)`` are both valid stores, and
    a Protocol method ``recall(self, **ctx)`` would wrongly reject every one of them under a type
    checker. ``learning_type`` may be a class attribute (``ClassVar[str]``) or an instance one.
    """

    @property
    def learning_type(self) -> str:
        """E.g. ``"user_profile"``; also the delimiter around the store's context block."""
        ...

    @property
    def recall(self) -> Callable[..., Any]:
        """``recall(**some_ctx)``: data for :meth:`build_context`; cheap, reads files only, never calls a model."""
        ...

    @property
    def process(self) -> Callable[..., Any]:
        """``process(messages, **some_ctx)``: extract what is worth keeping from a whole turn and save it."""
        ...

    @property
    def build_context(self) -> Callable[[Any], str]:
        """``build_context(data)``: recalled data as text for the system prompt ("" when there is nothing)."""
        ...

    @property
    def get_tools(self) -> Callable[..., list[Callable[..., Any]]]:
        """``get_tools(**some_ctx)``: plain callables (type hints + docstring = the schema the model sees)."""
        ...


def call_with_context(fn: Callable[..., Any], *args: Any, **ctx: Any) -> Any:
    """Call ``fn(*args, **ctx)`` passing only the keywords ``fn`` accepts (all if it has ``**kwargs``)."""
    accepts_all, names = _accepted_keywords(fn)
    if accepts_all:
        return fn(*args, **ctx)
    return fn(*args, **{key: value for key, value in ctx.items() if key in names})


def accepts_keyword(fn: Callable[..., Any], name: str) -> bool:
    """Whether :func:`call_with_context` would pass ``name`` to ``fn`` (declared, or ``**kwargs``)."""
    accepts_all, names = _accepted_keywords(fn)
    return accepts_all or name in names


def _accepted_keywords(fn: Callable[..., Any]) -> tuple[bool, frozenset[str]]:
    # Bound methods are new objects on every attribute access: key the cache on the function.
    key = getattr(fn, "__func__", None)
    if key is None or not hasattr(fn, "__self__"):
        return _signature_keywords(fn)
    return _method_keywords(key)


@functools.lru_cache(maxsize=1024)
def _method_keywords(func: Callable[..., Any]) -> tuple[bool, frozenset[str]]:
    params = list(inspect.signature(func).parameters.values())[1:]  # drop self / cls
    return _summarise(params)


def _signature_keywords(fn: Callable[..., Any]) -> tuple[bool, frozenset[str]]:
    try:
        return _cached_signature_keywords(fn)
    except TypeError:  # unhashable callable (rare): inspect every time
        return _summarise(list(inspect.signature(fn).parameters.values()))


@functools.lru_cache(maxsize=1024)
def _cached_signature_keywords(fn: Callable[..., Any]) -> tuple[bool, frozenset[str]]:
    return _summarise(list(inspect.signature(fn).parameters.values()))


def _summarise(params: list[inspect.Parameter]) -> tuple[bool, frozenset[str]]:
    accepts_all = any(p.kind is p.VAR_KEYWORD for p in params)
    names = frozenset(
        p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )
    return accepts_all, names


GROUNDING_ENV = "LEARNING_FS_GROUNDING"


def default_grounding(environ: Mapping[str, str] | None = None) -> float | None:
    """``StoreConfig.grounding``'s default: ``$LEARNING_FS_GROUNDING`` (a share 0-1, or ``off``), else 0.5.

    The environment lets a deployment (or a test run of scripted conversations) set it for every
    store at once; a value that is not a share between 0 and 1 is refused by name, not ignored.
    """
    raw = (os.environ if environ is None else environ).get(GROUNDING_ENV, "").strip()
    if not raw:
        return DEFAULT_THRESHOLD
    if raw.lower() in ("off", "none", "false", "no"):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{GROUNDING_ENV}={raw!r}: give a share between 0 and 1 (0.5 is the default), or 'off'")
    return value


@dataclasses.dataclass(kw_only=True)
class StoreConfig:
    """The shape every built-in ``*Config`` shares; subclasses add their own options and ``build``.

    ``mode`` accepts a :class:`LearningMode` or its value (``"agentic"``); ``namespace`` is
    ``None`` where the machine's default namespace applies (stores without one ignore it).
    ``grounding`` is the support check every write tool applies before it writes (on by default,
    0.5: see the comment on the field and docs/models.md, "Grounded saves"): a learning system that
    saves what nobody said is worse than one that saves nothing, so turning it off is explicit.
    """

    STORE_NAME: ClassVar[str] = ""

    mode: LearningMode = LearningMode.ALWAYS
    enabled: bool = True
    namespace: str | None = None
    instructions: str | None = None  # extra guidance appended to the store's extraction prompt
    context_budget: int = 600  # tokens this store's context block may use
    # Write tools for the agent: None = by mode (TOOL_MODES: AGENTIC and HITL); True/False overrides.
    enable_agent_tools: bool | None = None
    max_steps: int = 4  # model calls one background extraction may make
    # Writes one extraction of a turn keeps (Agno's name); None: the machine's, else no limit.
    max_updates_per_run: int | None = None
    # Grounded saves (stores/grounding.py, docs/models.md): before a write tool runs, its values must
    # pass the shape checks (not empty, id-shaped, a placeholder or a copy of a tool description) and
    # the support check: at least this share of a value's content words, and every name, number and
    # URL in it, occur in the turn (extraction: the turn the extractor read; an agent's tool call: the
    # conversation of its run). Default: $LEARNING_FS_GROUNDING, else DEFAULT_THRESHOLD (0.5, the
    # measured setting). 0 keeps only the shape checks; None (or "off") turns grounding off altogether.
    grounding: float | None = dataclasses.field(default_factory=default_grounding)

    def __post_init__(self) -> None:
        self.mode = LearningMode(self.mode)

    def build(self, repo: MemoryRepo | None = None) -> LearningStore:
        """Create the store this config describes: the one method every config subclass implements.

        The base class cannot know which store to build, so a custom config that forgot to
        override it fails loudly here instead of running without its store.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement build(repo) to create its store")


def check_mode(store: str, mode: LearningMode, supported: frozenset[LearningMode]) -> None:
    """Raise a clear ``ValueError`` for a mode the store cannot honour (never silently ignore it)."""
    if mode not in supported:
        names = ", ".join(sorted(m.name for m in supported))
        raise ValueError(f"{store} does not support mode {mode.name}; supported: {names}")
