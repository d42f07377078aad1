"""Concurrent writers never lose a memory: tools and background extraction build on the latest file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig
from tests.fakellm import FakeLLM, make_model
from tests.stores.conftest import commit_count, process, tools, turn


def test_threads_adding_memories_to_one_file_lose_none(repo: MemoryRepo) -> None:
    store = UserMemoryConfig(mode="agentic").build(repo)

    def work(thread: int) -> None:
        add = tools(store, repo)["add_memory"]
        for i in range(10):
            add(f"Observation {thread}-{i}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.recall(user_id="alice", message=None)) == 20  # recall is capped by max_memories…
    record = repo.read(store.path("alice"))
    assert len(record.memories) == 40  # …but the file holds every one


class InterruptedFake(FakeLLM):
    """A FakeLLM that runs ``hook`` before its second answer: after the model's tool call ran
    against the buffer, before the turn is committed (another turn commits in between)."""

    def __init__(self, hook: Callable[[], None]) -> None:
        super().__init__()
        self.hook = hook

    def handle(self, request: httpx.Request) -> httpx.Response:
        if len(self.requests) == 1:
            self.hook()
        return super().handle(request)


def test_extraction_builds_on_a_write_made_while_the_model_thought(repo: MemoryRepo) -> None:
    agentic = UserMemoryConfig(mode="agentic").build(repo)

    def other_session() -> None:  # another session's agent, on its own thread, in its own conversation
        said = tools(agentic, repo)
        worker = threading.Thread(target=said["add_memory"], args=("Said in another session: likes tea",))
        worker.start()
        worker.join()

    fake = InterruptedFake(other_session)
    fake.enqueue_tool_calls([("add_memory", {"memory": "Likes long walks"})]).enqueue_text("ok")
    model: Any = make_model(fake)
    before = commit_count(repo)
    process(UserMemoryConfig().build(repo), repo, model, turn("I love long walks"))
    texts = {m.text for m in repo.read(agentic.path("alice")).memories}
    assert texts == {"Said in another session: likes tea", "Likes long walks"}
    assert commit_count(repo) == before + 2  # the other turn's commit, then this turn's one
