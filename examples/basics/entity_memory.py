"""Entity memory: facts, dated events and relationships about the people, companies and projects
the conversation mentions, shared in a namespace.

Extraction runs after each turn; a new fact that contradicts an old one supersedes it (the old
one stays in the file, struck through). Entities are Markdown files with [[wikilinks]], so the
repository opens as an Obsidian vault with a graph.
"""

from __future__ import annotations

from typing import Any

from learning_fs import Agent, EntityMemoryConfig, LearningMachine, LearningMode, RunResponse
from learning_fs.agent import model_or_exit

USER = "alice@example.com"


def main(model: Any = None, repo: Any = "tmp/entity_memory") -> list[RunResponse]:
    model = model or model_or_exit()
    entities = EntityMemoryConfig(mode=LearningMode.ALWAYS, namespace="global")  # learned in the background
    machine = LearningMachine(repo, model=model, entity_memory=entities)
    agent = Agent(model=model, learning=machine)

    first = agent.print_response(
        "Quick context: Acme Corp is our biggest customer. Their CTO is Priya Raman, they run PostgreSQL 16, "
        "and they renewed their contract on 2025-03-01.", user_id=USER, session_id="s1")
    machine.wait()
    second = agent.print_response("I'm meeting Acme tomorrow. What should I keep in mind?",
                                  user_id=USER, session_id="s2")
    print("\nWhat the agent knew about Acme in session 2:\n")
    print(second.context)
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
