"""Chat history per session, kept out of git.

A conversation is not a memory: it is verbose, personal and mostly noise, so it is not
committed. What is worth keeping is extracted into records by the stores; the raw turns live in
the repository's gitignored ``.learning_fs/sessions/<user>/<session>.jsonl`` (one JSON line per
turn, tool calls and results included, so a replayed history is a valid Chat Completions
transcript). Without a repository the history lives in memory for the life of the agent.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from learning_fs.format.records import now
from learning_fs.format.slugs import safe_segment

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
Message = dict[str, Any]


class SessionHistory:
    """Turns of each (user, session), appended after each completed run."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._memory: dict[tuple[str, str], list[list[Message]]] = defaultdict(list)
        self._lock = threading.Lock()

    def path(self, user_id: str | None, session_id: str) -> Path | None:
        """``<folder>/<user>/<session>.jsonl``; ids pass through ``safe_segment`` (no escaping the folder)."""
        if self.folder is None:
            return None
        return self.folder / safe_segment(user_id or ANONYMOUS) / f"{safe_segment(session_id)}.jsonl"

    def load(self, user_id: str | None, session_id: str, turns: int | None = None) -> list[Message]:
        """The messages of the last ``turns`` turns (all when ``None``), oldest first."""
        stored = self._turns(user_id, session_id)
        if turns is not None:
            stored = stored[-turns:] if turns > 0 else []
        return [dict(message) for turn in stored for message in turn]

    def append(self, user_id: str | None, session_id: str, messages: Sequence[Message]) -> None:
        """Add one completed turn (the user's message through the final answer)."""
        turn = [dict(message) for message in messages]
        path = self.path(user_id, session_id)
        with self._lock:
            if path is None:
                self._memory[(user_id or ANONYMOUS, session_id)].append(turn)
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps({"at": now(), "messages": turn}, ensure_ascii=False, default=str)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    def _turns(self, user_id: str | None, session_id: str) -> list[list[Message]]:
        path = self.path(user_id, session_id)
        if path is None:
            with self._lock:
                return list(self._memory.get((user_id or ANONYMOUS, session_id), []))
        if not path.exists():
            return []
        turns = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                turns.append(list(json.loads(line)["messages"]))
            except (ValueError, KeyError, TypeError):
                log.warning("%s:%d: not a history line; skipped", path, number)
        return turns
