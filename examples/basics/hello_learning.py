"""Hello, learning: ``learning=True`` and the agent remembers you in the next session.

The agent learns a profile (name, preferred name) and memories about the user in the background,
after each reply. Session 2 is a new conversation, yet the agent knows who it is talking to:
what it learned is Markdown in ./tmp/hello_learning (open it, or run `git log` there).

    OPENAI_API_KEY=... python examples/basics/hello_learning.py
    LEARNING_FS_BASE_URL=http://localhost:11434/v1 LEARNING_FS_MODEL=qwen2.5:7b python examples/basics/hello_learning.py
"""

from __future__ import annotations

from typing import Any

from learning_fs import Agent, RunResponse
from learning_fs.agent import model_or_exit

USER = "alice@example.com"


def main(model: Any = None, repo: Any = "tmp/hello_learning") -> list[RunResponse]:
    agent = Agent(model=model or model_or_exit(), learning=True, repo=repo)

    print("\n--- Session 1: the agent learns in the background ---\n")
    first = agent.print_response("Hi! I'm Alice, a data engineer at Acme. I prefer concise answers.",
                                 user_id=USER, session_id="session_1")
    agent.learning.wait()  # only so the next lines show what was learned; runs never wait for it

    print("\n--- Session 2: a new conversation, same user ---\n")
    second = agent.print_response("What do you know about me?", user_id=USER, session_id="session_2")
    print("\nWhat the agent recalled for session 2:\n")
    print(second.context)
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
