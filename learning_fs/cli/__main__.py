"""``python -m learning_fs.cli``: the command line without the console script (what git's merge driver runs)."""

from learning_fs.cli import main

main()
