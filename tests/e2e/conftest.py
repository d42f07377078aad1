"""Shared fixtures: see tests/machine/fixtures.py."""

from tests.machine.fixtures import *  # noqa: F403
