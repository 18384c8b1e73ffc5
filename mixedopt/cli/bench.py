"""``mixedopt bench``: run the benchmark and reproduction scripts of a source checkout.

The scripts live in the repository's ``scripts/`` folder (they are not installed with the
package: they write to ``results/`` next to them). This module finds them, lists them with
their one-line descriptions, and runs one with the current interpreter, passing every further
argument through (:func:`bench_cmd`).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import typer
from rich.table import Table

from mixedopt.cli.common import console, handle_errors
from mixedopt.errors import ValidationError

__all__ = ["BENCHMARKS", "bench_cmd", "describe", "plain_text", "run_benchmark", "scripts_dir"]

#: short name -> script file in ``scripts/``
BENCHMARKS: dict[str, str] = {
    "exact": "bench_exact.py",
    "perceptron": "bench_perceptron.py",
    "ftprop": "bench_ftprop.py",
    "torch": "bench_torch.py",
    "convex": "reproduce_convex.py",
    "deploy": "bench_deploy.py",
    "fewshot": "bench_fewshot.py",
    "scaling": "bench_scaling.py",
    "scaling-ensemble": "bench_scaling_ensemble.py",
    "scip": "bench_scip.py",
}


def scripts_dir() -> Path:
    """The ``scripts/`` folder of the checkout this package was imported from.

    Raises
    ------
    ValidationError
        When mixedopt runs from an installed wheel (no ``scripts/`` next to the package).
    """
    folder = Path(__file__).resolve().parents[2] / "scripts"
    if not (folder / BENCHMARKS["exact"]).is_file():
        raise ValidationError(
            "the benchmarks live in the scripts/ folder of a mixedopt source checkout, and "
            f"none was found next to this installation ({folder}); clone the repository and "
            "install it with `pip install -e .` to run them."
        )
    return folder


def describe(path: Path) -> str:
    """First paragraph of a script's module docstring as plain text ('' when it has none).

    The paragraph is joined into one line and its reStructuredText markup is dropped
    (:func:`plain_text`), so a title that wraps in the docstring is shown whole.
    """
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError):
        return ""
    if not doc:
        return ""
    paragraph = doc.strip().split("\n\n")[0]
    return plain_text(" ".join(line.strip() for line in paragraph.splitlines()))


def plain_text(text: str) -> str:
    """``text`` without reStructuredText roles, literals and emphasis.

    >>> plain_text("Benchmark :mod:`mixedopt.perceptron` on ``m`` points, **fast**.")
    'Benchmark mixedopt.perceptron on m points, fast.'
    """
    text = re.sub(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`", r"\1", text)
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    return re.sub(r"\*([^*]+)\*", r"\1", text)


def run_benchmark(name: str, args: list[str]) -> int:
    """Run benchmark ``name`` with ``args``; returns its exit code.

    >>> run_benchmark("nope", [])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValidationError: unknown benchmark 'nope'; choose from exact, perceptron, ...
    """
    if name not in BENCHMARKS:
        raise ValidationError(
            f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)} "
            "(`mixedopt bench` lists them)."
        )
    script = scripts_dir() / BENCHMARKS[name]
    return subprocess.call([sys.executable, str(script), *args])


@handle_errors
def bench_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(None, help=", ".join(BENCHMARKS) + "; none: list them."),
) -> None:
    """Run a benchmark or reproduction script (results/*.md + .json); extra args pass through.

    Example: ``mixedopt bench exact --quick`` (or ``mixedopt bench exact -- --help``).
    """
    if name is None:
        folder = scripts_dir()
        table = Table(title=f"benchmarks in {folder}")
        table.add_column("name", style="cyan")
        table.add_column("script")
        table.add_column("what it measures")
        for key, script in BENCHMARKS.items():
            table.add_row(key, script, describe(folder / script))
        console.print(table)
        console.print(
            "run one with `mixedopt bench NAME -- OPTIONS` (options go to the script; "
            "`mixedopt bench NAME -- --help` lists them)",
            markup=False,
        )
        return
    code = run_benchmark(name, list(ctx.args))
    if code:
        raise typer.Exit(code)
