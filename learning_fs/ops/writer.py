"""``RecordWriter``: the one door through which a store saves what it learned.

Stores never call ``repo.write`` for learned data; they hand records to the writer they were
given, and the writer applies the store's mode. ALWAYS, AGENTIC and (confirmed) HITL writes
commit on the checked-out branch; PROPOSE writes commit on a fresh ``proposals/<kind>/<slug>``
branch made from it, so nothing reaches the memories an agent recalls until a person approves —
unless every namespace the save touches is listed in ``review.auto_approve`` (``learning_fs.yaml``):
such a save is approved at once, lands like an ALWAYS write, and says ``Learning-Review: auto-approved``.
Either way one ``save()`` is one commit, and the commit carries the *evidence* for the change —
who said what, in which session, and why the model thought it worth keeping — in its body and
trailers. The same :class:`Evidence` is what a person sees for a proposal and for a paused HITL
tool call: one review surface.

The writer is bound to one user: a private (``user`` namespace) record of anyone else, or a path
under another user's folder, is refused here, whatever a store or a model asks for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from learning_fs.errors import RecordNotFoundError, RecordParseError, UnsafePathError
from learning_fs.format.layout import is_private_path, kind_from_path, record_path, user_folder
from learning_fs.format.records import USER_NAMESPACE, Record
from learning_fs.format.slugs import check_relative_path, slugify
from learning_fs.ops.origin import write_transaction
from learning_fs.ops.provenance import Evidence, Origin, mode_value
from learning_fs.repo import MemoryRepo
from learning_fs.repo import trailers as names

log = logging.getLogger(__name__)

PROPOSAL_PREFIX = "proposals/"
DIRECT_MODES = frozenset({"always", "agentic", "hitl"})
"""Mode values whose writes land on the checked-out branch; anything else (a typo too) proposes.

