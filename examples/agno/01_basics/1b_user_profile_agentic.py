"""Ported from Agno's cookbook/08_learning/01_basics/1b_user_profile_agentic.py (Apache-2.0, Copyright Agno Inc.);
only the imports and the model/repo lines differ (docs/migrating-from-agno.md).

User Profile: Agentic Mode
==========================
User Profile captures structured profile fields about users:
- Name and preferred name
- Custom profile fields (when using extended schemas)

AGENTIC mode gives the agent explicit tools to update profile fields.
The agent decides when to store information - you can see the tool calls.

Compare with: 1a_user_profile_always.py for automatic extraction.
See also: 2b_user_memory_agentic.py for unstructured observations.
"""

from learning_fs import Agent, LearningMachine, LearningMode, OpenAIChat, UserProfileConfig

# ---------------------------------------------------------------------------
# Create Agent
# ---------------------------------------------------------------------------

repo = "tmp/memory_repo"

# AGENTIC mode: Agent gets profile tools and decides when to use them.
# You'll see tool calls like "update_user_profile" in responses.
agent = Agent(
    model=OpenAIChat(id="gpt-4.1-mini"),
    repo=repo,
    learning=LearningMachine(
        user_profile=UserProfileConfig(
            mode=LearningMode.AGENTIC,
        ),
    ),
    markdown=True,
)

# ---------------------------------------------------------------------------
# Run Demo
# ---------------------------------------------------------------------------

if __name__ == "__main__":
    user_id = "bob@example.com"

    # Session 1: Agent explicitly updates profile
    print("\n" + "=" * 60)
    print("SESSION 1: Share information (watch for tool calls)")
    print("=" * 60 + "\n")

    agent.print_response(
        "Hi! I'm Robert Johnson, but everyone calls me Bob.",
        user_id=user_id,
        session_id="session_1",
        stream=True,
    )
    agent.learning_machine.user_profile_store.print(user_id=user_id)

    # Session 2: Agent uses stored profile
    print("\n" + "=" * 60)
    print("SESSION 2: Profile recalled in new session")
    print("=" * 60 + "\n")

    agent.print_response(
        "What should you call me?",
        user_id=user_id,
        session_id="session_2",
        stream=True,
    )
    agent.learning_machine.user_profile_store.print(user_id=user_id)
