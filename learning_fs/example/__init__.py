"""The example memory repository: six simulated weeks of an agent learning, built deterministically.

``build_example(path)`` (``learning-fs example PATH``) makes a real git repository whose history
the notebooks in ``notebooks/`` and ``learning-fs stats`` analyse. The same seed gives the same
commits, sha for sha, on every machine.
"""

from learning_fs.example.builder import DEFAULT_SEED, EXAMPLE_START, ExampleProfile, ExampleResult, build_example
from learning_fs.example.clock import StoryClock, StoryRepo, story_time

__all__ = ["DEFAULT_SEED", "EXAMPLE_START", "ExampleProfile", "ExampleResult", "StoryClock", "StoryRepo",
           "build_example", "story_time"]
