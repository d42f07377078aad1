"""Ported from Agno's cookbook/08_learning/10_demo/agents.py (Apache-2.0, Copyright Agno Inc.);
only the imports and the model/repo lines differ (docs/migrating-from-agno.md).

Learning Demo: Shared Agent
===========================
A single ops assistant with every learning store enabled:

- User Profile: structured fields (name, role, preferences)
- User Memory: unstructured observations about the user
- Session Context: a running summary of each session
- Entity Memory: facts, events, and relationships about external things
- Learned Knowledge: insights that transfer across users (pgvector)
- Decision Log: significant decisions with reasoning

Requires the pgvector container:
    ./cookbook/scripts/run_pgvector.sh
"""

from learning_fs import Agent, LearningMachine, OpenAIChat

# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------
repo = "tmp/memory_repo"

# Learned Knowledge needs a vector store for semantic search.
knowledge = "index"  # learnings are files; the repository's own index searches them

# ---------------------------------------------------------------------------
# Learning Machine: all six stores enabled
# ---------------------------------------------------------------------------
# With all stores enabled, a single message can trigger many memory updates.
# max_updates_per_run (default: 10) caps updates per extraction to prevent
# runaway loops. Increase if your prompts contain dense info (many entities).
learning = LearningMachine(
    repo=repo,
    model=OpenAIChat(id="gpt-4.1-mini"),
    knowledge=knowledge,
    user_profile=True,
    user_memory=True,
    session_context=True,
    entity_memory=True,
    learned_knowledge=True,
    decision_log=True,
)

# ---------------------------------------------------------------------------
# Agent
# ---------------------------------------------------------------------------
ops_assistant = Agent(
    id="ops-assistant",
    name="Ops Assistant",
    model=OpenAIChat(id="gpt-4.1-mini"),
    repo=repo,
    learning=learning,
    instructions=[
        "You are an engineering operations assistant.",
        "Keep answers short and practical.",
        "Search your learnings before answering substantive questions.",
        "When the user shares a team-wide insight or asks you to remember one, save it with the save_learning tool.",
        "When you make a significant recommendation, record it with the log_decision tool, including your reasoning and the alternatives you considered.",
    ],
    markdown=True,
)
