"""What reaches the prompt: is the evidence inside ``build_context``, and how big is the context?

Search can rank the right memory first and the prompt can still miss it (a budget walk that
stopped at the first long memory emptied 94% of contexts on long memories). This bench measures
the end of the pipeline on the LongMemEval sample (``shared/data/longmemeval_s_dev.json.gz``,
development data; protocol in ``shared/data/README.md``):

- each question is its own repository: its ~50 haystack sessions (user turns joined by a space)
  are stored **as memories** of one user (one memory per session, ``UserMemoryConfig()``) or
  **as learnings** (one per session, ``LearnedKnowledgeConfig()``), with the machine's default
  budgets (2,000 tokens in all) and the semantic index (``searcher=`` an ``IndexSearcher``) or
  the plain lexical searcher;
- the question is the message; ``LearningMachine.build_context(user_id, session_id, message)``
  is the context;
- **evidence-any** / **evidence-all**: share of questions for which at least one / every user
  turn marked ``has_answer`` in a relevant session is inside the context, whole (whitespace
  collapsed on both sides); **empty**: questions whose context is empty; **tokens**: the
  context's size (characters / 4), median and 95th percentile;
- and the search itself on the same entries: nDCG@10 / recall_all@5 of the hybrid ranking
  against each leg (dense, BM25), over the memories of the user.

Embeddings are cached by text under the bench cache (``LEARNING_FS_BENCH_CACHE``), shared with
``retrieval_bench.py``; the first run embeds every session (minutes on 2 cores).

    python bench/context_bench.py            # all 59 questions
    python bench/context_bench.py --quick    # every 6th question
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `_util`, `retrieval_bench` next to this script

from _util import CACHE_DIR, machine_line, markdown_table, percentile
from retrieval_bench import CachedEmbedder

from learning_fs import MemoryRepo
from learning_fs.context import estimate_tokens
from learning_fs.format.items import Item
from learning_fs.format.records import LearningRecord, MemoriesRecord
from learning_fs.index import MiniLMEmbedder
from learning_fs.index.service import RepoIndex
from learning_fs.machine import LearningMachine
from learning_fs.repo.config import CONFIG_FILE
from learning_fs.search import LexicalSearcher
from learning_fs.search.semantic import IndexSearcher
from learning_fs.stores import LearnedKnowledgeConfig, UserMemoryConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
#: ``shared/`` next to the checkout (or next to the folder of worktrees)
DEFAULT_DATA = next((p / "shared" / "data" / "longmemeval_s_dev.json.gz" for p in REPO_ROOT.parents[:2]
                     if (p / "shared" / "data" / "longmemeval_s_dev.json.gz").exists()),
                    REPO_ROOT.parent / "shared" / "data" / "longmemeval_s_dev.json.gz")
USER = "user"
STAMP = "2026-01-01T00:00:00Z"


@dataclass
class Task:
    qid: str
    question: str
    sessions: dict[str, str]  # session id -> user turns joined by a space
    relevant: set[str]
    evidence: list[str]  # the has_answer user turns of relevant sessions


def flat(text: str) -> str:
    return " ".join(text.split())


def load_tasks(path: Path) -> list[Task]:
    """The protocol's tasks (``_abs`` and questions without an evidence session skipped)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        items = json.load(f)
    tasks = []
    for item in items:
        sessions, evidence, relevant_ids = {}, [], set(item["answer_session_ids"])
        with_evidence = set()
        for sid, turns in zip(item["haystack_session_ids"], item["haystack_sessions"], strict=True):
            user = [t for t in turns if t["role"] == "user"]
            sessions[sid] = " ".join(t["content"] for t in user)
            marked = [t["content"] for t in user if t.get("has_answer")]
            if marked and sid in relevant_ids:
                with_evidence.add(sid)
                evidence += marked
        if item["question_id"].endswith("_abs") or not with_evidence:
            continue
        tasks.append(Task(item["question_id"], item["question"], sessions, with_evidence, evidence))
    return tasks


BIG_ITEMS = "limits:\n  max_item_chars: 200000\n  max_record_bytes: 20000000\n"


def write_repo(root: Path, task: Task, store: str) -> tuple[MemoryRepo, dict[str, str]]:
    """A repository holding the task's sessions as memories or learnings; entry id -> session id."""
    # A few LongMemEval sessions are longer (up to ~76k characters) than the default item limit
    # (20,000 characters): this repository admits them, so every question is measured.
    MemoryRepo.init(root).close()
    (root / CONFIG_FILE).write_text(BIG_ITEMS, encoding="utf-8")  # an uncommitted setting is enough
    repo = MemoryRepo(root)
    ids: dict[str, str] = {}
    if store == "memories":
        items = []
        for n, (sid, text) in enumerate(task.sessions.items()):
            item = Item(id=f"m-{n:010d}", text=text, created=STAMP)
            items.append(item)
            ids[item.id] = sid
        repo.write(MemoriesRecord(user=USER, memories=items))
    else:
        records = []
        for n, (sid, text) in enumerate(task.sessions.items()):
            record = LearningRecord(title=f"Conversation {n + 1}", learning=text)
            records.append(record)
            ids[record.id] = sid
        repo.write_many(records)
    return repo, ids


