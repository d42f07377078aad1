"""``learning-fs add …``: write one learning, memory, fact, event, relationship or decision by hand.

Each command is one commit made through :mod:`learning_fs.ops` (the same functions the agent's
tools use) with the trailers ``Learning-Store: cli`` and ``Learning-Mode: manual``.
"""

from __future__ import annotations

import datetime as dt

import click

from learning_fs.cli._shared import (
    State,
    commit_line,
    display_path,
    make_origin,
    pass_state,
    provenance_options,
    read_text_argument,
)

namespace_option = click.option(
    "--namespace", default="global", show_default=True, metavar="NS",
    help="Shared namespace (a team, a project), or 'user' for a record private to --user.",
)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


@click.group()
def add() -> None:
    """Write a record by hand (one commit each).

    \b
    Examples:
      learning-fs add learning --title "Prefer uv" "Use uv to install packages in CI."
      learning-fs add memory --user alice "Prefers answers with code samples."
      learning-fs add fact --entity "Acme Corp" --type company "Runs PostgreSQL 16."
      learning-fs add event --entity "Acme Corp" --date 2026-10-01 "Signed the renewal."
      learning-fs add relationship --entity Alice --relation works_at --target "Acme Corp"
      learning-fs add decision --title "Use Postgres" --reasoning "Team knows it" "Store orders in Postgres."
    """


