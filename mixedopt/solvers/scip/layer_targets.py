"""Exact per-layer target assignment as a SCIP MIP (``assign_targets(backend="scip")``).

The model behind :func:`mixedopt.targets.assign_targets` with ``backend="scip"``: a layer's
weights and biases, one binary target per (example, unit) linked to the layer's
pre-activations, and the layers above as linear rows or a code table.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.solvers.exprs import affine_rows
from mixedopt.solvers.scip.model import weight_row
from mixedopt.solvers.scip.native import STATUS_MAP, set_params, split_native

__all__ = ["assign_layer_targets"]


def assign_layer_targets(
    tp: Any,
    *,
    time_limit: float | None,
    seed: int = 0,
    threads: int = 1,
    **native: Any,
) -> Any:
    """Exact per-layer target assignment as a MIP (see :mod:`mixedopt.targets`).

    Any weight domain. Links are per-example big-M rows when the weights are bounded, and
    indicator constraints when they are not (real weights without ``weight_bound``: scale-free
    separability). The layers above enter as linear rows (one affine layer) or, for deeper
    nets, a code table: ``v_k >= viol(code) * (1 - #differences(T_k, code))``.
    """
    import pyscipopt as scip

    from mixedopt.problems.layer import RawAssignment

    formulation, params = split_native(native)
    if formulation == "selection":
        raise ValidationError(
            "formulation='selection' selects whole-network units (train_exact); target "
            "assignment uses formulation='bigm' (default) or 'indicator'."
        )
    if formulation == "auto":
        formulation = "bigm"
    md = scip.Model("mixedopt-targets")
    md.hideOutput()
    n, B, d = tp.n_units, tp.n_samples, tp.n_inputs
    A = tp.A.astype(np.float64)
    K = tp.weight_bound
    unbounded = K is None
    if unbounded:
        formulation = "indicator"
    vt = "C" if tp.weights == "real" else "I"
    lo_b, hi_b = tp.bias_bounds() or (None, None)
    W, Wv, bvars = [], [], []
    for j in range(n):
        row, vrow = weight_row(md, tp.weights, d, f"{j}_", vt, None if unbounded else -K, K)
        W.append(row)
        Wv.append(vrow)
        bvars.append(md.addVar(f"b{j}", vtype=vt, lb=lo_b, ub=hi_b))
    eps, tol = tp.eps, tp.tol
    T = [[md.addVar(f"t{k}_{j}", vtype="B") for j in range(n)] for k in range(B)]
    Z = affine_rows(A, W, bvars, coef=float, total=scip.quicksum)
    for k in range(B):
        M = 0.0 if unbounded else float(K * np.abs(A[k]).sum() + max(abs(lo_b), abs(hi_b)))
        for j in range(n):
            z = Z[k][j]
            t = T[k][j]
            if formulation == "indicator":
                md.addConsIndicator(z >= tol, binvar=t, activeone=True)
                md.addConsIndicator(z <= -eps, binvar=t, activeone=False)
            else:
                md.addCons(z >= tol - (M + tol) * (1 - t))
                md.addCons(z <= -eps + (M + eps) * t)
    mode = tp.downstream_mode()
    viol: list[Any] = []
    if mode == "table":
        codes = tp.all_codes()
        cv = tp.code_violations()
        for k in range(B):
            v = md.addVar(f"v{k}", vtype="C", lb=0)
            for ci in np.flatnonzero(cv[k] > 0):
                diff = scip.quicksum(
                    (1 - T[k][j]) if codes[ci, j] > 0 else T[k][j] for j in range(n)
                )
                md.addCons(v >= float(cv[k, ci]) * (1 - diff))
            viol.append(v)
    else:
        Wa, ba, kind = tp.linear_above()
        Wa = np.asarray(Wa, dtype=np.float64)
        ba = np.asarray(ba, dtype=np.float64).reshape(-1)
        gap_in = 1.0 if mode == "linear" else 1e-6
        Mz = float(np.abs(Wa).sum(axis=1).max() + np.abs(ba).max()) * 2 + 2
        for k in range(B):
            zs = [
                scip.quicksum(float(Wa[i, j]) * (2 * T[k][j] - 1) for j in range(n)) + float(ba[i])
                for i in range(Wa.shape[0])
            ]
            terms = []
            if kind == "argmax":
                c = md.addVar("", vtype="B")
                ck = int(tp.y[k])
                for i in range(len(zs)):
                    if i != ck:
                        g = gap_in if i < ck else 0.0
                        md.addCons(zs[ck] - zs[i] >= g - Mz * (1 - c))
                terms.append(1 - c)
            else:
                targets = [1 if tp.y[k] == 1 else -1] if kind == "sign" else list(tp.y[k])
                for i, t in enumerate(targets):
                    c = md.addVar("", vtype="B")
                    if t > 0:
                        md.addCons(zs[i] >= -Mz * (1 - c))
                    else:
                        md.addCons(zs[i] <= -gap_in + Mz * (1 - c))
                    terms.append(1 - c)
            viol.append(scip.quicksum(terms))
    if tp.max_flips is not None:
        for k in range(B):
            md.addCons(
                scip.quicksum((1 - T[k][j]) if tp.current[k, j] > 0 else T[k][j] for j in range(n))
                <= tp.max_flips
            )
    md.setObjective(
        scip.quicksum(float(tp.sample_weight[k]) * viol[k] for k in range(B)), "minimize"
    )
    md.setParam("randomization/randomseedshift", int(seed) % 2**31)
    md.setParam("parallel/maxnthreads", int(threads))
    if time_limit is not None:
        md.setParam("limits/time", max(0.01, float(time_limit)))
    set_params(md, params)
    if tp.current is not None:
        sol = md.createPartialSol()
        for k in range(B):
            for j in range(n):
                md.setSolVal(sol, T[k][j], 1.0 if tp.current[k, j] > 0 else 0.0)
        md.addSol(sol)
    interrupted = False
    try:
        md.optimize()
    except KeyboardInterrupt:
        interrupted = True
    st = md.getStatus()
    if st not in STATUS_MAP:
        raise SolverError(f"unknown SCIP status {st!r}; please report this.")
    info = {"mode": mode, "formulation": formulation}
    if md.getNSols() == 0:
        return RawAssignment(
            "infeasible" if st == "infeasible" else "limit", None, None, None, info=info
        )
    sol = md.getBestSol()
    Tv = np.array(
        [[1 if md.getSolVal(sol, t) > 0.5 else -1 for t in row] for row in T], dtype=np.int8
    )
    Wm = np.array([[md.getSolVal(sol, v) for v in row] for row in Wv], dtype=np.float64)
    if tp.weights == "binary":
        Wm = 2 * np.round(Wm) - 1
    bv = np.array([md.getSolVal(sol, v) for v in bvars], dtype=np.float64)
    db = md.getDualbound()
    bound = None if not np.isfinite(db) else float(np.ceil(db - 1e-6))
    return RawAssignment(
        "optimal" if st == "optimal" else "limit",
        Tv,
        Wm,
        bv,
        bound=bound,
        interrupted=interrupted,
        info=info,
    )