def ndcg(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, sid in enumerate(ranking[:k]) if sid in relevant)
    return dcg / sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))


def run(tasks: list[Task], store: str, searcher_kind: str, embedder: CachedEmbedder) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"any": [], "all": [], "empty": [], "tokens": [], "ms": []}
    legs = ("hybrid", "dense", "lexical")
    for mode in legs:
        out[f"ndcg:{mode}"], out[f"rall5:{mode}"] = [], []
    for n, task in enumerate(tasks, 1):
        # ignore_cleanup_errors: a .git/index repair still running on a loaded machine (past the flush
        # below) must not cost the whole table
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
            repo, ids = write_repo(Path(tmp) / "repo", task, store)
            index = RepoIndex.open(repo, embedder=embedder) if searcher_kind == "index" else None
            try:
                searcher = IndexSearcher(index) if index is not None else LexicalSearcher(repo)
                config = {"user_memory": UserMemoryConfig()} if store == "memories" else {
                    "learned_knowledge": LearnedKnowledgeConfig()}
                with LearningMachine(repo, searcher=searcher, track_recalls=False, **config) as machine:
                    started = time.perf_counter()
                    context = machine.build_context(user_id=USER, session_id="s1", message=task.question)
                    out["ms"].append(time.perf_counter() - started)
                inside = [flat(e) in flat(context) for e in task.evidence]
                out["any"].append(float(any(inside)))
                out["all"].append(float(all(inside)))
                out["empty"].append(float(not context.strip()))
                out["tokens"].append(float(estimate_tokens(context)))
                if index is not None:
                    kind = "memories" if store == "memories" else "learning"
                    for mode in legs:
                        hits = index.search(task.question, k=50, kind=kind, user=USER, mode=mode)
                        ranking = [ids.get(hit.item_id or hit.record_id, "") for hit in hits]
                        out[f"ndcg:{mode}"].append(ndcg(ranking, task.relevant))
                        out[f"rall5:{mode}"].append(float(task.relevant <= set(ranking[:5])))
            finally:
                if index is not None:
                    index.close()
                repo.flush(timeout=10)  # the background .git/index repair must finish before the folder goes
                repo.close()
        print(f"\r{store}/{searcher_kind}: {n}/{len(tasks)}", end="", file=sys.stderr, flush=True)
        embedder.save()
    print(file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="longmemeval_s_dev.json.gz")
    parser.add_argument("--quick", action="store_true", help="every 6th question")
    parser.add_argument("--store", choices=["memories", "learnings", "both"], default="both")
    parser.add_argument("--searcher", choices=["index", "lexical", "both"], default="both")
    args = parser.parse_args()
    tasks = load_tasks(args.data)
    if args.quick:
        tasks = tasks[::6]
    embedder = CachedEmbedder(MiniLMEmbedder(), CACHE_DIR / "retrieval_bench" / "minilm-vectors.npz")
    stores = ["memories", "learnings"] if args.store == "both" else [args.store]
    searchers = ["index", "lexical"] if args.searcher == "both" else [args.searcher]
    rows, search_rows = [], []
    started = time.perf_counter()
    for store in stores:
        for kind in searchers:
            result = run(tasks, store, kind, embedder)
            tokens = result["tokens"]
            rows.append([store, kind, f"{statistics.mean(result['any']):.3f}", f"{statistics.mean(result['all']):.3f}",
                         f"{int(sum(result['empty']))}", f"{statistics.median(tokens):.0f}",
                         f"{percentile(tokens, 95):.0f}", f"{statistics.median(result['ms']) * 1000:.1f}"])
            if kind == "index":
                search_rows += [[store, mode, f"{statistics.mean(result[f'ndcg:{mode}']):.3f}",
                                 f"{statistics.mean(result[f'rall5:{mode}']):.3f}"]
                                for mode in ("hybrid", "dense", "lexical")]
    print(f"# Evidence in build_context on the LongMemEval sample ({len(tasks)} questions)")
    print(f"{machine_line()}; {embedder.embedded} texts embedded this run; {time.perf_counter() - started:.0f} s\n")
    print(markdown_table(["stored as", "searcher", "evidence-any", "evidence-all", "empty contexts",
                          "tokens p50", "tokens p95", "build_context p50 ms"], rows))
    if search_rows:
        print("\n## Search over the same entries\n")
        print(markdown_table(["stored as", "ranking", "nDCG@10", "recall_all@5"], search_rows))
    print("\ntargets: evidence-any >= 0.90, evidence-all >= 0.75, no empty context; hybrid nDCG@10 >= the better leg")


if __name__ == "__main__":
    main()
