"""Many users, one team: shared knowledge in a team namespace, private memories per user.

Learnings and entities live in the ``acme-data`` namespace, shared by everyone on the team;
user memories are private (namespace ``user``) and never reach another user's context, search or
tools. Alice's lesson helps Bob; Alice's personal note does not leak to him.
"""

from __future__ import annotations

from typing import Any

from learning_fs import (
    Agent,
    EntityMemoryConfig,
    LearnedKnowledgeConfig,
    LearningMachine,
    LearningMode,
    RunResponse,
    UserMemoryConfig,
)
from learning_fs.agent import model_or_exit

TEAM = "acme-data"


def main(model: Any = None, repo: Any = "tmp/multi_user") -> list[RunResponse]:
    machine = LearningMachine(
        repo, namespace=TEAM,
        user_memory=UserMemoryConfig(mode=LearningMode.AGENTIC),
        learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC),
        entity_memory=EntityMemoryConfig(mode=LearningMode.AGENTIC),
    )
    agent = Agent(model=model or model_or_exit(), learning=machine,
                  instructions="You help Acme's data team. Save team lessons; keep personal notes private.")

    alice = agent.print_response(
        "Two things: the nightly export must finish before 06:00 CET or finance escalates (that's for the team), "
        "and personally I'm off every Friday.", user_id="alice", session_id="a1")
    bob = agent.print_response("When does the nightly export have to be done? And is Alice around Friday?",
                               user_id="bob", session_id="b1")
    print("\nBob's context (team knowledge, none of Alice's private memories):\n")
    print(bob.context)
    agent.close()
    return [alice, bob]


if __name__ == "__main__":
    main()
