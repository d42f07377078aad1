"""User profile: one current value per field (name, preferred name, your schema's fields).

The profile is one file per user (``users/<shard>/<user>/profile.md``) whose frontmatter
``fields`` hold the values, updated in place. The fields come from a :class:`UserProfile`
dataclass; subclass it to add your own, and the ``description`` metadata of each field is what
the model reads, both in the ``update_user_profile`` tool schema and in the extraction prompt.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learning_fs.errors import RecordParseError
from learning_fs.format.records import ProfileRecord
from learning_fs.ops.edits import set_profile
from learning_fs.stores.base import BaseStore, cached_user_folder, one_line, store_tool, tool_reply
from learning_fs.stores.profile_schema import UserProfile
from learning_fs.stores.protocol import StoreConfig

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo

_SENTINEL_DOC = "Update fields of the user's profile; pass only the fields that changed."


@dataclass(kw_only=True)
class UserProfileConfig(StoreConfig):
    """Options of the user profile store; ``schema`` is your :class:`UserProfile` subclass."""

    schema: type[UserProfile] = UserProfile
    context_budget: int = 300
    enable_update_profile: bool = True  # Agno: False takes update_user_profile away (agent and extraction)
    agent_can_update_profile: bool = True  # Agno: False keeps the tool from the agent only

    def build(self, repo: MemoryRepo | None = None) -> UserProfileStore:
        return UserProfileStore(self, repo)


class UserProfileStore(BaseStore):
    """Structured facts about a user that have one current value each."""

    learning_type = "user_profile"

    def __init__(self, config: UserProfileConfig | None = None, repo: MemoryRepo | None = None) -> None:
        config = config or UserProfileConfig()
        if not (isinstance(config.schema, type) and dataclasses.is_dataclass(config.schema)):
            raise TypeError("UserProfileConfig(schema=...) must be a dataclass (subclass UserProfile)")
        super().__init__(config, repo)
        self.schema = config.schema
        self.descriptions = self.schema.field_descriptions()
        self._update_signature = _update_signature(self.schema)

    @staticmethod
    def path(user_id: str) -> str:
        return f"{cached_user_folder(user_id)}/profile.md"

    # -- recall and context -------------------------------------------------------------------
    def recall(self, user_id: str | None = None, repo: MemoryRepo | None = None) -> ProfileRecord | None:
        """The user's profile record (shared cached object: read-only), or None."""
        if not user_id:
            return None
        try:
            record = self._repo(repo).get(self.path(user_id), copy=False)
        except RecordParseError:
            return None
        return record if isinstance(record, ProfileRecord) and record.user == user_id else None

    def build_context(self, data: ProfileRecord | None) -> str:
        if data is None:
            return ""
        fields = [{"name": name, "description": self.descriptions.get(name, name), "value": value}
                  for name, value in data.fields.items() if value not in (None, "", [], {})]
        return self.render(fields=fields, user_id=data.user) if fields else ""

    # -- tools --------------------------------------------------------------------------------
    def get_tools(self, **ctx: Any) -> list[Callable[..., str]]:
        return self.write_tools(**ctx) if self.agent_writes else []

    def write_tools(self, *, user_id: str | None = None, writer: Any = None, repo: MemoryRepo | None = None,
                    **_: Any) -> list[Callable[..., str]]:
        store, locked = self, self.serialised(repo)

        @store_tool
        @locked
        def update_user_profile(**changes: Any) -> str:
            unknown = sorted(set(changes) - set(store.descriptions))
            if unknown:
                return f"Error: unknown profile field(s) {', '.join(unknown)}; known: {', '.join(store.descriptions)}"
            values = {name: value for name, value in changes.items() if value is not None}
            if not values:
                return "Nothing to update: pass at least one field."
            if not user_id:
                return "Error: no user to update (no user_id)."
            active = store.require_writer(writer)
            with active.transaction(f"Update profile of {user_id}") as tx:
                _, changed = set_profile(tx, user_id, values, active.evidence())
                tx.summary = one_line(f"Update profile of {user_id}: " + ", ".join(sorted(changed)))
            if not changed:
                return "Profile already up to date."
            result = tx.result
            listed = ", ".join(f"{k}={v!r}" for k, v in sorted(changed.items()))
            return tool_reply(active, result, f"Updated profile: {listed}", f"a profile update ({listed})")

        update_user_profile.__signature__ = self._update_signature  # type: ignore[attr-defined]
        update_user_profile.__annotations__ = {p.name: p.annotation for p in self._update_signature.parameters.values()}
        update_user_profile.__annotations__["return"] = str
        update_user_profile.__doc__ = _docstring(self.descriptions)
        return [update_user_profile]

    def prompt_data(self, messages: list[dict[str, Any]], *, user_id: str | None = None,
                    repo: MemoryRepo | None = None, **_: Any) -> dict[str, Any]:
        record = self.recall(user_id=user_id, repo=repo)
        return {"fields": [{"name": name, "description": description,
                            "value": record.fields.get(name) if record else None}
                           for name, description in self.descriptions.items()]}


def _update_signature(schema: type[UserProfile]) -> inspect.Signature:
    """``(name: str | None = None, …)``: one optional keyword per schema field, typed from the schema."""
    types = schema.field_types()
    params = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=types[f.name] | None if types[f.name] is not Any else Any)
              for f in dataclasses.fields(schema)]
    return inspect.Signature(params, return_annotation=str)


def _docstring(descriptions: dict[str, str]) -> str:
    lines = [_SENTINEL_DOC, "", "Args:"]
    lines += [f"    {name}: {description}" for name, description in descriptions.items()]
    return "\n".join(lines)
