"""Where each record lives in the repository.

Private records live under their user (``users/<shard>/<user>/…``), shared ones under their kind
and namespace (``learnings/<namespace>/<shard>/<slug>.md``). File names come from titles and
names; folders that grow with the repository are sharded by two hex characters of the name's
hash (256 buckets) because a commit has to rewrite every tree on the touched path and a flat
100k-entry folder costs ~144 ms per commit on this project's machine (see docs/format.md).
"""

from __future__ import annotations

from learning_fs.errors import UnsafePathError
from learning_fs.format.records import USER_NAMESPACE, InstructionsRecord, Record, SessionRecord
from learning_fs.format.slugs import legacy_slugify, safe_segment, shard_of, short_hash, slugify

FOLDERS = {"entity": "entities", "learning": "learnings", "decision": "decisions"}
USERS_FOLDER = "users"
SESSIONS_FOLDER = "sessions"
AGENTS_FOLDER = "agents"  # agents/<agent>/instructions.md
FEEDBACK_FOLDER = "feedback"  # feedback/<namespace>/<shard>/<id>.md
INSTRUCTIONS_FILE = "instructions.md"
DEFAULT_AGENT = "default"  # whose instructions a machine without an agent_id reads
AGENT_FOLDERS = (AGENTS_FOLDER, FEEDBACK_FOLDER)
"""Folders of the agent kinds: records, but not memories (no index, no recall search, no curation unit)."""


def instructions_path(agent: str | None) -> str:
    """``agents/<agent>/instructions.md``: the standing instructions of one agent."""
    return f"{AGENTS_FOLDER}/{safe_segment(agent or DEFAULT_AGENT)}/{INSTRUCTIONS_FILE}"


def user_folder(user_id: str) -> str:
    """``users/<shard>/<user>``: everything private about one user."""
    segment = safe_segment(user_id)
    return f"{USERS_FOLDER}/{shard_of(segment)}/{segment}"


def namespace_segment(namespace: str) -> str:
    """The folder name of a shared namespace (``global``, a team name)."""
    return safe_segment(namespace)


def record_path(record: Record, disambiguate: bool = False) -> str:
    """The repository-relative path of a record.

    With ``disambiguate`` the file name gets a short hash of the record id — the deterministic
    way two different records whose titles slug alike ("C++" and "C") are kept apart.
    """
    kind = record.kind
    if record.namespace == USER_NAMESPACE and not record.user:
        raise UnsafePathError(f"a private (namespace 'user') {kind} needs a user id")
    if kind == "profile":
        return f"{user_folder(_owner(record))}/profile.md"
    if kind == "memories":
        return f"{user_folder(_owner(record))}/memories.md"
    if kind == "session":
        assert isinstance(record, SessionRecord)
        name = safe_segment(record.session_id or record.id)
        if record.user:
            return f"{user_folder(record.user)}/sessions/{name}.md"
        return f"{SESSIONS_FOLDER}/{shard_of(name)}/{name}.md"
    if kind == "instructions":
        assert isinstance(record, InstructionsRecord)
        return instructions_path(record.agent)
    if kind == "feedback":
        if record.namespace == USER_NAMESPACE:
            raise UnsafePathError("feedback is kept per agent in a shared namespace, not in 'user'")
        name = safe_segment(record.slug_source())
        return f"{FEEDBACK_FOLDER}/{namespace_segment(record.namespace)}/{shard_of(name)}/{name}.md"
    slug = slugify(record.slug_source())
    filename = f"{slug}-{short_hash(record.id, 6)}.md" if disambiguate else f"{slug}.md"
    if record.namespace == USER_NAMESPACE:
        return f"{user_folder(_owner(record))}/{FOLDERS[kind]}/{filename}"
    return f"{FOLDERS[kind]}/{namespace_segment(record.namespace)}/{shard_of(slug)}/{filename}"


def legacy_record_path(record: Record) -> str | None:
    """Where a titled record lived when slugs dropped letters outside Latin (``lstykke.md``), if elsewhere.

    Lookups by name try it after :func:`record_path`, so files written before names were
    transliterated are still found (and updated in place) rather than duplicated.
    """
    if record.kind not in FOLDERS:
        return None
    old, new = legacy_slugify(record.slug_source()), slugify(record.slug_source())
    if old == new:
        return None
    if record.namespace == USER_NAMESPACE:
        return f"{user_folder(_owner(record))}/{FOLDERS[record.kind]}/{old}.md"
    return f"{FOLDERS[record.kind]}/{namespace_segment(record.namespace)}/{shard_of(old)}/{old}.md"


def _owner(record: Record) -> str:
    if not record.user:
        raise UnsafePathError(f"a {record.kind} record needs a user id")
    return record.user


def kind_from_path(path: str) -> str | None:
    """Guess the kind a path should hold (used by ``validate`` and namespace checks)."""
    parts = path.split("/")
    if not path.endswith(".md"):
        return None
    if parts[0] == USERS_FOLDER and len(parts) >= 4:
        if len(parts) == 4:
            return {"profile.md": "profile", "memories.md": "memories"}.get(parts[3])
        return {"sessions": "session", "entities": "entity", "learnings": "learning",
                "decisions": "decision"}.get(parts[3])
    if parts[0] == SESSIONS_FOLDER:
        return "session"
    if parts[0] == AGENTS_FOLDER:
        return "instructions" if len(parts) == 3 and parts[2] == INSTRUCTIONS_FILE else None
    if parts[0] == FEEDBACK_FOLDER:
        return "feedback" if len(parts) == 4 else None
    for kind, folder in FOLDERS.items():
        if parts[0] == folder:
            return kind
    return None


def is_private_path(path: str) -> bool:
    """Paths under ``users/`` hold private records; everything else is shared."""
    return path.split("/", 1)[0] == USERS_FOLDER


CONTENT_FOLDERS = (USERS_FOLDER, SESSIONS_FOLDER, *FOLDERS.values())


def search_roots(kind: str | None, namespace: str | None, user: str | None) -> list[str]:
    """The folders that can hold records matching the filters (keeps scans small)."""
    if kind == "instructions":
        return [AGENTS_FOLDER]
    if kind == "feedback":
        return [f"{FEEDBACK_FOLDER}/{namespace_segment(namespace)}" if namespace else FEEDBACK_FOLDER]
    if user is not None:
        return [user_folder(user)]
    if namespace is not None and namespace != USER_NAMESPACE:
        kinds = [kind] if kind in FOLDERS else list(FOLDERS) if kind is None else []
        return [f"{FOLDERS[k]}/{namespace_segment(namespace)}" for k in kinds]
    if kind in FOLDERS and namespace is None:
        return [FOLDERS[kind], "users"]
    if kind in ("profile", "memories", "session") or namespace == USER_NAMESPACE:
        return ["users", "sessions"] if kind in (None, "session") else ["users"]
    return list(CONTENT_FOLDERS)
