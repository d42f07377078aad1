"""``learning-fs sync``: fetch, merge as records, push, until this clone and its remote are in step."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, echo_json, json_option, pass_state


@click.command("sync")
@click.option("--remote", default="origin", show_default=True, help="The remote to sync with.")
@click.option("--branch", default=None, help="The branch to sync (default: the checked-out one).")
@click.option("--no-push", is_flag=True, help="Only bring the remote's commits in.")
@click.option("--attempts", default=10, show_default=True, type=click.IntRange(1, 100),
              help="Rounds of fetch-merge-push before giving up while other machines keep pushing.")
@json_option
@pass_state
def sync(state: State, remote: str, branch: str | None, no_push: bool, attempts: int, as_json: bool) -> None:
    """Fetch REMOTE, merge it in with the record merge, push; exit 0 when in step.

    Record files merge as records (by item id, per frontmatter key), so memories other machines
    added never conflict with this clone's. A refused push (another machine pushed first) is
    retried after a short jittered wait; nothing is ever force-pushed. A true conflict (the same
    memory changed differently) names the files, changes nothing and exits 1. The search index
    follows the merged commits.

    \b
    Examples:
      learning-fs sync
      learning-fs --repo ~/agent-memory sync --remote upstream --branch main
      learning-fs sync --no-push --json
    """
    repo = state.open_repo()
    result = repo.sync(remote, branch, attempts=attempts, push=not no_push)
    if as_json:
        echo_json({"remote": result.remote, "branch": result.branch, "tip": result.tip, "fetched": result.fetched,
                   "merged": result.merged, "pushed": result.pushed, "attempts": result.attempts,
                   "in_step": result.in_step})
    else:
        did = [word for word, done in (("fetched", result.fetched), ("merged", result.merged),
                                       ("pushed", result.pushed)) if done]
        state_line = "in step" if result.in_step else "not pushed (--no-push)"
        click.echo(f"{result.branch} {state_line} with {result.remote} at {result.tip[:10]}"
                   + (f" ({', '.join(did)}" + (f", {result.attempts} attempts" if result.attempts > 1 else "")
                      + ")" if did else ""))
    if not result.in_step and not no_push:
        click.get_current_context().exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(sync)
