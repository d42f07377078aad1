"""Behavioral feedback: what worked and what did not, with what was in the prompt when it happened.

Every signal is a :class:`~learning_fs.format.records.FeedbackRecord`, one file under
``feedback/<namespace>/``: an explicit rating (``LearningMachine.feedback(run_id, score,
comment)``, ``learning-fs feedback add``), a correction read off the conversation ("no, I said…"),
the user asking the same thing again, praise, a tool call that failed, a decision's outcome.
Each keeps the ids of the memories, learnings and instructions that were in that run's context
(``in_context``), so credit and blame go to what was recalled: the curator demotes a learning that
keeps appearing in failed runs and the self-improvement analyser (``learning-fs improve``) counts
patterns on these files.

Knowing what was in the context costs the hot path one dict insert: the machine hands every
recall to :meth:`FeedbackStore.note_context` (a reference to what was recalled, nothing copied);
ids are pulled out only when a signal needs them, after the reply, in :meth:`process`. Turns of
a session are remembered in order, so a correction in turn N blames the context of turn N-1,
the answer it corrects. Run contexts also go to ``.learning_fs/feedback/runs.jsonl`` (derived,
gitignored), so a rating given later from the command line finds them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learning_fs.format.items import Item
from learning_fs.format.records import USER_NAMESPACE, FeedbackRecord, Record
from learning_fs.stores import signals
from learning_fs.stores.base import ALL_MODES, BaseStore, one_line
from learning_fs.stores.outcome import StoreOutcome
from learning_fs.stores.protocol import LearningMode, StoreConfig

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

log = logging.getLogger(__name__)

JOURNAL = "feedback/runs.jsonl"  # under .learning_fs/
JOURNAL_LIMIT = 4_000_000  # bytes; the older half is dropped past this (derived data, only for late ratings)
REPLY_LIMIT = 400


@dataclass(kw_only=True)
class BehavioralFeedbackConfig(StoreConfig):
    """Options of the feedback store (ALWAYS: signals are read off each turn by rules, no model).

    ``corrections``, ``reasks``, ``praise``, ``tool_errors``, ``outcomes``: which signals to detect.
    ``keep_quotes``: keep the user's words (the correction itself) in the record; ``False`` keeps
    only the normalised ``about`` words. ``max_runs``: run contexts remembered in memory.
    """

    mode: LearningMode = LearningMode.ALWAYS
    corrections: bool = True
    reasks: bool = True
    praise: bool = True
    tool_errors: bool = True
    outcomes: bool = True
    keep_quotes: bool = True
    max_runs: int = 2048
    context_budget: int = 200

    def build(self, repo: MemoryRepo | None = None) -> FeedbackStore:
        return FeedbackStore(self, repo)


FeedbackConfig = BehavioralFeedbackConfig  # the short name


@dataclass
class RunContext:
    """One run as the machine built it: who, where, the message, and what was recalled (a reference)."""

    run_id: str
    user_id: str | None
    session_id: str | None
    message: str | None
    recalled: Mapping[str, Any] | None
    at: float = field(default_factory=time.time)
    reply: str = ""
    _ids: list[str] | None = None

    @property
    def ids(self) -> list[str]:
        """Ids of every record and item that was in the context, in order, once each (computed once)."""
        if self._ids is None:
            self._ids = list(dict.fromkeys(context_ids(self.recalled or {})))
        return self._ids


class FeedbackStore(BaseStore):
    """Records feedback signals with the context they judge (see the module docstring)."""

    learning_type = "feedback"
    SUPPORTED_MODES = frozenset({LearningMode.ALWAYS}) & ALL_MODES
    config: BehavioralFeedbackConfig

    def __init__(self, config: BehavioralFeedbackConfig | None = None, repo: MemoryRepo | None = None) -> None:
        super().__init__(config or BehavioralFeedbackConfig(), repo)
        if self.config.namespace == USER_NAMESPACE:
            raise ValueError("feedback is kept per agent in a shared namespace; namespace='user' is not supported")
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, RunContext] = OrderedDict()
        self._sessions: dict[tuple[str | None, str | None], list[str]] = {}
        self._decisions: OrderedDict[str, str] = OrderedDict()  # decision id -> run id that logged it
        self._counter = 0

    # -- the hot path: remember what a run's context held ---------------------------------------
    def note_context(self, recalled: Mapping[str, Any], *, user_id: str | None = None,
                     session_id: str | None = None, message: str | None = None, run_id: str | None = None) -> str:
        """Remember what ``recalled`` held for this run (one dict insert); returns the run's id."""
        with self._lock:
            self._counter += 1
            key = run_id or f"run-{self._counter}"
            self._runs.pop(key, None)
            self._runs[key] = RunContext(key, user_id, session_id, message, recalled)
            runs = self._sessions.setdefault((user_id, session_id), [])
            if key in runs:
                runs.remove(key)
            runs.append(key)
            del runs[:-3]
            while len(self._runs) > self.config.max_runs:
                old, context = self._runs.popitem(last=False)
                kept = self._sessions.get((context.user_id, context.session_id))
                if kept and old in kept:
                    kept.remove(old)
                    if not kept:
                        del self._sessions[(context.user_id, context.session_id)]
        return key

    def run(self, run_id: str) -> RunContext | None:
        """The remembered context of ``run_id`` (this process, else the run journal)."""
        with self._lock:
            found = self._runs.get(run_id)
        return found or self._from_journal(run_id)

    # -- after the reply: detect and record -------------------------------------------------------
    # No ``model`` keyword on purpose: rules read the signals, and the machine warns "will not
    # learn without a model" about every store whose process takes one.
    def process(self, messages: list[dict[str, Any]], *, writer: Any = None,  # type: ignore[override]
                user_id: str | None = None, session_id: str | None = None, message: str | None = None,
                run_id: str | None = None, namespace: str | None = None, agent_id: str | None = None) -> StoreOutcome:
        """Read this turn's signals and save them (one commit with the turn's other changes)."""
        if writer is None:
            return StoreOutcome(self.learning_type, "skipped", reason="no writer")
        current, previous = self._turn_runs(user_id, session_id, message, run_id)
        if current is not None:
            current.reply = _last_reply(messages)
            self._journal(current)
        space = self.namespace_for(namespace)
        found: list[FeedbackRecord] = []
        signal = signals.detect(message, previous.message if previous else None)
        if signal is not None and self._wanted(signal.signal):
            found.append(self._record(signal, previous, space, agent_id, session_id))
        if self.config.tool_errors:
            found += [self._record(s, current, space, agent_id, session_id) for s in signals.tool_errors(messages)]
        if self.config.outcomes:
            found += self._outcomes(messages, current, space, agent_id, session_id)
        if not found:
            return StoreOutcome(self.learning_type, "nothing")
        kinds = ", ".join(sorted({r.signal for r in found}))
        writer.save(found, summary=one_line(f"Feedback ({kinds}) on {found[0].run_id or 'a run'}"))
        return StoreOutcome(self.learning_type, "saved", saved=len(found))

    def rate(self, run_id: str, score: float, comment: str = "", *, writer: Any = None,
             user_id: str | None = None, session_id: str | None = None, namespace: str | None = None,
             agent_id: str | None = None) -> FeedbackRecord:
        """Save an explicit rating of ``run_id`` (-1 … 1) with what that run's context held, when known."""
        active = self.require_writer(writer)
        if not -1.0 <= float(score) <= 1.0:
            raise ValueError(f"a rating is between -1 and 1, not {score}")
        context = self.run(run_id)
        text = " ".join(str(comment or "").split())
        signal = signals.Signal("rating", float(score), signals.wish(text) if score < 0 and text else None, text)
        record = self._record(signal, context, self.namespace_for(namespace), agent_id,
                              session_id or (context.session_id if context else None))
        record.run_id = run_id
        active.save([record], summary=one_line(f"Feedback (rating {score:+g}) on {run_id}"))
        return record

    # -- context for the prompt: none ----------------------------------------------------------------
    def recall(self, **_: Any) -> list[FeedbackRecord]:
        """Nothing: feedback judges the agent's answers; it is not shown to the agent itself."""
        return []

    def build_context(self, data: Any) -> str:
        return self.render(signals=data) if data else ""

    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return []

    # -- helpers ----------------------------------------------------------------------------------
    def _wanted(self, kind: str) -> bool:
        return {"correction": self.config.corrections, "reask": self.config.reasks,
                "praise": self.config.praise}.get(kind, True)

    def _turn_runs(self, user_id: str | None, session_id: str | None, message: str | None,
                   run_id: str | None) -> tuple[RunContext | None, RunContext | None]:
        """This turn's run and the one before it in the session (either may be unknown)."""
        with self._lock:
            keys = list(self._sessions.get((user_id, session_id), []))
            if run_id and run_id in keys:
                position = keys.index(run_id)
            else:  # no run id: the latest run of the session with this message
                position = next((i for i in range(len(keys) - 1, -1, -1)
                                 if self._runs[keys[i]].message == message), -1)
            current = self._runs.get(keys[position]) if position >= 0 else None
            previous = self._runs.get(keys[position - 1]) if position >= 1 else None
        return current, previous

    def _record(self, signal: signals.Signal, run: RunContext | None, namespace: str, agent_id: str | None,
                session_id: str | None) -> FeedbackRecord:
        return FeedbackRecord(
            signal=signal.signal, score=signal.score, about=signal.about,
            run_id=run.run_id if run else None, session_id=session_id or (run.session_id if run else None),
            agent=agent_id, in_context=run.ids if run else [],
            comment=signal.quote if self.config.keep_quotes else "",
            reply=(run.reply[:REPLY_LIMIT] if run and self.config.keep_quotes else ""), namespace=namespace,
        )

    def _outcomes(self, messages: Sequence[Mapping[str, Any]], current: RunContext | None, namespace: str,
                  agent_id: str | None, session_id: str | None) -> list[FeedbackRecord]:
        logged, outcomes = signals.decision_events(messages)
        if current is not None:
            with self._lock:
                for decision in logged:
                    self._decisions[decision] = current.run_id
                while len(self._decisions) > self.config.max_runs:
                    self._decisions.popitem(last=False)
        found = []
        for decision, quality in outcomes:
            score = signals.OUTCOME_SCORES.get(quality)
            if score is None:
                continue  # "unknown" says nothing
            with self._lock:
                origin = self._decisions.get(decision)
            run = (self.run(origin) if origin else None) or current
            signal = signals.Signal("outcome", score, decision, f"Outcome of {decision}: {quality}")
            found.append(self._record(signal, run, namespace, agent_id, session_id))
        return found

    # -- the run journal (derived: lets a later rating find a run's context) ----------------------
    def _journal_path(self) -> Path | None:
        return self.repo.derived_dir / JOURNAL if self.repo is not None else None

    def _journal(self, run: RunContext) -> None:
        path = self._journal_path()
        if path is None:
            return
        line = json.dumps({"run_id": run.run_id, "user": run.user_id, "session": run.session_id,
                           "at": round(run.at, 3), "ids": run.ids, "reply": run.reply[:REPLY_LIMIT]})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
            if path.stat().st_size > JOURNAL_LIMIT:
                _halve(path)
        except OSError as exc:
            log.warning("feedback: cannot write the run journal %s: %s", path, exc)

    def _from_journal(self, run_id: str) -> RunContext | None:
        path = self._journal_path()
        if path is None or not path.is_file():
            return None
        found = None
        try:
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    if run_id not in line:
                        continue
                    try:
                        data = json.loads(line)
                    except ValueError:
                        continue
                    if data.get("run_id") == run_id:
                        found = data
        except OSError:
            return None
        if found is None:
            return None
        context = RunContext(run_id, found.get("user"), found.get("session"), None, None,
                             at=float(found.get("at") or 0), reply=str(found.get("reply") or ""))
        context._ids = [str(i) for i in found.get("ids") or []]
        return context


def context_ids(value: Any) -> Iterable[str]:
    """Ids of the records and items in what ``LearningMachine.recall`` returned (any nesting)."""
    if isinstance(value, Record):
        yield value.id
        for name in type(value).ITEM_SECTIONS:
            for item in getattr(value, name):
                if item.active:
                    yield item.id
    elif isinstance(value, Item):
        yield value.id
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from context_ids(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from context_ids(inner)
    else:
        ident = getattr(value, "id", None)
        if isinstance(ident, str) and ident:
            yield ident


def _last_reply(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "assistant" and isinstance(message.get("content"), str):
            return " ".join(str(message["content"]).split())
    return ""


def _halve(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[len(lines) // 2:]), encoding="utf-8")
