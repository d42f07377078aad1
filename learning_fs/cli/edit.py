"""``learning-fs edit …`` and ``learning-fs forget …``: correct or forget what is remembered, by hand.

Each command is one commit made through :mod:`learning_fs.ops` with the rules the agent's tools
apply (``update_memory``, ``remove_memory``, ``retire_fact``, ``archive_entity``,
``update_profile``), so a person and an agent that make the same change leave the same file,
and an unknown id is refused with the same words.
"""

from __future__ import annotations

import json
from typing import Any

import click

from learning_fs.cli._shared import State, commit_line, display_path, make_origin, pass_state, read_text_argument

namespace_option = click.option(
    "--namespace", default="global", show_default=True, metavar="NS",
    help="The entity's namespace ('user' for one private to --user).",
)
user_option = click.option("--user", required=True, metavar="ID", help="Whose memories (their owner).")


@click.group()
def edit() -> None:
    """Correct a memory or a user's profile by hand (one commit each).

    \b
    Examples:
      learning-fs edit memory --user alice m-0a1b2c3d4e "Works in Munich now."
      learning-fs edit profile --user alice --set role=CTO --set 'languages=["en", "de"]'
    """


@edit.command("memory")
@user_option
@click.argument("memory_id")
@click.argument("text")
@pass_state
def edit_memory(state: State, user: str, memory_id: str, text: str) -> None:
    """Give the memory MEMORY_ID a new TEXT (it keeps its id). TEXT '-' reads stdin.

    \b
    Example:
      learning-fs edit memory --user alice m-0a1b2c3d4e "Works in Munich now."
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, None, None)
    body = read_text_argument(text)
    with ops.write_transaction(repo, f"Update memory about {user}: {_short(body)}", origin) as tx:
        record, change = ops.edit_memory(tx, user, memory_id, body, origin)
    click.echo(f"Memory {change.item.id} {'updated' if change.changed else 'unchanged'} in "
               f"{display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


def _value(text: str) -> Any:
    """A ``--set`` value: JSON when it parses (lists, numbers), else the text as written."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@edit.command("profile")
@user_option
@click.option("--set", "pairs", multiple=True, required=True, metavar="FIELD=VALUE",
              help="A field and its new value (JSON for lists and numbers); repeat for several.")
@pass_state
def edit_profile(state: State, user: str, pairs: tuple[str, ...]) -> None:
    """Set fields of a user's profile (created on first use); equal values change nothing.

    \b
    Example:
      learning-fs edit profile --user alice --set role=CTO --set timezone=Europe/Berlin
    """
    from learning_fs import ops

    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--set")
        values[name.strip()] = _value(value)
    repo = state.open_repo()
    origin = make_origin(user, None, None)
    with ops.write_transaction(repo, f"Update profile of {user}: {', '.join(sorted(values))}", origin) as tx:
        record, changed = ops.set_profile(tx, user, values, origin)
    shown = ", ".join(sorted(changed)) or "nothing changed"
    click.echo(f"Profile of {user} ({shown}) in {display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


@click.group()
def forget() -> None:
    """Forget a memory, retire a fact, or archive an entity (git history keeps what was).

    \b
    Examples:
      learning-fs forget memory --user alice m-0a1b2c3d4e
      learning-fs forget fact --entity "Acme Corp" "PostgreSQL 15"
      learning-fs forget entity "Old Project"
    """


@forget.command("memory")
@user_option
@click.argument("memory_id")
@pass_state
def forget_memory(state: State, user: str, memory_id: str) -> None:
    """Take the memory MEMORY_ID out of the user's memories.

    \b
    Example:
      learning-fs forget memory --user alice m-0a1b2c3d4e
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, None, None)
    with ops.write_transaction(repo, f"Forget about {user}", origin) as tx:
        record, item = ops.forget_memory(tx, user, memory_id, origin)
        tx.message = f"Forget about {user}: {_short(item.text)}"
    click.echo(f"Forgot memory {item.id} in {display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


@forget.command("fact")
@click.option("--entity", required=True, metavar="NAME", help="The entity's name.")
@namespace_option
@click.option("--user", metavar="ID", help="The user this came from (the owner of private records).")
@click.argument("fact")
@pass_state
def forget_fact(state: State, entity: str, namespace: str, user: str | None, fact: str) -> None:
    """Retire the entity's facts with the id FACT, or containing its words (kept in the file, struck).

    \b
    Example:
      learning-fs forget fact --entity "Acme Corp" "PostgreSQL 15"
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, None, None)
    with ops.write_transaction(repo, f"Retire fact of {_short(entity, 40)}", origin) as tx:
        record, retired = ops.forget_fact(tx, entity, fact, origin, namespace=namespace)
        tx.message = f"{_short(record.name, 40)}: retire {_short(retired[0].text)}"
    click.echo(f"Retired {len(retired)} fact(s) of {record.name}: {', '.join(f.id for f in retired)}")
    click.echo(commit_line(tx.commit))


@forget.command("entity")
@namespace_option
@click.option("--user", metavar="ID", help="The user this came from (the owner of private records).")
@click.argument("name")
@pass_state
def forget_entity(state: State, namespace: str, user: str | None, name: str) -> None:
    """Archive the entity NAME: out of the agent's context, still searchable.

    \b
    Example:
      learning-fs forget entity "Old Project"
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, None, None)
    with ops.write_transaction(repo, f"Archive {_short(name, 60)}", origin) as tx:
        record, changed = ops.forget_entity(tx, name, origin, namespace=namespace)
    click.echo(f"{'Archived' if changed else 'Already archived:'} {record.name} "
               f"({display_path(repo.root, record.path or '')})")
    click.echo(commit_line(tx.commit))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def register(cli: click.Group) -> None:
    cli.add_command(edit)
    cli.add_command(forget)
