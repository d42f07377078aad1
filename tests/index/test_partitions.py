"""The partition rule that carries the privacy invariant, tested as a pure function."""

from __future__ import annotations

import pytest

from learning_fs.index.partitions import PartitionKey, partition_of, visible_partitions

GLOBAL = PartitionKey("global", "", True)
TEAM = PartitionKey("team-a", "", True)
TEAM_OLD = PartitionKey("team-a", "", False)
ALICE = PartitionKey("user", "alice", True)
ALICE_OLD = PartitionKey("user", "alice", False)
BOB = PartitionKey("user", "bob", True)
ALL = [GLOBAL, TEAM, TEAM_OLD, ALICE, ALICE_OLD, BOB]


def meta(namespace: str, user: str, status: str = "active") -> dict[str, str | int | float | bool]:
    return {"namespace": namespace, "user": user, "status": status}


def test_private_entries_are_filed_under_their_owner_and_shared_ones_under_nobody() -> None:
    assert partition_of(meta("user", "alice")) == ALICE
    assert partition_of(meta("team-a", "alice")) == TEAM  # said by alice, shared with the team
    assert partition_of(meta("team-a", "", "superseded")) == TEAM_OLD
    assert partition_of(meta("user", "alice", "expired")) == ALICE_OLD


@pytest.mark.parametrize("namespaces", [None, {"user"}, {"user", "global"}])
def test_without_a_user_no_private_partition_is_visible(namespaces: set[str] | None) -> None:
    for include_inactive in (False, True):
        visible = visible_partitions(ALL, namespaces, None, include_inactive)
        assert all(key.namespace != "user" for key in visible)
        assert visible_partitions(ALL, namespaces, "", include_inactive) == visible


def test_a_user_sees_their_own_private_partitions_and_never_another_users() -> None:
    assert visible_partitions(ALL, None, "alice", False) == sorted([GLOBAL, TEAM, ALICE])
    assert visible_partitions(ALL, None, "alice", True) == sorted([GLOBAL, TEAM, TEAM_OLD, ALICE, ALICE_OLD])
    assert visible_partitions(ALL, {"user"}, "bob", True) == [BOB]
    assert visible_partitions(ALL, {"user"}, "carol", True) == []


def test_namespace_filter_and_inactive_switch() -> None:
    assert visible_partitions(ALL, {"team-a"}, "alice", False) == [TEAM]
    assert visible_partitions(ALL, {"team-a"}, None, True) == sorted([TEAM, TEAM_OLD])
    assert visible_partitions(ALL, {"nowhere"}, "alice", True) == []
