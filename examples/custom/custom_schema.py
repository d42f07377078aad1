"""A custom profile schema: subclass ``UserProfile`` and describe each field.

The descriptions are what the model reads (in the ``update_user_profile`` tool schema and the
extraction prompt), so adding a field needs no prompt engineering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from learning_fs import Agent, LearningMachine, RunResponse, UserProfile, UserProfileConfig
from learning_fs.agent import model_or_exit


@dataclass
class CustomerProfile(UserProfile):
    company: str | None = field(default=None, metadata={"description": "The company the customer works for"})
    plan_tier: str | None = field(default=None, metadata={"description": "Subscription tier: free, pro or enterprise"})
    main_use_case: str | None = field(default=None, metadata={"description": "What they mainly use the product for"})


def main(model: Any = None, repo: Any = "tmp/custom_schema") -> list[RunResponse]:
    model = model or model_or_exit()
    machine = LearningMachine(repo, model=model, user_profile=UserProfileConfig(schema=CustomerProfile))
    agent = Agent(model=model, learning=machine, instructions="You are a support agent.")

    first = agent.print_response("Hi, Jordan from Globex here. We're on the Pro plan and use you for invoicing.",
                                 user_id="jordan", session_id="t1")
    machine.wait()
    second = agent.print_response("Can I get more seats?", user_id="jordan", session_id="t2")
    print("\nThe customer profile the support agent saw:\n")
    print(second.context)
    agent.close()
    return [first, second]


if __name__ == "__main__":
    main()
