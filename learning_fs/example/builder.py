"""Build the example memory repository: run the story through the real machine, review and curator.

Every write goes through the code an application uses — the stores' tools handed out by a
``LearningMachine`` (AGENTIC stores write at once; the PROPOSE learning store opens proposal
branches), ``learning_fs.review`` to approve and reject, ``learning_fs.curate`` for the curation
pass — so the history has exactly the commits, trailers and evidence a real deployment produces,
only dated over six simulated weeks (:mod:`learning_fs.example.clock`). Recalls are noted in the
repository's recall log (``.learning_fs/recall.sqlite``, not committed) at story time too.

Grounding (``stores/grounding.py``) is off for the story's stores (``grounding=None``), on purpose:
it guards what a *model* makes of a turn, and the story has no model. Each scene keeps one message
of a conversation that runs for weeks; its tool calls are the script of an agent that knows the
rest (names said in earlier sessions, "B2B", "DAG", the year), so checking them against that one
message would refuse 22 of them in the first five days alone (measured with grounding=0.5). Putting
every conversation into the story instead would rewrite every commit of ``memory_repo/`` and the
notebooks' outputs for no gain: the calls are fixed, reviewed data, not a model's guesses.
"""

from __future__ import annotations

import datetime as dt
import inspect
import random
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learning_fs import ops
from learning_fs.errors import LearningFSError
from learning_fs.example.clock import StoryClock, StoryRepo, story_time
from learning_fs.example.story import (
    REVIEWER,
    SCENES,
    TEAM_NAMESPACE,
    Curation,
    HandEdit,
    Review,
    Scene,
    Turn,
)
from learning_fs.format.layout import record_path
from learning_fs.format.records import LearningRecord, MemoriesRecord
from learning_fs.format.slugs import slugify
from learning_fs.machine import LearningMachine
from learning_fs.stores import (
    DecisionLogConfig,
    EntityMemoryConfig,
    LearnedKnowledgeConfig,
    LearningMode,
    SessionContextConfig,
    UserMemoryConfig,
    UserMemoryStore,
    UserProfile,
    UserProfileConfig,
)

EXAMPLE_START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone.utc)  # a Monday
DEFAULT_SEED = 7
AGENT = "support-agent"
# What a previous build leaves in a folder (removed by ``force``); anything else there is kept.
BUILT = (".git", ".learning_fs", ".gitignore", "learning_fs.yaml", "users", "sessions", "entities",
         "learnings", "decisions", "reviews")


@dataclass
class ExampleProfile(UserProfile):
    """The profile fields of the example (the built-in two plus what a team assistant wants to know)."""

    role: str | None = field(default=None, metadata={"description": "The user's job title"})
    team: str | None = field(default=None, metadata={"description": "The team the user works in"})
    timezone: str | None = field(default=None, metadata={"description": "IANA timezone, e.g. Europe/Berlin"})


@dataclass
class ExampleResult:
    """What was built: where, the head commit, and how many commits and files of each kind."""

    path: Path
    head: str
    commits: int
    proposals: dict[str, int]
    files: int


def build_example(path: str | Path, *, seed: int = DEFAULT_SEED, start: dt.datetime = EXAMPLE_START,
                  scenes: Iterable[Scene] = SCENES, force: bool = False) -> ExampleResult:
    """Build the example repository at ``path`` (a real git repository with the story's history).

    Same ``seed``, ``start`` and ``scenes`` → the same commits, sha for sha. ``path`` may exist
    and hold other files (they are left alone and stay untracked); a git repository there is
    refused unless ``force``, which replaces it.
    """
    root = Path(path)
    _prepare(root, force)
    clock = StoryClock(start)
    rng = random.Random(seed)
    with story_time(clock, seed):
        repo = StoryRepo.init(root, clock=clock)
        try:
            run = _Run(repo, clock, rng)
            for scene in scenes:
                run.play(scene)
            run.close()
            repo.flush()
        finally:
            repo.close()
    return _summary(root)


def _prepare(root: Path, force: bool) -> None:
    """Refuse to replace a repository's history unless forced; clear what an earlier build left.

    Without ``.git`` there is no history to lose: the folder holds the files of an earlier
    example (a checkout of this project's ``memory_repo/``), and they are rebuilt identically.
    """
    if (root / ".git").exists() and not force:
        raise LearningFSError(f"{root} already holds a git repository; rebuild it with force=True (--force), "
                              "which replaces its history")
    for name in BUILT:
        target = root / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    root.mkdir(parents=True, exist_ok=True)


