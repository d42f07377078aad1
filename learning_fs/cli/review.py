"""``learning-fs propose``, ``proposals``, ``approve``, ``reject``, ``review``: the review queue on the command line.

Every command is a thin shell over :mod:`learning_fs.review` (what ``machine.proposals()``,
``approve`` and ``reject`` call too). Library errors — a conflict, an unknown proposal — become
``Error: …`` with exit status 1 (see the root group).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from learning_fs.cli._shared import State, echo_json, json_option, pass_state, provenance_options, read_text_argument

if TYPE_CHECKING:
    from learning_fs.repo import MemoryRepo
    from learning_fs.review import Proposal


def age(proposal: Proposal) -> str:
    """``45s``, ``12m``, ``3h``, ``6d``: how long a proposal has been waiting."""
    seconds = max(0, int(proposal.age.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _table(proposals: list[Proposal]) -> str:
    rows = [("ID", "AGE", "KIND", "NAMESPACE", "CONFLICTS", "TITLE")]
    for p in proposals:
        conflicts = "yes: " + ", ".join(p.conflicts) if p.conflicts else "no"
        rows.append((p.id, age(p), p.kind or "-", p.namespace or "-", conflicts, p.title))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5]
                     for row in rows)


def _status(proposal: Proposal) -> str:
    if proposal.conflicts:
        return f"conflicts with {proposal.target} in: " + ", ".join(proposal.conflicts)
    if proposal.behind:
        return f"{proposal.target} moved since; approving makes a merge commit (no conflicts)"
    return f"approving fast-forwards {proposal.target}"


def show_proposal(repo: MemoryRepo, proposal: Proposal) -> None:
    """The review surface: what, the evidence (as a HITL requirement renders it), the state, the diff."""
    from learning_fs.review import proposal_diff

    click.echo(f"proposal {proposal.id}  (branch {proposal.branch}, {len(proposal.subjects)} commit(s), "
               f"waiting {age(proposal)})")
    click.echo(proposal.render())
    click.echo(_status(proposal))
    click.echo("")
    click.echo(proposal_diff(repo, proposal).rstrip("\n"))


# -- propose ----------------------------------------------------------------------------------------
@click.group("propose")
def propose() -> None:
    """Propose a change for review instead of writing it (one branch per proposal).

    The change is committed on proposals/<kind>/<slug>, made from the checked-out branch; the
    checkout and what agents recall stay untouched until someone approves it.

    \b
    Examples:
      learning-fs propose learning --title "Prefer uv" "Use uv to install packages in CI."
      learning-fs proposals
      learning-fs approve learning/prefer-uv
    """


@propose.command("learning")
@click.option("--title", required=True, help="A short, specific title (also the branch and file name).")
@click.option("--namespace", default="global", show_default=True, metavar="NS",
              help="Shared namespace (a team, a project), or 'user' for a learning private to --user.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag (repeat for several).")
@click.option("--context", default="", help="When and why this applies.")
@click.option("--why", default=None, help="Why it is worth keeping (shown to the reviewer as evidence).")
@provenance_options
@click.argument("text")
@pass_state
def propose_learning(state: State, title: str, namespace: str, tags: tuple[str, ...], context: str,
                     why: str | None, text: str, user: str | None, session: str | None, agent: str | None) -> None:
    """Propose a learning; prints the proposal id. TEXT '-' reads stdin.

    \b
    Example:
      learning-fs propose learning --title "Retry flaky uploads" --why "S3 503s broke two builds" \\
          "Retry uploads 3 times with backoff; 503s from S3 are transient."
    """
    from learning_fs.review import propose_learning as propose_it

    repo = state.open_repo()
    try:
        result = propose_it(repo, title, read_text_argument(text), namespace=namespace, tags=list(tags),
                            context=context, user=user, session=session, agent=agent, why=why)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if result.proposal_id:
        click.echo(result.proposal_id)
        click.echo(f"proposed on branch {result.branch}; review it with: learning-fs proposals show "
                   f"{result.proposal_id}", err=True)
    elif result.commit:
        click.echo(f"approved at once (review.auto_approve lists {namespace!r}): commit {result.commit[:10]}")
    else:
        click.echo("nothing to propose: the learning is already remembered as written", err=True)


# -- proposals --------------------------------------------------------------------------------------
@click.group("proposals", invoke_without_command=True)
@json_option
@click.option("--all", "include_merged", is_flag=True, help="Also list proposals already merged (e.g. on a forge).")
@click.pass_context
def proposals(ctx: click.Context, as_json: bool, include_merged: bool) -> None:
    """List open proposals: id, age, kind, namespace, conflicts with main, title.

    \b
    Examples:
      learning-fs proposals
      learning-fs proposals --json
      learning-fs proposals show learning/prefer-uv
      learning-fs proposals push
    """
    if ctx.invoked_subcommand is not None:
        return
    from learning_fs.review import list_proposals

    found = list_proposals(ctx.find_object(State).open_repo(), include_merged=include_merged)  # type: ignore[union-attr]
    if as_json:
        echo_json([p.to_dict() for p in found])
    elif found:
        click.echo(_table(found))
    else:
        click.echo("no open proposals", err=True)


@proposals.command("show")
@click.argument("proposal_id", metavar="ID")
@click.option("--check", "run_check", is_flag=True, help="Also run `learning-fs check` on the proposed files.")
@pass_state
def proposals_show(state: State, proposal_id: str, run_check: bool) -> None:
    """Print a proposal: its evidence, whether it merges cleanly, and its diff against main.

    \b
    Examples:
      learning-fs proposals show learning/prefer-uv
      learning-fs proposals show prefer-uv --check
    """
    from learning_fs.review import check_commit, get_proposal
    from learning_fs.review.formats import format_text

    repo = state.open_repo()
    proposal = get_proposal(repo, proposal_id)
    show_proposal(repo, proposal)
    if run_check:
        click.echo("")
        click.echo(format_text(check_commit(repo, proposal.tip, proposal.base)))


@proposals.command("push")
@click.argument("proposal_id", metavar="[ID]", required=False)
@click.option("--remote", metavar="NAME", help="The git remote (default: origin, else the only one).")
@click.option("--no-pr", is_flag=True, help="Only push; do not open pull requests even when gh is installed.")
@pass_state
def proposals_push(state: State, proposal_id: str | None, remote: str | None, no_pr: bool) -> None:
    """Push proposal branches; open a pull request with gh, else print the compare URL.

    The pull request's body holds the evidence and the results of `learning-fs check`.

    \b
    Examples:
      learning-fs proposals push                        # every open proposal
      learning-fs proposals push learning/prefer-uv --remote origin
    """
    from learning_fs.review import push

    pushed = push(state.open_repo(), proposal_id, remote=remote, open_pr=not no_pr)
    if not pushed:
        click.echo("no open proposals to push", err=True)
    for item in pushed:
        if item.pull_request:
            click.echo(f"{item.proposal.id}: pull request {item.url}")
        elif item.url:
            click.echo(f"{item.proposal.id}: pushed to {item.remote}; open a pull request: {item.url}")
        else:
            click.echo(f"{item.proposal.id}: pushed to {item.remote} as {item.proposal.branch}")
        if item.note:
            click.echo(f"warning: {item.note}", err=True)


# -- approve / reject / review ----------------------------------------------------------------------
def open_in_editor(path: str, content: bytes) -> bytes | None:
    """Let the person edit one proposed file in ``$EDITOR`` (``VISUAL``, then ``EDITOR``); None if unchanged."""
    with tempfile.TemporaryDirectory(prefix="learning-fs-edit-") as folder:
        file = Path(folder) / Path(path).name
        file.write_bytes(content)
        click.edit(filename=str(file))
        after = file.read_bytes()
    return None if after == content else after


def _approve(repo: MemoryRepo, proposal_id: str, edit: bool, fast_forward: bool = True) -> None:
    from learning_fs.review import approve as approve_it

    approval = approve_it(repo, proposal_id, edit=open_in_editor if edit else None, fast_forward=fast_forward)
    how = "already merged" if approval.already_merged else "fast-forward" if approval.fast_forward else "merge commit"
    if approval.edited:
        click.echo(f"edited before approving: {', '.join(approval.edited)}")
    click.echo(f"approved {approval.proposal.id}: {approval.proposal.target} is now at {approval.commit[:10]} ({how})")


def _reject(repo: MemoryRepo, proposal_id: str, reason: str) -> None:
    from learning_fs.review import reject as reject_it

    rejection = reject_it(repo, proposal_id, reason)
    click.echo(f"rejected {rejection.proposal}: reason recorded in {rejection.path}")


@click.command("approve")
@click.argument("proposal_id", metavar="ID")
@click.option("--edit", is_flag=True, help="Open the proposed file(s) in $EDITOR first; the edit is approved.")
@click.option("--no-ff", "no_ff", is_flag=True,
              help="Always make a merge commit, so history records who approved it and when.")
@pass_state
def approve(state: State, proposal_id: str, edit: bool, no_ff: bool) -> None:
    """Merge a proposal into main (fast-forward, or a merge commit when main moved) and delete its branch.

    The working tree and the search index follow. A conflict with main is reported and nothing
    changes.

    \b
    Examples:
      learning-fs approve learning/prefer-uv
      EDITOR=nano learning-fs approve learning/prefer-uv --edit
      learning-fs approve learning/prefer-uv --no-ff
    """
    _approve(state.open_repo(), proposal_id, edit, fast_forward=not no_ff)


@click.command("reject")
@click.argument("proposal_id", metavar="ID")
@click.option("--reason", required=True, help="Why: recorded in reviews/rejected/ and shown to the extractor.")
@pass_state
def reject(state: State, proposal_id: str, reason: str) -> None:
    """Delete a proposal and record why, so the agent is not taught the same thing again.

    \b
    Example:
      learning-fs reject learning/users-like-long-answers --reason "Only one user said so"
    """
    _reject(state.open_repo(), proposal_id, reason)


@click.command("review")
@pass_state
def review(state: State) -> None:
    """Walk the open proposals one by one: approve, edit then approve, reject, or skip.

    \b
    Example:
      learning-fs review          # a: approve  e: edit, then approve  r: reject  s: skip  q: quit
    """
    from learning_fs.errors import LearningFSError
    from learning_fs.review import list_proposals

    repo = state.open_repo()
    queue = list_proposals(repo)
    if not queue:
        click.echo("no open proposals")
        return
    decided: dict[str, int] = {"approved": 0, "rejected": 0, "skipped": 0}
    for number, proposal in enumerate(queue, start=1):
        click.echo(f"\n[{number}/{len(queue)}] " + "-" * 60)
        show_proposal(repo, proposal)
        choice = click.prompt("\n(a)pprove, (e)dit then approve, (r)eject, (s)kip, (q)uit",
                              type=click.Choice(["a", "e", "r", "s", "q"]), default="s", show_choices=False)
        if choice == "q":
            break
        try:
            if choice in ("a", "e"):
                _approve(repo, proposal.id, edit=choice == "e")
                decided["approved"] += 1
            elif choice == "r":
                _reject(repo, proposal.id, click.prompt("Reason"))
                decided["rejected"] += 1
            else:
                decided["skipped"] += 1
        except LearningFSError as exc:  # a conflict: say so and go on with the queue
            click.echo(f"Error: {exc}", err=True)
            decided["skipped"] += 1
    click.echo("\n" + ", ".join(f"{count} {what}" for what, count in decided.items()))


def register(cli: click.Group) -> None:
    for command in (propose, proposals, approve, reject, review):
        cli.add_command(command)
