"""``mixedopt train``: train a threshold network with a scikit-learn estimator.

The command dispatches through the scikit-learn estimators: :data:`ALGORITHMS` maps each
``--algo`` to ``(module, class)``, and the command's options reach the estimator as the
parameters it has (adding an algorithm is one line). The model is saved as ``.npz`` + JSON
with what ``mixedopt inspect`` needs to rebuild the same data split.
"""

from __future__ import annotations

import importlib
import inspect as _pyinspect
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mixedopt.cli.common import console, handle_errors, net_out_path, split_data
from mixedopt.errors import ValidationError
from mixedopt.validation import as_sequence_of_ints

#: the line under ``train --algo convex``'s table: what its gap measures (docs/convex.md)
CONVEX_GAP_NOTE = (
    "gap: how far the regularised training objective is above a lower bound that no "
    "network with a step last hidden layer (any width or depth) can beat; 0 means globally "
    "optimal (docs/convex.md, 'Bound'). With method=lasso on real data it stays open."
)

__all__ = [
    "ALGORITHMS",
    "CONVEX_GAP_NOTE",
    "estimator_class",
    "parse_params",
    "run_train",
    "train_cmd",
]

#: --algo name -> (module, class) of the estimator that trains it
ALGORITHMS: dict[str, tuple[str, str]] = {
    "ftprop": ("mixedopt.estimators.ftprop", "FTPropClassifier"),
    "exact": ("mixedopt.estimators.exact", "ExactThresholdClassifier"),
    "convex": ("mixedopt.estimators.convex", "ConvexThresholdClassifier"),
}


def estimator_class(algo: str) -> type:
    """The estimator class of ``--algo`` (a clear error when unknown or not installed)."""
    if algo not in ALGORITHMS:
        raise ValidationError(f"unknown --algo {algo!r}; choose from {', '.join(ALGORITHMS)}.")
    module, name = ALGORITHMS[algo]
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValidationError(
            f"--algo {algo} is not available in this installation ({module}.{name}: {exc})."
        ) from exc


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``key=value`` strings to a dict (values parsed as JSON when they parse: numbers,
    true/false, null, lists; otherwise kept as strings)."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ValidationError(f"--param takes key=value, got {item!r}.")
        key, _, raw = item.partition("=")
        try:
            val: Any = json.loads(raw)
        except json.JSONDecodeError:
            val = raw
        if isinstance(val, list):
            val = tuple(val)
        out[key.strip().replace("-", "_")] = val
    return out


