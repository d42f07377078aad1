"""The one place in learning_fs that talks to a model.

``OpenAIChat`` sends requests to any OpenAI-compatible endpoint; ``Tool``/``call_tool`` turn plain
functions into tools the model can call safely; ``run_tool_loop`` drives a conversation through
those tools, with a pause/resume hook for human confirmation. Everything else in the package
(stores, the machine, the agent) goes through these names, and tests fake only the HTTP below them.
"""

from learning_fs.extract.client import OpenAIChat, for_kind
from learning_fs.extract.errors import ModelAPIError, ModelConfigError, ModelError, ModelOutputError
from learning_fs.extract.loop import (
    LoopResult,
    OnToolCall,
    PendingCall,
    ToolDecision,
    aresume_tool_loop,
    arun_tool_loop,
    resume_tool_loop,
    run_tool_loop,
    running_transcript,
)
from learning_fs.extract.model import ChatModel, Message, ModelResponse, ToolCall, Usage
from learning_fs.extract.tools import Tool, ToolResult, acall_tool, as_tools, call_tool, tool_schema

__all__ = [
    "ChatModel",
    "LoopResult",
    "Message",
    "ModelAPIError",
    "ModelConfigError",
    "ModelError",
    "ModelOutputError",
    "ModelResponse",
    "OnToolCall",
    "OpenAIChat",
    "PendingCall",
    "Tool",
    "ToolCall",
    "ToolDecision",
    "ToolResult",
    "Usage",
    "acall_tool",
    "aresume_tool_loop",
    "arun_tool_loop",
    "as_tools",
    "call_tool",
    "for_kind",
    "resume_tool_loop",
    "run_tool_loop",
    "running_transcript",
    "tool_schema",
]
