"""User profile: structured fields with one current value each, updated in place.

In AGENTIC mode the agent updates the profile itself with the ``update_user_profile`` tool
(in the default ALWAYS mode a background extractor does it). The profile is one Markdown file
per user, private to them: users/<shard>/<user>/profile.md.
"""

from __future__ import annotations

from typing import Any

from learning_fs import Agent, LearningMachine, LearningMode, RunResponse, UserProfileConfig
from learning_fs.agent import model_or_exit

USER = "sam@example.com"


def main(model: Any = None, repo: Any = "tmp/user_profile") -> list[RunResponse]:
    machine = LearningMachine(repo, user_profile=UserProfileConfig(mode=LearningMode.AGENTIC))
    agent = Agent(model=model or model_or_exit(), learning=machine)

    first = agent.print_response("I'm Samuel Okafor, but everyone calls me Sam.", user_id=USER, session_id="s1")
    second = agent.print_response("Remind me: what should you call me?", user_id=USER, session_id="s2")
    profile = machine.stores["user_profile"].recall(user_id=USER)
    print("\nProfile fields:", profile.fields if profile else "(none)")
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
