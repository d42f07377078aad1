"""``learning-fs show`` and ``learning-fs ls``: read records (now, or as of a commit or date)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from learning_fs.cli._shared import State, console, display_path, echo_json, json_option, pass_state

if TYPE_CHECKING:
    from learning_fs.format import Record

KINDS = ("profile", "memories", "session", "entity", "learning", "decision")  # as learning_fs.format.KINDS


def record_json(record: Record) -> dict[str, Any]:
    """A record as JSON: every field, plus its kind and path."""
    data = record.model_dump(mode="json")
    return {"kind": record.kind, "path": record.path, "title": record.title_text(), **data}


@click.command("show")
@click.argument("id_or_path")
@click.option("--at", metavar="COMMIT|DATE", help="Show the record as it was at a commit or date (YYYY-MM-DD).")
@json_option
@pass_state
def show(state: State, id_or_path: str, at: str | None, as_json: bool) -> None:
    """Print a record's file, found by id (lrn-…) or path.

    \b
    Examples:
      learning-fs show lrn-4k2m9x7c1d
      learning-fs show learnings/global/3f/prefer-uv.md --json
      learning-fs show ent-8h2k4m1x0q --at 2026-10-01     # what was known then
    """
    from learning_fs import ops

    repo = state.open_repo()
    if at is not None:
        from learning_fs.repo import trees

        path = ops.resolve(repo, id_or_path, must_exist=False)
        snapshot = repo.as_of(at)
        record = snapshot.read(path)
        blob = trees.blob_at(repo.git, snapshot.tree, path)
        text = blob.data.decode("utf-8") if blob is not None else record.to_markdown()
    else:
        path = ops.resolve(repo, id_or_path)
        record = repo.read(path)
        text = (repo.root / path).read_text(encoding="utf-8")
    if as_json:
        echo_json(record_json(record))
        return
    out = console()
    if out.is_terminal:
        from rich.syntax import Syntax

        out.print(f"[bold]{display_path(repo.root, path)}[/bold]" + (f" (as of {at})" if at else ""))
        out.print(Syntax(text, "markdown", word_wrap=True))
    else:
        click.echo(text, nl=False)


@click.command("ls")
@click.option("--kind", type=click.Choice(KINDS), help="Only records of this kind.")
@click.option("--namespace", metavar="NS", help="Only records in this namespace ('user' for private ones).")
@click.option("--user", metavar="ID", help="Only the records private to this user.")
@json_option
@pass_state
def ls(state: State, kind: str | None, namespace: str | None, user: str | None, as_json: bool) -> None:
    """List records (files that do not parse are reported on stderr and skipped).

    \b
    Examples:
      learning-fs ls
      learning-fs ls --kind learning --namespace global
      learning-fs ls --user alice --json
    """
    repo = state.open_repo()
    records = list(repo.list(kind, namespace=namespace, user=user, copy=False))
    if as_json:
        echo_json([{"kind": r.kind, "id": r.id, "title": r.title_text(), "namespace": r.namespace,
                    "user": r.user, "status": r.status, "updated": r.updated, "path": r.path} for r in records])
        return
    if not records:
        click.echo("no records", err=True)
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("kind", "id", "title", "where", "path"):
        table.add_column(column, overflow="fold")
    for r in records:
        where = f"user:{r.user}" if r.private else r.namespace
        title = r.title_text() if r.status == "active" else f"{r.title_text()} ({r.status})"
        table.add_row(r.kind, r.id, title, where, r.path or "")
    console().print(table)


def register(cli: click.Group) -> None:
    cli.add_command(show)
    cli.add_command(ls)
