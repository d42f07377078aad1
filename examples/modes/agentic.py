"""AGENTIC mode: the agent decides what to remember, with tools, during the conversation.

Each tool call is one commit on the main branch, with the user's message and the mode in the
commit; nothing runs in the background.
"""

from __future__ import annotations

from typing import Any

from learning_fs import Agent, LearningMachine, LearningMode, RunResponse, UserMemoryConfig, UserProfileConfig
from learning_fs.agent import model_or_exit


def main(model: Any = None, repo: Any = "tmp/agentic") -> list[RunResponse]:
    machine = LearningMachine(repo, user_profile=UserProfileConfig(mode=LearningMode.AGENTIC),
                              user_memory=UserMemoryConfig(mode=LearningMode.AGENTIC))
    agent = Agent(model=model or model_or_exit(), learning=machine)

    first = agent.print_response("I'm Noor. I'm allergic to peanuts, keep that in mind for recipes.",
                                 user_id="noor", session_id="r1")
    print("\nTools the agent called:", [call.name for call in first.tool_calls])
    second = agent.print_response("Suggest a quick dessert.", user_id="noor", session_id="r2")
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
