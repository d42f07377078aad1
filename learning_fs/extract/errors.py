"""Errors raised when talking to the model.

There are three kinds because callers do different things with each: fix the configuration and
retry (``ModelConfigError``), back off or give up on this turn (``ModelAPIError``), or discard the
model's answer without writing anything (``ModelOutputError``). Catch ``ModelError`` to handle
all three. None of them is raised for a bad *tool call*: that becomes a ``ToolResult`` the model
can read and correct (see ``tools.call_tool``).
"""

from __future__ import annotations

from learning_fs.errors import LearningFSError


class ModelError(LearningFSError):
    """Base class for every error raised while calling the model."""


class ModelConfigError(ModelError):
    """The model client is not configured well enough to send a request (no API key, no model id).

    The message always says how to fix it, because this is usually the first thing a new user sees.
    """


class ModelAPIError(ModelError):
    """The endpoint answered with an HTTP error or could not be reached.

    ``status_code`` is ``None`` for connection errors and timeouts; ``body`` holds the parsed error
    body when the server sent one (useful to tell "json_schema unsupported" from other 400s).
    ``transient``: a retry may succeed (connection refused, 429, 502-504); ``timed_out``: the
    request ran out of time (never retried: a long generation would hold the server again).
    """

    def __init__(self, message: str, status_code: int | None = None, body: object = None, *,
                 transient: bool = False, timed_out: bool = False, retry_after: float | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.transient = transient
        self.timed_out = timed_out
        self.retry_after = retry_after
        super().__init__(message)


class ModelOutputError(ModelError):
    """The endpoint answered, but the answer is unusable (not JSON, truncated, wrong shape, fails the schema).

    ``content`` keeps the raw text so it can be logged; callers must not try to salvage half of it.
    """

    def __init__(self, message: str, content: str | None = None) -> None:
        self.content = content
        super().__init__(message)