def run_train(
    console: Console,
    *,
    algo: str,
    data: str,
    options: dict[str, tuple[str, Any]],
    params: dict[str, Any],
    test_size: float,
    seed: int,
    out: Path | None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train ``algo`` on ``data``; returns a summary dict (``interrupted`` among its keys).

    ``options`` maps estimator parameters to ``(command-line flag, value)``; values that are
    None are left at the estimator's default, and a flag the estimator has no parameter for
    is an error. ``params`` are extra ``key=value`` parameters.
    """
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, (int, float))
        or not 0.0 <= test_size < 1.0
    ):
        raise ValidationError(
            f"--test-size must be a fraction in [0, 1) (0: no held-out part), got {test_size!r}."
        )
    cls = estimator_class(algo)
    est = cls()
    valid = est.get_params()
    chosen: dict[str, Any] = {}
    for key, (flag, val) in options.items():
        if val is None:
            continue
        if key not in valid:
            raise ValidationError(f"option {flag} does not apply to --algo {algo}.")
        chosen[key] = val
    for key, val in params.items():
        if key not in valid:
            raise ValidationError(
                f"--param {key} is not a parameter of {cls.__name__}; it has: "
                f"{', '.join(sorted(valid))}."
            )
        chosen[key] = val
    if "random_state" in valid:
        chosen.setdefault("random_state", seed)
    est.set_params(**chosen)
    X_tr, X_te, y_tr, y_te = split_data(data, test_size, seed)
    console.print(
        f"[bold]{cls.__name__}[/] on [cyan]{data}[/]: {X_tr.shape[0]} training / "
        f"{X_te.shape[0]} test samples, {X_tr.shape[1]} features, "
        f"{np.unique(y_tr).size} classes"
    )
    # scikit-learn takes seconds to import: loaded here, not with `mixedopt --help`
    from sklearn.exceptions import ConvergenceWarning

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        _fit(console, est, X_tr, y_tr, progress)
    wall = time.perf_counter() - t0
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            console.print(f"[yellow]note:[/] {w.message}", highlight=False)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    net = est.net_
    train_acc = float(est.score(X_tr, y_tr))
    test_acc = float(est.score(X_te, y_te)) if X_te.shape[0] else None
    history = getattr(est, "history_", None)
    hist_dict = history.to_dict() if hasattr(history, "to_dict") else history
    interrupted = bool(getattr(history, "interrupted", False))
    summary = {
        "algo": algo,
        "estimator": cls.__name__,
        "data": data,
        "test_size": test_size,
        "seed": seed,
        "params": {k: _jsonable(v) for k, v in est.get_params().items()},
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "wall_time": wall,
        "sizes": net.sizes,
        "interrupted": interrupted,
    }
    result = getattr(est, "result_", None)
    if result is not None:
        summary["result"] = {k: v for k, v in result.to_dict().items() if k != "net"}
    q = getattr(est, "quantizer_", None)
    if q is not None:
        summary["input_quantizer"] = {"mean": q[0].tolist(), "scale": q[1].tolist()}
    table = Table(title="result")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("network", " → ".join(map(str, net.sizes)))
    table.add_row("train accuracy", f"{train_acc:.4f}")
    table.add_row("test accuracy", "-" if test_acc is None else f"{test_acc:.4f}")
    if getattr(est, "n_iter_", None) is not None:
        table.add_row("epochs / iterations", str(est.n_iter_))
    if result is not None:
        table.add_row("status", str(result.status.value))
        table.add_row("gap", "-" if result.gap is None else f"{result.gap:.2%}")
    table.add_row("wall time", f"{wall:.2f} s")
    console.print(table)
    if algo == "convex" and result is not None:
        console.print(CONVEX_GAP_NOTE, highlight=False)
    _record_split(net, data, test_size, seed)
    if out is not None:
        net = net.copy()
        net.metadata.update(
            {"mixedopt_train": {k: v for k, v in summary.items()}, "history": _jsonable(hist_dict)}
        )
        path = net.save(out)
        console.print(f"saved [green]{path}[/]")
        summary["out"] = str(path)
    return summary


def _record_split(net: Any, data: str, test_size: float, seed: int) -> None:
    """Add the data set, split and sample indices to the provenance of the net's stored
    training targets (:meth:`~mixedopt.ThresholdNet.set_training_targets`)."""
    prov = net.metadata.get("training_targets")
    if not isinstance(prov, dict):
        return
    from mixedopt import datasets

    _, y = datasets.load(data)
    idx = np.arange(y.shape[0])[:, None]
    rows = (
        idx[:, 0]
        if test_size <= 0
        else datasets.train_test_split(idx, y, test_size=test_size, seed=seed)[0][:, 0]
    )
    fit_rows = prov.pop("fit_rows", None)
    if fit_rows is not None:  # e.g. FTPROP's early-stopping split of the training part
        rows = rows[np.asarray(fit_rows, dtype=np.int64)]
    prov.update(
        data=data,
        split="train" if test_size > 0 else "all",
        test_size=test_size,
        seed=seed,
        indices=rows.tolist(),
    )


def _fit(console: Console, est: Any, X: np.ndarray, y: np.ndarray, progress: bool) -> None:
    takes_callback = "callback" in _pyinspect.signature(est.fit).parameters
    if not progress or not takes_callback:
        with console.status("training ..."):
            est.fit(X, y)
        return
    total = est.get_params().get("max_iter")
    columns: list[Any] = ["[progress.description]{task.description}"]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    else:
        columns += [SpinnerColumn()]
    with Progress(
        *columns,
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("training", total=total)

        def cb(rec: Any) -> None:
            if isinstance(rec, dict):  # an FTPROP epoch record
                val = rec.get("val_accuracy")
                flips = "/".join(f"{v:.2f}" for v in rec.get("flipped", []))
                viol = "/".join(f"{v:.2f}" for v in rec.get("violated", []))
                bar.console.print(
                    f"epoch {rec['epoch']:>3} loss {rec['loss']:.4f} "
                    f"acc {rec['train_accuracy']:.3f}"
                    + ("" if val is None else f" val {val:.3f}")
                    + f" flip {flips} viol {viol}",
                    highlight=False,
                )
                bar.update(task, completed=rec["epoch"])
            else:  # a solver Progress event
                bar.update(
                    task,
                    description=f"objective {getattr(rec, 'objective', '-')} "
                    f"bound {getattr(rec, 'bound', '-')}",
                )

        est.fit(X, y, callback=cb)


def _jsonable(v: Any) -> Any:
    try:
        json.dumps(v)
        return v
    except TypeError:
        if isinstance(v, tuple):
            return [_jsonable(x) for x in v]
        if isinstance(v, dict):
            return {str(k): _jsonable(x) for k, x in v.items()}
        if isinstance(v, np.ndarray):
            return v.tolist()
        if isinstance(v, np.generic):
            return v.item()
        return str(v)


@handle_errors
def train_cmd(
    algo: str = typer.Option("ftprop", "--algo", "-a", help="ftprop, exact or convex."),
    data: str = typer.Option(..., "--data", "-d", help="Data set name or a .csv/.dat file."),
    hidden: str = typer.Option(None, "--hidden", help="Hidden layer widths, e.g. '64,32'."),
    out: str = typer.Option(None, "--out", "-o", help="Save the trained net (.npz)."),
    epochs: int = typer.Option(None, "--epochs", "-e", help="Epochs (ftprop max_iter)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Mini-batch size (ftprop)."),
    target_step: str = typer.Option(
        None, "--target-step", help="ftprop target step: gradient, greedy or exact."
    ),
    activation: str = typer.Option(None, "--activation", help="sign, step or staircase<n>."),
    lr: float = typer.Option(None, "--lr", help="Learning rate (ftprop)."),
    backend: str = typer.Option(None, "--backend", "-b", help="Solver backend (exact)."),
    time_limit: float = typer.Option(None, "--time-limit", "-t", help="Seconds for training."),
    early_stopping: bool = typer.Option(
        None, "--early-stopping/--no-early-stopping", help="Stop on a validation split (ftprop)."
    ),
    param: list[str] = typer.Option(
        None, "--param", "-p", help="Any other estimator parameter, key=value (repeatable)."
    ),
    test_size: float = typer.Option(0.25, "--test-size", help="Held-out fraction (0: none)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the split and the training."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Per-epoch output."),
) -> None:
    """Train a threshold network with a scikit-learn estimator; per-epoch metrics; save it."""
    options = {  # estimator parameter -> (flag, value)
        "hidden": (
            "--hidden",
            None if hidden is None else tuple(as_sequence_of_ints(hidden, name="--hidden")),
        ),
        "max_iter": ("--epochs", epochs),
        "batch_size": ("--batch-size", batch_size),
        "target_step": ("--target-step", target_step),
        "activation": ("--activation", activation),
        "learning_rate": ("--lr", lr),
        "backend": ("--backend", backend),
        "time_limit": ("--time-limit", time_limit),
        "early_stopping": ("--early-stopping", early_stopping),
    }
    res = run_train(
        console,
        algo=algo,
        data=data,
        options=options,
        params=parse_params(param),
        test_size=test_size,
        seed=seed,
        out=net_out_path(out, "--out"),
        progress=progress,
    )
    if res["interrupted"]:
        raise typer.Exit(130)
