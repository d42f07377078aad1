"""What the MCP server does, as plain methods over :mod:`learning_fs.ops`, the index and the machine.

The MCP layer (:mod:`learning_fs.mcp.server`) only turns these methods into tools and resources;
keeping the work here means it is tested without a protocol in between, and the server stays a
thin adapter like the CLI. Every method returns JSON-like data (what a model reads best) and
runs inside one lock: the SDK calls synchronous tools from worker threads, and one memory
repository is written by one transaction at a time anyway.

**Scope.** A server acts for the users it was started for (``--user``, repeatable; the first is
the default) and for nobody else. A tool's ``user_id`` argument must be one of them; without any
user the server reads and writes shared memory only. Every result goes through the machine's
privacy fence (:func:`~learning_fs.machine.privacy.scrub_private`) and a path check, so another
user's private records never leave the server, whatever a client asks for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from learning_fs.errors import LearningFSError, RecordNotFoundError
from learning_fs.format.layout import is_private_path, user_folder
from learning_fs.format.records import KINDS, USER_NAMESPACE, Record

if TYPE_CHECKING:
    from learning_fs.index.service import RepoIndex
    from learning_fs.machine.machine import LearningMachine
    from learning_fs.ops import Origin
    from learning_fs.repo import MemoryRepo

T = TypeVar("T")
STORE = "mcp"
"""``Learning-Store`` trailer of every commit made through the server (``git log --grep`` finds them)."""


class ScopeError(LearningFSError):
    """A request for a user this server does not act for."""


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MemoryService:
    """The operations an MCP client may run on one memory repository, fenced to a set of users.

    Args:
        repo: The open memory repository (the caller closes it).
        users: The users this server acts for; the first is the default ``user_id``. Empty: shared
            memory only (a ``namespace: user`` write or a ``user_id`` argument is refused).
        agent: Recorded as ``Learning-Agent`` in every commit the server makes.
    """

    def __init__(self, repo: MemoryRepo, *, users: Sequence[str] = (), agent: str | None = None) -> None:
        self.repo = repo
        self.users = tuple(dict.fromkeys(u for u in users if u))
        self.agent = agent
        self._lock = threading.RLock()
        self._index: RepoIndex | None = None
        self._machine: LearningMachine | None = None

    # -- scope ---------------------------------------------------------------------------------
    def user(self, user_id: str | None) -> str | None:
        """The user a call acts for: ``user_id`` when this server may act for them, else refused."""
        if not user_id:
            return self.users[0] if self.users else None
        if user_id not in self.users:
            allowed = ", ".join(self.users) if self.users else "nobody (start it with --user ID)"
            raise ScopeError(f"this server does not act for user {user_id!r}; it acts for {allowed}")
        return user_id

    def visible(self, path: str | None, user: str | None) -> bool:
        """Whether ``user`` may see the file at ``path``: shared files, and their own private ones."""
        if not path or not is_private_path(path):
            return True
        return user is not None and path.startswith(user_folder(user) + "/")

    def _scrub(self, data: T, user: str | None) -> T:
        from learning_fs.machine.privacy import scrub_private

        return scrub_private(data, user, STORE)

    def _origin(self, user: str | None, session: str | None) -> Origin:
        from learning_fs.ops import Origin

        return Origin(store=STORE, mode="manual", user=user, session=session, agent=self.agent)

    def _needs_user(self, namespace: str, user: str | None) -> None:
        if namespace == USER_NAMESPACE and user is None:
            raise ScopeError("namespace 'user' is private memory: start the server with --user ID to write it")

    @contextmanager
    def _write(self, message: str, origin: Origin) -> Iterator[Any]:
        from learning_fs import ops

        with self._lock, ops.write_transaction(self.repo, message, origin) as tx:
            yield tx

    def _locked(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return fn()

    # -- reading -------------------------------------------------------------------------------
    def index(self) -> RepoIndex:
        """The search index, opened on first use and caught up with hand edits before each search."""
        if self._index is None:
            from learning_fs.index.service import RepoIndex

            self._index = RepoIndex.open(self.repo, catch_up=False, write_through="async")
        return self._index

    def search(self, query: str, *, user_id: str | None = None, kind: str | None = None,
               namespace: str | None = None, k: int = 10) -> list[dict[str, Any]]:
        """Hits for ``query`` (meaning and words): shared records and the caller's private ones."""
        if not query.strip():
            raise LearningFSError("search needs a query")
        if kind is not None and kind not in KINDS:
            raise LearningFSError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        user = self.user(user_id)
        if namespace == USER_NAMESPACE and user is None:
            return []

        def run() -> list[dict[str, Any]]:
            handle = self.index()
            if not handle.read_only:
                handle.catch_up()
            hits = handle.search(query, k=max(1, min(int(k), 100)), kind=kind, namespace=namespace, user=user)
            return [_hit(h) for h in self._scrub(hits, user) if self.visible(h.path, user)]

        return self._locked(run)

    def machine(self) -> LearningMachine:
        """Every built-in store, no model: recall and context read, nothing extracts."""
        if self._machine is None:
            from learning_fs.machine.machine import SLOTS, LearningMachine

            stores: dict[str, Any] = dict.fromkeys(SLOTS, True)
            self._machine = LearningMachine(self.repo, None, background=False, track_recalls=False,
                                            agent_id=self.agent, **stores)
        return self._machine

    def build_context(self, message: str = "", *, user_id: str | None = None, session_id: str | None = None,
                      budget: int | None = None) -> str:
        """What the agent should know now, as the delimited context block the machine builds."""
        user = self.user(user_id)
        return self._locked(lambda: self.machine().build_context(user, session_id, message or None, budget=budget))

    def recall(self, message: str = "", *, user_id: str | None = None,
               session_id: str | None = None) -> dict[str, Any]:
        """What each store recalls now, as data (``{store: records}``)."""
        user = self.user(user_id)
        recalled = self._locked(lambda: self.machine().recall(user, session_id, message or None))
        return _jsonable(self._scrub(recalled, user))

    def show(self, id_or_path: str, *, user_id: str | None = None) -> dict[str, Any]:
        """One record by id (``lrn-…``) or repository path, with its file's text."""
        from learning_fs import ops

        user = self.user(user_id)

        def run() -> dict[str, Any]:
            try:
                path = ops.resolve(self.repo, id_or_path)
            except RecordNotFoundError:
                raise RecordNotFoundError(f"no record {id_or_path!r}") from None
            if not self.visible(path, user):  # say the same as for a record that does not exist
                raise RecordNotFoundError(f"no record {id_or_path!r}")
            record = self.repo.read(path)
            if self._scrub(record, user) is None:
                raise RecordNotFoundError(f"no record {id_or_path!r}")
            return {**_summary(record), "markdown": record.to_markdown()}

        return self._locked(run)

    def list_records(self, *, user_id: str | None = None, kind: str | None = None, namespace: str | None = None,
                     limit: int = 200) -> list[dict[str, Any]]:
        """Records the caller may see (shared ones and their own), newest first, at most ``limit``."""
        user = self.user(user_id)

        def run() -> list[dict[str, Any]]:
            records = [r for r in self.repo.list(kind, namespace=namespace, copy=False) if self.visible(r.path, user)]
            records = self._scrub(records, user)
            records.sort(key=lambda r: r.updated, reverse=True)
            return [_summary(r) for r in records[: max(1, int(limit))]]

        return self._locked(run)

    # -- writing -------------------------------------------------------------------------------
    def add_memory(self, text: str, *, user_id: str | None = None, session_id: str | None = None) -> dict[str, Any]:
        """Remember an observation about the user (their private ``memories.md``)."""
        from learning_fs import ops

        user = self._memory_owner(user_id)
        origin = self._origin(user, session_id)
        with self._write(f"Remember about {user}: {_short(text)}", origin) as tx:
            record, item = ops.add_memory(tx, user, text, origin)
        return {"id": item.id, "record": record.id, "path": record.path, "text": item.text, **_commit(tx)}

    def add_learning(self, title: str, text: str, *, context: str = "", tags: Sequence[str] = (),
                     namespace: str = "global", user_id: str | None = None,
                     session_id: str | None = None) -> dict[str, Any]:
        """Write a learning (a specific, reusable lesson) at once."""
        from learning_fs import ops

        user = self.user(user_id)
        self._needs_user(namespace, user)
        origin = self._origin(user, session_id)
        with self._write(f"Add learning: {_short(title)}", origin) as tx:
            record = ops.add_learning(tx, title, text, origin, namespace=namespace, tags=list(tags), context=context)
        return {**_summary(record), **_commit(tx)}

    def add_decision(self, title: str, decision: str, *, reasoning: str = "", alternatives: Sequence[str] = (),
                     confidence: float | None = None, namespace: str = "global", tags: Sequence[str] = (),
                     user_id: str | None = None, session_id: str | None = None) -> dict[str, Any]:
        """Log a decision with its reasoning and the alternatives considered."""
        from learning_fs import ops

        user = self.user(user_id)
        self._needs_user(namespace, user)
        origin = self._origin(user, session_id)
        with self._write(f"Add decision: {_short(title)}", origin) as tx:
            record = ops.add_decision(tx, title, decision, origin, reasoning=reasoning,
                                      alternatives=list(alternatives), confidence=confidence,
                                      namespace=namespace, tags=list(tags))
        return {**_summary(record), **_commit(tx)}

    def add_fact(self, entity: str, text: str, *, entity_type: str | None = None, namespace: str = "global",
                 user_id: str | None = None, session_id: str | None = None) -> dict[str, Any]:
        """Add a fact to an entity (created when missing)."""
        from learning_fs import ops

        user = self.user(user_id)
        self._needs_user(namespace, user)
        origin = self._origin(user, session_id)
        with self._write(f"Add fact to {_short(entity, 40)}: {_short(text)}", origin) as tx:
            record, item = ops.add_fact(tx, entity, text, origin, namespace=namespace, entity_type=entity_type)
        return {"id": item.id, "entity": record.name, "record": record.id, "path": record.path, **_commit(tx)}

    def add_event(self, entity: str, date: str, text: str, *, namespace: str = "global",
                  user_id: str | None = None, session_id: str | None = None) -> dict[str, Any]:
        """Add a dated event (``YYYY-MM-DD``) to an entity's timeline."""
        import datetime as dt

        from learning_fs import ops

        try:
            day = dt.date.fromisoformat(date.strip()).isoformat()
        except ValueError:
            raise LearningFSError(f"{date!r} is not a date in the form YYYY-MM-DD") from None
        user = self.user(user_id)
        self._needs_user(namespace, user)
        origin = self._origin(user, session_id)
        with self._write(f"Add event to {_short(entity, 40)}: {day} {_short(text)}", origin) as tx:
            record, item = ops.add_event(tx, entity, day, text, origin, namespace=namespace)
        return {"id": item.id, "entity": record.name, "record": record.id, "path": record.path, **_commit(tx)}

    def add_relationship(self, entity: str, relation: str, target: str, *, note: str = "",
                         inverse: str | None = None, namespace: str = "global", user_id: str | None = None,
                         session_id: str | None = None) -> dict[str, Any]:
        """Relate two entities, written on both of them in one commit."""
        from learning_fs import ops

        user = self.user(user_id)
        self._needs_user(namespace, user)
        origin = self._origin(user, session_id)
        with self._write(f"Relate {_short(entity, 40)} {relation} {_short(target, 40)}", origin) as tx:
            source, other = ops.add_relationship(tx, entity, relation, target, origin, note=note, inverse=inverse,
                                                 namespace=namespace)
        return {"entity": source.name, "path": source.path, "target": other.name, "target_path": other.path,
                **_commit(tx)}

    def update_memory(self, memory_id: str, text: str, *, user_id: str | None = None,
                      session_id: str | None = None) -> dict[str, Any]:
        """Correct one of the user's memories (same id, new text); the same text again changes nothing."""
        from learning_fs import ops

        user = self._memory_owner(user_id)
        origin = self._origin(user, session_id)
        with self._write(f"Update memory about {user}: {_short(text)}", origin) as tx:
            record, change = ops.edit_memory(tx, user, memory_id, text, origin)
        return {"id": change.item.id, "path": record.path, "text": change.item.text, "changed": change.changed,
                **_commit(tx)}

    def forget_memory(self, memory_id: str, *, user_id: str | None = None,
                      session_id: str | None = None) -> dict[str, Any]:
        """Take one of the user's memories out of their file (git history keeps it)."""
        from learning_fs import ops

        user = self._memory_owner(user_id)
        origin = self._origin(user, session_id)
        with self._write(f"Forget about {user}", origin) as tx:
            record, item = ops.forget_memory(tx, user, memory_id, origin)
            tx.message = f"Forget about {user}: {_short(item.text)}"
        return {"id": item.id, "path": record.path, **_commit(tx)}

    def forget_fact(self, entity: str, fact: str, *, namespace: str = "global", user_id: str | None = None,
                    session_id: str | None = None) -> dict[str, Any]:
        """Retire an entity's facts with that id or containing those words (kept in the file, struck)."""
        from learning_fs import ops

        user = self.user(user_id)
        self._needs_user(namespace, user)
        origin = self._origin(user, session_id)
        with self._write(f"Retire fact of {_short(entity, 40)}", origin) as tx:
            record, retired = ops.forget_fact(tx, entity, fact, origin, namespace=namespace)
            tx.message = f"{_short(record.name, 40)}: retire {_short(retired[0].text)}"
        return {"entity": record.name, "path": record.path, "retired": [f.id for f in retired], **_commit(tx)}

    def _memory_owner(self, user_id: str | None) -> str:
        user = self.user(user_id)
        if user is None:
            raise ScopeError("a memory is private to a user: start the server with --user ID")
        return user

    def propose_learning(self, title: str, text: str, *, why: str | None = None, context: str = "",
                         tags: Sequence[str] = (), namespace: str = "global", user_id: str | None = None,
                         session_id: str | None = None) -> dict[str, Any]:
        """Propose a learning for review (a branch) instead of writing it."""
        from learning_fs.review import propose_learning

        user = self.user(user_id)
        self._needs_user(namespace, user)
        try:
            result = self._locked(lambda: propose_learning(
                self.repo, title, text, namespace=namespace, tags=list(tags), context=context, user=user,
                session=session_id, agent=self.agent, why=why, store=STORE))
        except ValueError as exc:
            raise LearningFSError(str(exc)) from None
        if result.proposal_id:
            return {"proposal": result.proposal_id, "branch": result.branch,
                    "next": f"learning-fs proposals show {result.proposal_id}"}
        if result.commit:
            return {"proposal": None, "commit": result.commit, "note": "approved at once (review.auto_approve)"}
        return {"proposal": None, "note": "nothing to propose: already remembered as written"}

    # -- review and validation -------------------------------------------------------------------
    def list_proposals(self, *, user_id: str | None = None) -> list[dict[str, Any]]:
        """Open proposals whose files the caller may see."""
        from learning_fs.review import list_proposals

        user = self.user(user_id)
        found = self._locked(lambda: list_proposals(self.repo))
        return [p.to_dict() for p in found if all(self.visible(path, user) for path in p.paths)]

    def show_proposal(self, proposal_id: str, *, user_id: str | None = None) -> dict[str, Any]:
        """One proposal: its evidence and its diff against where it forked."""
        from learning_fs.review import get_proposal, proposal_diff

        user = self.user(user_id)

        def run() -> dict[str, Any]:
            proposal = get_proposal(self.repo, proposal_id)
            if not all(self.visible(path, user) for path in proposal.paths):
                raise RecordNotFoundError(f"no proposal {proposal_id!r}")
            diff = proposal_diff(self.repo, proposal)
            return {**proposal.to_dict(), "evidence_text": proposal.render(), "diff": diff}

        return self._locked(run)

    def validate(self, *, user_id: str | None = None) -> dict[str, Any]:
        """Format problems in the files the caller may see (``learning-fs validate``)."""
        from learning_fs import ops

        user = self.user(user_id)
        problems = self._locked(lambda: ops.validate_repo(self.repo))
        shown = [p.to_dict() for p in problems if self.visible(p.path, user)]
        errors = sum(1 for p in shown if p["severity"] == "error")
        return {"ok": errors == 0, "errors": errors, "warnings": len(shown) - errors, "problems": shown}

    def close(self) -> None:
        """Stop the machine and close the index (the repository stays open: the caller owns it)."""
        with self._lock:
            if self._machine is not None:
                self._machine.close()
                self._machine = None
            if self._index is not None:
                self._index.close()
                self._index = None