The values of the ``LearningMode`` members outside ``PROPOSING_MODES`` (``learning_fs.stores``
sits above this layer; a test keeps the two in step)."""
_proposal_lock = threading.Lock()  # two threads proposing the same title must not share a branch


@dataclass(frozen=True)
class SaveResult:
    """What one ``save()`` did.

    ``commit`` is ``None`` when nothing changed (or, for a buffered writer, until it flushes:
    ``pending``). ``branch`` is where the commit landed; ``proposal_id`` names the proposal
    (``learning/use-uv``, the branch without ``proposals/``) in PROPOSE mode.
    """

    commit: str | None
    branch: str | None
    paths: list[str] = field(default_factory=list)
    proposal_id: str | None = None
    pending: bool = False

    @property
    def saved(self) -> bool:
        return self.commit is not None


class RecordWriter:
    """Saves records for one store, in one mode, on behalf of one user and session.

    Args:
        repo: The memory repository.
        store: The store's ``learning_type`` (``Learning-Store`` trailer).
        mode: A ``LearningMode`` or its value; PROPOSE writes go to a proposal branch.
        user_id, session_id, agent_id, quote: Defaults for the evidence of every save.
    """

    def __init__(self, repo: MemoryRepo, *, store: str, mode: Any = "always", user_id: str | None = None,
                 session_id: str | None = None, agent_id: str | None = None, quote: str | None = None) -> None:
        self.repo = repo
        self.store = store
        self.mode = mode_value(mode)
        self.user_id = user_id
        self.session_id = session_id
        self.agent_id = agent_id
        self.quote = quote

    def __repr__(self) -> str:
        return f"{type(self).__name__}(store={self.store!r}, mode={self.mode!r}, user_id={self.user_id!r})"

    @property
    def proposes(self) -> bool:
        """True when saves become proposals instead of landing on the checked-out branch."""
        return self.mode not in DIRECT_MODES

    def evidence(self, **overrides: Any) -> Origin:
        """The evidence this writer attaches when a store gives none (``overrides`` win)."""
        base = Evidence(user_id=self.user_id, session_id=self.session_id, quote=self.quote, store=self.store,
                        mode=self.mode, agent_id=self.agent_id)
        return replace(base, **overrides) if overrides else base

    # -- reading ------------------------------------------------------------------------------
    def read(self, path: str) -> Record | None:
        """The record at ``path`` as this writer's destination sees it (a copy; ``None`` if absent).

        PROPOSE writers read the checked-out branch too: each proposal starts from it. The read
        comes from the branch tip the write will commit on, never the working tree: a stale or
        hand-edited file there must not be committed over the tip. A file that does not parse is
        logged and read as absent rather than stopping the store.
        """
        self._check_path(path)
        try:
            return self.repo.read_committed(path)
        except RecordParseError as exc:
            log.warning("%s: cannot read %s", self.store, exc)
            return None

    # -- writing ------------------------------------------------------------------------------
    def save(self, records: Sequence[Record], *, deletes: Iterable[str] = (), summary: str,
             evidence: Origin | None = None) -> SaveResult:
        """Write ``records`` and delete ``deletes`` as ONE commit; see the class docstring for where."""
        records, deletes = list(records), list(deletes)
        evidence = (evidence or Evidence()).filled_from(self.evidence())
        return self._commit(records, deletes, [(summary, evidence)], evidence)

    def buffered(self) -> BufferedWriter:
        """A writer that collects saves (several tool calls in one turn) into one commit on ``flush()``."""
        return BufferedWriter(self)

    @contextmanager
    def transaction(self, summary: str, *, evidence: Origin | None = None) -> Iterator[WriteTransaction]:
        """A safe read-modify-write for a store: the public way, built-in and custom stores alike.

        ``with writer.transaction("Remember X") as tx: record = tx.read(path); ...; tx.write(record)``
        holds the repository's write lock from the first read to the commit, so a concurrent turn
        cannot slip a change in between and have it dropped. On leaving the block what was
        written is saved as one :meth:`save` (mode, proposal branch, evidence, privacy fence);
        ``tx.result`` is its :class:`SaveResult`. An exception leaves everything unsaved.
        ``tx.summary`` may be changed inside the block (the commit subject). The functions of
        :mod:`learning_fs.ops` (``add_fact(tx, ...)``, ``put_memory``…) work on ``tx`` as they
        do on the CLI's transaction.
        """
        tx = WriteTransaction(self, summary, evidence)
        with self.repo.write_lock():
            yield tx
            tx.result = tx.commit()

    def _commit(self, records: list[Record], deletes: list[str], entries: list[tuple[str, Origin]],
                evidence: Origin) -> SaveResult:
        for record in records:
            self._check_record(record)
            _stamp_source(record, evidence)
        for path in deletes:
            self._check_path(path)
        if not records and not deletes:
            return SaveResult(None, None, [])
        subject = entries[0][0] if len(entries) == 1 else f"{self.store}: {len(entries)} changes from one turn"
        changes = _turn_list(entries, evidence)
        if not self.proposes:
            return self._write(self.repo.branch, records, deletes, subject, changes, evidence, {}, None)
        if self._auto_approved(records, deletes):  # review.auto_approve in learning_fs.yaml
            return self._write(self.repo.branch, records, deletes, subject, changes, evidence,
                               {names.REVIEW: "auto-approved"}, None)
        with _proposal_lock:
            branch = self._proposal_branch(records, deletes)
            proposal_id = branch.removeprefix(PROPOSAL_PREFIX)
            return self._write(branch, records, deletes, subject, changes, evidence, {}, proposal_id)

    def _write(self, branch: str, records: list[Record], deletes: list[str], subject: str, changes: str,
               evidence: Origin, trailers: dict[str, str], proposal_id: str | None) -> SaveResult:
        with write_transaction(self.repo, subject, evidence, branch=branch, body=changes, trailers=trailers,
                               proposal=proposal_id) as tx:
            paths = [tx.write(record) for record in records]
            for path in deletes:
                try:
                    tx.delete(path)
                except RecordNotFoundError:
                    log.info("%s: %s is already gone; nothing to delete", self.store, path)
                    continue
                paths.append(path)
        commit = tx.commit.sha if tx.commit is not None else None
        if commit is None:
            log.debug("%s: %r changed nothing; no commit", self.store, subject)
            return SaveResult(None, None, paths)
        log.info("%s: %s -> %s@%s", self.store, subject, branch, commit[:10])
        return SaveResult(commit, branch, paths, proposal_id if commit else None)

    def _auto_approved(self, records: list[Record], deletes: list[str]) -> bool:
        """Whether every namespace the save touches skips review (``review.auto_approve``)."""
        allowed = set(self.repo.config.review.auto_approve)
        touched = {record.namespace for record in records}
        for path in deletes:  # a shared path names its namespace: learnings/<namespace>/...
            touched.add(USER_NAMESPACE if is_private_path(path) else path.split("/")[1] if path.count("/") > 1 else "")
        return bool(allowed) and touched <= allowed

    def _proposal_branch(self, records: list[Record], deletes: list[str]) -> str:
        """``proposals/<kind>/<slug>``, numbered when a proposal of that name is already open."""
        if records:
            kind, name = records[0].kind, records[0].title_text()
        else:
            kind, name = kind_from_path(deletes[0]) or "record", "delete " + deletes[0].rsplit("/", 1)[-1][:-3]
        base = f"{PROPOSAL_PREFIX}{kind}/{slugify(name)}"
        candidate, number = base, 1
        while self._branch_exists(candidate):
            number += 1
            candidate = f"{base}-{number}"
        return candidate

    def _branch_exists(self, branch: str) -> bool:
        try:
            self.repo.resolve(f"refs/heads/{branch}")
        except RecordNotFoundError:
            return False
        return True

    # -- the privacy fence --------------------------------------------------------------------
    def _check_record(self, record: Record) -> None:
        if record.namespace == USER_NAMESPACE and (not self.user_id or record.user != self.user_id):
            raise UnsafePathError(
                f"{self.store}: a private {record.kind} of user {record.user!r} cannot be written on behalf of "
                f"user {self.user_id!r}"
            )
        self._check_path(record.path or record_path(record))

    def _check_path(self, path: str) -> None:
        check_relative_path(path)
        if is_private_path(path) and (not self.user_id or not path.startswith(user_folder(self.user_id) + "/")):
            raise UnsafePathError(f"{self.store}: {path} is private to another user than {self.user_id!r}")


class WriteTransaction:
    """The reads and writes of one :meth:`RecordWriter.transaction` (see there); a :class:`RecordTx`."""

    def __init__(self, writer: RecordWriter, summary: str, evidence: Origin | None) -> None:
        self.writer = writer
        self.summary = summary
        self.evidence = evidence
        self.result: SaveResult | None = None
        self._records: dict[str, Record] = {}  # path -> staged record
        self._deletes: list[str] = []

    @property
    def repo(self) -> MemoryRepo:
        return self.writer.repo

    @property
    def changes(self) -> dict[str, Record | None]:
        """Staged paths: the record to write, or None for a delete."""
        return {**dict.fromkeys(self._deletes), **self._records}

    def read(self, path: str) -> Record | None:
        """What the writer reads at ``path``, after this transaction's own writes and deletes."""
        if path in self._records:
            return self._records[path]
        if path in self._deletes:
            return None
        return self.writer.read(path)

    def write(self, record: Record, path: str | None = None, touch: bool = True) -> str:
        """Stage ``record`` (refused at once if it is private to another user); ``touch`` happens on commit."""
        self.writer._check_record(record)
        where = path or record.path or record_path(record)
        self._records[where] = record
        if where in self._deletes:
            self._deletes.remove(where)
        return where

    def delete(self, path: str) -> None:
        self.writer._check_path(path)
        self._records.pop(path, None)
        if path not in self._deletes:
            self._deletes.append(path)

    @property
    def staged(self) -> bool:
        return bool(self._records or self._deletes)

    def commit(self) -> SaveResult:
        """Save what is staged (nothing staged: no commit); :meth:`RecordWriter.transaction` calls it."""
        if not self.staged:
            return SaveResult(None, None, [])
        return self.writer.save(list(self._records.values()), deletes=list(self._deletes), summary=self.summary,
                                evidence=self.evidence)


