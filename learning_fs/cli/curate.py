"""``learning-fs curate``: dedup, supersede, expire, prune and budget, as one commit or one proposal."""

from __future__ import annotations

from typing import Any

import click

from learning_fs.cli._shared import State, console, echo_json, json_option, pass_state


def _age_limits(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, int] | None:
    """``--max-age session=90 --max-age memory=365`` -> ``{"session": 90, "memory": 365}``."""
    limits: dict[str, int] = {}
    for value in values:
        kind, _, days = value.partition("=")
        if not kind or not days.isdigit():
            raise click.BadParameter(f"{value!r} is not KIND=DAYS (e.g. session=90)")
        limits[kind.strip()] = int(days)
    return limits or None


@click.command("curate")
@click.option("--dry-run", is_flag=True, help="Print the plan and the diff; write nothing.")
@click.option("--propose", is_flag=True, help="Commit on a proposals/curate/… branch for review instead.")
@click.option("--user", metavar="ID", help="Curate only this user's private records.")
@click.option("--namespace", metavar="NS", help="Curate only this shared namespace ('user': every user's records).")
@click.option("--model", "model_id", metavar="ID", envvar="LEARNING_FS_CURATE_MODEL", show_envvar=True,
              help="A chat model that confirms near-duplicates and finds contradictions (default: none).")
@click.option("--base-url", metavar="URL", envvar="LEARNING_FS_BASE_URL", show_envvar=True,
              help="OpenAI-compatible endpoint of --model.")
@click.option("--exact-only", is_flag=True, help="Skip near-duplicates (no embedding model is loaded).")
@click.option("--near-threshold", type=click.FloatRange(0.0, 1.0), metavar="COSINE",
              help="Similarity at which near-duplicates merge without a model [0.93].")
@click.option("--stale-days", type=click.IntRange(min=1), metavar="N",
              help="Prune memories, learnings, entities and decisions nobody recalled in N days.")
@click.option("--max-age", "max_age", multiple=True, metavar="KIND=DAYS", callback=_age_limits,
              help="Prune records (or 'memory' items) of KIND not updated in DAYS (repeatable).")
@click.option("--inactive-days", type=click.IntRange(min=0), metavar="N",
              help="Prune superseded and expired records and items after N days.")
@click.option("--max-memories", type=click.IntRange(min=0), metavar="N", help="Keep at most N memories per user.")
@click.option("--budget", "budget_tokens", type=click.IntRange(min=0), metavar="TOKENS",
              help="Token budget of each user's always-loaded context [500].")
@click.option("--diff/--no-diff", "show_diff", default=None, help="Show the diff (default: with --dry-run).")
@json_option
@pass_state
def curate(state: State, dry_run: bool, propose: bool, user: str | None, namespace: str | None,
           model_id: str | None, base_url: str | None, exact_only: bool, near_threshold: float | None,
           stale_days: int | None, max_age: dict[str, int] | None, inactive_days: int | None,
           max_memories: int | None, budget_tokens: int | None, show_diff: bool | None, as_json: bool) -> None:
    """Merge duplicates, supersede contradictions, expire, prune and keep each user's context in budget.

    Every run is ONE commit whose message lists each change and why (or, with --propose, one
    branch a person reviews; --dry-run only prints it). Undo a run with `learning-fs revert COMMIT`.
    Policy defaults come from the `curate:` section of learning_fs.yaml; pruning is off until set.

    \b
    Examples:
      learning-fs curate --dry-run
      learning-fs curate --user alice
      learning-fs curate --namespace global --propose
      learning-fs curate --stale-days 90 --max-age session=30
    """
    if dry_run and propose:
        raise click.UsageError("--dry-run and --propose cannot be combined")
    from learning_fs.curate import CurationPolicy, Curator

    repo = state.open_repo()
    policy = CurationPolicy.from_config(
        repo.config, near_duplicates=False if exact_only else None, near_threshold=near_threshold,
        stale_days=stale_days, max_age_days=max_age, inactive_days=inactive_days, max_memories=max_memories,
        budget_tokens=budget_tokens)
    model = _model(model_id, base_url)
    # The search index, when the repository has one, catches up as the command ends (cli/_shared.py).
    result = Curator(repo, model=model, policy=policy).run(user=user, namespace=namespace, dry_run=dry_run,
                                                           propose=propose)
    plan = result.plan
    if as_json:
        data: dict[str, Any] = plan.to_dict()
        data.update(commit=result.commit.sha if result.commit else None, branch=result.branch,
                    proposal=result.proposal_id, dry_run=dry_run,
                    left_for_next_run=[a.to_dict() for a in result.left_for_next_run])
        if show_diff or (show_diff is None and dry_run):
            data["diff"] = plan.diff()
        echo_json(data)
        return
    out = console()
    out.print(plan.render(policy.max_message_lines), markup=False, highlight=False)
    if (show_diff or (show_diff is None and dry_run)) and not plan.empty:
        out.print()
        out.print(plan.diff().rstrip("\n"), markup=False, highlight=False)
    stats = plan.stats
    click.echo(f"\n{stats.records} records in {stats.units} units; {stats.load_seconds + stats.analyse_seconds:.2f} s "
               f"(+{stats.model_seconds:.2f} s in models: {stats.embedded} texts embedded, "
               f"{stats.judged_pairs} pairs judged)", err=True)
    if dry_run:
        click.echo("dry run: nothing was written" if not plan.empty else "dry run: nothing was written "
                   "(run without --dry-run to commit this, or with --propose to open a proposal)")
    elif result.commit is None:
        click.echo("nothing changed (no commit)")
    elif result.proposal_id:
        click.echo(f"proposed {result.commit.short} on {result.branch} (review it like any proposal)")
    else:
        click.echo(f"commit {result.commit.short} {result.commit.subject}\n"
                   f"undo with: learning-fs revert {result.commit.short}")
    for action in result.left_for_next_run:
        click.echo(f"left for the next run (file changed meanwhile): {action.line()}", err=True)


def _model(model_id: str | None, base_url: str | None) -> Any:
    if not model_id:
        return None
    from learning_fs.extract import OpenAIChat

    return OpenAIChat(model_id, base_url=base_url)


def register(cli: click.Group) -> None:
    cli.add_command(curate)
