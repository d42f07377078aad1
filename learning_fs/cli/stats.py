"""``learning-fs stats``: the headline numbers of a memory repository's history."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, console, echo_json, json_option, pass_state

INSTALL_HINT = ('learning-fs stats needs pandas (the "analytics" extra): '
                'pip install "learning-fs[analytics]"')


@click.command("stats")
@click.option("--since", metavar="DATE", help="Count activity (commits, changes, reviews, curation) from this date on.")
@json_option
@pass_state
def stats(state: State, since: str | None, as_json: bool) -> None:
    """Show how the memory grew: records, commits by the library and by people, proposals, curation.

    Reads the whole history with one `git log`; totals are as of now, activity since --since.
    Needs the analytics extra (pandas). Notebooks in notebooks/ plot the same data over time.

    \b
    Examples:
      learning-fs stats
      learning-fs --repo ./memory_repo stats --since 2025-03-01 --json
    """
    try:
        from learning_fs.analytics import History, headline, headline_rows
    except ImportError as exc:
        if getattr(exc, "name", None) in ("pandas", "numpy"):
            raise click.ClickException(INSTALL_HINT) from None
        raise
    repo = state.open_repo()
    try:
        data = headline(History.load(repo.root), since=since)
    except ValueError as exc:  # an unreadable --since
        raise click.BadParameter(str(exc), param_hint="--since") from None
    if as_json:
        echo_json(data)
        return
    from rich.table import Table

    table = Table(title=f"learning-fs stats: {repo.root}", box=None, pad_edge=False, header_style="bold",
                  title_justify="left")
    table.add_column("metric", style="bold")
    table.add_column("value", overflow="fold")
    for metric, value in headline_rows(data):
        table.add_row(metric, value)
    console().print(table)


def register(cli: click.Group) -> None:
    cli.add_command(stats)