class BufferedWriter(RecordWriter):
    """Collects the saves of one turn and commits them together on :meth:`flush`.

    Extraction may call a store's tools several times in one turn (add two memories, update a
    third); each call saves, and a person reviewing history wants one commit for the turn.
    Reads see what is staged, so the second tool call builds on the first.
    """

    def __init__(self, base: RecordWriter) -> None:
        super().__init__(base.repo, store=base.store, mode=base.mode, user_id=base.user_id,
                         session_id=base.session_id, agent_id=base.agent_id, quote=base.quote)
        self._records: dict[str, Record] = {}  # record id -> latest staged copy
        self._deletes: list[str] = []
        self._entries: list[tuple[str, Origin]] = []
        self._lock = threading.Lock()

    def buffered(self) -> BufferedWriter:
        """Itself: a store that buffers inside an already-buffered turn shares the one commit."""
        return self

    @property
    def staged(self) -> int:
        """How many saves are waiting for :meth:`flush`."""
        return len(self._entries)

    def read(self, path: str) -> Record | None:
        self._check_path(path)
        with self._lock:
            if path in self._deletes:
                return None
            for record in self._records.values():
                if (record.path or record_path(record)) == path:
                    return record.model_copy(deep=True)
        return super().read(path)

    def save(self, records: Sequence[Record], *, deletes: Iterable[str] = (), summary: str,
             evidence: Origin | None = None) -> SaveResult:
        records, deletes = list(records), list(deletes)
        for record in records:
            self._check_record(record)  # refuse at once, not at the end of the turn
        for path in deletes:
            self._check_path(path)
        evidence = (evidence or Evidence()).filled_from(self.evidence())
        with self._lock:
            for record in records:
                self._records[record.id] = record.model_copy(deep=True)
                self._records[record.id]._path = record.path
            for path in deletes:
                if path not in self._deletes:
                    self._deletes.append(path)
            self._entries.append((summary, evidence))
        paths = [record.path or record_path(record) for record in records] + deletes
        return SaveResult(None, None, paths, pending=True)

    def flush(self, reasoning: str | None = None) -> SaveResult:
        """Commit everything staged as one commit (nothing staged: no commit) and start afresh.

        ``reasoning``: why the model made these changes (e.g. its text beside the tool calls),
        recorded for every save of the turn that did not give its own.
        """
        with self._lock:
            records, deletes, entries = list(self._records.values()), list(self._deletes), list(self._entries)
            self._records, self._deletes, self._entries = {}, [], []
        if not entries:
            return SaveResult(None, None, [])
        if reasoning and reasoning.strip():
            entries = [(summary, evidence if evidence.reasoning else replace(evidence, reasoning=reasoning))
                       for summary, evidence in entries]
        return self._commit(records, deletes, entries, entries[0][1])

    def discard(self) -> None:
        """Drop everything staged (the turn failed half-way: write nothing rather than half)."""
        with self._lock:
            self._records, self._deletes, self._entries = {}, [], []


def _stamp_source(record: Record, evidence: Origin) -> None:
    """Fill the record's provenance from the evidence where the store left it empty."""
    source = record.source
    source.user = source.user or evidence.user_id
    source.session = source.session or evidence.session_id
    source.agent = source.agent or evidence.agent_id
    source.mode = source.mode or evidence.mode or None
    source.store = source.store or evidence.store or None


def _turn_list(entries: list[tuple[str, Origin]], evidence: Origin) -> str:
    """The changes of a turn, one line each, when it made several (the commit body; the evidence follows)."""
    if len(entries) < 2:
        return ""
    lines = []
    for summary, item in entries:
        lines.append(f"- {summary}")
        if item.reasoning and item.reasoning != evidence.reasoning:
            lines.append(f"  Why: {' '.join(item.reasoning.split())}")
    return "\n".join(lines)
