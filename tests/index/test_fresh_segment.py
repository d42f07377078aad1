"""The fresh segment: small writes are searchable at once without a Chroma write, and folded in later.

Real Chroma and the real embedder; "before the fold" means the vectors exist only as rows in the
catalog file, which ``pending()`` shows.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from learning_fs.index import IndexDoc, MiniLMEmbedder, SearchIndex
from learning_fs.index.fresh import FRESH_MAX_WRITE
from learning_fs.index.partitions import visible_partitions

DocFactory = Callable[..., IndexDoc]
MODES = ("hybrid", "dense", "lexical")


def ids(hits: list) -> list[str]:
    return [hit.id for hit in hits]


def cosine(embedder: MiniLMEmbedder, a: str, b: str) -> float:
    va, vb = embedder.embed([a, b])
    return float(np.dot(va, vb) / (np.linalg.norm(va) * np.linalg.norm(vb)))


def test_a_small_write_is_found_before_and_after_its_fold(index: SearchIndex, make_doc: DocFactory) -> None:
    index.upsert([make_doc("db", "We use PostgreSQL for billing."), make_doc("tea", "Green tea at breakfast.")])
    assert index.pending() > 0  # nothing was written to Chroma yet
    before = index.search("which database stores invoices", k=2, mode="dense")
    assert ids(before)[0] == "db"
    assert index.fold() > 0 and index.pending() == 0
    after = index.search("which database stores invoices", k=2, mode="dense")
    assert ids(after) == ids(before)
    assert [h.score for h in after] == pytest.approx([h.score for h in before], abs=1e-4)


def test_the_fresh_vector_wins_over_chromas_older_copy(
    index: SearchIndex, make_doc: DocFactory, embedder: MiniLMEmbedder
) -> None:
    index.upsert([make_doc("a", "The rocket launched into orbit."), make_doc("b", "Bread is baked in the oven.")])
    index.fold()  # Chroma now holds the rocket vector for a#0
    index.upsert([make_doc("a", "Bananas are a yellow fruit.")])
    assert index.pending() > 0
    query = "a spaceship flying to orbit"
    hits = {h.id: h.score for h in index.search(query, k=2, mode="dense")}
    assert hits["a"] == pytest.approx(cosine(embedder, query, "Bananas are a yellow fruit."), abs=1e-4)
    index.fold()
    hits = {h.id: h.score for h in index.search(query, k=2, mode="dense")}
    assert hits["a"] == pytest.approx(cosine(embedder, query, "Bananas are a yellow fruit."), abs=1e-4)


@pytest.mark.parametrize("folded_first", [True, False])
def test_deletes_and_supersedes_hide_the_old_vector_at_once(
    index: SearchIndex, make_doc: DocFactory, folded_first: bool
) -> None:
    text = "Rotate the API keys every ninety days."
    index.upsert([make_doc("keys", text, path="k.md"), make_doc("gone", "Lunch is served at noon.", path="g.md")])
    if folded_first:
        index.fold()
    index.upsert([make_doc("keys", text, path="k.md", status="superseded")])  # same text: the vector moves
    index.delete_paths(["g.md"])
    assert index.pending() > 0
    for mode in MODES:
        assert index.search("key rotation policy", mode=mode) == []  # type: ignore[arg-type]
        assert index.search("lunch time", mode=mode) == []  # type: ignore[arg-type]
    assert ids(index.search("key rotation policy", k=1, include_inactive=True, mode="dense")) == ["keys"]
    index.fold()
    assert index.pending() == 0
    assert index.search("lunch time", mode="dense") == []
    assert index.search("key rotation policy", mode="dense") == []
    assert ids(index.search("key rotation policy", k=1, include_inactive=True, mode="dense")) == ["keys"]


def test_a_private_fresh_vector_never_reaches_another_user(index: SearchIndex, make_doc: DocFactory) -> None:
    secret = "Alice's locker combination is 4711."
    index.upsert([make_doc("alice-locker", secret, kind="memories", namespace="user", user="alice"),
                  make_doc("bob-tea", "Bob drinks green tea.", kind="memories", namespace="user", user="bob"),
                  make_doc("shared", "The office has lockers on the second floor.")])
    assert index.pending() > 0
    for mode in MODES:
        for user in ("bob", None, ""):
            for namespace in (None, "user"):
                hits = index.search(secret, k=10, user=user, namespace=namespace, mode=mode)  # type: ignore[arg-type]
                assert "alice-locker" not in ids(hits), (mode, user, namespace)
                assert all(h.user != "alice" for h in hits)
        mine = index.search(secret, k=1, user="alice", namespace="user", mode=mode)  # type: ignore[arg-type]
        assert ids(mine) == ["alice-locker"]
    # The first gate on its own (the catalog's check behind it is the second): the segment offers
    # only rows of the partitions visible_partitions allows.
    parts = index._catalog.partitions()
    vector = index.query_vector(secret)
    for user, visible in (("bob", False), (None, False), ("alice", True)):
        allowed = [parts[key] for key in visible_partitions(parts, None, user, True)]
        offered = [cid for cid, _ in index._fresh.view().nearest(vector, allowed, None, 50)]
        assert ("alice-locker#0" in offered) is visible, user


def test_a_bulk_write_goes_to_chroma_after_folding_what_is_pending(index: SearchIndex, make_doc: DocFactory) -> None:
    index.upsert([make_doc("first", "The harbour opens at dawn.")])
    assert index.pending() > 0
    many = [make_doc(f"m{i}", f"Note {i} about boats and the harbour.") for i in range(FRESH_MAX_WRITE + 1)]
    index.upsert(many)
    assert index.pending() == 0
    assert len(index.search("harbour boats", k=500, mode="dense")) == FRESH_MAX_WRITE + 2


def test_the_background_thread_folds_once_the_index_is_quiet(
    tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("learning_fs.index.fresh.FOLD_IDLE", 0.05)
    with SearchIndex.open(tmp_path / "ix", embedder=embedder) as index:
        index.upsert([make_doc("db", "We use PostgreSQL for billing.")])
        deadline = time.monotonic() + 10
        while index.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index.pending() == 0
        assert ids(index.search("postgres", mode="dense")) == ["db"]


_WRITER = """
import os, signal, sys
from learning_fs.index import IndexDoc, SearchIndex
from learning_fs.index.fresh import FreshSegment

