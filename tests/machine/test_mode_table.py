"""The mode table: one definition, and it says what the machine, the stores and the writer really do."""

from __future__ import annotations

import pytest

from learning_fs.machine import LearningMachine, LearningMode, modes
from learning_fs.repo import MemoryRepo
from learning_fs.stores import UserMemoryConfig, base, protocol


def test_the_stores_and_the_machine_read_one_mode_table() -> None:
    for name in ("EXTRACTING_MODES", "TOOL_MODES", "PAUSING_MODES", "PROPOSING_MODES"):
        assert getattr(modes, name) is getattr(protocol, name), name
    assert base.TOOL_MODES is protocol.TOOL_MODES


@pytest.mark.parametrize("mode", [LearningMode.ALWAYS, LearningMode.AGENTIC, LearningMode.PROPOSE, LearningMode.HITL])
def test_the_mode_table_is_what_a_store_does(repo: MemoryRepo, mode: LearningMode) -> None:
    machine = LearningMachine(repo, user_memory=UserMemoryConfig(mode=mode))
    tools = machine.get_tools(user_id="alice", session_id="s1")
    [slot] = machine.slots

    writes = [t for t in tools if not t.read_only]
    assert bool(writes) == (mode in modes.TOOL_MODES)
    assert all(t.requires_confirmation == (mode in modes.PAUSING_MODES) for t in writes)
    assert slot.extracts == (mode in modes.EXTRACTING_MODES)
    assert machine.writer("user_memory", user_id="alice").proposes == (mode in modes.PROPOSING_MODES)


def test_enable_agent_tools_gives_a_propose_store_its_write_tools(repo: MemoryRepo) -> None:
    config = UserMemoryConfig(mode=LearningMode.PROPOSE, enable_agent_tools=True)
    tools = LearningMachine(repo, user_memory=config).get_tools(user_id="alice", session_id="s1")
    assert [t.__name__ for t in tools] == ["add_memory", "update_memory", "delete_memory"]
