"""``learning-fs index``, ``search`` and ``watch``: the semantic search index from the command line.

The index is derived data in the repository's gitignored ``.learning_fs/index``: these commands
build it when it is missing, catch it up with the files before searching, check it against the
files, and keep it current while a person edits (``watch``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from learning_fs.cli._shared import State, console, echo_json, json_option, pass_state

if TYPE_CHECKING:
    from rich.progress import Progress

    from learning_fs.index.service import RepoIndex, VerifyReport
    from learning_fs.index.sync import SyncReport
    from learning_fs.index.types import Hit

KINDS = ("profile", "memories", "session", "entity", "learning", "decision")  # as learning_fs.format.KINDS
MODES = ("hybrid", "dense", "lexical")
PROGRESS_FROM = 200  # files: below this a sync is quick and a bar would only flicker


class _ProgressBar:
    """``progress(done, total)`` for a sync: a rich bar on stderr once a sync is long enough to need one."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Progress | None = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None and total >= PROGRESS_FROM:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("files"), TimeRemainingColumn(), console=console(stderr=True),
                                 transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total)
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


@contextmanager
def open_index(state: State, *, catch_up: bool, label: str = "Indexing") -> Iterator[RepoIndex]:
    """The repository's index for one command: no write-through (the command writes nothing)."""
    from learning_fs.index.service import RepoIndex

    repo = state.open_repo()
    bar = _ProgressBar(label)
    handle = RepoIndex.open(repo, catch_up=False, write_through="off")
    try:
        if catch_up and not handle.read_only:
            try:
                handle.catch_up(bar)
            finally:
                bar.close()
        yield handle
    finally:
        handle.close()


@click.command("index")
@click.option("--rebuild", is_flag=True, help="Drop the index and embed every record again.")
@click.option("--verify", is_flag=True, help="Check every entry against its file; exit 1 on drift.")
@click.option("--repair", is_flag=True, help="With --verify: re-index the files that drifted.")
@json_option
@pass_state
def index(state: State, rebuild: bool, verify: bool, repair: bool, as_json: bool) -> None:
    """Bring the search index up to date with the files (only what changed since the last run).

    The index lives in .learning_fs/index (gitignored) and is rebuilt from the files whenever it
    is missing: deleting it loses nothing. Library writes keep it current by themselves; this
    catches up with commits made with git (a pull, a merge) and files edited by hand.

    \b
    Examples:
      learning-fs index              # catch up: git diff since the last sync + git status
      learning-fs index --rebuild    # embed everything again (a progress bar shows the way)
      learning-fs index --verify     # stale, missing or orphaned entries? exit 1 if any
      learning-fs index --verify --repair
    """
    if rebuild and verify:
        raise click.UsageError("--rebuild and --verify cannot be combined")
    if repair and not verify:
        raise click.UsageError("--repair goes with --verify")
    with open_index(state, catch_up=False) as handle:
        if verify:
            report = handle.verify()
            _print_verify(report, as_json)
            if not report.ok and repair and not handle.read_only:
                fixed = handle.repair(report)
                click.echo(f"repaired: {fixed.summary()}", err=True)
                return
            if not report.ok:
                raise click.exceptions.Exit(1)
            return
        if handle.read_only:
            raise click.ClickException(f"{handle.directory} is kept current by another process (e.g. `learning-fs "
                                       "watch`): stop it to rebuild, or let it do the catching up")
        bar = _ProgressBar("Rebuilding" if rebuild else "Indexing")
        try:
            result = handle.rebuild(bar) if rebuild else handle.catch_up(bar)
        finally:
            bar.close()
        _print_sync(result, handle.count(), as_json)


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--kind", type=click.Choice(KINDS), help="Only entries of records of this kind.")
@click.option("--namespace", metavar="NS", help="Only this namespace ('user': the private records of --user).")
@click.option("--user", metavar="ID", help="Who is asking: their private records are searched too (nobody's without).")
@click.option("-k", "--limit", "k", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many hits.")
@click.option("--all", "include_inactive", is_flag=True, help="Also superseded and expired entries.")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True,
              help="Meaning and words fused, meaning only, or words only (BM25).")
@json_option
@pass_state
def search(state: State, query: tuple[str, ...], kind: str | None, namespace: str | None, user: str | None,
           k: int, include_inactive: bool, mode: str, as_json: bool) -> None:
    """Search what was learned, by meaning and by words (the index is caught up first).

    Hits are single learnings, decisions, session summaries, memories, entities, and entity
    facts and events. A private record (namespace 'user') is only searched for its own user.

    \b
    Examples:
      learning-fs search "which database does billing run on"
      learning-fs search airflow retries --kind learning -k 3
      learning-fs search "what does she drink" --user alice --json
    """
    text = " ".join(query)
    with open_index(state, catch_up=True) as handle:
        hits = handle.search(text, k=k, kind=kind, namespace=namespace, user=user,
                             include_inactive=include_inactive, mode=mode)  # type: ignore[arg-type]
    if as_json:
        echo_json([hit_json(hit) for hit in hits])
        return
    if not hits:
        click.echo("no matches", err=True)
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("score", "kind", "where", "id", "path", "snippet"):
        table.add_column(column, overflow="fold")
    for hit in hits:
        where = f"user:{hit.user}" if hit.namespace == "user" else hit.namespace
        what = hit.kind if not hit.item_id else f"{hit.kind}/{hit.metadata.get('item_kind', 'item')}"
        status = hit.metadata.get("status", "active")
        snippet = hit.snippet if status == "active" else f"({status}) {hit.snippet}"
        table.add_row(f"{hit.score:.3f}", what, where, hit.item_id or hit.record_id, hit.path, snippet)
    console().print(table)


