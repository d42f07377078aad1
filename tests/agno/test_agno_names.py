"""Agno's names and shapes work on learning_fs: each test is a row of docs/migrating-from-agno.md."""

from __future__ import annotations

import asyncio
import io
import logging
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from rich.console import Console

from learning_fs import Agent, LearnedKnowledgeConfig, LearningMachine, LearningMode, UserProfileConfig
from learning_fs.stores import UserMemoryConfig
from tests.agno.conftest import Cookbook
from tests.machine.fixtures import git

ROOT = Path(__file__).resolve().parents[2]


def quiet() -> Console:
    return Console(file=io.StringIO(), width=100)


def test_agno_quick_start_runs_and_the_profile_is_in_the_repo_the_agent_was_given(
    tmp_path: Path, cookbook: Cookbook
) -> None:
    cookbook.store("update_user_profile").enqueue_tool_calls(
        [("update_user_profile", {"name": "Alice Chen", "preferred_name": "Ali"})]).enqueue_text("Saved.")
    cookbook.agent.enqueue_text("Hi Ali!").enqueue_text("You're Ali.")
    repo = tmp_path / "agno_repo"

    agent = Agent(model=cookbook.model(), repo=repo,
                  learning=LearningMachine(user_profile=UserProfileConfig(mode=LearningMode.ALWAYS)))
    agent.print_response("Hi! I'm Alice Chen, call me Ali.", user_id="alice", session_id="s1", stream=True,
                         console=quiet())
    profile = agent.learning_machine.user_profile_store.get(user_id="alice")
    agent.print_response("What's my name?", user_id="alice", session_id="s2", stream=True, console=quiet())
    agent.close()

    assert profile is not None and profile.name == "Alice Chen" and profile.preferred_name == "Ali"
    assert agent.learning_machine.repo.root == repo.resolve() or Path(agent.learning_machine.repo.root) == repo
    assert "Alice Chen" in (repo / git_path(repo, "profile.md")).read_text()
    assert "Alice Chen" in cookbook.agent_text(1)  # the next session was told
    assert not (tmp_path / "memory_repo").exists()  # the default repository was never opened


def git_path(repo: Path, name: str) -> str:
    out = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if line.endswith(name))


def test_aprint_response_and_async_learning(tmp_path: Path, cookbook: Cookbook) -> None:
    cookbook.store("update_user_profile").enqueue_tool_calls(
        [("update_user_profile", {"name": "Diana Prince", "preferred_name": "Di"})]).enqueue_text("ok")
    cookbook.agent.enqueue_text("Hello Di.").enqueue_text("Di.")
    agent = Agent(model=cookbook.model(), repo=tmp_path / "r",
                  learning=LearningMachine(user_profile=UserProfileConfig(mode=LearningMode.ALWAYS)))

    async def main() -> None:
        await agent.aprint_response("I'm Diana Prince, call me Di.", user_id="di", session_id="a1", stream=True,
                                    console=quiet())
        await agent.aprint_response("What's my name?", user_id="di", session_id="a2", stream=True,
                                    console=quiet())

    asyncio.run(main())
    agent.close()
    assert "Diana Prince" in cookbook.agent_text(1)


@pytest.mark.parametrize("where", ["agent", "machine"])
@pytest.mark.parametrize("db", ["tmp/agents.db", object()])
def test_db_is_refused_with_a_message_naming_repo(tmp_path: Path, where: str, db: object) -> None:
    with pytest.raises(TypeError, match=r"pass repo=") as error:
        if where == "agent":
            Agent(model="m", db=db, repo=tmp_path / "r")
        else:
            LearningMachine(db=db)
    assert "git repository" in str(error.value) and "migrating-from-agno" in str(error.value)


def test_knowledge_takes_a_search_backend_and_refuses_a_vector_db_with_what_to_write(tmp_path: Path) -> None:
    machine = LearningMachine(tmp_path / "r", knowledge="lexical",
                              learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.AGENTIC))
    assert type(machine.searcher).__name__ == "LexicalSearcher"
    machine.close()
    via_config = LearningMachine(tmp_path / "r",
                                 learned_knowledge=LearnedKnowledgeConfig(knowledge="lexical"))
    assert type(via_config.searcher).__name__ == "LexicalSearcher"
    via_config.close()

    class Knowledge:  # the shape of Agno's Knowledge(vector_db=PgVector(...))
        vector_db = object()

        def search(self, query: str) -> list[str]:
            return []

    with pytest.raises(TypeError, match=r"knowledge='index'"):
        LearningMachine(tmp_path / "r", knowledge=Knowledge())


