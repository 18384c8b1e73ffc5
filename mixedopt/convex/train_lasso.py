"""Convex-Lasso training: program (6)/(15) over sampled or enumerated patterns.

The patterns of the (last) representation are sampled (or enumerated exactly for tiny data),
the Lasso path over them is solved for every ``beta`` (one program per class, or one group
Lasso), and each solution's support becomes the convex hidden layer of a ThresholdNet. For
the squared loss, identical inputs are merged first (:func:`aggregate`), which leaves the
solutions unchanged. Called by :func:`~mixedopt.convex.train.train_convex_path`.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex import train_convex_path
>>> X = np.repeat(np.eye(3), 20, axis=0); y = np.repeat([0, 1, 1], 20)   # 3 distinct rows
>>> res = train_convex_path(X, y, [1e-3, 1e-1], n_patterns=50, seed=0)
>>> [(r.status.value, r.info["n_hidden"], r.n_errors) for r in res]
[('optimal', 2, 0), ('optimal', 2, 0)]
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from mixedopt.convex.arrangements import (
    Arrangement,
    ThresholdLayer,
    enumerate_patterns,
    sample_patterns,
    unique_rows,
)
from mixedopt.convex.certify import certified_result, certify_bound, predict_codes
from mixedopt.convex.reconstruct import lasso_network, network_objective
from mixedopt.convex.solvers import lasso_path
from mixedopt.result import SolveResult, Status

__all__: list[str] = []


logger = logging.getLogger("mixedopt.convex")

#: under a time limit, pattern sampling stops after this share of it (the solver gets the
#: rest)
SAMPLING_SHARE = 0.5


def aggregate(
    A: np.ndarray, D: Any, Y: np.ndarray, arr: Arrangement
) -> tuple[np.ndarray, np.ndarray, float, float, np.ndarray] | None:
    """Merge identical inputs for the squared loss (titanic: 1760 rows, 14 distinct).

    ``(1/2n) ||D w - y||^2 = (G/n) (1/2G) ||D~ w - y~||^2 + c`` with ``D~ = sqrt(n_g) D_g``,
    ``y~ = sqrt(n_g) mean_g(y)`` and ``c`` the within-group spread, so the Lasso with
    ``beta n / G`` on the ``G`` distinct rows has the same solutions. Returns ``(D~, Y~,
    G / n, c, c per column)`` or None when less than 10 % of the rows are duplicates.
    """
    first, groups, counts = unique_rows(np.ascontiguousarray(A))
    n, G = A.shape[0], first.size
    if G > 0.9 * n:
        return None
    Du = D[first].astype(np.float64) if isinstance(D, np.ndarray) else arr.transform(A[first])
    w = np.sqrt(counts.astype(np.float64))
    Y2 = Y.reshape(n, -1)
    means = (
        np.stack(
            [np.bincount(groups, weights=Y2[:, k], minlength=G) for k in range(Y2.shape[1])], axis=1
        )
        / counts[:, None]
    )
    spread = np.sum((Y2 - means[groups]) ** 2, axis=0) / (2 * n)
    Yt = means * w[:, None]
    return (
        np.asarray(Du, dtype=np.float64) * w[:, None],
        Yt[:, 0] if Y.ndim == 1 else Yt,
        G / n,
        float(spread.sum()),
        spread,
    )


def unscale(sol: Any, scale: float, const: float, beta: float) -> None:
    """Map a solution of the aggregated program back to the original normalisation."""
    sol.objective = scale * sol.objective + const
    sol.dual_objective = scale * sol.dual_objective + const
    sol.gap = scale * sol.gap
    sol.kkt_residual = scale * sol.kkt_residual
    sol.beta = beta
    sol.info["aggregated_rows"] = True


def fit_lasso(
    X: np.ndarray,
    A: np.ndarray,
    Y: np.ndarray,
    betas: list[float],
    layers: list[ThresholdLayer],
    classes: np.ndarray,
    loss: str,
    n_patterns: int,
    sampler: str,
    sparsity: int | None,
    include_ones: bool,
    solver: str,
    tol: float,
    max_iter: int,
    time_limit: float | None,
    rng: np.random.Generator,
    common: dict[str, Any],
    t0: float,
    multiclass: str,
) -> list[SolveResult]:
    t1 = time.perf_counter()
    if sampler == "enumerate":
        arr: Arrangement = enumerate_patterns(A, time_limit=time_limit)
    else:
        arr = sample_patterns(
            A,
            int(n_patterns),
            sampler=sampler,
            sparsity=sparsity,
            include_ones=include_ones,
            seed=rng,
            # sampling leaves half of the time limit to the solver
            deadline=None if time_limit is None else t0 + SAMPLING_SHARE * time_limit,
        )
    t_arr = time.perf_counter() - t1
    D: Any = arr.patterns if A.shape[0] * arr.n_patterns > 20_000_000 else arr.patterns.toarray()
    group = Y.ndim == 2 and loss == "squared" and multiclass == "group"
    left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    agg = aggregate(A, D, Y, arr) if loss == "squared" else None
    D_s, Y_s, betas_s = (
        (D, Y, betas) if agg is None else (agg[0], agg[1], [b / agg[2] for b in betas])
    )
    if Y.ndim == 1 or group:
        paths = [
            lasso_path(
                D_s,
                Y_s,
                betas_s,
                loss=loss,
                solver=solver,
                tol=tol,
                max_iter=max_iter,
                time_limit=left,
            )
        ]
    else:  # one program per class over the shared patterns
        paths = [
            lasso_path(
                D_s,
                Y_s[:, k],
                betas_s,
                loss=loss,
                solver=solver,
                tol=tol,
                max_iter=max_iter,
                time_limit=None if left is None else left / Y.shape[1],
            )
            for k in range(Y.shape[1])
        ]
    if agg is not None:
        for k, path in enumerate(paths):
            const = agg[3] if (Y.ndim == 1 or group) else agg[4][k]
            for sol, beta in zip(path, betas, strict=True):
                unscale(sol, agg[2], const, beta)
    Dmat = arr.patterns
    # the time limit cut the pattern sampling or stopped the solver before its gap closed
    time_hit = bool(arr.info.get("truncated")) or (
        time_limit is not None
        and time.perf_counter() - t0 >= time_limit
        and any(s.status != Status.OPTIMAL for p in paths for s in p)
    )
    if time_hit:
        logger.warning(
            "convex training: the time limit of %gs was reached (%d of %d pattern "
            "directions sampled, solver gap %s); returning the best iterate so far",
            time_limit,
            int(arr.info.get("n_sampled", n_patterns)),
            int(arr.info.get("n_requested", n_patterns)),
            "closed" if all(s.status == Status.OPTIMAL for p in paths for s in p) else "not closed",
        )
    out = []
    for i, beta in enumerate(betas):
        sols = [p[i] for p in paths]
        coef = sols[0].coef if len(sols) == 1 else np.column_stack([s.coef for s in sols])
        F = Dmat.matvec(coef)
        penalty = "group" if group else "l1"
        meta = {
            "trainer": "convex",
            "method": "lasso",
            "beta": beta,
            "loss": loss,
            "sampler": sampler,
            "depth": common["depth"],
        }
        net = lasso_network(layers, arr.layer, coef, classes=classes, metadata=meta)
        obj = network_objective(net, X, Y, beta, loss=loss, penalty=penalty)
        left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
        bound = certify_bound(Y, beta, loss, group, unique_rows(X)[1], time_limit=left)
        restricted_dual = float(sum(s.dual_objective for s in sols))
        if arr.complete and not layers:  # exact H(X): the restricted dual bounds everything
            bound = max(bound, restricted_dual)
        agree = float(np.mean(net.predict_codes(X) == predict_codes(F)))
        info = {
            **common,
            "beta": beta,
            "sampler": sampler,
            "n_patterns": arr.n_patterns,
            "n_hidden": int(net.hidden_sizes[-1]),
            "complete_patterns": bool(arr.complete),
            "restricted_objective": float(sum(s.objective for s in sols)),
            "restricted_dual": restricted_dual,
            "restricted_gap": float(sum(s.gap for s in sols)),
            "restricted_status": "optimal"
            if all(s.status == Status.OPTIMAL for s in sols)
            else "feasible",
            "kkt_residual": float(max(s.kkt_residual for s in sols)),
            "solver": sols[0].solver,
            "n_iter": int(sum(s.n_iter for s in sols)),
            "solve_time": float(sum(s.wall_time for s in sols)),
            "arrangement_time": t_arr,
            "train_agreement": agree,
        }
        if time_hit:
            info["time_limit_reached"] = True
            if arr.info.get("truncated"):
                info["n_patterns_requested"] = arr.info["n_requested"]
        out.append(
            certified_result(
                net, obj, bound, tol, t0, "lasso", info, any(s.interrupted for s in sols)
            )
        )
    return out