meta = {{"kind": "learning", "namespace": "global", "user": "", "path": "global/db.md", "record_id": "db",
        "item_id": "", "status": "active", "created": "2025-01-01T00:00:00Z", "updated": "2025-01-01T00:00:00Z",
        "blob": "b1"}}
index = SearchIndex.open(sys.argv[1])
if {mid_fold}:
    apply = FreshSegment._apply
    def apply_then_die(self, rows):
        apply(self, rows)  # Chroma has the vectors; the rows are not deleted yet
        os.kill(os.getpid(), signal.SIGKILL)
    FreshSegment._apply = apply_then_die
index.upsert([IndexDoc("db", "We use PostgreSQL for billing.", meta)])
if {mid_fold}:
    index.fold()
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("mid_fold", [False, True])
def test_kill_9_leaves_fresh_rows_that_are_found_and_folded_at_the_next_open(
    tmp_path: Path, embedder: MiniLMEmbedder, mid_fold: bool
) -> None:
    folder = tmp_path / "ix"
    SearchIndex.open(folder, embedder=embedder).close()  # created with this embedder
    script = textwrap.dedent(_WRITER.format(mid_fold=mid_fold))
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    with SearchIndex.open(folder, embedder=embedder) as index:
        assert index.pending() > 0 and index.count() == 1
        assert ids(index.search("postgres billing", k=5, mode="dense")) == ["db"]
        assert index.fold() > 0 and index.pending() == 0
        assert ids(index.search("postgres billing", k=5, mode="dense")) == ["db"]  # once, not twice