def hit_json(hit: Hit) -> dict[str, Any]:
    """A hit as ``search --json`` prints it: ``id`` is the record's id (what ``show`` takes)."""
    meta = hit.metadata
    return {"path": hit.path, "id": hit.record_id, "item_id": hit.item_id or None, "entry": hit.id,
            "kind": hit.kind, "item_kind": meta.get("item_kind"), "title": meta.get("title"),
            "namespace": hit.namespace, "user": hit.user or None, "status": meta.get("status"),
            "score": round(hit.score, 6), "snippet": hit.snippet}


@click.command("watch")
@click.option("--debounce", type=click.FloatRange(0.0, 60.0), default=0.3, show_default=True, metavar="SECONDS",
              help="Quiet time after a burst of file events before the index is updated.")
@click.option("--reconcile", type=click.FloatRange(1.0), default=60.0, show_default=True, metavar="SECONDS",
              help="How often to check against git as well (file events can be lost).")
@pass_state
def watch(state: State, debounce: float, reconcile: float) -> None:
    """Keep the search index current while files change (hand edits, git pull); Ctrl-C stops.

    \b
    Examples:
      learning-fs watch
      learning-fs --repo ~/memory watch --debounce 1
    """
    with open_index(state, catch_up=True) as handle:
        if handle.read_only:
            raise click.ClickException(f"{handle.directory} is already kept current by another process")
        out = console()
        line = _StatusLine(handle)
        watcher = handle.watch(debounce=debounce, reconcile_every=reconcile, on_batch=line.batch)
        out.print(f"watching {', '.join(watcher.status.folders) or 'the repository'} in {handle.repo.root} "
                  f"({handle.count()} entries); Ctrl-C stops", highlight=False)
        try:
            if out.is_terminal:
                with out.status(line.text()) as status:
                    while True:
                        time.sleep(0.5)
                        status.update(line.text())
            else:
                while True:
                    time.sleep(0.5)
                    for message in line.take():
                        out.print(message, highlight=False)
        except KeyboardInterrupt:  # Ctrl-C is how a person stops `watch`: exit cleanly, status 0
            pass
    out.print("stopped", highlight=False)


class _StatusLine:
    """What ``watch`` shows: entries, the last change, the last check against git."""

    def __init__(self, handle: RepoIndex) -> None:
        self.handle = handle
        self._messages: list[str] = []

    def batch(self, report: SyncReport) -> None:
        if report.updated or report.removed or report.failed:
            stamp = time.strftime("%H:%M:%S")
            self._messages.append(f"{stamp} {report.trigger}: {report.updated} updated, {report.removed} removed"
                                  + (f", {len(report.failed)} unreadable" if report.failed else "")
                                  + f" ({report.seconds * 1000:.0f} ms)")

    def take(self) -> list[str]:
        taken, self._messages = self._messages, []
        return taken

    def text(self) -> str:
        status = self.handle.watcher.status if self.handle.watcher is not None else None
        if status is None:
            return "starting"
        last = time.strftime("%H:%M:%S", time.localtime(status.last_change)) if status.last_change else "none yet"
        check = time.strftime("%H:%M:%S", time.localtime(status.last_reconcile)) if status.last_reconcile else "-"
        return (f"{self.handle.count()} entries · {status.updated} updated, {status.removed} removed · "
                f"last change {last} · checked against git {check}")


def _print_sync(report: SyncReport, entries: int, as_json: bool) -> None:
    if as_json:
        echo_json({"trigger": report.trigger, "files": report.paths, "updated": report.updated,
                   "removed": report.removed, "unchanged": report.unchanged, "embedded": report.embedded,
                   "unreadable": report.failed, "seconds": round(report.seconds, 3), "commit": report.commit,
                   "entries": entries})
        return
    click.echo(f"{report.trigger}: {report.summary()}")
    for problem in report.failed:
        click.echo(f"  not indexed: {problem}", err=True)
    click.echo(f"{entries} entries, up to date with {(report.commit or '-')[:10]} and the working tree")


def _print_verify(report: VerifyReport, as_json: bool) -> None:
    if as_json:
        echo_json({"ok": report.ok, "files": report.files, "entries": report.entries, "stale": report.stale,
                   "missing": report.missing, "orphaned": report.orphaned, "unreadable": report.unreadable,
                   "indexed_commit": report.indexed_commit, "head": report.head})
        return
    for label, paths in (("stale", report.stale), ("missing", report.missing), ("orphaned", report.orphaned)):
        for path in paths:
            click.echo(f"{label}: {path}")
    for problem in report.unreadable:
        click.echo(f"unreadable (not indexed): {problem}", err=True)
    if report.ok:
        click.echo(f"ok: {report.entries} entries match {report.files} files")
    else:
        drift = len(report.stale) + len(report.missing) + len(report.orphaned)
        click.echo(f"drift: {drift} of {report.files} files differ from the index "
                   f"({len(report.stale)} stale, {len(report.missing)} missing, {len(report.orphaned)} orphaned); "
                   "`learning-fs index --verify --repair` re-indexes them", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(index)
    cli.add_command(search)
    cli.add_command(watch)