class _Run:
    """The story in progress: the machines, the recall log, and what each scene does."""

    def __init__(self, repo: StoryRepo, clock: StoryClock, rng: random.Random) -> None:
        self.repo, self.clock, self.rng = repo, clock, rng
        quiet = {"track_recalls": False} if "track_recalls" in inspect.signature(LearningMachine).parameters else {}
        common: dict[str, Any] = {"model": None, "agent_id": AGENT, "searcher": "lexical", "background": False,
                                  **quiet}
        # The story's tool calls are the script of an agent that knows its domain ("B2B", "DAG"),
        # not a model's guesses from one message: grounding guards model output and is off here
        # (the module docstring says why), so the example shows what the stores keep, deterministically.
        scripted: dict[str, Any] = {"mode": LearningMode.AGENTIC, "grounding": None}
        self.machine = LearningMachine(
            repo, user_profile=UserProfileConfig(schema=ExampleProfile, **scripted),
            user_memory=UserMemoryConfig(**scripted),
            session_context=SessionContextConfig(enable_planning=True, **scripted),
            entity_memory=EntityMemoryConfig(**scripted),
            learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.PROPOSE, enable_agent_tools=True,
                                                     grounding=None),
            decision_log=DecisionLogConfig(**scripted), **common)
        self.team = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(
            mode=LearningMode.AGENTIC, namespace=TEAM_NAMESPACE, grounding=None), **common)
        self.recall_log = _recall_log(repo)

    def play(self, scene: Scene) -> None:
        self.clock.set(scene.day, scene.hour, self.rng.randint(0, 25))
        if isinstance(scene, Turn):
            self.turn(scene)
        elif isinstance(scene, Review):
            self.review(scene)
        elif isinstance(scene, HandEdit):
            self.hand_edit(scene)
        elif isinstance(scene, Curation):
            self.curate(scene)

    def turn(self, turn: Turn) -> None:
        who = {"user_id": turn.user, "session_id": turn.session, "message": turn.message}
        recalled = self.machine.recall(**who)
        if self.recall_log is not None:
            self.recall_log.note(recalled, when=self.clock.timestamp())
        tools: dict[str, Callable[..., str]] = {tool.__name__: tool for tool in self.machine.get_tools(**who)}
        for tool in self.team.get_tools(**who):
            tools[tool.__name__.replace("_learning", "_team_learning")] = tool
        for name, arguments in turn.calls:
            self.clock.tick(self.rng.uniform(0.5, 4.0))
            arguments = self._resolve(turn.user, dict(arguments))
            reply = tools[name](**arguments)
            if str(reply).startswith("Error"):
                raise LearningFSError(f"example story, day {turn.day}, {turn.user}: {name} refused: {reply}")

    def _resolve(self, user: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """``find="text…"`` → ``memory_id=`` of the user's active memory starting with that text."""
        wanted = arguments.pop("find", None)
        if wanted is None:
            return arguments
        record = self.repo.get(UserMemoryStore.path(user))
        assert isinstance(record, MemoriesRecord), f"{user} has no memories yet"
        match = next(item for item in record.memories if item.active and item.text.startswith(wanted))
        return {**arguments, "memory_id": match.id}

    def review(self, review: Review) -> None:
        from learning_fs.review import approve, reject

        proposal = f"learning/{slugify(review.title)}"
        by = f"{REVIEWER[0]} <{REVIEWER[1]}>"
        if review.approve:
            approve(self.repo, proposal, by=by)
        else:
            reject(self.repo, proposal, review.reason, by=by)

    def hand_edit(self, edit: HandEdit) -> None:
        """A person's commit: their name on it, no ``Learning-*`` trailers (what ``git commit`` makes)."""
        path = record_path(LearningRecord(title=edit.title, namespace=edit.namespace))
        with ops.write_transaction(self.repo, edit.message, None, author=edit.author) as tx:
            if edit.text is None:
                tx.delete(path)
            else:
                current = tx.read_bytes(path)
                if current is None:
                    raise LearningFSError(f"example story: no learning {edit.title!r} to edit")
                tx.write_bytes(path, current.rstrip(b"\n") + b"\n" + edit.text.encode())

    def curate(self, curation: Curation) -> None:
        from learning_fs.curate.curator import Curator
        from learning_fs.curate.policy import CurationPolicy

        # Near-duplicates need embeddings, whose last digits may differ between machines: the
        # example keeps to the exact passes so every machine builds the same history.
        policy = CurationPolicy.from_config(self.repo.config, near_duplicates=False, **curation.options)
        Curator(self.repo, policy=policy, clock=self.clock.timestamp, recall_log=self.recall_log).run()

    def close(self) -> None:
        if self.recall_log is not None:
            self.recall_log.close()
        self.machine.close()
        self.team.close()


def _recall_log(repo: StoryRepo) -> Any:
    try:
        from learning_fs.curate.recall_log import RecallLog
    except ImportError:
        return None
    return RecallLog.for_repo(repo, flush_every=3600.0)


def _summary(root: Path) -> ExampleResult:
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout

    head = git("rev-parse", "HEAD").strip()
    commits = int(git("rev-list", "--count", "HEAD").strip())
    subjects = git("log", "--format=%s", "HEAD").splitlines()
    proposals = {"approved": sum(s.startswith("Approve proposal") for s in subjects),
                 "rejected": sum(s.startswith("Reject proposal") for s in subjects),
                 "open": len(git("branch", "--list", "proposals/*").splitlines())}
    files = len([p for p in git("ls-files").splitlines() if p.endswith(".md")])
    return ExampleResult(root, head, commits, proposals, files)

