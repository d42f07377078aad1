"""``learning-fs mcp`` with the official SDK's real client: over stdio (the process a desktop client
starts) and over streamable HTTP on 127.0.0.1.

What a user relies on: the tools are listed, a memory added through MCP is a commit in the
repository and is found by search, and a server started for one user never serves another user's
private memory — not by search, not by show, not through a resource, not by naming the user.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from learning_fs import MemoryRepo, ops

ROOT = Path(__file__).resolve().parents[2]
# ``learning-fs`` as this checkout's code runs it (the script on PATH may belong to another install).
CLI = [sys.executable, "-c", "import sys; sys.argv[0] = 'learning-fs'; from learning_fs.cli import main; main()"]
BOB_SECRET = "Bob's locker code is 4711"


def _env() -> dict[str, str]:
    """The test's git isolation, handed to the server process (the SDK passes few variables on)."""
    keep = ("GIT_", "HOME", "PATH", "LANG", "LC_", "TMPDIR", "PYTHON", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k.startswith(keep)}
    return {**env, "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def _seed(path: Path) -> None:
    """A repository holding a shared learning and Bob's private memory."""
    repo = MemoryRepo.init(path)
    try:
        bob = ops.Origin(store="test", user="bob")
        with ops.write_transaction(repo, "Bob's memory", bob) as tx:
            ops.add_memory(tx, "bob", BOB_SECRET, bob)
        team = ops.Origin(store="test")
        with ops.write_transaction(repo, "A learning", team) as tx:
            ops.add_learning(tx, "Retry flaky uploads", "Retry S3 uploads three times with backoff.", team)
    finally:
        repo.close()


def _data(result: Any) -> Any:
    """A tool result as data (structured content when the tool returns a dict or a list)."""
    assert not result.is_error, result.content
    if result.structured_content is not None:
        data = result.structured_content
        return data.get("result", data) if set(data) == {"result"} else data
    return json.loads(result.content[0].text)


def _error_text(result: Any) -> str:
    assert result.is_error
    return " ".join(getattr(c, "text", "") for c in result.content)


async def _exercise(client: Client, repo_path: Path) -> None:
    tools = {tool.name for tool in (await client.list_tools()).tools}
    assert {"search", "add_memory", "build_context", "add_fact", "add_relationship", "add_learning",
            "add_decision", "add_event", "propose_learning", "list_proposals", "show_proposal",
            "validate", "show", "update_memory", "forget_memory", "forget_fact"} <= tools

    added = _data(await client.call_tool("add_memory", {"text": "Alice drinks oat milk flat whites"}))
    assert added["commit"] and added["path"].startswith("users/")

    hits = _data(await client.call_tool("search", {"query": "what coffee does alice like"}))
    assert any("oat milk" in hit["snippet"] for hit in hits), hits
    assert not any("4711" in json.dumps(hit) for hit in hits)

    # Bob's memory: not by search, not by naming bob, not by path, not as a resource.
    hits = _data(await client.call_tool("search", {"query": "locker code", "k": 50}))
    assert all("users/" not in hit["path"] or "/alice/" in hit["path"] for hit in hits)
    refused = await client.call_tool("search", {"query": "locker code", "user_id": "bob"})
    assert "does not act for user 'bob'" in _error_text(refused)
    bob_file = next(p for p in (repo_path / "users").rglob("memories.md") if "bob" in str(p))
    rel = bob_file.relative_to(repo_path).as_posix()
    assert "4711" not in json.dumps((await client.call_tool("show", {"id_or_path": rel})).model_dump())
    context = _data(await client.call_tool("build_context", {"message": "locker code"}))
    assert "4711" not in json.dumps(context)
    listing = (await client.read_resource("learning-fs://records")).contents[0].text
    assert "bob" not in json.loads(listing).__repr__()
    assert "oat milk" in json.dumps(_data(await client.call_tool("recall", {"message": "coffee"})))

    # A shared write is a commit with the MCP trailers; the record is a resource.
    fact = _data(await client.call_tool("add_fact", {"entity": "Acme Corp", "text": "Runs PostgreSQL 16",
                                                     "entity_type": "company"}))
    shown = (await client.read_resource(f"learning-fs://records/{fact['record']}")).contents[0].text
    assert "Runs PostgreSQL 16" in shown
    proposed = _data(await client.call_tool("propose_learning", {"title": "Prefer uv", "text": "Use uv in CI.",
                                                                 "why": "pip was slow"}))
    listed = _data(await client.call_tool("list_proposals", {}))
    assert [p["id"] for p in listed] == [proposed["proposal"]]
    assert "Use uv in CI." in _data(await client.call_tool("show_proposal", {"proposal_id": proposed["proposal"]}))[
        "diff"]
    assert _data(await client.call_tool("validate", {}))["ok"] is True


def _log(repo_path: Path) -> str:
    return subprocess.run(["git", "-C", str(repo_path), "log", "--format=%s%n%b"], capture_output=True, text=True,
                          check=True).stdout


def test_stdio_client_lists_adds_searches_and_never_sees_another_users_memory(tmp_path: Path) -> None:
    repo_path = tmp_path / "memory"
    _seed(repo_path)
    params = StdioServerParameters(command=CLI[0], args=[*CLI[1:], "--repo", str(repo_path), "mcp", "--user", "alice"],
                                   env=_env(), cwd=str(tmp_path))

    async def run() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            await _exercise(client, repo_path)

    asyncio.run(run())
    log = _log(repo_path)
    assert "Remember about alice: Alice drinks oat milk flat whites" in log
    assert "Learning-Store: mcp" in log and "Learning-User: alice" in log


def test_a_server_without_a_user_serves_shared_memory_only(tmp_path: Path) -> None:
    repo_path = tmp_path / "memory"
    _seed(repo_path)
    params = StdioServerParameters(command=CLI[0], args=[*CLI[1:], "--repo", str(repo_path), "mcp"],
                                   env=_env(), cwd=str(tmp_path))

    async def run() -> None:
        async with Client(params, read_timeout_seconds=120) as client:
            refused = await client.call_tool("add_memory", {"text": "I like tea"})
            assert "start the server with --user" in _error_text(refused)
            refused = await client.call_tool("list_records", {"user_id": "bob"})
            assert "does not act for user 'bob'" in _error_text(refused)
            records = _data(await client.call_tool("list_records", {}))
            assert [r["kind"] for r in records] == ["learning"]

    asyncio.run(run())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``learning-fs mcp --transport http`` on 127.0.0.1, stopped (and waited for) after the test."""
    repo_path = tmp_path / "memory"
    _seed(repo_path)
    port = _free_port()
    process = subprocess.Popen([*CLI, "--repo", str(repo_path), "mcp", "--user", "alice",
                                "--transport", "http", "--port", str(port)], env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/mcp", repo_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.allow_hosts(["127.0.0.1"])
def test_streamable_http_client_gets_the_same_tools_and_the_same_fence(http_server: tuple[str, Path]) -> None:
    url, repo_path = http_server

    async def run() -> None:
        async with Client(url, read_timeout_seconds=120) as client:
            await _exercise(client, repo_path)

    asyncio.run(run())
    assert "Learning-User: alice" in _log(repo_path)
