"""``UserProfile``: the structured fields a profile keeps, as a dataclass users extend.

Subclass it and declare fields with ``dataclasses.field(metadata={"description": ...})``; the
description is what the model is told the field means (in the ``update_user_profile`` tool schema
and in the extraction prompt), so a custom schema needs no prompt engineering.

    @dataclass
    class CustomerProfile(UserProfile):
        company: str | None = field(default=None, metadata={"description": "Employer or company"})
        plan_tier: str | None = field(default=None, metadata={"description": "free, pro or enterprise"})
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any


@dataclass
class UserProfile:
    """Facts about a user that have one current value each (updated in place, not appended)."""

    name: str | None = field(default=None, metadata={"description": "The user's full name"})
    preferred_name: str | None = field(
        default=None, metadata={"description": "What the user likes to be called"}
    )

    @classmethod
    def field_descriptions(cls) -> dict[str, str]:
        """Field name → description (the field name itself when none was given)."""
        return {f.name: str(f.metadata.get("description") or f.name) for f in dataclasses.fields(cls)}

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """Field name → resolved type hint (for tool schemas)."""
        hints = typing.get_type_hints(cls)
        return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls)}

    def to_dict(self) -> dict[str, Any]:
        """The fields that have a value (Agno's ``UserProfile.to_dict``)."""
        return {key: value for key, value in dataclasses.asdict(self).items() if value not in (None, "", [], {})}

    @classmethod
    def from_dict(cls, data: Any) -> UserProfile | None:
        """Agno's ``UserProfile.from_dict``: ``None`` for anything that is not a mapping."""
        return cls.from_fields(dict(data)) if isinstance(data, dict) else None

    @classmethod
    def from_fields(cls, values: dict[str, Any]) -> UserProfile:
        """Build from a record's ``fields`` mapping; keys the schema does not know are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})