def test_an_unreadable_fresh_vector_drops_its_entry_for_re_indexing(
    tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory
) -> None:
    folder = tmp_path / "ix"
    script = textwrap.dedent(_WRITER.format(mid_fold=False))
    SearchIndex.open(folder, embedder=embedder).close()
    subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, timeout=120)
    with sqlite3.connect(folder / "catalog.sqlite3") as conn:
        assert conn.execute("UPDATE fresh SET vector = ? WHERE vector IS NOT NULL", (b"garbage",)).rowcount > 0
    with SearchIndex.open(folder, embedder=embedder) as index:
        assert index.lost_paths() == ["global/db.md"] and index.lost_paths() == []
        assert index.count() == 0 and index.pending() == 0  # gone, not a hit with a garbage vector
        assert index.search("postgres billing", mode="dense") == []


_OLD_UPDATE_TRIGGER = """
CREATE TRIGGER entries_au AFTER UPDATE ON entries BEGIN
    INSERT INTO fts (fts, rowid, part, body) VALUES ('delete', old.rowid, old.part, old.body);
    INSERT INTO fts (rowid, part, body) VALUES (new.rowid, new.part, new.body);
    UPDATE partition_kinds SET vectors = vectors - old.nchunks, entries = entries - 1
        WHERE pid = old.pid AND kind = old.kind;
    INSERT INTO partition_kinds (pid, kind, vectors, entries) VALUES (new.pid, new.kind, new.nchunks, 1)
        ON CONFLICT (pid, kind) DO UPDATE SET vectors = vectors + excluded.vectors, entries = entries + 1;
END
"""


def test_an_older_catalog_gets_the_update_triggers_that_skip_unchanged_bodies(
    tmp_path: Path, embedder: MiniLMEmbedder, make_doc: DocFactory
) -> None:
    folder = tmp_path / "ix"
    with SearchIndex.open(folder, embedder=embedder) as index:
        index.upsert([make_doc("db", "We use PostgreSQL for billing.", path="a.md")])
    with sqlite3.connect(folder / "catalog.sqlite3") as conn:  # as catalogs written before this change
        conn.execute("DROP TRIGGER entries_au_text")
        conn.execute("DROP TRIGGER entries_au_kinds")
        conn.execute(_OLD_UPDATE_TRIGGER)
    with SearchIndex.open(folder, embedder=embedder) as index:
        with sqlite3.connect(folder / "catalog.sqlite3") as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"entries_au_text", "entries_au_kinds"} <= names and "entries_au" not in names
        index.upsert([make_doc("db", "We use PostgreSQL for billing.", path="a.md", blob="blob-2")])  # metadata only
        assert ids(index.search("postgresql billing", mode="lexical")) == ["db"]
        index.upsert([make_doc("db", "Invoices live in MySQL now.", path="a.md", blob="blob-3")])  # a new body
        assert index.search("postgresql billing", mode="lexical") == []
        assert ids(index.search("invoices mysql", mode="lexical")) == ["db"]
        index.upsert([make_doc("db", "Invoices live in MySQL now.", path="a.md", blob="blob-3", status="expired")])
        assert index.search("invoices mysql", mode="lexical") == []  # the partition token moved with it
        assert ids(index.search("invoices mysql", mode="lexical", include_inactive=True)) == ["db"]
        with sqlite3.connect(folder / "catalog.sqlite3") as conn:
            counts = conn.execute("SELECT SUM(entries), SUM(vectors) FROM partition_kinds").fetchone()
        assert counts == (1, 1)


def test_replacing_a_files_entries_is_one_step(index: SearchIndex, make_doc: DocFactory) -> None:
    index.upsert([make_doc("m1", "Drinks green tea.", path="mem.md"),
                  make_doc("m2", "Lives in Lisbon.", path="mem.md")])
    embedded = index.replace([make_doc("m1", "Drinks green tea.", path="mem.md", blob="b2"),
                              make_doc("m3", "Has a dog called Rex.", path="mem.md", blob="b2")], ["mem.md"])
    assert embedded == 1  # only the new memory
    assert sorted(p for p, _ in index.entries_for_verify()) == ["mem.md", "mem.md"]
    assert {h.id for h in index.search("tea Lisbon dog", k=10, mode="lexical")} == {"m1", "m3"}
    assert {h.id for h in index.search("a pet animal", k=10, mode="dense")} >= {"m3"}
    assert "m2" not in {h.id for h in index.search("city of residence Portugal", k=10, mode="dense")}
