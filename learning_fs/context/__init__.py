"""Context building: Jinja templates (packaged, overridable per repository, sandboxed) and token budgets."""

from learning_fs.context.budget import estimate_tokens, fit
from learning_fs.context.renderer import ContextRenderer, package_templates_dir

__all__ = ["ContextRenderer", "estimate_tokens", "fit", "package_templates_dir"]
