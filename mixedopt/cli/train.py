"""The ``mixedopt train`` and ``mixedopt inspect`` commands (rendering and dispatch).

``train`` dispatches through the scikit-learn estimators: :data:`ALGORITHMS` maps each
``--algo`` to ``(module, class)``, and the command's options reach the estimator as the
parameters it has (adding an algorithm is one line). The model is saved as ``.npz`` + JSON
with what ``inspect`` needs to rebuild the same data split.
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
from rich.console import Console
from rich.table import Table
from sklearn.exceptions import ConvergenceWarning

from mixedopt.errors import ValidationError

__all__ = ["ALGORITHMS", "estimator_class", "parse_params", "run_inspect", "run_train"]

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


def _split(data: str, test_size: float, seed: int) -> tuple[np.ndarray, ...]:
    from mixedopt.datasets import load, train_test_split

    X, y = load(data)
    if test_size <= 0:
        return X, X[:0], y, y[:0]
    return train_test_split(X, y, test_size=test_size, seed=seed)


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
    X_tr, X_te, y_tr, y_te = _split(data, test_size, seed)
    console.print(
        f"[bold]{cls.__name__}[/] on [cyan]{data}[/]: {X_tr.shape[0]} training / "
        f"{X_te.shape[0]} test samples, {X_tr.shape[1]} features, "
        f"{np.unique(y_tr).size} classes"
    )
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
    if out is not None:
        net = net.copy()
        net.metadata.update(
            {"mixedopt_train": {k: v for k, v in summary.items()}, "history": _jsonable(hist_dict)}
        )
        path = net.save(out)
        console.print(f"saved [green]{path}[/]")
        summary["out"] = str(path)
    return summary


def _fit(console: Console, est: Any, X: np.ndarray, y: np.ndarray, progress: bool) -> None:
    takes_callback = "callback" in _pyinspect.signature(est.fit).parameters
    if not progress or not takes_callback:
        with console.status("training ..."):
            est.fit(X, y)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TimeElapsedColumn,
    )

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


def run_inspect(
    console: Console,
    *,
    model: Path,
    data: str | None,
    out: Path | None,
    split: str,
    target_step: str,
    history: Path | None = None,
) -> dict[str, Any]:
    """Inspect a saved model on its data; write the report folder; returns the file map."""
    from mixedopt.inspect import inspect_targets
    from mixedopt.network import ThresholdNet

    if out is not None and out.exists() and not out.is_dir():
        same = model.exists() and out.resolve() == model.resolve()
        raise ValidationError(
            f"--out {str(out)!r} is "
            + ("the model file itself" if same else "an existing file")
            + "; --out names a folder for report.html, the PNGs and the JSON (e.g. "
            f"--out {str(out.with_suffix('')) + '_report'!r})."
        )
    net = ThresholdNet.load(model)
    meta = net.metadata.get("mixedopt_train", {})
    data = data or meta.get("data")
    if not data:
        raise ValidationError(
            f"{model} does not record its data set; pass --data (a name or a file)."
        )
    if split not in ("train", "test", "all"):
        raise ValidationError(f"--split must be train, test or all, got {split!r}.")
    test_size = float(meta.get("test_size", 0.25))
    seed = int(meta.get("seed", 0))
    X_tr, X_te, y_tr, y_te = _split(data, test_size if split != "all" else 0.0, seed)
    X, y = (X_tr, y_tr) if split in ("train", "all") else (X_te, y_te)
    if X.shape[0] == 0:
        raise ValidationError(f"the {split} split is empty (test_size {test_size}).")
    q = meta.get("input_quantizer")
    if q is not None:
        X = np.round((X - np.asarray(q["mean"])) / np.asarray(q["scale"])).astype(np.int64)
    hist: Any = net.metadata.get("history")
    if history is not None:
        from mixedopt.torch.capture import load_history

        hist = load_history(history)
    rep = inspect_targets(net, X, y, target_step=target_step, history=hist)
    rep.print(console)
    for note in rep.notes:
        console.print(f"[yellow]note:[/] {note}")
    files: dict[str, Any] = {}
    if out is not None:
        files = rep.save(out)
        console.print(f"wrote [green]{out}[/]: " + ", ".join(p.name for p in files.values()))
    return {"files": {k: str(v) for k, v in files.items()}, "accuracy": rep.accuracy}
