"""Helpers: a turn as the machine sees it, and the same correction given by several users."""

from __future__ import annotations

import subprocess
from typing import Any

from learning_fs import LearningMachine
from learning_fs.repo import MemoryRepo

QUESTION = "How far is it from Paris to Berlin?"
CORRECTION = "No, I said use metric units."


def turn(machine: LearningMachine, user: str, session: str, message: str, reply: str, run_id: str,
         **extra: Any) -> str:
    """One run: build the context (as an agent would), then hand the turn to the machine."""
    context = machine.build_context(user, session, message, run_id=run_id)
    machine.process([{"role": "user", "content": message}, {"role": "assistant", "content": reply}],
                    user, session, run_id=run_id, **extra)
    return context


def corrected(machine: LearningMachine, users: list[str], correction: str = CORRECTION,
              question: str = QUESTION, tag: str = "") -> None:
    """Each user asks, gets miles, and corrects the answer in the same session."""
    for number, user in enumerate(users):
        session = f"s-{tag}{user}-{number}"
        turn(machine, user, session, question, "About 545 miles.", f"run-{tag}{user}-{number}a")
        turn(machine, user, session, correction, "About 880 km.", f"run-{tag}{user}-{number}b")


def git(repo: MemoryRepo, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo.root, capture_output=True, text=True, check=True).stdout


def branches(repo: MemoryRepo) -> list[str]:
    return sorted(line.strip() for line in git(repo, "branch", "--format=%(refname:short)").splitlines())
