"""``python -m mixedopt.cli``: the same as the ``mixedopt`` command."""

from mixedopt.cli import main

main()
