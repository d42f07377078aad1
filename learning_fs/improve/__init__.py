"""Self-improvement: read the feedback, find patterns, propose instruction and learning changes for review.

``learning-fs improve`` and ``LearningMachine(self_improvement=...)`` run the same analyser
(:class:`Improver`): a deterministic rule layer counts patterns in ``feedback/`` (repeated
corrections, rules not followed, learnings linked to failures) and each finding becomes a
``proposals/…`` branch with its evidence in the commit message. Nothing reaches the checked-out
branch until a person approves it (``learning-fs review approve``).
"""

from learning_fs.improve.improver import ImprovementReport, Improver, Proposed, improve_quietly
from learning_fs.improve.patterns import Finding
from learning_fs.improve.schedule import ImprovementSchedule, SelfImprovementConfig

__all__ = ["Finding", "ImprovementReport", "ImprovementSchedule", "Improver", "Proposed", "SelfImprovementConfig",
           "improve_quietly"]