def _commit(tx: Any) -> dict[str, Any]:
    commit = getattr(tx, "commit", None)
    sha = getattr(commit, "sha", None) or (commit if isinstance(commit, str) else None)
    return {"commit": sha}


def _summary(record: Record) -> dict[str, Any]:
    return {"id": record.id, "kind": record.kind, "title": record.title_text(), "namespace": record.namespace,
            "user": record.user, "status": record.status, "updated": record.updated, "path": record.path}


def _hit(hit: Any) -> dict[str, Any]:
    meta = hit.metadata
    return {"id": hit.record_id, "item_id": hit.item_id or None, "kind": hit.kind,
            "item_kind": meta.get("item_kind"), "title": meta.get("title"), "namespace": hit.namespace,
            "user": hit.user or None, "path": hit.path, "score": round(float(hit.score), 6), "snippet": hit.snippet}


def _jsonable(data: Any) -> Any:
    """Records and models as plain data (what a JSON tool result can carry)."""
    from pydantic import BaseModel

    if isinstance(data, Record):
        return {**_summary(data), "markdown": data.to_markdown()}
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return {str(k): _jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_jsonable(v) for v in data]
    if isinstance(data, (str, int, float, bool)) or data is None:
        return data
    if hasattr(data, "_asdict"):
        return _jsonable(data._asdict())
    return str(data)
