"""The ``mixedopt demo`` tour (what ``make demo`` runs): about half a minute on 2 cores.

1. **Exact training with a proof.** A planted integer-weight sign teacher 3-3-1 labels 200
   integer points, 5 % of the labels are flipped; ``train_exact`` finds a network with the
   fewest training errors *and proves* that no network of that shape does better.
2. **Scalable training.** FTPROP-MB (feasible target propagation) trains a sign network on
   the Pima diabetes data (vendored, offline) and reports its test accuracy.
3. **Inspection.** How well the hidden targets separate the classes.

Only the CLI calls :func:`run_demo`; it prints through the rich console it is given.
"""

from __future__ import annotations

import time
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

import mixedopt as mo
from mixedopt.cli.common import console, handle_errors

__all__ = ["demo_cmd", "run_demo"]


def run_demo(console: Console, *, seed: int = 0, time_limit: float = 30.0) -> dict[str, Any]:
    """Run the tour; return its key numbers (used by the tests)."""
    out: dict[str, Any] = {}

    console.rule("[bold]1. Exact training: minimum training errors, with a proof")
    X, y, teacher = mo.datasets.planted(m=200, d=3, h=3, noise=0.05, seed=seed)
    console.print(
        f"planted data: {X.shape[0]} integer points in [-8, 8]^3, labels from a 3-3-1 "
        f"integer-weight sign teacher, 5% flipped; the teacher itself makes "
        f"{teacher.n_errors(X, y)} errors"
    )

    last: list[Any] = [None]

    def progress(ev: mo.Progress) -> None:
        if (ev.objective, ev.bound) == last[0]:
            return
        last[0] = (ev.objective, ev.bound)
        gap = "-" if ev.gap is None else f"{ev.gap:.0%}"
        console.print(
            f"  {ev.wall_time:6.1f}s  incumbent {_fmt(ev.objective):>4}  bound "
            f"{_fmt(ev.bound):>4}  gap {gap:>5}  {ev.source}",
            highlight=False,
        )

    res = mo.train_exact(
        X, y, hidden=[3], weights="integer", weight_bound=3, objective="errors",
        time_limit=time_limit, seed=seed, incumbent_callback=progress,
    )  # fmt: skip
    table = Table(show_header=False)
    table.add_row("status", f"[bold]{res.status.value}[/]")
    table.add_row("training errors (true forward pass)", str(res.n_errors))
    table.add_row("proven lower bound", _fmt(res.bound))
    table.add_row("gap", "-" if res.gap is None else f"{res.gap:.1%}")
    table.add_row("time", f"{res.wall_time:.1f} s")
    table.add_row("method", res.method or "-")
    console.print(table)
    if res.net is not None:
        console.print(str(res.net.summary()), highlight=False, soft_wrap=True)
    out["exact"] = res

    console.rule("[bold]2. Scalable training: FTPROP-MB on Pima (sign units)")
    Xp, yp = mo.datasets.load("pima")
    X_tr, X_te, y_tr, y_te = mo.datasets.train_test_split(Xp, yp, test_size=0.25, seed=seed)
    t0 = time.perf_counter()
    clf = mo.FTPropClassifier(
        hidden=(32,), max_iter=100, early_stopping=True, random_state=seed
    ).fit(X_tr, y_tr)
    elapsed = time.perf_counter() - t0
    acc = clf.score(X_te, y_te)
    console.print(
        f"trained a {'-'.join(map(str, clf.net_.sizes))} sign network in {elapsed:.1f} s "
        f"({clf.n_iter_} epochs): train accuracy {clf.score(X_tr, y_tr):.3f}, "
        f"[bold]test accuracy {acc:.3f}[/]"
    )
    out["ftprop_test_accuracy"] = acc

    console.rule("[bold]3. Inspecting the hidden targets")
    rep = mo.inspect_targets(clf, X_te, y_te)
    layer = rep.layers[0]
    n_bad = sum(1 for s in layer.separable if s is False)
    console.print(
        f"hidden layer 1 on the test set: {layer.n_units} units; the targets that the output "
        f"layer asks for agree with the realised activations on {layer.agreement:.1%} of the "
        f"entries; {n_bad} unit(s) could not realise their targets exactly"
    )
    console.print(
        "next: `mixedopt solve --help`, `mixedopt train --help`, `mixedopt inspect --help`"
    )
    out["report"] = rep
    return out


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() else f"{x:.3g}"


@handle_errors
def demo_cmd(
    seed: int = typer.Option(0, min=0, help="Random seed."),
) -> None:
    """A short tour: exact training of a tiny net, then training on a real data set."""
    run_demo(console, seed=seed)
