"""The fence behind the stores: a user's private records never reach anyone else.

Stores filter by user themselves; the machine runs everything they return through
:func:`scrub_private` as well, so a bug in one store (or a file moved by hand into the wrong
folder) cannot show one user's private memory to another. It recognises records (``namespace:
user`` with an owner) and anything with a repository ``path`` (search hits) under ``users/``.
"""

from __future__ import annotations

import logging
from typing import Any

from learning_fs.format.layout import is_private_path, user_folder
from learning_fs.format.records import USER_NAMESPACE, Record

log = logging.getLogger(__name__)


def scrub_private(data: Any, user_id: str | None, store: str = "?") -> Any:
    """``data`` without records (or search hits) private to anyone but ``user_id``.

    Stores already filter by user; this is the fence behind them, so a bug in one store (or a
    hand-moved file) cannot show one user's private memory to another.
    """
    if _private_to_other(data, user_id):
        log.error("%s: recall returned a record private to another user; dropped", store)
        return None
    if isinstance(data, list):
        return [scrub_private(item, user_id, store) for item in data if not _dropped(item, user_id, store)]
    if isinstance(data, tuple) and not hasattr(data, "_fields"):
        return tuple(scrub_private(item, user_id, store) for item in data if not _dropped(item, user_id, store))
    if isinstance(data, dict):
        return {k: scrub_private(v, user_id, store) for k, v in data.items() if not _dropped(v, user_id, store)}
    return data


def _dropped(item: Any, user_id: str | None, store: str) -> bool:
    if _private_to_other(item, user_id):
        log.error("%s: recall returned a record private to another user; dropped", store)
        return True
    return False


def _private_to_other(item: Any, user_id: str | None) -> bool:
    if isinstance(item, Record) and item.namespace == USER_NAMESPACE and item.user != user_id:
        return True
    path = getattr(item, "path", None)
    if isinstance(path, str) and is_private_path(path):
        return not user_id or not path.startswith(user_folder(user_id) + "/")
    return False


