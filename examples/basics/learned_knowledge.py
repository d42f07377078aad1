"""Learned knowledge: reusable insights, saved once and used with anyone.

The agent gets ``search_learnings`` and ``save_learning``. It is told to save only specific,
actionable, generalisable insights, and to search first. A lesson learned with Alice helps Bob:
learnings live in a shared namespace (``global`` here), not with a user.
"""

from __future__ import annotations

from typing import Any

from learning_fs import Agent, LearnedKnowledgeConfig, LearningMachine, LearningMode, RunResponse
from learning_fs.agent import model_or_exit


def main(model: Any = None, repo: Any = "tmp/learned_knowledge") -> list[RunResponse]:
    machine = LearningMachine(repo, learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC))
    agent = Agent(model=model or model_or_exit(), learning=machine,
                  instructions="You help engineers with CI. Save lessons that will help others.")

    first = agent.print_response(
        "Our CI kept timing out installing packages until we pinned the index mirror and added 3 retries. "
        "Worth remembering.", user_id="alice", session_id="a1")
    second = agent.print_response("My CI times out while installing packages. Ideas?", user_id="bob",
                                  session_id="b1")
    print("\nWhat the agent brought to Bob's question:\n")
    print(second.context)
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
