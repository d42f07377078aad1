"""``learning-fs log`` and ``learning-fs revert``: the repository's history, with who wrote what."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, commit_line, console, echo_json, json_option, pass_state


@click.command("log")
@click.argument("id_or_path", required=False)
@click.option("-n", "--limit", type=click.IntRange(min=1), metavar="N", help="Show at most N commits.")
@click.option("--since", metavar="DATE", help="Only commits after this date (anything `git log --since` takes).")
@json_option
@pass_state
def log(state: State, id_or_path: str | None, limit: int | None, since: str | None, as_json: bool) -> None:
    """Show commits, newest first: of the whole repository or of one record.

    The Learning-* trailers say which store, user, session and mode made each change.

    \b
    Examples:
      learning-fs log -n 5
      learning-fs log lrn-4k2m9x7c1d               # one record, followed across renames
      learning-fs log users/2b/alice/memories.md --json
    """
    from learning_fs import ops

    repo = state.open_repo()
    path = ops.resolve(repo, id_or_path, must_exist=False) if id_or_path else None
    commits = repo.log(path, limit=limit, since=since)
    if as_json:
        echo_json([{"sha": c.sha, "date": c.date, "author": c.author, "subject": c.subject,
                    "trailers": c.trailers, "parents": list(c.parents)} for c in commits])
        return
    if not commits:
        click.echo("no commits", err=True)
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold", show_lines=False)
    for column in ("commit", "date", "subject", "trailers"):
        table.add_column(column, overflow="fold")
    for c in commits:
        trailers = "\n".join(f"{k}: {v}" for k, v in c.trailers.items())
        table.add_row(c.short, c.date.replace("T", " ")[:19], c.subject, trailers)
    console().print(table)


@click.command("revert")
@click.argument("commit")
@click.option("-m", "--message", help="Subject of the new commit (default: Revert \"<subject>\").")
@pass_state
def revert(state: State, commit: str, message: str | None) -> None:
    """Undo one commit with a new commit (like `git revert`; history is kept).

    A revert that would clash with later changes to the same files changes nothing and names them.

    \b
    Example:
      learning-fs log -n 3
      learning-fs revert 3f9c2a1b7e
    """
    repo = state.open_repo()
    info = repo.revert(commit, message=message)
    click.echo(commit_line(info))


def register(cli: click.Group) -> None:
    cli.add_command(log)
    cli.add_command(revert)
