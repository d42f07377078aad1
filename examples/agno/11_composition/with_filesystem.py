"""Ported from Agno's cookbook/08_learning/11_composition/with_filesystem.py (Apache-2.0, Copyright Agno Inc.);
only the imports and the model/repo lines differ (docs/migrating-from-agno.md).

Composition: LearningMachine + FileSystem, One Deliberate Order
===============================================================
The point of the manual door: LearningMachine, FileSystem and your own
system prompt compose in one order you can read off the page. Nothing is
attached behind your back.

Run:
    .venvs/demo/bin/python cookbook/08_learning/11_composition/with_filesystem.py
"""

from learning_fs import Agent, FileSystem, LearningMachine, LearningMode, OpenAIChat, UserMemoryConfig

repo = "tmp/memory_repo"

learning = LearningMachine(
    repo=repo,
    model=OpenAIChat(id="gpt-4.1-mini"),  # the manual door injects nothing
    user_memory=UserMemoryConfig(mode=LearningMode.AGENTIC),
)
fs = FileSystem(repo, namespace="composition-notes")

USER_ID = "composer@example.com"

agent = Agent(
    model=OpenAIChat(id="gpt-4.1-mini"),
    repo=repo,
    tools=[*learning.get_tools(user_id=USER_ID), fs.tools()],
    instructions=[
        "You are a research assistant. Keep running notes on topics you research.",
        learning.instructions(),
        fs.instructions(),
    ],
    user_id=USER_ID,
    markdown=True,
)

if __name__ == "__main__":
    agent.print_response(
        "Note down: the vector-db comparison is due Friday. And remember that "
        "I want conclusions first in every summary.",
        stream=True,
    )
    print("\n--- files ---")
    for f in fs.list():
        print(f.path)
