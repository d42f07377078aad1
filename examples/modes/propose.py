"""PROPOSE mode: what the agent learns waits on a branch until a person approves it.

After each turn the extractor may save a learning; in PROPOSE mode that save becomes a commit on
a new ``proposals/<kind>/<slug>`` branch made from main. Main, the working tree and what the agent
recalls stay untouched until someone merges the branch. Reviewing is plain git, in the memory
repository: ``git diff main..proposals/learning/<slug>`` shows the change, ``git log -1
proposals/learning/<slug>`` the evidence (who said what, in which session), ``git merge
proposals/learning/<slug>`` approves it and ``git branch -D proposals/learning/<slug>`` drops it.
The script prints those commands for every open proposal.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import Any

from learning_fs import Agent, LearnedKnowledgeConfig, LearningMachine, LearningMode, RunResponse
from learning_fs.agent import model_or_exit


def main(model: Any = None, repo: Any = "tmp/propose") -> list[RunResponse]:
    model = model or model_or_exit()
    machine = LearningMachine(repo, model=model, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.PROPOSE))
    agent = Agent(model=model, learning=machine)

    first = agent.print_response(
        "Lesson from today's outage: always set statement_timeout on reporting queries against the primary.",
        user_id="ops-lead", session_id="o1")
    machine.wait()
    machine.repo.flush()  # .git/index catches up with the library's commits before a person runs git here

    root, main_branch = machine.repo.root, machine.repo.branch
    branches = subprocess.run(["git", "branch", "--list", "proposals/*", "--format=%(refname:short)"],
                              cwd=root, capture_output=True, text=True, check=True).stdout.split()
    print("\nOpen proposals:", branches or "(none)")
    git = f"git -C {shlex.quote(str(root))}"
    for branch in branches:
        log = subprocess.run(["git", "log", "-1", "--format=%B", branch], cwd=root, capture_output=True, text=True,
                             check=True).stdout
        print(f"\n{branch}\n{log}")
        print(f"  review:  {git} diff {main_branch}..{branch}")
        print(f"  approve: {git} merge {branch}")
        print(f"  drop:    {git} branch -D {branch}")
    agent.close()
    return [first]


if __name__ == "__main__":
    main()
