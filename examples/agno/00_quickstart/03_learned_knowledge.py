"""Ported from Agno's cookbook/08_learning/00_quickstart/03_learned_knowledge.py (Apache-2.0, Copyright Agno Inc.);
only the imports and the model/repo lines differ (docs/migrating-from-agno.md).

Learning Machines: Learned Knowledge
====================================
Learned Knowledge stores insights that transfer across users.
One person teaches the agent something. Another person benefits.

In AGENTIC mode, the agent receives tools to:
- search_learnings: Find relevant past knowledge
- save_learning: Store a new insight

The agent decides when to save and apply learnings.
"""

from learning_fs import Agent, LearnedKnowledgeConfig, LearningMachine, LearningMode, OpenAIChat

# ---------------------------------------------------------------------------
# Create Knowledge and Agent
# ---------------------------------------------------------------------------
repo = "tmp/memory_repo"

knowledge = "index"  # learnings are files; the repository's own index searches them

agent = Agent(
    model=OpenAIChat(id="gpt-4.1-mini"),
    repo=repo,
    learning=LearningMachine(
        knowledge=knowledge,
        learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC),
    ),
    markdown=True,
)

# ---------------------------------------------------------------------------
# Run Demo
# ---------------------------------------------------------------------------
if __name__ == "__main__":
    # Session 1: User 1 teaches the agent
    print("\n--- Session 1: User 1 saves a learning ---\n")
    agent.print_response(
        "We're trying to reduce our cloud egress costs. Remember this.",
        user_id="engineer_1@example.com",
        session_id="session_1",
        stream=True,
    )
    lm = agent.learning_machine
    lm.learned_knowledge_store.print(query="cloud")

    # Session 2: User 2 benefits from the learning
    print("\n--- Session 2: User 2 asks a related question ---\n")
    agent.print_response(
        "I'm picking a cloud provider for a data pipeline. Give me 2 key considerations.",
        user_id="engineer_2@example.com",
        session_id="session_2",
        stream=True,
    )
