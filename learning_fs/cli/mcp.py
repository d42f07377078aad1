"""``learning-fs mcp``: serve the memory repository to MCP clients (Claude Desktop, Claude Code, Cursor)."""

from __future__ import annotations

import click

from learning_fs.cli._shared import State, pass_state


@click.command("mcp")
@click.option("--user", "users", multiple=True, metavar="ID",
              help="A user the server acts for (repeat for several; the first is the default). "
                   "Without one, only shared memory is read and written.")
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True,
              help="stdio (the client starts the server) or streamable HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP: the address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="HTTP: the port.")
@click.option("--agent", metavar="NAME", default="mcp", show_default=True,
              help="Recorded as Learning-Agent in every commit the server makes.")
@pass_state
def mcp(state: State, users: tuple[str, ...], transport: str, host: str, port: int, agent: str) -> None:
    """Serve memory over the Model Context Protocol: search, context, add, propose, validate.

    Tools: search, build_context, recall, show, list_records, add_memory, add_fact, add_event,
    add_relationship, add_learning, add_decision, propose_learning, list_proposals,
    show_proposal, validate; records are resources (learning-fs://records/{id}). A tool's
    user_id must be one of --user: another user's private memory is never served.
    docs/mcp.md has the configuration for Claude Desktop, Claude Code and Cursor.

    \b
    Examples:
      learning-fs --repo ~/memory mcp --user alice
      learning-fs --repo ~/memory mcp --transport http --port 8765   # http://127.0.0.1:8765/mcp
      claude mcp add memory -- learning-fs --repo ~/memory mcp --user alice
    """
    try:
        from learning_fs.mcp import MemoryService
        from learning_fs.mcp.server import serve
    except ImportError as exc:  # the SDK comes with the 'mcp' extra
        raise click.ClickException(f"the MCP server needs the 'mcp' package ({exc}): pip install "
                                   "'learning-fs[mcp]' (docs/mcp.md)") from exc

    repo = state.open_repo()
    if transport == "http" and host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: serving {repo.root} on {host}: anyone who reaches it can read and write shared "
                   "memory (the server has no authentication)", err=True)
    service = MemoryService(repo, users=users, agent=agent)
    if transport == "http":
        click.echo(f"learning-fs MCP server on http://{host}:{port}/mcp (Ctrl-C stops it)", err=True)
    serve(service, transport="stdio" if transport == "stdio" else "http", host=host, port=port)


def register(cli: click.Group) -> None:
    cli.add_command(mcp)
