"""``learning-fs chat``: talk to an agent that learns, against any OpenAI-compatible model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from learning_fs.cli._shared import State, console, pass_state

if TYPE_CHECKING:
    from learning_fs.extract import ChatModel

MODES = ("agentic", "propose", "hitl")


def make_model(model_id: str | None, base_url: str | None, **options: Any) -> ChatModel:
    """The model the chat talks to; a ``click.ClickException`` (exit 1) when none is configured.

    ``options``: ``settings`` (``learning_fs.yaml``'s ``model:``), ``max_tokens``, ``timeout``.
    """
    from learning_fs.agent import model_from_env
    from learning_fs.extract import ModelConfigError

    try:
        return model_from_env(model_id, base_url, **options)
    except (ModelConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command("chat")
@click.option("--user", "user_id", required=True, metavar="ID", help="Who you are (your private memories).")
@click.option("--session", "session_id", metavar="ID", help="Continue a session (default: a new one).")
@click.option("--model", "model_id", metavar="ID", envvar="LEARNING_FS_MODEL", show_envvar=True,
              help="Model id (default with OPENAI_API_KEY: gpt-4.1-mini).")
@click.option("--base-url", metavar="URL", envvar="LEARNING_FS_BASE_URL", show_envvar=True,
              help="An OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server).")
@click.option("--max-tokens", type=click.IntRange(min=1), metavar="N",
              help="Completion tokens of a reply (extraction: LEARNING_FS_MAX_TOKENS_EXTRACT; docs/models.md).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Seconds a reply may take; a timed-out reply is not retried.")
@click.option("--knowledge", "knowledge_mode", type=click.Choice(MODES), default="agentic", show_default=True,
              help="How the agent saves reusable learnings: itself, as proposals, or after asking you.")
@click.option("--namespace", default="global", show_default=True, metavar="NAME",
              help="Where shared learnings and entities go (global, a team name, or user).")
@pass_state
def chat(state: State, user_id: str, session_id: str | None, model_id: str | None, base_url: str | None,
         max_tokens: int | None, timeout: float | None, knowledge_mode: str, namespace: str) -> None:
    """Chat with an agent that learns about you and its work as you talk.

    The agent recalls your profile, memories, the session so far, the entities and the lessons it
    knows, answers, and learns from the turn in the background. Everything it learns is a commit
    in the memory repository. Type /context to see what it recalled, /exit (or Ctrl-D) to leave.

    \b
    Examples:
      OPENAI_API_KEY=... learning-fs chat --user alice
      learning-fs chat --user alice --base-url http://localhost:11434/v1 --model qwen2.5:7b
      learning-fs chat --user alice --session s-1 --knowledge hitl
      learning-fs chat --user alice --base-url http://localhost:8080/v1 --model smollm2 --max-tokens 256
    """
    from learning_fs.agent import Agent
    from learning_fs.agent.environment import repo_model_settings
    from learning_fs.errors import LearningFSError
    from learning_fs.format.ids import new_id
    from learning_fs.machine import LearningMachine, LearningMode
    from learning_fs.stores import (
        EntityMemoryConfig,
        LearnedKnowledgeConfig,
        SessionContextConfig,
        UserMemoryConfig,
        UserProfileConfig,
    )

    repo = state.open_repo()
    model = make_model(model_id, base_url, settings=repo_model_settings(repo),
                       max_tokens={"chat": max_tokens} if max_tokens else None,
                       timeout={"chat": timeout} if timeout else None)
    session_id = session_id or new_id("session")
    machine = LearningMachine(
        repo, model=model, namespace=namespace, agent_id="learning-fs-chat",
        user_profile=UserProfileConfig(), user_memory=UserMemoryConfig(), session_context=SessionContextConfig(),
        entity_memory=EntityMemoryConfig(mode=LearningMode.ALWAYS),
        learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode(knowledge_mode)),
    )
    agent = Agent(model=model, learning=machine, agent_id="learning-fs-chat",
                  instructions="You are a helpful assistant. Answer concisely.")
    out = console()
    out.print(f"[dim]Chatting as {user_id} in session {session_id} with {model!r}. /context shows what the "
              "agent recalled; /exit leaves.[/]")
    try:
        while True:
            try:
                message = click.prompt(click.style("you", bold=True), prompt_suffix="> ").strip()
            except (EOFError, click.Abort):
                break
            if message in ("/exit", "/quit"):
                break
            if message == "/context":
                machine.wait(timeout=60)  # include what the last turns taught
                out.print(machine.build_context(user_id, session_id, "") or "(nothing recalled yet)", markup=False)
                continue
            if not message:
                continue
            try:
                agent.print_response(message, user_id=user_id, session_id=session_id, console=out)
            except LearningFSError as exc:  # model errors: report and keep the conversation going
                out.print(f"[red]error:[/] {exc}", markup=True)
    finally:
        if machine.wait(timeout=0):
            agent.close()
        else:
            out.print("[dim]Finishing what the agent learned from this conversation…[/]")
            agent.close()
    out.print(f"[dim]Session {session_id}. Resume with: learning-fs chat --user {user_id} --session {session_id}[/]")


def register(cli: click.Group) -> None:
    cli.add_command(chat)
