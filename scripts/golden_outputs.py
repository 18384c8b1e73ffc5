"""Record (or compare) golden outputs of the public surface: behaviour checks for refactors.

Runs a fixed set of deterministic calls — exact training on every backend and engine method,
target assignment, FTPROP and convex estimators, inspection, error messages of bad input, and
the command line — and writes everything they return (nets, statuses, bounds, objectives, log
lines without their clocks, messages, CLI output) to a JSON file. Run it before and after a
refactor and compare:

    python scripts/golden_outputs.py --out /tmp/before.json
    ... refactor ...
    python scripts/golden_outputs.py --out /tmp/after.json --compare /tmp/before.json

Only what must not change is recorded: wall times and timestamps are dropped, and every solve
is either run to completion or stopped by a work limit, never by the clock.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import mixedopt as mo

_CLOCK = re.compile(
    r"wall_time=[\d.e+-]+|\btime\s+[\d.]+/|\b\d+(\.\d+)?\s?(s|ms)\b"
    r"|\b\d\d:\d\d:\d\d(\.\d+)?\b|\d+\.\d+s"
)
_BOX = re.compile(r"[─━┌┐└┘├┤┬┴┼╭╮╰╯]+")


def _clean(line: str) -> str:
    """A line without its clock readings and without table padding (widths follow them)."""
    return " ".join(_BOX.sub("", _CLOCK.sub("<t>", line)).split())


def _net(net: mo.ThresholdNet | None) -> Any:
    if net is None:
        return None
    return {
        "sizes": net.sizes,
        "weights": [np.asarray(w).tolist() for w in net.weights],
        "biases": [np.asarray(b).tolist() for b in net.biases],
        "classes": np.asarray(net.classes).tolist(),
        "activations": net.activation_names,
    }


def _result(res: Any) -> dict[str, Any]:
    return {
        "status": str(res.status),
        "objective": res.objective,
        "bound": res.bound,
        "n_errors": res.n_errors,
        "method": res.method,
        "backend": res.backend,
        "net": _net(res.net),
        "targets": [np.asarray(t).tolist() for t in res.targets],
        "log": [_clean(str(line)) for line in res.log],
    }


def _error(fn: Any) -> str:
    try:
        fn()
    except Exception as exc:  # the message is what is recorded
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def exact_cases() -> dict[str, Any]:
    out: dict[str, Any] = {}
    X, y, _ = mo.datasets.planted(m=40, d=2, h=2, noise=0.1, seed=1)
    Xx, yx = mo.datasets.load("xor")
    runs = {
        "brute": {"backend": "brute", "method": "monolithic"},
        "cpsat": {"backend": "cpsat", "method": "monolithic"},
        "auto": {"backend": "cpsat", "method": "auto"},
        "dichotomy": {"backend": "cpsat", "method": "dichotomy"},
        "table": {"backend": "cpsat", "method": "table"},
        "scip": {"backend": "scip", "method": "monolithic"},
        "maxsat": {"backend": "maxsat", "method": "monolithic"},
    }
    for name, kw in runs.items():
        if kw["backend"] not in mo.solvers.available():
            continue
        res = mo.train_exact(
            X, y, hidden=[2], weights="integer", weight_bound=1, time_limit=120, seed=0, **kw
        )
        rec = _result(res)
        if name == "maxsat":  # RC2's bound events depend on its core timing
            rec.pop("log")
        out[f"planted/{name}"] = rec
    for obj in ("weights", "margin", "errors,weights"):
        res = mo.train_exact(
            Xx, yx, hidden=[2], weights="ternary", objective=obj, backend="cpsat",
            method="monolithic", time_limit=120,
        )  # fmt: skip
        out[f"xor/{obj}"] = _result(res)
    Xd = np.array([[0.5], [0.7], [0.2]])
    res = mo.train_exact(Xd, [0, 1, 0], hidden=[1], weights="integer", weight_bound=3,
                         backend="brute", method="monolithic")  # fmt: skip
    out["decimal/brute"] = _result(res)
    Xi, yi = mo.datasets.load("iris")
    res = mo.train_exact(Xi[::10], yi[::10], hidden=[2], weights="ternary", backend="greedy",
                         time_limit=None, seed=0)  # fmt: skip
    out["iris/greedy"] = {k: v for k, v in _result(res).items() if k != "log"}
    return out


def target_cases() -> dict[str, Any]:
    out: dict[str, Any] = {}
    X, y = mo.datasets.load("xor")
    above = mo.ThresholdNet([np.array([[1, 1]])], [np.array([1])])
    for backend in ("brute", "cpsat", "scip", "greedy"):
        if backend not in mo.solvers.available():
            continue
        ta = mo.assign_targets(X, above, y, weights="integer", backend=backend, time_limit=60)
        out[backend] = {
            "status": str(ta.status),
            "n_violated": ta.n_violated,
            "bound": ta.bound,
            "targets": np.asarray(ta.targets).tolist(),
        }
    return out


def estimator_cases() -> dict[str, Any]:
    out: dict[str, Any] = {}
    X, y = mo.datasets.load("pima")
    Xtr, Xte, ytr, yte = mo.datasets.train_test_split(X, y, seed=0)
    clf = mo.FTPropClassifier(hidden=(16,), max_iter=3, random_state=0).fit(Xtr, ytr)
    out["ftprop"] = {"score": clf.score(Xte, yte), "net": _net(clf.net_)}
    cv = mo.ConvexThresholdClassifier(method="lasso", n_patterns=50, random_state=0)
    cv.fit(Xtr[:200], ytr[:200])
    out["convex"] = {"score": cv.score(Xte, yte), "net": _net(cv.net_)}
    Xp, yp, _ = mo.datasets.planted(m=30, d=2, h=2, seed=0)
    ex = mo.ExactThresholdClassifier(
        hidden=(2,), method="monolithic", time_limit=60, random_state=0
    ).fit(Xp, yp)
    out["exact"] = {"score": ex.score(Xp, yp), "net": _net(ex.net_)}
    rep = mo.inspect_targets(ex.net_, Xp, yp)
    out["inspect"] = json.loads(json.dumps(rep.to_dict(), default=str))
    return out


def error_cases() -> dict[str, str]:
    X, y = mo.datasets.load("xor")
    cases = {
        "nan X": lambda: mo.train_exact(np.array([[np.nan, 0]] * 4), y, hidden=[1]),
        "one class": lambda: mo.train_exact(X, [1, 1, 1, 1], hidden=[1]),
        "bad backend": lambda: mo.train_exact(X, y, backend="nope"),
        "bad method": lambda: mo.train_exact(X, y, method="nope"),
        "bad domain": lambda: mo.train_exact(X, y, weights="quaternary"),
        "bad objective": lambda: mo.train_exact(X, y, objective="speed"),
        "bad hidden": lambda: mo.train_exact(X, y, hidden=[0]),
        "bad time": lambda: mo.train_exact(X, y, time_limit=-1),
        "table not cpsat": lambda: mo.train_exact(X, y, backend="scip", method="table"),
        "maxsat margin": lambda: mo.train_exact(X, y, backend="maxsat", objective="margin"),
        "cpsat real": lambda: mo.train_exact(X, y, backend="cpsat", weights="real"),
        "fit_unit method": lambda: mo.fit_unit(X, [1, -1, 1, -1], method="nope"),
        "fit_unit targets": lambda: mo.fit_unit(X, [1, 2, 1, 2]),
        "net shapes": lambda: mo.ThresholdNet([np.ones((2, 3)), np.ones((1, 4))]),
        "net activation": lambda: mo.ThresholdNet(
            [np.ones((2, 2)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)], "tanh"
        ),
        "dataset": lambda: mo.datasets.load("no-such-set"),
        "assign bad domain": lambda: mo.assign_targets(
            X, mo.ThresholdNet([np.ones((1, 2))]), y, weights="quaternary"
        ),
        "estimator param": lambda: mo.FTPropClassifier(target_step="nope").fit(X, y),
        "convex method": lambda: mo.ConvexThresholdClassifier(method="nope").fit(X, y),
        "solvers.get": lambda: mo.solvers.get("nope"),
    }
    return {k: _error(f) for k, f in cases.items()}


def cli_cases() -> dict[str, Any]:
    out: dict[str, Any] = {}
    cmd = [sys.executable, "-c", "from mixedopt.cli import main; main()"]
    with tempfile.TemporaryDirectory() as tmp:
        calls = {
            "help": ["--help"],
            "datasets": ["datasets"],
            "datasets pima": ["datasets", "pima"],
            "solve help": ["solve", "--help"],
            "train help": ["train", "--help"],
            "inspect help": ["inspect", "--help"],
            "bench": ["bench"],
            "solve": [
                "solve", "--data", "planted:m=40,d=2,h=2,noise=0.1,seed=1", "--hidden", "2",
                "--weights", "integer", "--bound", "1", "--time-limit", "120", "--out",
                f"{tmp}/net.npz",
            ],
            "solve bad": ["solve", "--data", "xor", "--hidden", "abc"],
            "train bad": ["train", "--algo", "nope", "--data", "xor"],
            "inspect": ["inspect", f"{tmp}/net.npz", "--data",
                        "planted:m=40,d=2,h=2,noise=0.1,seed=1", "--format", "json"],
        }  # fmt: skip
        for name, args in calls.items():
            proc = subprocess.run(
                cmd + args, capture_output=True, text=True, timeout=600, cwd=tmp, check=False
            )
            text = (proc.stdout + proc.stderr).replace(tmp, "<tmp>")
            out[name] = {"rc": proc.returncode, "output": [_clean(x) for x in text.splitlines()]}
    return out


SECTIONS = {
    "exact": exact_cases,
    "targets": target_cases,
    "estimators": estimator_cases,
    "errors": error_cases,
    "cli": cli_cases,
}


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'after' if k not in b else 'before'}")
            else:
                _diff(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, z) in enumerate(zip(a, b, strict=True)):
            _diff(x, z, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path}: {str(b)[:200]!r} -> {str(a)[:200]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--compare", help="a JSON file written earlier: report every difference")
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset")
    args = ap.parse_args()
    data: dict[str, Any] = {}
    for name in args.sections.split(","):
        print(f"recording {name} ...", flush=True)
        data[name] = SECTIONS[name]()
    Path(args.out).write_text(json.dumps(data, indent=1, sort_keys=True, default=str))
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        before = {k: v for k, v in before.items() if k in data}
        diffs: list[str] = []
        _diff(json.loads(json.dumps(data, default=str)), before, "", diffs)
        for d in diffs:
            print("DIFF", d)
        print(f"{len(diffs)} difference(s)")
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