@add.command("learning")
@click.option("--title", required=True, help="A short, specific title (also the file name).")
@namespace_option
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag (repeat for several).")
@click.option("--context", default="", help="When and why this was learned.")
@provenance_options
@click.argument("text")
@pass_state
def add_learning(state: State, title: str, namespace: str, tags: tuple[str, ...], context: str, text: str,
                 user: str | None, session: str | None, agent: str | None) -> None:
    """Add a learning: a specific, reusable lesson. TEXT '-' reads stdin.

    \b
    Example:
      learning-fs add learning --title "Retry flaky uploads" --tag ci \\
          --context "S3 returned 503 during the nightly build" \\
          "Retry uploads 3 times with backoff; 503s from S3 are transient."
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, session, agent)
    with ops.write_transaction(repo, f"Add learning: {_short(title)}", origin) as tx:
        record = ops.add_learning(tx, title, read_text_argument(text), origin, namespace=namespace,
                                  tags=list(tags), context=context or None)
    click.echo(f"Added learning {record.id} in {display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


@add.command("memory")
@click.option("--user", required=True, metavar="ID", help="The user the memory is about (its owner).")
@click.option("--session", metavar="ID", help="The session this came from.")
@click.option("--agent", metavar="NAME", help="The agent on whose behalf this is written.")
@click.argument("text")
@pass_state
def add_memory(state: State, user: str, session: str | None, agent: str | None, text: str) -> None:
    """Add an observation about a user to their private memories. TEXT '-' reads stdin.

    \b
    Example:
      learning-fs add memory --user alice --session s-42 "Works in Berlin; prefers short answers."
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, session, agent)
    body = read_text_argument(text)
    with ops.write_transaction(repo, f"Remember about {user}: {_short(body)}", origin) as tx:
        record, item = ops.add_memory(tx, user, body, origin)
    click.echo(f"Memory {item.id} in {display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


@add.command("fact")
@click.option("--entity", required=True, metavar="NAME", help="The entity's name (created if missing).")
@click.option("--type", "entity_type", metavar="TYPE", help="The entity's type (person, company, project…).")
@namespace_option
@provenance_options
@click.argument("text")
@pass_state
def add_fact(state: State, entity: str, entity_type: str | None, namespace: str, text: str,
             user: str | None, session: str | None, agent: str | None) -> None:
    """Add a fact to an entity; a fact it already holds is not repeated.

    \b
    Example:
      learning-fs add fact --entity "Acme Corp" --type company "Bills customers monthly in EUR."
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, session, agent)
    body = read_text_argument(text)
    with ops.write_transaction(repo, f"Add fact to {_short(entity, 40)}: {_short(body)}", origin) as tx:
        record, item = ops.add_fact(tx, entity, body, origin, namespace=namespace, entity_type=entity_type)
    click.echo(f"Fact {item.id} on {record.name} in {display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


@add.command("event")
@click.option("--entity", required=True, metavar="NAME", help="The entity's name (created if missing).")
@click.option("--date", required=True, callback=_date, metavar="YYYY-MM-DD", help="When it happened.")
@namespace_option
@provenance_options
@click.argument("text")
@pass_state
def add_event(state: State, entity: str, date: str, namespace: str, text: str,
              user: str | None, session: str | None, agent: str | None) -> None:
    """Add a dated event to an entity's timeline (kept in date order).

    \b
    Example:
      learning-fs add event --entity "Acme Corp" --date 2026-10-01 "Renewed the contract for 2 years."
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, session, agent)
    body = read_text_argument(text)
    with ops.write_transaction(repo, f"Add event to {_short(entity, 40)}: {date} {_short(body)}", origin) as tx:
        record, item = ops.add_event(tx, entity, date, body, origin, namespace=namespace)
    click.echo(f"Event {item.id} on {record.name} in {display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


@add.command("relationship")
@click.option("--entity", required=True, metavar="NAME", help="The entity the relation starts from.")
@click.option("--relation", required=True, metavar="LABEL", help="The edge label, e.g. works_at, uses.")
@click.option("--target", required=True, metavar="NAME", help="The other entity (created if missing).")
@click.option("--note", default="", help="Optional text shown after the link.")
@click.option("--inverse", metavar="LABEL",
              help="Label on the target's side (default: known pairs such as works_at/employs, "
                   "else '<label> (inverse)').")
@namespace_option
@provenance_options
@pass_state
def add_relationship(state: State, entity: str, relation: str, target: str, note: str, inverse: str | None,
                     namespace: str, user: str | None, session: str | None, agent: str | None) -> None:
    """Relate two entities; written on BOTH entities in one commit as [[wikilinks]].

    \b
    Example:
      learning-fs add relationship --entity Alice --relation works_at --target "Acme Corp"
      # entities/…/alice.md:     - works_at [[Acme Corp]]
      # entities/…/acme-corp.md: - employs [[Alice]]
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, session, agent)
    message = f"Relate {_short(entity, 40)} {relation} {_short(target, 40)}"
    with ops.write_transaction(repo, message, origin) as tx:
        source, other = ops.add_relationship(tx, entity, relation, target, origin, note=note, inverse=inverse,
                                             namespace=namespace)
    click.echo(f"{source.name} {relation} [[{other.name}]] in {display_path(repo.root, source.path or '')}")
    back = next((i.relation for i in other.relationships if i.active and i.target == source.name), "")
    click.echo(f"{other.name} {back} [[{source.name}]] in {display_path(repo.root, other.path or '')}")
    click.echo(commit_line(tx.commit))


@add.command("decision")
@click.option("--title", required=True, help="What was decided, in a few words.")
@click.option("--reasoning", default="", help="Why.")
@click.option("--alternative", "alternatives", multiple=True, metavar="TEXT",
              help="An option that was considered and not taken (repeat for several).")
@click.option("--confidence", type=click.FloatRange(0.0, 1.0), help="How sure, from 0 to 1.")
@namespace_option
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag (repeat for several).")
@provenance_options
@click.argument("text")
@pass_state
def add_decision(state: State, title: str, reasoning: str, alternatives: tuple[str, ...], confidence: float | None,
                 namespace: str, tags: tuple[str, ...], text: str, user: str | None, session: str | None,
                 agent: str | None) -> None:
    """Add a decision with its reasoning and the alternatives considered. TEXT '-' reads stdin.

    \b
    Example:
      learning-fs add decision --title "Use Postgres for orders" --confidence 0.8 \\
          --reasoning "The team runs it already" --alternative MySQL --alternative DynamoDB \\
          "Store orders in the existing Postgres cluster."
    """
    from learning_fs import ops

    repo = state.open_repo()
    origin = make_origin(user, session, agent)
    with ops.write_transaction(repo, f"Add decision: {_short(title)}", origin) as tx:
        record = ops.add_decision(tx, title, read_text_argument(text), origin, reasoning=reasoning,
                                  alternatives=list(alternatives), confidence=confidence, namespace=namespace,
                                  tags=list(tags))
    click.echo(f"Added decision {record.id} in {display_path(repo.root, record.path or '')}")
    click.echo(commit_line(tx.commit))


def register(cli: click.Group) -> None:
    cli.add_command(add)
