"""``mixedopt solve``: exact training with live progress.

:func:`solve_cmd` parses the options and calls :func:`run_solve`, which loads the data, runs
:func:`mixedopt.exact.engine.solve_problem` with an incumbent callback feeding a rich live
line (incumbent, bound, gap, time, phase), then prints a final table and saves the net
(``--out``, .npz) and the result (``--json``).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from mixedopt import datasets
from mixedopt.cli.common import console, file_out_path, handle_errors, net_out_path
from mixedopt.exact.engine import solve_problem
from mixedopt.files import atomic_write_text
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Progress, SolveResult
from mixedopt.solvers.registry import DEFAULT_BACKEND, entries, methods
from mixedopt.validation import check_network_size, check_weight_bound

__all__ = ["result_table", "run_solve", "solve_cmd"]


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


class _Board:
    """Thread-safe progress state rendered by rich's Live."""

    def __init__(self, time_limit: float | None) -> None:
        self.lock = threading.Lock()
        self.start = time.perf_counter()
        self.time_limit = time_limit
        self.objective: float | None = None
        self.bound: float | None = None
        self.source = ""
        self.n_events = 0

    def __call__(self, ev: Progress) -> None:
        with self.lock:
            if ev.objective is not None:
                self.objective = ev.objective
            if ev.bound is not None:
                self.bound = ev.bound
            self.source = ev.source or self.source
            self.n_events += 1

    def render(self) -> Text:
        with self.lock:
            t = time.perf_counter() - self.start
            gap = "-"
            if self.objective is not None and self.bound is not None:
                d = abs(self.objective - self.bound)
                gap = "0.00%" if d == 0 else f"{d / max(abs(self.objective), 1e-9):.2%}"
            lim = f"/{self.time_limit:g}s" if self.time_limit else "s"
            return Text.from_markup(
                f"[bold]time[/] {t:6.1f}{lim}   [bold]incumbent[/] {_fmt(self.objective)}   "
                f"[bold]bound[/] {_fmt(self.bound)}   [bold]gap[/] {gap}   "
                f"[dim]{self.source}[/]"
            )


def result_table(res: SolveResult, title: str = "mixedopt solve") -> Table:
    """A two-column summary of a :class:`SolveResult`."""
    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    gap = res.gap
    rows = [
        ("status", res.status.value + (" (interrupted)" if res.interrupted else "")),
        ("objective", _fmt(res.objective)),
        ("bound", _fmt(res.bound)),
        ("gap", "-" if gap is None else f"{gap:.2%}"),
        ("training errors", _fmt(res.n_errors)),
        ("wall time", f"{res.wall_time:.2f} s"),
        ("backend / method", f"{res.backend} / {res.method}"),
    ]
    objs = res.info.get("objectives")
    if objs and len(objs) > 1:
        rows.append(("criteria", ", ".join(f"{k}={_fmt(v)}" for k, v in objs.items())))
    model = res.info.get("model")
    if isinstance(model, dict):
        rows.append(("model size", ", ".join(f"{k} {v}" for k, v in model.items())))
    for ph in res.info.get("phases", []):
        rows.append(
            (
                f"phase {ph['phase']}",
                f"{ph['status']}, objective {_fmt(ph['objective'])}, bound "
                f"{_fmt(ph['bound'])}, {ph['wall_time']:.2f} s",
            )
        )
    if res.certificate is not None:
        minimal = res.info.get("certificate_minimal")
        rows.append(
            (
                "certificate",
                f"{len(res.certificate)} examples no net of this shape fits"
                + (" (irreducible)" if minimal else "")
                + f": {res.certificate.tolist()[:20]}",
            )
        )
    for k, v in rows:
        table.add_row(k, v)
    return table


def run_solve(
    console: Console,
    *,
    data: str,
    hidden: str,
    weights: str,
    bound: float | None,
    objective: str,
    backend: str,
    method: str,
    time_limit: float,
    seed: int,
    threads: int,
    out: Path | None,
    json_out: Path | None,
    progress: bool = True,
) -> SolveResult:
    """Load ``data``, train, show progress and the final table, save outputs."""
    check_weight_bound(bound, weights)
    X, y = datasets.load(data)
    problem = TrainingProblem.from_data(
        X, y, hidden=hidden or (), weights=weights, weight_bound=bound, objective=objective
    )
    check_network_size(problem.sizes, problem.n_samples, name="--hidden")
    console.print(f"[bold]problem[/] {problem.describe()}  [dim]({data})[/]")
    board = _Board(time_limit)
    if progress and console.is_terminal:
        with Live(
            get_renderable=board.render, console=console, refresh_per_second=4, transient=False
        ):
            res = solve_problem(
                problem,
                backend=backend,
                method=method,
                time_limit=time_limit,
                seed=seed,
                threads=threads,
                incumbent_callback=board,
            )
    else:
        last = [0.0]

        def line(ev: Progress) -> None:
            board(ev)
            now = time.perf_counter()
            if progress and now - last[0] >= 1.0:
                last[0] = now
                console.print(board.render())

        res = solve_problem(
            problem,
            backend=backend,
            method=method,
            time_limit=time_limit,
            seed=seed,
            threads=threads,
            incumbent_callback=line,
        )
    console.print(result_table(res))
    if out is not None and res.net is not None:
        res.net.metadata.update(
            {
                "trained_by": "mixedopt solve",
                "data": data,
                "status": res.status.value,
                "objective": res.objective,
                "bound": res.bound,
                "seed": seed,
                "backend": res.backend,
                "method": res.method,
            }
        )
        prov = res.net.metadata.get("training_targets")
        if isinstance(prov, dict):
            prov.update(data=data, split="all", indices=list(range(problem.n_samples)))
        path = res.net.save(out)
        console.print(f"saved net to [bold]{path}[/]")
    if json_out is not None:
        atomic_write_text(Path(json_out), json.dumps(res.to_dict(), indent=2, default=str))
        console.print(f"saved result to [bold]{json_out}[/]")
    return res


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
        DEFAULT_BACKEND, "--backend", "-b", help=", ".join(e.name for e in entries()) + "."
    ),
    method: str = typer.Option(
        "auto",
        "--method",
        help=", ".join(["auto", "monolithic", *(m.name for m in methods())]) + ".",
    ),
    time_limit: float = typer.Option(60.0, "--time-limit", "-t", help="Seconds for the whole run."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    threads: int = typer.Option(1, "--threads", help="Solver threads."),
    out: str = typer.Option(None, "--out", "-o", help="Save the net (.npz)."),
    json_out: str = typer.Option(None, "--json", help="Save the result summary (.json)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Live progress."),
) -> None:
    """Train a sign network exactly: live incumbent/bound/gap, a final table, the net saved."""
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
        out=net_out_path(out, "--out"),
        json_out=file_out_path(json_out, "--json"),
        progress=progress,
    )
    if res.interrupted:
        raise typer.Exit(130)
