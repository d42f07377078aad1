"""The reference agent: a tool-calling chat loop with learning, history and human review.

``agent.py`` runs the loop, ``response.py`` is what a run returns (paused or answered),
``history.py`` keeps each session's turns out of git, ``environment.py`` finds the model to use.
"""

from learning_fs.agent.agent import Agent
from learning_fs.agent.agno_names import tool
from learning_fs.agent.environment import model_configured, model_from_env, model_or_exit
from learning_fs.agent.filesystem import FileMeta, FileSystem
from learning_fs.agent.history import SessionHistory
from learning_fs.agent.response import RunResponse

__all__ = ["Agent", "FileMeta", "FileSystem", "RunResponse", "SessionHistory", "model_configured", "model_from_env",
           "model_or_exit", "tool"]
