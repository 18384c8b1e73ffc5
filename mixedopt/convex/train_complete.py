"""Convex-PI / Convex-SVM training: program (7) and its staircase reconstruction.

For every ``beta``, program (7) is solved on the (last) representation — in closed form for
the squared loss, by FISTA / LP otherwise — and each pattern of its staircase decomposition
is realised on the representation by a pseudo-inverse (PI) or a max-margin (SVM) unit.
Called by :func:`~mixedopt.convex.train.train_convex_path`.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex import train_convex
>>> X = np.arange(12.0).reshape(-1, 1); y = np.repeat(["a", "b", "c"], 4)
>>> res = train_convex(X, y, method="pi", beta=1e-3)   # one program (7) per class
>>> res.net.weights[-1].shape, res.n_errors, res.info["patterns_realised"]
((3, 6), 0, 1.0)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mixedopt.convex.arrangements import ThresholdLayer, unique_rows
from mixedopt.convex.certify import certified_result, certify_bound, predict_codes
from mixedopt.convex.complete import solve_complete
from mixedopt.convex.reconstruct import (
    build_network,
    network_objective,
    pattern_units,
    staircase_decomposition,
)
from mixedopt.result import SolveResult

__all__: list[str] = []


def fit_complete(
    X: np.ndarray,
    A: np.ndarray,
    Y: np.ndarray,
    betas: list[float],
    layers: list[ThresholdLayer],
    classes: np.ndarray,
    method: str,
    loss: str,
    svm_C: float | None,
    pi_threshold: float,
    tol: float,
    max_iter: int,
    time_limit: float | None,
    seed: int | None,
    common: dict[str, Any],
    t0: float,
) -> list[SolveResult]:
    first, groups, _ = unique_rows(np.ascontiguousarray(A))
    x_groups = unique_rows(X)[1]
    Au = np.asarray(A[first], dtype=np.float64)
    G, m = Au.shape
    complete = bool(G <= m + 1 and np.linalg.matrix_rank(np.hstack([Au, np.ones((G, 1))])) == G)
    Ys = [Y] if Y.ndim == 1 else [Y[:, k] for k in range(Y.shape[1])]
    out = []

    def left() -> float | None:  # of the whole training's time limit
        return None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)

    for beta in betas:
        t1 = time.perf_counter()
        sols = [
            solve_complete(
                yk,
                beta,
                loss=loss,
                groups=groups,
                tol=min(tol, 1e-9),
                max_iter=max_iter,
                time_limit=left(),
            )
            for yk in Ys
        ]
        t_solve = time.perf_counter() - t1
        unit_layers, amps, realised = [], [], []
        for s in sols:
            Pm, amp = staircase_decomposition(s.delta_groups)
            layer, ok = pattern_units(
                Au,
                Pm,
                method,
                threshold=pi_threshold,
                svm_C=svm_C,
                seed=seed,
                deadline=None if time_limit is None else t0 + time_limit,
            )
            unit_layers.append(layer)
            amps.append(amp)
            realised.append(ok)
        W = np.vstack([L.weights for L in unit_layers])
        b = np.concatenate([L.biases for L in unit_layers])
        k_tot = W.shape[0]
        if len(sols) == 1:
            Wout = amps[0]
        else:  # block output: class k reads only its own units
            Wout = np.zeros((len(sols), k_tot))
            pos = 0
            for k, a in enumerate(amps):
                Wout[k, pos : pos + a.size] = a
                pos += a.size
        meta = {
            "trainer": "convex",
            "method": method,
            "beta": beta,
            "loss": loss,
            "depth": common["depth"],
            "complete_representation": complete,
        }
        net = build_network([*layers, ThresholdLayer(W, b)], Wout, classes=classes, metadata=meta)
        obj = network_objective(net, X, Y, beta, loss=loss, penalty="l1")
        bound = certify_bound(Y, beta, loss, False, x_groups, time_limit=left())
        F = sols[0].delta if len(sols) == 1 else np.column_stack([s.delta for s in sols])
        agree = float(np.mean(net.predict_codes(X) == predict_codes(F)))
        r = np.concatenate(realised) if realised else np.zeros(0, dtype=bool)
        info = {
            **common,
            "beta": beta,
            "complete_representation": complete,
            "n_groups": int(G),
            "n_hidden": int(net.hidden_sizes[-1]),
            "convex_objective": float(sum(s.objective for s in sols)),
            "representation_bound": float(sum(s.dual_objective for s in sols)),
            "convex_gap": float(sum(s.gap for s in sols)),
            "solver": sols[0].solver,
            "solve_time": t_solve,
            "reconstruction_time": time.perf_counter() - t1 - t_solve,
            "patterns_realised": float(r.mean()) if r.size else 1.0,
            "train_agreement": agree,
        }
        out.append(certified_result(net, obj, bound, tol, t0, method, info))
    return out
