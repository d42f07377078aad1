"""HITL mode: the agent asks before it remembers.

A learning tool call pauses the run. The application shows the pending change with its
evidence (who said what, the model's reason) and the user confirms or rejects it; then the run
continues. ``print_response`` does this on the console; an application uses ``run`` →
``response.requirements`` → ``confirm()``/``reject()`` → ``continue_run``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from learning_fs import Agent, LearningMachine, LearningMode, Requirement, RunResponse, UserMemoryConfig
from learning_fs.agent import model_or_exit


def ask(requirement: Requirement) -> bool:
    from rich.prompt import Confirm

    return Confirm.ask("Save it?")


def main(model: Any = None, repo: Any = "tmp/hitl",
         confirm: Callable[[Requirement], bool] | None = None) -> list[RunResponse]:
    machine = LearningMachine(repo, user_memory=UserMemoryConfig(mode=LearningMode.HITL))
    agent = Agent(model=model or model_or_exit(), learning=machine,
                  instructions="Remember lasting facts about the user with add_memory.")

    # On the console: you are asked "Save it?" for each memory the agent wants to keep.
    answer = agent.print_response("I'm vegetarian and I cook for two.", user_id="kai", session_id="c1",
                                  confirm=confirm)

    # The same, by hand, as an application would do it:
    decide = confirm or ask
    response = agent.run("Also, I hate cilantro.", user_id="kai", session_id="c1")
    while response.is_paused:
        for requirement in response.requirements:
            print("\nPending:\n" + requirement.render())
            requirement.confirm() if decide(requirement) else requirement.reject("not useful")
        response = agent.continue_run(response)
    print("\nAgent:", response.content)
    agent.close()
    return [answer, response]


if __name__ == "__main__":
    main()
