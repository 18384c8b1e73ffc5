"""The ``mixedopt`` command line.

Every command has ``--help``. Bad input ends with a one-line error on stderr and exit code 2;
an interrupted run (Ctrl-C) exits with 130 after saving what it has.

Commands are thin: they parse arguments, call the library, and render progress and tables
with rich. Library code never prints.

Modules
-------
``common``    consoles, one-line errors and exit codes, ``-v``, output paths, the data split
``datasets``  ``mixedopt datasets``
``demo``      ``mixedopt demo``
``solve``     ``mixedopt solve``
``torch``     ``mixedopt torch-train``
``train``     ``mixedopt train``
``inspect``   ``mixedopt inspect``
``export``    ``mixedopt export``
``predict``   ``mixedopt predict``
``bench``     ``mixedopt bench``

This module only builds :data:`app` from them and defines :func:`main`, the entry point of
the ``mixedopt`` console script and of ``python -m mixedopt.cli``.
"""

from __future__ import annotations

import sys

import typer

from mixedopt.cli.bench import bench_cmd
from mixedopt.cli.common import FlagCommand, FlagGroup, global_options
from mixedopt.cli.datasets import datasets_cmd
from mixedopt.cli.demo import demo_cmd
from mixedopt.cli.export import export_cmd
from mixedopt.cli.inspect import inspect_cmd
from mixedopt.cli.predict import predict_cmd
from mixedopt.cli.solve import solve_cmd
from mixedopt.cli.torch import torch_train_cmd
from mixedopt.cli.train import train_cmd

__all__ = ["app", "main"]

app = typer.Typer(
    name="mixedopt",
    help="Train hard-threshold neural networks by mixed convex-combinatorial optimization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=FlagGroup,
)
app.callback()(global_options)
# the order of `mixedopt --help`
app.command("datasets", cls=FlagCommand)(datasets_cmd)
app.command("demo", cls=FlagCommand)(demo_cmd)
app.command("solve", cls=FlagCommand)(solve_cmd)
app.command("torch-train", cls=FlagCommand)(torch_train_cmd)
app.command("train", cls=FlagCommand)(train_cmd)
app.command("inspect", cls=FlagCommand)(inspect_cmd)
app.command("export", cls=FlagCommand)(export_cmd)
app.command("predict", cls=FlagCommand)(predict_cmd)
app.command(
    "bench",
    cls=FlagCommand,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)(bench_cmd)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mixedopt`` console script."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="mixedopt")
