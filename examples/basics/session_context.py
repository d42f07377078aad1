"""Session context: summary, goal, plan and progress that survive a truncated chat history.

This agent sees *no* chat history (``history_turns=0``), the extreme case of a long session
whose early turns were cut. It still knows where the session stands, because after each turn
the session context store updates the session's summary, goal and plan, building on the
previous version, and the machine puts it in the prompt.
"""

from __future__ import annotations

from typing import Any

from learning_fs import Agent, LearningMachine, RunResponse, SessionContextConfig
from learning_fs.agent import model_or_exit

USER = "ana@example.com"
SESSION = "trip-planning"


def main(model: Any = None, repo: Any = "tmp/session_context") -> list[RunResponse]:
    model = model or model_or_exit()
    machine = LearningMachine(repo, model=model, session_context=SessionContextConfig(enable_planning=True))
    agent = Agent(model=model, learning=machine, history_turns=0)

    first = agent.print_response("Help me plan a 3-day trip to Lisbon in May: museums, food, one day trip.",
                                 user_id=USER, session_id=SESSION)
    machine.wait()
    second = agent.print_response("Where were we?", user_id=USER, session_id=SESSION)
    print("\nThe session context the model saw:\n")
    print(second.context)
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
