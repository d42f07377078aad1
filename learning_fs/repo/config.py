"""``learning_fs.yaml``: the settings that travel with a memory repository.

The file is committed with the memories, so a team shares its review policy and index settings
through git like everything else. Unknown sections are kept, so later features and people can
add their own without breaking older readers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from learning_fs.errors import RecordParseError, SymlinkError

CONFIG_FILE = "learning_fs.yaml"
DERIVED_DIR = ".learning_fs"  # index, caches: gitignored, rebuildable from the files
GITIGNORE = f"""# Derived data (search index, caches) is rebuilt from the files: never commit it.
{DERIVED_DIR}/
"""


class Author(BaseModel):
    """Name and e-mail on the library's commits (people's own commits keep theirs)."""

    name: str = "learning-fs"
    email: str = "learning-fs@localhost"


class IndexSettings(BaseModel):
    model_config = ConfigDict(extra="allow")

    directory: str = f"{DERIVED_DIR}/index"


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
    gc_every: int = 500  # commits between background `git gc --auto` runs

    @classmethod
    def load(cls, root: Path) -> RepoConfig:
        path = root / CONFIG_FILE
        if path.is_symlink():  # a clone's link would have the settings read from anywhere
            raise SymlinkError(CONFIG_FILE)
        if not path.exists():
            return cls()
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
            raise RecordParseError(CONFIG_FILE, str(exc).splitlines()[0]) from None

    def to_yaml(self) -> str:
        header = "# learning_fs settings for this memory repository (see docs/format.md).\n"
        return header + str(yaml.safe_dump(self.model_dump(), sort_keys=False, allow_unicode=True))
