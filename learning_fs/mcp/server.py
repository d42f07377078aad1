"""The MCP server: :class:`~learning_fs.mcp.service.MemoryService` as tools and resources.

Built on the official ``mcp`` SDK (``MCPServer``), served over stdio (what Claude Desktop,
Claude Code and Cursor start) or streamable HTTP on 127.0.0.1. Each tool is a one-line call
into the service, so the CLI, the agent's tools and MCP clients share one implementation
(:mod:`learning_fs.ops`, the index, the machine). docs/mcp.md shows the client configurations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import Field

from learning_fs.errors import LearningFSError
from learning_fs.mcp.service import MemoryService

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

INSTRUCTIONS = """\
Long-term memory kept as Markdown files in a Git repository (learning_fs). Call build_context
(or search) before answering to recall what is known about the user and the task; write what is
worth keeping with add_memory (about the user), add_fact / add_event / add_relationship (about
people, companies, projects), add_learning (reusable lessons) and add_decision. Use
propose_learning when a person should review the lesson first. Every write is one git commit.
"""

UserId = Annotated[str | None, Field(description="Who is asking (default: the user the server was started for).")]
SessionId = Annotated[str | None, Field(description="The conversation this comes from (recorded in the commit).")]
Namespace = Annotated[str, Field(description="Shared namespace (a team, a project), or 'user' for private memory.")]
Kind = Literal["profile", "memories", "session", "entity", "learning", "decision"]
RESOURCE_PREFIX = "learning-fs://records"
T = TypeVar("T")


def build_server(service: MemoryService, *, name: str = "learning-fs") -> MCPServer:
    """An ``MCPServer`` whose tools and resources call ``service`` (closed when the server stops)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            service.close()

    scope = ", ".join(service.users) or "shared memory only"
    server: MCPServer = MCPServer(name, instructions=INSTRUCTIONS + f"\nThis server acts for: {scope}.",
                                  lifespan=lifespan, log_level="WARNING")
    reads = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
    writes = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False)

    @server.tool(annotations=reads)
    def search(query: str, kind: Kind | None = None, namespace: str | None = None,
               k: Annotated[int, Field(ge=1, le=100)] = 10, user_id: UserId = None) -> list[dict[str, Any]]:
        """Search memory by meaning and by words: learnings, decisions, entity facts and events, and the
        user's own memories. Returns hits with a snippet, the record id (for show) and the file path."""
        return _call(service.search, query, user_id=user_id, kind=kind, namespace=namespace, k=k)

    @server.tool(annotations=reads)
    def build_context(message: str = "", user_id: UserId = None, session_id: SessionId = None,
                      budget: Annotated[int | None, Field(ge=50, le=50_000)] = None) -> str:
        """What is known that matters for this message (profile, memories, entities, learnings,
        decisions), as one delimited text block for the system prompt."""
        return _call(service.build_context, message, user_id=user_id, session_id=session_id, budget=budget)

    @server.tool(annotations=reads)
    def recall(message: str = "", user_id: UserId = None, session_id: SessionId = None) -> dict[str, Any]:
        """What each memory store recalls for this message, as data (records with their Markdown)."""
        return _call(service.recall, message, user_id=user_id, session_id=session_id)

    @server.tool(annotations=reads)
    def show(id_or_path: str, user_id: UserId = None) -> dict[str, Any]:
        """One record by id (lrn-…, ent-…) or repository path, with the file's Markdown."""
        return _call(service.show, id_or_path, user_id=user_id)

    @server.tool(annotations=reads)
    def list_records(kind: Kind | None = None, namespace: str | None = None,
                     limit: Annotated[int, Field(ge=1, le=1000)] = 200, user_id: UserId = None) -> list[dict[str, Any]]:
        """Records the caller may see (shared ones and their own private ones), newest first."""
        return _call(service.list_records, user_id=user_id, kind=kind, namespace=namespace, limit=limit)

    @server.tool(annotations=writes)
    def add_memory(text: str, user_id: UserId = None, session_id: SessionId = None) -> dict[str, Any]:
        """Remember an observation about the user (private to them; a repeat is a no-op)."""
        return _call(service.add_memory, text, user_id=user_id, session_id=session_id)

    @server.tool(annotations=writes)
    def update_memory(memory_id: str, text: str, user_id: UserId = None,
                      session_id: SessionId = None) -> dict[str, Any]:
        """Correct one of the user's memories by id (it keeps its id; the same text changes nothing)."""
        return _call(service.update_memory, memory_id, text, user_id=user_id, session_id=session_id)

    @server.tool(annotations=writes)
    def forget_memory(memory_id: str, user_id: UserId = None, session_id: SessionId = None) -> dict[str, Any]:
        """Forget one of the user's memories by id (git history keeps it)."""
        return _call(service.forget_memory, memory_id, user_id=user_id, session_id=session_id)

    @server.tool(annotations=writes)
    def forget_fact(entity: str, fact: str, namespace: Namespace = "global", user_id: UserId = None,
                    session_id: SessionId = None) -> dict[str, Any]:
        """Retire an entity's fact that is no longer true (by id or words; kept in the file, struck through)."""
        return _call(service.forget_fact, entity, fact, namespace=namespace, user_id=user_id, session_id=session_id)

    @server.tool(annotations=writes)
    def add_fact(entity: str, text: str, entity_type: str | None = None, namespace: Namespace = "global",
                 user_id: UserId = None, session_id: SessionId = None) -> dict[str, Any]:
        """Add a fact to a named entity (person, company, project…), creating the entity if needed."""
        return _call(service.add_fact, entity, text, entity_type=entity_type, namespace=namespace, user_id=user_id,
                                session_id=session_id)

    @server.tool(annotations=writes)
    def add_event(entity: str, date: Annotated[str, Field(description="YYYY-MM-DD")], text: str,
                  namespace: Namespace = "global", user_id: UserId = None,
                  session_id: SessionId = None) -> dict[str, Any]:
        """Add a dated event to an entity's timeline."""
        return _call(service.add_event, entity, date, text, namespace=namespace, user_id=user_id, session_id=session_id)

    @server.tool(annotations=writes)
    def add_relationship(entity: str, relation: str, target: str, note: str = "", inverse: str | None = None,
                         namespace: Namespace = "global", user_id: UserId = None,
                         session_id: SessionId = None) -> dict[str, Any]:
        """Relate two entities (e.g. Alice works_at Acme Corp); written on both, as wikilinks."""
        return _call(service.add_relationship, entity, relation, target, note=note, inverse=inverse,
                     namespace=namespace, user_id=user_id, session_id=session_id)

    @server.tool(annotations=writes)
    def add_learning(title: str, text: str, context: str = "", tags: list[str] | None = None,
                     namespace: Namespace = "global", user_id: UserId = None,
                     session_id: SessionId = None) -> dict[str, Any]:
        """Write a specific, reusable lesson at once (use propose_learning to have it reviewed first)."""
        return _call(service.add_learning, title, text, context=context, tags=tags or [], namespace=namespace,
                                    user_id=user_id, session_id=session_id)

    @server.tool(annotations=writes)
    def add_decision(title: str, decision: str, reasoning: str = "", alternatives: list[str] | None = None,
                     confidence: Annotated[float | None, Field(ge=0, le=1)] = None, namespace: Namespace = "global",
                     tags: list[str] | None = None, user_id: UserId = None,
                     session_id: SessionId = None) -> dict[str, Any]:
        """Log a decision: what, why, and the alternatives that were considered."""
        return _call(service.add_decision, title, decision, reasoning=reasoning, alternatives=alternatives or [],
                                    confidence=confidence, namespace=namespace, tags=tags or [], user_id=user_id,
                                    session_id=session_id)

    @server.tool(annotations=writes)
    def propose_learning(title: str, text: str, why: str | None = None, context: str = "",
                         tags: list[str] | None = None, namespace: Namespace = "global", user_id: UserId = None,
                         session_id: SessionId = None) -> dict[str, Any]:
        """Propose a learning for human review (a git branch); nothing is recalled until it is approved."""
        return _call(service.propose_learning, title, text, why=why, context=context, tags=tags or [],
                     namespace=namespace, user_id=user_id, session_id=session_id)

    @server.tool(annotations=reads)
    def list_proposals(user_id: UserId = None) -> list[dict[str, Any]]:
        """Open proposals waiting for review."""
        return _call(service.list_proposals, user_id=user_id)

    @server.tool(annotations=reads)
    def show_proposal(proposal_id: str, user_id: UserId = None) -> dict[str, Any]:
        """One proposal: its evidence and its diff."""
        return _call(service.show_proposal, proposal_id, user_id=user_id)

    @server.tool(annotations=reads)
    def validate(user_id: UserId = None) -> dict[str, Any]:
        """Check that the memory files parse and follow the format; problems as file, line, message."""
        return _call(service.validate, user_id=user_id)

    @server.resource(RESOURCE_PREFIX, name="records", mime_type="application/json",
                     description="The records this server may show: id, kind, title, path.")
    def records_resource() -> list[dict[str, Any]]:
        return _call(service.list_records, limit=1000, resource=True)

    @server.resource(RESOURCE_PREFIX + "/{record_id}", name="record", mime_type="text/markdown",
                     description="One record's Markdown file, by id.")
    def record_resource(record_id: str) -> str:
        return str(service.show(record_id)["markdown"])

    return server


def _call(method: Callable[..., T], *args: Any, resource: bool = False, **kwargs: Any) -> T:
    """Run a service method; a library error reaches the client as its message (how to fix it).

    Anything else is a crash: the SDK logs it and the client only learns that the tool failed.
    """
    from mcp.server.mcpserver.exceptions import ResourceError, ToolError

    try:
        return method(*args, **kwargs)
    except LearningFSError as exc:
        raise (ResourceError if resource else ToolError)(str(exc)) from exc


def serve(service: MemoryService, *, transport: Literal["stdio", "http"] = "stdio", host: str = "127.0.0.1",
          port: int = 8765, path: str = "/mcp") -> None:
    """Run the server until the client disconnects (stdio) or the process is stopped (HTTP)."""
    server = build_server(service)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port, streamable_http_path=path)
