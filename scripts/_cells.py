"""Benchmark cells and seeds as executor tasks: ``--n-jobs N --executor ray --address A``.

Shared by the ``scripts/bench_*.py`` that run independent cells (one method on one data set
and seed). :func:`add_arguments` adds the three options, :func:`open_executor` gives the
executor (serial by default: everything in the script's process, Ray never imported), and
:func:`run_cells` maps a cell function over the cells with at most ``n_jobs`` in flight,
calling ``on_done`` here as each one finishes and returning the results in cell order.

The cell function must be picklable for Ray: a function of the benchmark script itself
(pickled by value) or of the library, never of this module (Ray workers need not have
``scripts/`` on their path). In a parallel run every cell's time is its own wall time, measured
where it ran, while other cells ran beside it; :func:`timing_note` says so in the Markdown.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import Any

from mixedopt.executors import Executor, get_executor

__all__ = ["add_arguments", "describe", "open_executor", "run_cells", "timing_note"]


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """``--n-jobs``, ``--executor`` and ``--address``."""
    ap.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="cells run at once (default 1: one after the other in this process; -1: every core)",
    )
    ap.add_argument(
        "--executor",
        default=None,
        choices=("serial", "ray"),
        help="where the cells run (default: serial for --n-jobs 1, ray otherwise; Ray needs "
        "pip install 'mixedopt[ray]')",
    )
    ap.add_argument(
        "--address", default=None, help="an existing Ray cluster (default: a local one)"
    )


def open_executor(args: argparse.Namespace) -> Executor:
    """The executor the options ask for (a context manager: close it when done)."""
    return get_executor(args.executor, n_jobs=args.n_jobs, address=args.address)


def run_cells(
    fn: Callable[..., Any],
    cells: Sequence[Any],
    executor: Executor,
    on_done: Callable[[Any, Any], None] | None = None,
) -> list[Any]:
    """``[fn(*cell) for cell in cells]`` on ``executor``, at most ``n_workers`` in flight;
    ``on_done(cell, result)`` runs here as each cell finishes (cell order when serial)."""
    results: list[Any] = [None] * len(cells)
    todo = iter(range(len(cells)))
    running: dict[Any, int] = {}

    def start() -> None:
        i = next(todo, None)
        if i is not None:
            running[executor.submit(fn, *cells[i])] = i

    try:
        for _ in range(max(1, int(executor.n_workers))):
            start()
        while running:
            done, _ = executor.wait_any(list(running))
            for fut in done:
                i = running.pop(fut)
                results[i] = executor.result(fut)
                if on_done is not None:
                    on_done(cells[i], results[i])
                start()
    except BaseException:
        for fut in running:
            executor.cancel(fut)
        raise
    return results


def describe(args: argparse.Namespace, executor: Executor) -> dict[str, Any]:
    """What ran the cells, for the JSON: executor, workers, address, load average."""
    return {
        "executor": executor.name,
        "n_jobs": int(executor.n_workers),
        "address": args.address,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def timing_note(run: dict[str, Any]) -> str:
    """One Markdown sentence on what the times mean (empty for a serial run)."""
    if run["executor"] == "serial":
        return ""
    where = f"the Ray cluster at `{run['address']}`" if run["address"] else "a local Ray cluster"
    return (
        f"**Parallel run**: the cells ran as tasks on {where}, {run['n_jobs']} at a time "
        f"(`--n-jobs {run['n_jobs']} --executor {run['executor']}`); every time below is that "
        "cell's own wall time, measured where it ran while other cells ran beside it (on a "
        "shared machine they compete for cores and memory bandwidth), not a share of the "
        "total."
    )