def test_a_machine_without_repo_learns_into_the_agents_repo_and_refuses_a_second_one(tmp_path: Path) -> None:
    machine = LearningMachine(user_memory=True)
    agent = Agent(model="m", repo=tmp_path / "mine", learning=machine)
    assert Path(machine.repo.root) == (tmp_path / "mine").resolve()
    assert machine.db is machine.repo  # Agno's lm.db
    Agent(model="m", repo=tmp_path / "mine", learning=machine)  # the same one again is fine
    with pytest.raises(ValueError, match="not a different one to each"):
        Agent(model="m", repo=tmp_path / "other", learning=machine)
    agent.close()
    with pytest.raises(TypeError):  # a bad configuration still fails at construction, before any repo
        LearningMachine(user_memory="yes please")


def test_agent_options_id_name_user_session_list_instructions_additional_context_post_hooks(
    tmp_path: Path, fake_llm: object, model: object
) -> None:
    seen: list[tuple[str | None, str | None, str | None]] = []

    def audit(run_output: object, agent: Agent, user_id: str | None, session_id: str | None) -> None:
        seen.append((getattr(run_output, "content", None), user_id, session_id))

    fake_llm.enqueue_text("First.").enqueue_text("Second.")  # type: ignore[attr-defined]
    agent = Agent(model=model, repo=tmp_path / "r", id="ops", name="Ops Assistant", user_id="dana",  # type: ignore[arg-type]
                  session_id="desk", instructions=["You are terse.", "Answer in English."],
                  additional_context="The office is in Lisbon.", post_hooks=[audit], debug_mode=False)
    first = agent.run("Hi")
    agent.print_response("Again", stream=True, console=quiet())

    system = fake_llm.requests[0]["messages"][0]["content"]  # type: ignore[attr-defined]
    assert system.startswith("You are terse.\nAnswer in English.") and system.endswith("The office is in Lisbon.")
    assert (agent.agent_id, agent.name) == ("ops", "Ops Assistant")
    assert first.user_id == "dana" and first.session_id == "desk"
    assert seen == [("First.", "dana", "desk"), ("Second.", "dana", "desk")]
    history = [m["role"] for m in fake_llm.requests[1]["messages"]]  # type: ignore[attr-defined]
    assert history == ["system", "user", "assistant", "user"]  # the constructor's session carried on
    with pytest.raises(TypeError, match="unexpected run option"):
        agent.run("x", stream_bogus=True)


def test_next_question_at_once_sees_the_previous_turns_learning_other_users_do_not_wait(
    tmp_path: Path, switchboard: object
) -> None:
    gate = threading.Event()
    profile = switchboard.extraction("update_user_profile", gate=gate)  # type: ignore[attr-defined]
    profile.enqueue_tool_calls([("update_user_profile", {"name": "Marcus"})]).enqueue_text("ok")
    profile.enqueue_text("nothing").enqueue_text("nothing")
    agent_fake = switchboard.agent  # type: ignore[attr-defined]
    agent_fake.enqueue_text("Hi Marcus.").enqueue_text("Hello.").enqueue_text("You're Marcus.")
    machine = LearningMachine(tmp_path / "r", user_profile=True, pending_wait=20)
    agent = Agent(model=switchboard.model(), learning=machine)  # type: ignore[attr-defined]

    agent.run("I'm Marcus.", user_id="marcus", session_id="c1")  # learning is held at the gate
    other = agent.run("Hello", user_id="someone-else", session_id="c9")
    assert not gate.is_set() and other.context == ""  # another user did not wait for Marcus's turn
    threading.Timer(0.3, gate.set).start()
    second = agent.run("What's my name?", user_id="marcus", session_id="c2")  # waits for c1's learning
    agent.close()
    assert "Marcus" in second.context


