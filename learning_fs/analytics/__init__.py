"""Analytics: a memory repository's git history as pandas DataFrames (notebooks, ``learning-fs stats``).

Needs the ``analytics`` extra (``pip install "learning-fs[analytics]"``: pandas, matplotlib).
Start with ``History.load(path)`` — one ``git log`` for the whole history — and pass the result
to the functions below; every one returns a DataFrame (``headline`` a dict)::

    from learning_fs.analytics import History, records_over_time, proposals
    history = History.load("memory_repo")
    records_over_time(history, by="kind", freq="W").plot()
"""

from learning_fs.analytics.growth import activity, churn, editors, human_edits, record_deltas, records_over_time
from learning_fs.analytics.history import History, path_facets
from learning_fs.analytics.lifecycle import lifecycle, lifecycle_counts, quality_over_time
from learning_fs.analytics.quality import (
    curation_effect,
    current_files,
    profile_completeness,
    recall_hits,
    stale_over_time,
    tokens_over_time,
)
from learning_fs.analytics.review import proposals, review_summary
from learning_fs.analytics.summary import headline, headline_rows

__all__ = [
    "History",
    "activity",
    "churn",
    "curation_effect",
    "current_files",
    "editors",
    "headline",
    "headline_rows",
    "human_edits",
    "lifecycle",
    "lifecycle_counts",
    "path_facets",
    "profile_completeness",
    "proposals",
    "quality_over_time",
    "recall_hits",
    "record_deltas",
    "records_over_time",
    "review_summary",
    "stale_over_time",
    "tokens_over_time",
]
