"""Demo step: the learning loop across two sessions — what session 1 teaches, session 2 recalls.

With no model configured the agent's side of session 1 is scripted: the demo calls the same
learning tools a model would call (``get_tools`` returns plain functions), and says so. With
``OPENAI_API_KEY`` or ``LEARNING_FS_BASE_URL`` (+ ``LEARNING_FS_MODEL``) set, a real model answers
and decides what to save. Either way session 2 is a new conversation with no chat history, and
the context built for it carries what session 1 taught.
"""

from __future__ import annotations

from typing import Any

from learning_fs.demo.runner import DemoContext
from learning_fs.errors import LearningFSError
from learning_fs.machine import LearningMachine, LearningMode
from learning_fs.machine.hitl import render_arguments
from learning_fs.stores import EntityMemoryConfig, LearnedKnowledgeConfig, UserMemoryConfig, UserProfileConfig

ORDER = 30
USER = "alice"
FIRST, SECOND = "s-002", "s-003"
TEACHING = (
    "Two things for next time: every DAG gets a pytest smoke test before it is deployed, and Acme Corp's Airflow "
    "now runs on Kubernetes. Also, our workers ran out of slots because the sensor waiting for the warehouse "
    "load held one for hours; long sensors should use reschedule mode so they free the worker slot between pokes."
)
QUESTION = "How should I set up the Airflow sensor that waits for Acme's warehouse load?"
SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("add_memory", {"memory": "Wants every DAG covered by a pytest smoke test before it is deployed."}),
    ("add_fact", {"entity": "Acme Corp", "fact": "Runs Airflow on Kubernetes."}),
    ("save_learning", {
        "title": "Use reschedule mode for long Airflow sensors",
        "learning": "A sensor that may wait for hours should use mode='reschedule' so it frees its worker slot "
                    "between pokes.",
        "context": "Acme's workers ran out of slots while a sensor waited for the warehouse load.",
        "tags": ["airflow", "sensors"],
    }),
]


def configured_model() -> tuple[Any, str]:
    """The model from the environment, or ``None`` and the reason the scripted agent is used."""
    from learning_fs.agent import model_configured, model_from_env
    from learning_fs.extract import ModelConfigError

    if not model_configured():
        return None, "no model is configured (set OPENAI_API_KEY, or LEARNING_FS_BASE_URL and LEARNING_FS_MODEL)"
    try:
        model = model_from_env()
    except ModelConfigError as exc:
        return None, str(exc)
    return model, f"a real model answers: {model!r}"


def build_machine(repo: Any, model: Any) -> LearningMachine:
    """The machine of this chapter: the agent saves memories, entity facts and lessons with its tools."""
    return LearningMachine(
        repo, model=model, agent_id="demo-agent",
        user_profile=UserProfileConfig(),
        user_memory=UserMemoryConfig(mode=LearningMode.AGENTIC),
        entity_memory=EntityMemoryConfig(mode=LearningMode.AGENTIC),
        learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC),
    )


def run(ctx: DemoContext) -> None:
    model, how = configured_model()
    machine = build_machine(ctx.repo, model)
    before = machine.build_context(USER, SECOND, QUESTION)

    ctx.chapter("12. The learning loop, session 1",
                "recall -> context -> answer -> save. Alice tells the agent things worth keeping; what it saves "
                "becomes commits with the evidence (her words, the session, the mode) in the message.")
    ctx.say(f"Alice ({FIRST}): {TEACHING}")
    if model is None or not _real_session(ctx, machine, model):
        ctx.say(f"\nScripted agent: {how}, so no model runs here. The demo plays the agent's part by calling "
                "the learning tools a model would call, exactly as the machine hands them to any agent:")
        tools = {tool.__name__: tool for tool in machine.get_tools(USER, FIRST, TEACHING)}
        for name, arguments in SCRIPT:
            result = tools[name](**arguments)
            ctx.say(f"  agent -> {name}({render_arguments(arguments)})\n     <- {result}")
    machine.wait()
    ctx.show_command("git log -n 3 --format='%h %s%n%b'",
                     ctx.git("log", "-n", "3", "--format=%h %s%n%b"))

    ctx.chapter("13. The learning loop, session 2",
                "A new session: no chat history is shared with session 1. The machine recalls, for this user, "
                "session and message, what each store knows, and builds the context the model will see.")
    ctx.say(f"Alice ({SECOND}): {QUESTION}")
    recalled = machine.recall(USER, SECOND, QUESTION)
    ctx.say("\nmachine.recall(...) found: " + "; ".join(f"{name}: {_count(data)}" for name, data in recalled.items()))
    after = machine.build_context(USER, SECOND, QUESTION)
    ctx.show_command(f"machine.build_context(user_id={USER!r}, session_id={SECOND!r}, message=...)", after)
    new_lines = [line for line in after.splitlines() if line.strip() and line not in before.splitlines()]
    ctx.say("\nIn this context because of session 1 (absent from the same context built before it):\n"
            + "\n".join(f"  + {line.strip()}" for line in new_lines))
    ctx.notes["loop_context"] = after


def _real_session(ctx: DemoContext, machine: LearningMachine, model: Any) -> bool:
    """Session 1 with a real model; False (after saying why) when the model cannot be reached."""
    from learning_fs.agent import Agent

    agent = Agent(model=model, learning=machine, agent_id="demo-agent",
                  instructions="You help Alice, a data engineer at Acme Corp. Answer in two sentences.")
    try:
        response = agent.run(TEACHING, user_id=USER, session_id=FIRST)
    except LearningFSError as exc:
        ctx.say(f"\nThe model could not answer ({exc}); falling back to the scripted agent.")
        return False
    for call in response.tool_calls:
        ctx.say(f"  agent -> {call.name}: {call.content}")
    ctx.say(f"Agent: {response.content}")
    return True


def _count(data: Any) -> str:
    if data is None:
        return "nothing"
    if isinstance(data, list):
        return f"{len(data)} item(s)"
    return "1 record"
