"""Jinja templates shipped with learning_fs (installed as the ``learning_fs.templates`` package).

A memory repository overrides any of them with a file of the same name in its ``templates/``.
"""
