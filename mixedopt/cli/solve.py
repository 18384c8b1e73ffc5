"""``mixedopt solve``: exact training with live progress.

:func:`solve_cmd` parses the options and calls :func:`run_solve`, which loads the data, runs
:func:`mixedopt.exact.engine.solve_problem` with an incumbent callback feeding a rich live
line (incumbent, bound, gap, time, phase), then prints a final table and saves the net
(``--out``, .npz) and the result (``--json``).

Inputs: integers and rationals with a small common denominator (decimals such as ``0.7``)
are trained exactly as they are (docs/exact.md, "What is proven"); other real values are
rounded to a grid only when asked (``--quantize DECIMALS|auto``, :func:`quantize_inputs`),
and the output says which of these happened (:func:`input_note`). When no exact model is
built (the engine's size cap, or no time left for it), the live line and the final table
say so (:func:`exact_model_note`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from mixedopt import datasets
from mixedopt.arithmetic import rational_scale
from mixedopt.cli.common import console, file_out_path, handle_errors, net_out_path
from mixedopt.errors import ValidationError
from mixedopt.exact.engine import solve_problem
from mixedopt.files import atomic_write_text
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Progress, SolveResult
from mixedopt.solvers.registry import DEFAULT_BACKEND, entries, find, methods
from mixedopt.validation import check_network_size, check_weight_bound

__all__ = [
    "MAX_QUANTIZE_DECIMALS",
    "exact_model_note",
    "input_note",
    "quantize_inputs",
    "result_table",
    "run_solve",
    "solve_cmd",
]

#: ``--quantize`` rounds to at most this many decimals (a grid of 1e-6: denominators up to
#: ``mixedopt.arithmetic.MAX_DENOMINATOR``, which the exact models accept)
MAX_QUANTIZE_DECIMALS = 6


def quantize_inputs(X: np.ndarray, spec: str) -> tuple[np.ndarray, str]:
    """``X`` rounded to the grid ``spec`` asks for, and a line saying what was done.

    ``spec`` is a number of decimals (0 to :data:`MAX_QUANTIZE_DECIMALS`) or ``"auto"``:
    inputs that are already exact (integers, or rationals with a common denominator up to
    10**6) are kept; otherwise the fewest decimals that put at least 1000 grid steps across
    every feature's range.

    >>> X = np.array([[0.123456789, 10.0], [0.5, 12.25]])
    >>> quantize_inputs(X, "2")[0].tolist()
    [[0.12, 10.0], [0.5, 12.25]]
    >>> quantize_inputs(np.array([[0.5], [0.7]]), "auto")[1]
    'inputs are already exact (rationals with common denominator 10): not rounded'
    """
    Xa = np.asarray(X, dtype=np.float64)
    if spec.strip().lower() == "auto":
        q = rational_scale(Xa)
        if q is not None:
            kind = "integers" if q == 1 else f"rationals with common denominator {q}"
            return Xa, f"inputs are already exact ({kind}): not rounded"
        span = np.ptp(Xa, axis=0) if Xa.size else np.zeros(0)
        span = span[span > 0]
        smallest = float(span.min()) if span.size else 1.0
        decimals = int(np.clip(math.ceil(3 - math.log10(smallest)), 0, MAX_QUANTIZE_DECIMALS))
    else:
        try:
            decimals = int(spec)
        except ValueError:
            decimals = -1
        if not 0 <= decimals <= MAX_QUANTIZE_DECIMALS:
            raise ValidationError(
                f"--quantize takes a number of decimals from 0 to {MAX_QUANTIZE_DECIMALS} "
                f"or 'auto', got {spec!r}."
            )
    Xq = np.round(Xa, decimals)
    changed = int(np.count_nonzero(Xq != Xa))
    grid = "1" if decimals == 0 else f"{10.0**-decimals:g}"
    return Xq, (
        f"inputs rounded to {decimals} decimal(s) (grid {grid}): {changed} of {Xa.size} values "
        "changed; the result is exact for the rounded data"
    )


def input_note(problem: TrainingProblem) -> str | None:
    """One line on how the solvers read ``problem``'s inputs (None for integer inputs)."""
    if problem.weights == "real":
        return None
    if problem.X.dtype.kind != "i":
        return (
            "inputs are real-valued (no common denominator <= 10**6): the margin model "
            "proves nothing for them; --quantize DECIMALS or --quantize auto rounds them "
            "to a grid where training is exact"
        )
    if problem.input_scale != 1:
        return (
            f"inputs are rationals with common denominator {problem.input_scale}: trained "
            "exactly as they are, no rounding needed"
        )
    return None


def exact_model_note(res: SolveResult) -> str | None:
    """Why ``res`` has no exact phase, when the engine built none (None otherwise)."""
    note = res.info.get("exact_model")
    if isinstance(note, str):
        return note
    skipped = [ph["phase"] for ph in res.info.get("phases", []) if ph["status"] == "skipped"]
    if skipped:
        return (
            f"no exact model built: no time was left for {', '.join(skipped)} after the "
            "local search (a longer --time-limit gives it time)"
        )
    return None


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
        self.note = ""
        self.n_events = 0

    def __call__(self, ev: Progress) -> None:
        with self.lock:
            if ev.objective is not None:
                self.objective = ev.objective
            if ev.bound is not None:
                self.bound = ev.bound
            self.source = ev.source or self.source
            if ev.message.startswith("no exact model"):
                self.note = ev.message
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
                f"[dim]{self.source}[/]" + (f"\n[yellow]{self.note}[/]" if self.note else "")
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
    note = exact_model_note(res)
    if note is not None:
        rows.append(("exact model", note.replace("no exact model built: ", "none built: ", 1)))
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
    quantize: str | None = None,
) -> SolveResult:
    """Load ``data``, train, show progress and the final table, save outputs."""
    check_weight_bound(bound, weights)
    X, y = datasets.load(data)
    quantized = None
    if quantize is not None:
        X, quantized = quantize_inputs(X, quantize)
    problem = TrainingProblem.from_data(
        X, y, hidden=hidden or (), weights=weights, weight_bound=bound, objective=objective
    )
    check_network_size(problem.sizes, problem.n_samples, name="--hidden")
    entry = find(backend)
    if entry is not None and entry.needs_integral and problem.X.dtype.kind != "i":
        if problem.weights != "real":  # pragma: no branch - real weights never get here
            raise ValidationError(
                f"backend {entry.name!r} needs exact inputs, and these are real-valued (no "
                "common denominator <= 10**6); add --quantize DECIMALS (or --quantize auto) "
                "to round them to a grid, or use --weights real --backend scip (a margin "
                "model, not proven). Decimal data such as 0.7 is already exact."
            )
    console.print(f"[bold]problem[/] {problem.describe()}  [dim]({data})[/]")
    line = quantized if quantized is not None else input_note(problem)
    if line:
        console.print(line, highlight=False)
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
                **({"quantize": quantize} if quantize is not None else {}),
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
    quantize: str = typer.Option(
        None,
        "--quantize",
        "-q",
        metavar="DECIMALS|auto",
        help="Round real-valued inputs to DECIMALS decimals (0-6) so training is exact; "
        "'auto': only when they are not already exact, at 1000 steps per feature range. "
        "Integer and decimal inputs (0.7) are exact without it.",
    ),
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
        quantize=quantize,
    )
    if res.interrupted:
        raise typer.Exit(130)
