"""Demo step: search by meaning over what the demo wrote, and a hand edit picked up live."""

from __future__ import annotations

import threading
import time

from learning_fs.demo.runner import DemoContext
from learning_fs.index.service import RepoIndex
from learning_fs.index.sync import SyncReport
from learning_fs.index.types import Hit

ORDER = 40
USER = "alice"
QUERIES: list[tuple[str, str | None]] = [
    ("which database does the billing team run", None),
    ("when should the invoice export start", None),
    ("a sensor is blocking our workers for hours", None),
    ("how does Alice like her answers", None),
    ("how does Alice like her answers", USER),
]
HAND_EDIT = "- Plays the cello in an amateur orchestra on weekends."
EDIT_QUERY = "which instrument does Alice play"


def _lines(hits: list[Hit]) -> str:
    if not hits:
        return "no matches"
    return "\n".join(f"{hit.score:.3f}  {hit.kind:<8}  {hit.path}\n       {hit.snippet[:110]}" for hit in hits)


def _command(query: str, user: str | None) -> str:
    return f'learning-fs search "{query}" -k 2' + (f" --user {user}" if user else "")


def run(ctx: DemoContext) -> None:
    repo = ctx.repo
    ctx.chapter("14. Search by meaning", "The search index is derived data in .learning_fs/index (gitignored): "
                "built from the files with an embedding model that ships in a Python package (offline), "
                "rebuilt whenever the folder is deleted. A search fuses meaning (vectors) with words (BM25).")
    began = time.perf_counter()
    with RepoIndex.open(repo) as index:
        ctx.say(f"Indexed {len(repo.paths())} files as {index.count()} entries (one per learning, memory, "
                f"fact, event...) in {time.perf_counter() - began:.1f} s.")
        for query, user in QUERIES:
            ctx.show_command(_command(query, user), _lines(index.search(query, k=2, user=user)))
        ctx.say("Alice's private learning and memories are only searched when she is the one asking (--user); "
                "without a user nothing private is ever returned.")

        ctx.chapter("15. A hand edit, searchable in a moment",
                    "While `learning-fs watch` (here: index.watch()) runs, a person adds a line to Alice's "
                    "memories in an editor; the watcher sees the file change and updates the index.")
        applied = threading.Event()
        watcher = index.watch(reconcile_every=None, on_batch=lambda report: _note(report, applied))
        memories = next(path for path in repo.paths("memories", user=USER))
        file = repo.root / memories
        saved = time.perf_counter()
        file.write_text(file.read_text(encoding="utf-8").rstrip("\n") + f"\n{HAND_EDIT}\n", encoding="utf-8")
        if applied.wait(10):
            ctx.say(f"Saved {memories}; searchable {1000 * (time.perf_counter() - saved):.0f} ms later "
                    "(0.3 s of that is the watcher waiting for the editor to finish).")
        else:  # no file events on this system: the periodic check against git does the same
            index.catch_up()
            ctx.say(f"Saved {memories}; no file event arrived, so a catch-up against git picked it up.")
        watcher.stop()
        ctx.show_command(_command(EDIT_QUERY, USER).replace("-k 2", "-k 1"),
                         _lines(index.search(EDIT_QUERY, k=1, user=USER)))
    repo.flush()  # then commit the edit as the person would
    ctx.git("commit", "-q", "-m", "Note Alice's weekend hobby", "--", memories, person=True)
    ctx.say("Try it yourself: learning-fs --repo <the demo folder> search \"...\"  (and `learning-fs watch`).")


def _note(report: SyncReport, applied: threading.Event) -> None:
    if report.updated:
        applied.set()