def test_close_waits_a_bounded_time_and_logs_what_it_gave_up_on(
    tmp_path: Path, switchboard: object, caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    memory = switchboard.extraction("add_memory", gate=gate)  # type: ignore[attr-defined]
    memory.enqueue_text("nothing")
    machine = LearningMachine(tmp_path / "r", switchboard.model(), user_memory=True)  # type: ignore[attr-defined]
    machine.process([{"role": "user", "content": "I like tea"}], "tea", "s1")
    with caplog.at_level(logging.INFO, logger="learning_fs"):
        machine.close(timeout=0.2)
    gate.set()
    assert "not learned: user_memory (user tea, session s1)" in caplog.text
    machine._worker = None  # the abandoned thread finishes on its own


def test_interpreter_exit_finishes_queued_learning_and_says_so(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import time, httpx
        from learning_fs import LearningMachine
        from tests.fakellm import FakeLLM, make_model
        fake = FakeLLM()
        fake.enqueue_tool_calls([("add_memory", {{"memory": "Drinks green tea"}})]).enqueue_text("ok")
        slow = fake.handle
        def handle(request):
            time.sleep(0.5)  # a model that is still thinking when the script ends
            return slow(request)
        fake.handle = handle
        machine = LearningMachine({str(tmp_path / "r")!r}, make_model(fake), user_memory=True)
        machine.process([{{"role": "user", "content": "I drink green tea"}}], "tea", "s1")
        print("script done")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**_env(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "finishing background learning: user_memory (user tea, session s1)" in result.stderr
    from learning_fs import MemoryRepo

    repo = MemoryRepo(tmp_path / "r")
    assert "Drinks green tea" in git(repo, "show", "HEAD")
    repo.close()


def _env(tmp_path: Path) -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI", "LEARNING_FS_MODEL"))}


def test_store_accessors_are_none_when_off_and_print_what_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = LearningMachine(tmp_path / "r", user_memory=UserMemoryConfig(mode=LearningMode.AGENTIC))
    assert machine.user_profile_store is None and machine.entity_memory_store is None
    store = machine.user_memory_store
    assert store is not None and store.mode is LearningMode.AGENTIC  # the store's own attributes fall through
    store.get_tools(user_id="dana")[0]("Prefers conclusions first")  # Agno's 11_composition/context_block
    store.print(user_id="dana")
    assert "- Prefers conclusions first" in capsys.readouterr().out
    assert [m.text for m in store.get(user_id="dana").memories] == ["Prefers conclusions first"]
    assert "Prefers conclusions first" in machine.build_context(user_id="dana")
    machine.close()


def test_max_updates_per_run_keeps_the_first_writes_and_logs_the_rest(
    tmp_path: Path, cookbook: Cookbook, caplog: pytest.LogCaptureFixture
) -> None:
    cookbook.store("add_memory").enqueue_tool_calls(
        [("add_memory", {"memory": f"Fact {n}"}) for n in range(5)]).enqueue_text("ok")
    machine = LearningMachine(tmp_path / "r", cookbook.model(), max_updates_per_run=5,
                              user_memory=UserMemoryConfig(max_updates_per_run=3), background=False)
    assert machine.stores["user_memory"].config.max_updates_per_run == 3
    with caplog.at_level(logging.INFO, logger="learning_fs"):
        machine.process([{"role": "user", "content": "Five facts about me: Fact 0, Fact 1, Fact 2, Fact 3, Fact 4"}],
                        "dense", "s1")
    memories = machine.user_memory_store.get(user_id="dense")
    assert [m.text for m in memories.memories] == ["Fact 0", "Fact 1", "Fact 2"]
    assert "tool call limit reached: kept 3 of 5" in caplog.text
    machine.close()


def test_capture_hook_learns_without_learning_and_history_can_be_turned_off(
    tmp_path: Path, cookbook: Cookbook
) -> None:
    cookbook.store("add_memory").enqueue_tool_calls(
        [("add_memory", {"memory": "Data engineer in Lisbon"})]).enqueue_text("ok")
    cookbook.agent.enqueue_text("Hi Dana.").enqueue_text("Hello again.")
    learning = LearningMachine(tmp_path / "r", cookbook.model(), user_memory=True)
    agent = Agent(model=cookbook.model(), repo=tmp_path / "r", post_hooks=[learning.capture_hook()],
                  user_id="dana", add_history_to_context=False)
    agent.print_response("I'm Dana, a data engineer in Lisbon.", session_id="s", stream=True, console=quiet())
    agent.print_response("Again", session_id="s", console=quiet())
    assert [m.text for m in learning.user_memory_store.get(user_id="dana").memories] == ["Data engineer in Lisbon"]
    assert "a data engineer in Lisbon" in cookbook.extractions[0]["messages"][1]["content"]
    assert "You have a memory" not in cookbook.extractions[0]["messages"][1]["content"]  # the turn, not the prompt
    assert [m["role"] for m in cookbook.agent.requests[1]["messages"]] == ["user"]  # no history
    learning.close()


def test_hitl_under_agnos_names_and_tool_requires_confirmation(tmp_path: Path, cookbook: Cookbook) -> None:
    from learning_fs import tool

    deleted: list[str] = []

    @tool(requires_confirmation=True)
    def delete_account(account: str) -> str:
        """Delete an account for good.

        Args:
            account: The account id.
        """
        deleted.append(account)
        return f"deleted {account}"

    cookbook.agent.enqueue_tool_calls([("add_memory", {"memory": "Prefers tea"})]).enqueue_text("Saved.")
    cookbook.agent.enqueue_tool_calls([("delete_account", {"account": "acme"})]).enqueue_text("Not deleted.")
    machine = LearningMachine(tmp_path / "r", user_memory=UserMemoryConfig(mode=LearningMode.HITL))
    agent = Agent(model=cookbook.model(), learning=machine, tools=[delete_account])

    run = agent.run("I prefer tea, remember that", user_id="t", session_id="s")
    assert run.is_paused and [r.tool_execution.tool_name for r in run.active_requirements] == ["add_memory"]
    requirement = run.active_requirements[0]
    assert requirement.needs_confirmation and requirement.tool_execution.tool_args == {"memory": "Prefers tea"}
    requirement.confirm()
    done = agent.continue_run(run_id=run.run_id, requirements=run.requirements)  # Agno's spelling
    assert done.content == "Saved." and [m.text for m in machine.user_memory_store.get(user_id="t").memories] == [
        "Prefers tea"]

    second = agent.run("Delete the acme account", user_id="t", session_id="s")
    assert [r.tool_execution.tool_name for r in second.active_requirements] == ["delete_account"]
    second.active_requirements[0].reject()
    assert agent.continue_run(second).content == "Not deleted." and deleted == []
    with pytest.raises(ValueError, match="no paused run"):
        agent.continue_run(run_id=run.run_id)  # a run continues once
    agent.close()


def test_to_dict_from_dict_requires_history_aget_tools_update_profile(tmp_path: Path) -> None:
    from learning_fs import DecisionLogConfig, UserProfile

    machine = LearningMachine(tmp_path / "r", max_updates_per_run=4, namespace="team",
                              user_profile=UserProfileConfig(mode=LearningMode.AGENTIC, agent_can_update_profile=False),
                              learned_knowledge=LearnedKnowledgeConfig(mode=LearningMode.PROPOSE),
                              decision_log=DecisionLogConfig(agent_can_save=False))
    data = machine.to_dict()
    assert data["user_profile"]["mode"] == "agentic" and data["learned_knowledge"]["mode"] == "propose"
    rebuilt = LearningMachine.from_dict(data, repo=tmp_path / "r")
    assert rebuilt.to_dict() == data and rebuilt.requires_history  # PROPOSE needs the conversation
    assert not LearningMachine(tmp_path / "r", user_memory=True).requires_history

    names = [t.__name__ for t in asyncio.run(machine.aget_tools(user_id="u"))]
    assert "update_user_profile" not in names  # agent_can_update_profile=False
    assert "log_decision" not in names and "search_decisions" in names  # agent_can_save=False
    assert "update_user_profile" in json_tools(machine.stores["user_profile"])  # extraction keeps it

    assert "Updated profile" in machine.user_profile_store.update_profile("u", name="Uma")  # Agno's name
    profile = machine.user_profile_store.get(user_id="u")
    assert profile.to_dict() == {"name": "Uma"} and UserProfile.from_dict({"name": "Uma"}) == profile
    machine.close()
    rebuilt.close()


def json_tools(store: object) -> list[str]:
    return [t.__name__ for t in store.write_tools(user_id="u")]  # type: ignore[attr-defined]


def test_enable_switches_remove_tools_from_extraction_too(tmp_path: Path, cookbook: Cookbook) -> None:
    cookbook.store("add_memory").enqueue_text("nothing")
    machine = LearningMachine(tmp_path / "r", cookbook.model(), background=False,
                              user_memory=UserMemoryConfig(enable_delete_memory=False, enable_update_memory=False))
    machine.process([{"role": "user", "content": "I like tea"}], "u", "s")
    offered = {t["function"]["name"] for t in cookbook.extractions[0]["tools"]}
    assert "add_memory" in offered and not offered & {"delete_memory", "update_memory"}
    machine.close()


def test_decision_filters_by_type_and_days(tmp_path: Path) -> None:
    from learning_fs import DecisionLogConfig

    machine = LearningMachine(tmp_path / "r", decision_log=DecisionLogConfig(), agent_id="ops")
    tools = {t.__name__: t for t in machine.get_tools(user_id="u")}
    tools["log_decision"]("Use Postgres for billing", "transactions", decision_type="tool_selection")
    tools["log_decision"]("Answer in bullet points", "the user skims", decision_type="response_style")
    assert "Use Postgres" in tools["search_decisions"]("billing postgres", decision_type="tool_selection")
    assert "No matching decisions" in tools["search_decisions"]("billing postgres", decision_type="response_style")
    assert "Use Postgres" in tools["search_decisions"]("billing postgres", days=1)
    store = machine.decision_log_store
    assert [d.decision for d in store.search(agent_id="ops", decision_type="response_style")] == [
        "Answer in bullet points"]
    assert store.search(agent_id="someone-else") == []
    machine.close()


def test_filesystem_keeps_notes_beside_the_repo_and_refuses_paths_that_leave_it(tmp_path: Path) -> None:
    from learning_fs import FileSystem, MemoryRepo

    repo = MemoryRepo.init(tmp_path / "r")
    fs = FileSystem(repo, namespace="team notes")
    tools = {t.__name__: t for t in fs.tools()}
    assert tools["write_file"]("notes/a.md", "one") == "Wrote notes/a.md."
    assert tools["append_file"]("notes/a.md", "two") == "Appended to notes/a.md."
    assert tools["read_file"]("./notes/a.md") == "one\ntwo"
    assert [m.path for m in fs.list()] == ["notes/a.md"] and fs.list("notes")[0].size == 7
    outside = tmp_path / "secret.txt"
    outside.write_text("do not read")
    (fs.root / "link").symlink_to(outside)
    (fs.root / "dir").symlink_to(tmp_path, target_is_directory=True)
    for path in ("../../../secret.txt", "/etc/passwd", "link", "dir/secret.txt", "notes/../../x", ""):
        assert tools["read_file"](path).startswith("Error:"), path
        assert tools["write_file"](path, "x").startswith("Error:"), path
    assert outside.read_text() == "do not read"
    assert tools["read_file"]("missing.md").startswith("Error: no file")
    assert [m.path for m in fs.list()] == ["notes/a.md"]  # links out of the namespace are not listed
    assert [t.__name__ for t in fs.tools(read_only=True)] == ["list_files", "read_file"]
    repo.flush()  # .git/index is kept in step off the write path
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo.root, capture_output=True, text=True,
                          check=True).stdout == ""  # working files, never a commit or a dirty tree
    repo.close()


def test_leaving_with_finishes_learning_and_a_repr_opens_nothing(tmp_path: Path, cookbook: Cookbook,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEARNING_FS_REPO")
    assert "opened on first use" in repr(LearningMachine(user_memory=True))
    assert not (tmp_path / "memory_repo").exists()
    cookbook.store("add_memory").enqueue_tool_calls([("add_memory", {"memory": "Likes tea"})]).enqueue_text("ok")
    with LearningMachine(tmp_path / "r", cookbook.model(), user_memory=True) as machine:
        machine.process([{"role": "user", "content": "I like tea"}], "t", "s")
    from learning_fs import MemoryRepo

    repo = MemoryRepo(tmp_path / "r")
    assert "Likes tea" in git(repo, "show", "HEAD")  # committed before the with block let go
    repo.close()
