"""``learning-fs demo``: a guided, offline tour built from step modules found at run time.

Every module in this package that defines ``ORDER: int`` and ``run(ctx: DemoContext) -> None`` is
a step; steps run in ``ORDER`` (then name) order against one fresh memory repository. A feature
adds its chapter as a new module (``demo/search.py`` with ``ORDER = 40``) without touching this
runner or the other steps.
"""

from learning_fs.demo.runner import DemoContext, discover_steps, run_demo

__all__ = ["DemoContext", "discover_steps", "run_demo"]
