"""``learning_fs.yaml``: the settings that travel with a memory repository.

The file is committed with the memories, so a team shares its review policy and index settings
through git like everything else. Unknown sections are kept, so later features and people can
add their own without breaking older readers.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from learning_fs.errors import RecordParseError, SymlinkError
from learning_fs.format.layout import CONTENT_FOLDERS

CONFIG_FILE = "learning_fs.yaml"
DERIVED_DIR = ".learning_fs"  # index, caches: gitignored, rebuildable from the files
GITIGNORE = f"""# Derived data (search index, caches) is rebuilt from the files: never commit it.
{DERIVED_DIR}/
# Obsidian's per-person settings and trash, when the repository is opened as a vault.
.obsidian/
.trash/
"""


#: A ``learning_fs.yaml`` larger than this is refused: settings are a few hundred bytes, and the
#: file is parsed whenever a repository is opened (a 30 MB one cost over 20 s per command).
MAX_CONFIG_BYTES = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")
#: Folders that hold the truth (or git's own data): the index must never live inside one.
_KEPT_FOLDERS = frozenset({".git", "templates", "agents", "reviews", "feedback", *CONTENT_FOLDERS})


class Author(BaseModel):
    """Name and e-mail on the library's commits (people's own commits keep theirs)."""

    name: str = Field(default="learning-fs", min_length=1, max_length=200)
    email: str = Field(default="learning-fs@localhost", max_length=254)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if _CONTROL.search(value) or "<" in value or ">" in value:
            raise ValueError("must be one line without control characters or angle brackets (git refuses them)")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("must look like name@host, without spaces or angle brackets")
        return value


class ChromaServer(BaseModel):
    """``index.chroma``: keep the index's vectors on a Chroma server (``chroma run``), not in the folder.

    Several processes and machines then share one vector store; the catalog (paths, FTS, what
    was indexed at which commit) stays in each clone's index folder (docs/teams.md says why).
    Unknown keys are refused: a misspelt ``prot:`` would otherwise fall back to a default port.
    """

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(default=8000, ge=1, le=65535)
    ssl: bool = False
    tenant: str = "default_tenant"
    database: str = "default_database"

    @field_validator("host", "tenant", "database")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip() or any(c.isspace() for c in value):
            raise ValueError("must be a non-empty name without spaces")
        return value


class IndexSettings(BaseModel):
    model_config = ConfigDict(extra="allow")

    directory: str = f"{DERIVED_DIR}/index"
    chroma: ChromaServer | None = None  # None: an embedded Chroma inside ``directory``

    @field_validator("directory")
    @classmethod
    def _derived_folder(cls, value: str) -> str:
        """The index is deleted and rebuilt at will: it must never share a folder with the truth."""
        path = PurePosixPath(value.replace("\\", "/"))
        parts = [part for part in path.parts if part not in ("", ".")]
        if path.is_absolute() or not parts or ".." in parts:
            raise ValueError("must be a folder inside the repository, relative to it (default .learning_fs/index)")
        if parts[0] in _KEPT_FOLDERS:
            raise ValueError(f"must not be inside {parts[0]}/ (the index is rebuilt at will and would delete or "
                             "pollute what is kept there); use a folder under .learning_fs/")
        return value


class LimitSettings(BaseModel):
    """``limits``: the most one record, item or file may hold; what is larger is refused or skipped.

    Why: a memory repository is fed by models and by people's clones. A 1 MB "memory" from a
    model, or a 50 MB file someone committed, made ``check`` take minutes and ``index`` never
    finish; a bound keeps every operation's cost bounded and tells whoever wrote it why.
    """

    model_config = ConfigDict(extra="forbid")

    max_record_bytes: int = Field(default=1_000_000, ge=1_000, le=100_000_000)
    max_item_chars: int = Field(default=20_000, ge=100, le=10_000_000)
    max_items_per_file: int = Field(default=20_000, ge=10, le=10_000_000)


class ReviewSettings(BaseModel):
    """``review``: namespaces whose proposals skip review (none by default: PROPOSE means review)."""

    model_config = ConfigDict(extra="allow")

    auto_approve: list[str] = Field(default_factory=list)


class RepoConfig(BaseModel):
    """Parsed ``learning_fs.yaml`` (every key optional)."""

    model_config = ConfigDict(extra="allow")

    version: int = 1
    branch: str = "main"
    author: Author = Field(default_factory=Author)
    index: IndexSettings = Field(default_factory=IndexSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    gc_every: int = Field(default=500, ge=0, le=1_000_000)  # commits between background `git gc --auto` runs

    @field_validator("branch")
    @classmethod
    def _branch_name(cls, value: str) -> str:
        if not value or _CONTROL.search(value) or " " in value or ".." in value or value.startswith(("-", "/")):
            raise ValueError("must be a plain git branch name such as main")
        return value

    @classmethod
    def load(cls, root: Path) -> RepoConfig:
        path = root / CONFIG_FILE
        if path.is_symlink():  # a clone's link would have the settings read from anywhere
            raise SymlinkError(CONFIG_FILE)
        try:
            size = path.lstat().st_size
        except FileNotFoundError:
            return cls()
        if size > MAX_CONFIG_BYTES:
            raise RecordParseError(CONFIG_FILE, f"is {size:,} bytes; settings files are limited to "
                                   f"{MAX_CONFIG_BYTES:,} bytes (remove what is not a setting)")
        try:
            data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise RecordParseError(CONFIG_FILE, f"invalid YAML: {exc}", line=mark.line + 1 if mark else None) from None
        if not isinstance(data, dict):
            raise RecordParseError(CONFIG_FILE, "must be a mapping", line=1)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise RecordParseError(CONFIG_FILE, _first_problem(exc), line=_line_of(path, exc)) from None

    def to_yaml(self) -> str:
        header = "# learning_fs settings for this memory repository (see docs/format.md).\n"
        return header + str(yaml.safe_dump(self.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True))


def _first_problem(exc: ValidationError) -> str:
    """``key.sub: what is wrong (got value)`` for the first error pydantic found."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    shown = repr(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__
    return f"{key}: {message} (got {shown[:80]})"


def _line_of(path: Path, exc: ValidationError) -> int | None:
    """The line of the offending key's last part, found by a plain text search (good enough to point at)."""
    loc = exc.errors()[0]["loc"]
    names = [str(part) for part in loc if isinstance(part, str)]
    if not names:
        return None
    pattern = re.compile(rf"^\s*{re.escape(names[-1])}\s*:")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
