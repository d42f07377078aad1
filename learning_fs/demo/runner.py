"""Run the demo: make a fresh memory repository, then run every step module against it."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from learning_fs.errors import LearningFSError
from learning_fs.ops import Origin
from learning_fs.repo import MemoryRepo

_NOT_STEPS = {"runner"}
# A person's commits in the demo: fixed identity, no signing, whatever the machine's git config says.
_PERSON = ["-c", "user.name=Dana (a person)", "-c", "user.email=dana@example.com", "-c", "commit.gpgsign=false"]


@dataclass
class DemoContext:
    """What a step works with: the repository, a console, a story clock and notes between steps."""

    directory: Path
    repo: MemoryRepo
    console: Console
    start: dt.datetime  # day 0 of the story; the story's commits are dated from here on
    notes: dict[str, Any] = field(default_factory=dict)  # steps hand each other ids and commits here

    def day(self, n: int, hour: int = 9) -> dt.datetime:
        """A moment of the story ``n`` days after its start (commits and records are dated with it)."""
        return self.start + dt.timedelta(days=n, hours=hour - 9)

    def origin(self, store: str, *, day: int | None = None, **fields: Any) -> Origin:
        """Provenance for a write of the story: the demo agent talking to Alice in session s-001."""
        values: dict[str, Any] = {"user": "alice", "session": "s-001", "agent": "demo-agent", "mode": "manual"}
        values.update(fields)
        return Origin(store=store, at=self.day(day) if day is not None else None, **values)

    def chapter(self, title: str, text: str = "") -> None:
        self.console.print()
        self.console.rule(f"[bold]{escape(title)}")
        if text:
            self.console.print(text, markup=False)

    def say(self, text: str) -> None:
        self.console.print(text, markup=False)

    def show_file(self, path: str, note: str = "") -> None:
        """Print a file of the repository the way a person would see it in an editor."""
        text = (self.repo.root / path).read_text(encoding="utf-8")
        self.console.print(f"\n[bold cyan]{escape(path)}[/]" + (f"  [dim]{escape(note)}[/]" if note else ""))
        if self.console.is_terminal:
            self.console.print(Syntax(text, "markdown", word_wrap=True, background_color="default"))
        else:  # piped or in CI: the file exactly as it is, lines unwrapped
            self.console.print(text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)

    def git(self, *args: str, person: bool = False) -> str:
        """Run real git in the demo repository (what a person would type) and return its output."""
        command = ["git", *(_PERSON if person else []), *args]
        result = subprocess.run(command, cwd=self.repo.root, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise LearningFSError(f"`git {' '.join(args)}` failed: {result.stderr.strip()}")
        return result.stdout

    def show_command(self, command: str, output: str) -> None:
        self.console.print(f"\n[bold]$ {escape(command)}[/]")
        self.console.print(output.rstrip("\n"), highlight=False, markup=False, soft_wrap=True)


Step = Callable[[DemoContext], None]


def discover_steps() -> list[ModuleType]:
    """Every step module of this package (``ORDER`` and ``run``), in order."""
    import learning_fs.demo as package

    steps = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name in _NOT_STEPS:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if isinstance(getattr(module, "ORDER", None), int) and callable(getattr(module, "run", None)):
            steps.append(module)
    return sorted(steps, key=lambda m: (m.ORDER, m.__name__))


def _prepare(directory: Path | None) -> tuple[Path, bool]:
    """The folder to build in and whether it is a temporary one."""
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="learning-fs-demo-")), True
    if directory.exists() and any(directory.iterdir()):
        raise LearningFSError(f"{directory} is not empty; the demo builds a fresh repository (pick another --dir)")
    directory.mkdir(parents=True, exist_ok=True)
    return directory, False


def run_demo(directory: Path | None = None, keep: bool = False, console: Console | None = None) -> Path:
    """Build the demo repository and run every step; returns where it was built.

    A temporary folder is removed at the end unless ``keep``; a ``directory`` given is always kept.
    """
    console = console or Console(highlight=False)
    began = time.perf_counter()
    root, temporary = _prepare(directory)
    today = dt.datetime.now(dt.timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0)
    console.rule("[bold]learning_fs demo")
    console.print(
        "Everything below runs on this machine: a local git repository, no network, no API key.\n"
        "The story: an agent helps Alice, a data engineer at Acme Corp, over 30 days. What it learns is\n"
        "written as Markdown files, and every change is one git commit (the story's commits are dated\n"
        "over those 30 days, so we can later ask what the agent knew on a given day).\n"
        f"Creating a memory repository in {root}"
    )
    repo = MemoryRepo.init(root)
    ctx = DemoContext(directory=root, repo=repo, console=console, start=today - dt.timedelta(days=30))
    try:
        for step in discover_steps():
            step.run(ctx)
        repo.flush()
    finally:
        repo.close()
        if temporary and not keep:
            shutil.rmtree(root, ignore_errors=True)
    console.print()
    console.rule("[bold]done")
    seconds = time.perf_counter() - began
    if temporary and not keep:
        console.print(f"Demo finished in {seconds:.1f} s; the temporary repository was removed "
                      "(use --keep or --dir PATH to explore it).")
    else:
        console.print(f"Demo finished in {seconds:.1f} s. The repository is in {root}: try\n"
                      f"  learning-fs --repo {root} ls\n  learning-fs --repo {root} log\n  git -C {root} log --stat")
    return root
