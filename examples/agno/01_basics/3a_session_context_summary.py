"""Ported from Agno's cookbook/08_learning/01_basics/3a_session_context_summary.py (Apache-2.0, Copyright Agno Inc.);
only the imports and the model/repo lines differ (docs/migrating-from-agno.md).

Session Context: Summary Mode
=============================
Session Context tracks the current conversation's state:
- What's been discussed
- Key decisions made
- Important context

Summary mode provides lightweight tracking - a running summary without goal/plan structure.

Compare with: 3b_session_context_planning.py for goal-oriented tracking.
"""

from learning_fs import Agent, LearningMachine, OpenAIChat

# ---------------------------------------------------------------------------
# Create Agent
# ---------------------------------------------------------------------------

repo = "tmp/memory_repo"

# Summary mode: Just tracks what's been discussed, no planning overhead.
# Good for general conversations where you want continuity without structure.
agent = Agent(
    model=OpenAIChat(id="gpt-4.1-mini"),
    repo=repo,
    instructions="Be very concise. Give brief answers in 1-2 sentences.",
    learning=LearningMachine(session_context=True),
    markdown=True,
)

# ---------------------------------------------------------------------------
# Run Demo
# ---------------------------------------------------------------------------

if __name__ == "__main__":
    user_id = "session@example.com"
    session_id = "api_design"

    # Turn 1: Start discussion
    print("\n" + "=" * 60)
    print("TURN 1: Start discussion")
    print("=" * 60 + "\n")

    agent.print_response(
        "I'm designing a REST API for a todo app. PUT or PATCH for updates?",
        user_id=user_id,
        session_id=session_id,
        stream=True,
    )
    agent.learning_machine.session_context_store.print(session_id=session_id)

    # Turn 2: Follow-up
    print("\n" + "=" * 60)
    print("TURN 2: Follow-up question")
    print("=" * 60 + "\n")

    agent.print_response(
        "What URL structure for that endpoint?",
        user_id=user_id,
        session_id=session_id,
        stream=True,
    )
    agent.learning_machine.session_context_store.print(session_id=session_id)

    # Turn 3: Test recall
    print("\n" + "=" * 60)
    print("TURN 3: Test context recall")
    print("=" * 60 + "\n")

    agent.print_response(
        "What did we decide?",
        user_id=user_id,
        session_id=session_id,
        stream=True,
    )
    agent.learning_machine.session_context_store.print(session_id=session_id)
