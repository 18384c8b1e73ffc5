"""The ``mixedopt`` command line.

Every command has ``--help``. Bad input ends with a one-line error on stderr and exit code 2;
an interrupted run (Ctrl-C) exits with 130 after saving what it has.

Commands are thin: they parse arguments, call the library, and render progress and tables
with rich. Library code never prints.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from mixedopt.errors import Error

app = typer.Typer(
    name="mixedopt",
    help="Train hard-threshold neural networks by mixed convex-combinatorial optimization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn mixedopt errors into a one-line message and a non-zero exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Error as exc:
            raise fail(str(exc)) from None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _main(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-v info, -vv debug)."
    ),
) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@app.command("datasets")
@handle_errors
def datasets_cmd(
    name: str = typer.Argument(
        None, help="Describe one data set (a built-in name or a .csv/.dat path)."
    ),
) -> None:
    """List the built-in data sets with sizes and class balance, or describe one."""
    from mixedopt import datasets

    names = [name] if name else datasets.available()
    table = Table(title="mixedopt data sets" if not name else None)
    for col in ("name", "samples", "features", "classes", "class counts", "min %"):
        table.add_column(col, no_wrap=True)
    if name:
        table.add_column("source")
    for n in names:
        info = datasets.describe(n)
        counts = list((info.class_counts or {}).values())
        shown = "/".join(str(c) for c in counts[:4]) + ("/..." if len(counts) > 4 else "")
        minority = f"{min(counts) / sum(counts):.0%}" if counts else "-"
        row = [
            info.name,
            str(info.n_samples),
            str(info.n_features),
            str(len(counts)),
            shown,
            minority,
        ]
        if name:
            row.append(info.source or "")
        table.add_row(*row)
    console.print(table)


@app.command("demo")
@handle_errors
def demo_cmd(
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """A short tour: exact training of a tiny net, then training on a real data set."""
    from mixedopt._demo import run_demo

    run_demo(console, seed=seed)


@app.command("solve")
@handle_errors
def solve_cmd(
    data: str = typer.Option(
        ..., "--data", "-d", help="Data set: a name, 'planted:m=200,d=6,h=3,noise=0.05', or a file."
    ),
    hidden: str = typer.Option("", "--hidden", help="Hidden layer widths, e.g. '3' or '4,2'."),
    weights: str = typer.Option(
        "integer", "--weights", "-w", help="Weight domain: integer, binary, ternary or real."
    ),
    bound: float = typer.Option(
        None, "--bound", "-K", help="Weight bound K (integer: [-K, K]; real: box)."
    ),
    objective: str = typer.Option(
        "errors", "--objective", help="errors, weights, margin, or e.g. 'errors,weights'."
    ),
    backend: str = typer.Option(
        "cpsat", "--backend", "-b", help="cpsat, scip, maxsat, brute, greedy."
    ),
    method: str = typer.Option("auto", "--method", help="auto, monolithic, table or heuristic."),
    time_limit: float = typer.Option(60.0, "--time-limit", "-t", help="Seconds for the whole run."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    threads: int = typer.Option(1, "--threads", help="Solver threads."),
    out: Path = typer.Option(None, "--out", "-o", help="Save the net (.npz)."),
    json_out: Path = typer.Option(None, "--json", help="Save the result summary (.json)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Live progress."),
) -> None:
    """Train a sign network exactly: live incumbent/bound/gap, a final table, the net saved."""
    from mixedopt.train.exact_cli import run_solve

    res = run_solve(
        console,
        data=data,
        hidden=hidden,
        weights=weights,
        bound=bound,
        objective=objective,
        backend=backend,
        method=method,
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        out=out,
        json_out=json_out,
        progress=progress,
    )
    if res.interrupted:
        raise typer.Exit(130)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mixedopt`` console script."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="mixedopt")


if __name__ == "__main__":  # pragma: no cover
    main()
