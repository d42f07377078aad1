"""``learning-fs doctor``: check what learning_fs depends on. ``doctor model`` probes a model endpoint.

The group lives in its own module so other checks (repository health, …) can be added as
subcommands of the same ``doctor`` group.
"""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, echo_json, json_option, pass_state


@click.group("doctor")
def doctor() -> None:
    """Check that what learning_fs depends on works (start with: learning-fs doctor model)."""


@doctor.command("model")
@click.option("--model", "model_id", metavar="ID", envvar="LEARNING_FS_MODEL", show_envvar=True,
              help="Model id (default with OPENAI_API_KEY: gpt-4.1-mini).")
@click.option("--base-url", metavar="URL", envvar="LEARNING_FS_BASE_URL", show_envvar=True,
              help="An OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server).")
@json_option
@pass_state
def model_check(state: State, model_id: str | None, base_url: str | None, as_json: bool) -> None:
    """Probe a model endpoint: chat, tools with each tool_choice, json_object, json_schema.

    Sends a handful of tiny requests (64 tokens each) exactly as shaped, without fallbacks, and
    prints what works and which strategy learning_fs will use with this server. Exit status 1
    when chat fails or no tool_choice yields a tool call (the stores would learn nothing).

    \b
    Examples:
      learning-fs doctor model --base-url http://localhost:8080/v1 --model smollm2
      learning-fs doctor model --base-url http://localhost:11434/v1 --model qwen2.5:7b --json
      OPENAI_API_KEY=... learning-fs doctor model
    """
    from learning_fs.agent.environment import repo_model_settings
    from learning_fs.cli.chat import make_model
    from learning_fs.extract import OpenAIChat
    from learning_fs.extract.probe import probe_endpoint

    settings = {}
    if (state.repo_path / "learning_fs.yaml").exists():  # a repository's model: section, when there is one
        settings = repo_model_settings(state.open_repo())
    model = make_model(model_id, base_url, settings=settings)
    if not isinstance(model, OpenAIChat):  # pragma: no cover - make_model always builds one
        raise click.ClickException("doctor model needs an OpenAI-compatible endpoint")
    report = probe_endpoint(model)
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(f"{report.base_url}  model {report.model}")
        for probe in report.probes:
            mark = "ok  " if probe.works else ("no  " if probe.accepted else "FAIL")
            click.echo(f"  {mark} {probe.name:<30} {probe.seconds:5.1f} s  {probe.detail}")
        click.echo("strategy:")
        choice = report.tool_choice
        click.echo(f"  extraction sends tool_choice={choice!r}" if choice else
                   "  extraction: no tool_choice gave a tool call: stores that extract will learn nothing")
        if choice and choice != "required":
            click.echo("  (\"required\" is refused or ignored here; learning_fs falls back to it by itself)")
        style = report.json_style
        click.echo(f"  structured output uses response_format {style}" if style else
                   "  structured output (curation verdicts): neither json_schema nor json_object works")
    if not report.ok:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    cli.add_command(doctor)
