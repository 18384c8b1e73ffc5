"""Icarte's hybrid on the few-shot split: warm-start the exact engine from a quantised SSTE net.

Issue 13 asks that warm starts from any net, including a quantised SSTE net, be measured.
For each seed this script takes a validation split of the few-shot *training* images (the
same protocol as ``scripts/fewshot_validation.py``: fit on 10/class of the 400 training
images of ``few_shot_split(per_class=40, seed=s)``, validate on the other 30/class; test
digits never used) and compares, on the same split:

* ``sste``: the SSTE sign MLP 784-16-10 with real weights (as in ``bench_fewshot.py``);
* ``sste_ternary``: that net converted with ``mixedopt.torch.to_threshold_net`` (batch norm
  folded) and quantised to ternary weights: each hidden unit is rounded to the SSTE net's own
  hidden targets on the training images (``mixedopt.exact.codes`` rounding: fractions of
  positive / negative weights kept and a bias in ``{-1, 0, 1}`` that agree best with the
  targets), the output layer by keeping the weights above ``0.5 * max |w|`` of each unit;
* ``hybrid``: ``train_exact`` (``errors``, ternary, ``--time-limit`` s) warm-started from
  ``sste_ternary``;
* ``codes``: ``ExactThresholdClassifier`` with its defaults (the output-code start).

``python scripts/fewshot_hybrid.py [--seeds 0,1,2,3,4] [--time-limit 30]`` writes
``results/fewshot_hybrid.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_fewshot import train_sste  # noqa: E402

import mixedopt as mo  # noqa: E402
from mixedopt.exact.codes import round_unit  # noqa: E402
from mixedopt.files import atomic_write_text  # noqa: E402


def quantise(real, Xf):
    """Ternary net from the real-weight threshold net ``real`` (reads raw pixels)."""
    W1 = np.asarray(real.weights[0], dtype=np.float64)
    b1 = np.asarray(real.biases[0], dtype=np.float64)
    H = np.asarray(real.activations(Xf)[0])  # the SSTE net's hidden targets, ±1
    wv = np.array([-1, 0, 1])
    Wt = np.zeros(W1.shape, dtype=np.int64)
    bt = np.zeros(len(b1), dtype=np.int64)
    for j in range(W1.shape[0]):
        Wt[j], bt[j] = round_unit(W1[j], Xf.astype(np.int64), H[:, j], wv, wv)
    W2 = np.asarray(real.weights[1], dtype=np.float64)
    keep = np.abs(W2) >= 0.5 * np.abs(W2).max(axis=1, keepdims=True)
    W2t = (np.sign(W2) * keep).astype(np.int64)
    return mo.ThresholdNet(
        [Wt, W2t],
        [bt, np.zeros(W2.shape[0], dtype=np.int64)],
        "sign",
        output="argmax",
        classes=real.classes,
        weight_domain="ternary",
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--out", default=str(ROOT / "results"))
    a = ap.parse_args(argv)
    from mixedopt.torch import to_threshold_net

    X, y = mo.datasets.load("mnist5k")
    idx = np.arange(len(y))[:, None]
    runs = []
    t0 = time.perf_counter()
    for s in [int(v) for v in a.seeds.split(",")]:
        tr, _, ytr, _ = mo.datasets.few_shot_split(idx, y, per_class=40, seed=s)
        fi, vi, _, _ = mo.datasets.few_shot_split(tr, ytr, per_class=10, seed=1000 + s)
        fi, vi = fi.ravel(), vi.ravel()
        Xf, yf, Xv, yv = X[fi], y[fi], X[vi], y[vi]
        model, _ = train_sste(Xf, yf, s)
        real = to_threshold_net(model, input_scale=1 / 255.0, input_shift=0.0)
        r = {"seed": s, "sste": float((real.predict(Xv) == yv).mean())}
        tern = quantise(real, Xf)
        r["sste_ternary"] = float((tern.predict(Xv) == yv).mean())
        r["sste_ternary_train"] = float((tern.predict(Xf) == yf).mean())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mo.train_exact(
                Xf, yf, hidden=[16], weights="ternary", warm_start=tern,
                time_limit=a.time_limit, seed=s,
            )  # fmt: skip
            r["hybrid"] = float((res.net.predict(Xv) == yv).mean())
            r["hybrid_train"] = float((res.net.predict(Xf) == yf).mean())
            r["hybrid_status"] = res.status.value
            clf = mo.ExactThresholdClassifier(
                hidden=(16,), weights="ternary", time_limit=a.time_limit, random_state=s
            ).fit(Xf, yf)
        r["codes"] = float(clf.score(Xv, yv))
        runs.append(r)
        print(json.dumps(r), file=sys.stderr, flush=True)
    cols = ("sste", "sste_ternary", "hybrid", "codes")
    lines = [
        "# Icarte's hybrid: the engine warm-started from a quantised SSTE net",
        "",
        "Validation split of the few-shot training images (fit 10/class, validate on 30/class "
        "of the 400 training images of `few_shot_split(per_class=40, seed=s)`; test digits "
        f"never used), seeds {a.seeds}, engine limit {a.time_limit:g} s. Generated by "
        f"`python scripts/fewshot_hybrid.py` in {time.perf_counter() - t0:.0f} s. See the "
        "module docstring for the rows.",
        "",
        "| seed | " + " | ".join(cols) + " | hybrid status (train acc) |",
        "|---:|" + "---:|" * len(cols) + "---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['seed']} | "
            + " | ".join(f"{r[c]:.3f}" for c in cols)
            + f" | {r['hybrid_status']} ({r['hybrid_train']:.2f}) |"
        )
    lines.append(
        "| mean | " + " | ".join(f"{np.mean([r[c] for r in runs]):.3f}" for c in cols) + " | |"
    )
    lines.append("")
    out = Path(a.out)
    atomic_write_text(out / "fewshot_hybrid.json", json.dumps(runs, indent=1) + "\n")
    atomic_write_text(out / "fewshot_hybrid.md", "\n".join(lines))
    print(f"wrote {out / 'fewshot_hybrid.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
