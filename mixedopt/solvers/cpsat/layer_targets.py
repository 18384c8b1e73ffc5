"""Per-layer target assignment as a CP-SAT model.

:func:`assign_layer_targets` is the model behind :func:`mixedopt.targets.assign_targets`
with ``backend="cpsat"`` (:meth:`CPSATBackend.assign`). Whether one ±1 column is realisable
by a unit with discrete weights is :func:`mixedopt.perceptron.integer.unit_cp`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.solvers.cpsat.model import weight_vars
from mixedopt.solvers.cpsat.solver import check_native_params, cp, plain_solver
from mixedopt.solvers.exprs import affine_rows

__all__ = ["assign_layer_targets"]


def _unit_vars(md: Any, tp: Any, name: str) -> tuple[list[Any], Any]:
    K = int(tp.weight_bound)
    lo, hi = (int(v) for v in tp.bias_bounds())
    w = weight_vars(md, tp.weights, K, (f"{name}w{i}" for i in range(tp.n_inputs)))
    return w, md.NewIntVar(lo, hi, f"{name}b")


def assign_layer_targets(
    tp: Any,
    *,
    time_limit: float | None,
    seed: int = 0,
    threads: int = 1,
    **native: Any,
) -> Any:
    """Exact per-layer target assignment as a CP-SAT model (see :mod:`mixedopt.targets`).

    Variables: the layer's weights ``W`` and biases (discrete), one Boolean target per
    (example, unit), half-reified links to ``A @ w + b`` (no products: ``A`` is data), and the
    fixed layers above either as linear constraints on the targets (one integer layer) or as
    one table constraint per example over its code and violation count (``n_units <= 12``).
    Minimises the weighted violations; ``max_flips`` bounds each example's Hamming distance
    to ``current``; ``current`` is the hint.
    """
    from mixedopt.problems.layer import RawAssignment

    if not tp.integral:
        raise ValidationError(
            "backend='cpsat' needs integer inputs and discrete weights for target assignment; "
            "use backend='scip' (real weights or inputs) or backend='greedy'."
        )
    check_native_params(native)
    cp_model = cp()
    md = cp_model.CpModel()
    n, B = tp.n_units, tp.n_samples
    A = tp.A
    Ws, bs = [], []
    for j in range(n):
        w, b = _unit_vars(md, tp, f"u{j}")
        Ws.append(w)
        bs.append(b)
    T = [[md.NewBoolVar(f"t{k}_{j}") for j in range(n)] for k in range(B)]
    Z = affine_rows(A, Ws, bs, coef=int, total=sum)
    for k in range(B):
        for j in range(n):
            z = Z[k][j]
            md.Add(z >= 0).OnlyEnforceIf(T[k][j])
            md.Add(z <= -1).OnlyEnforceIf(T[k][j].Not())
    mode = tp.downstream_mode()
    viol: list[list[Any]] = []  # per example: its violation terms
    if mode == "table":
        codes = tp.all_codes()
        cv = tp.code_violations()
        for k in range(B):
            v = md.NewIntVar(0, int(cv[k].max()), f"v{k}")
            rows = [[int(c > 0) for c in codes[ci]] + [int(cv[k, ci])] for ci in range(len(codes))]
            md.AddAllowedAssignments([*T[k], v], rows)
            viol.append([v])
    else:
        if mode != "linear":
            raise ValidationError(
                "backend='cpsat' needs integer weights in the layer above (or at most "
                f"{12} units for a code table); use backend='scip' or 'greedy'."
            )
        Wa, ba, kind = tp.linear_above()
        Wa = np.asarray(Wa).astype(np.int64)
        ba = np.asarray(ba).astype(np.int64).reshape(-1)
        for k in range(B):
            zs = [
                sum(int(Wa[i, j]) * (2 * T[k][j] - 1) for j in range(n) if Wa[i, j]) + int(ba[i])
                for i in range(Wa.shape[0])
            ]
            if kind == "argmax":
                c = md.NewBoolVar("")
                ck = int(tp.y[k])
                for i in range(len(zs)):
                    if i != ck:
                        md.Add(zs[ck] - zs[i] >= (1 if i < ck else 0)).OnlyEnforceIf(c)
                viol.append([1 - c])
            else:
                targets = [1 if tp.y[k] == 1 else -1] if kind == "sign" else list(tp.y[k])
                terms = []
                for i, t in enumerate(targets):
                    c = md.NewBoolVar("")
                    if t > 0:
                        md.Add(zs[i] >= 0).OnlyEnforceIf(c)
                    else:
                        md.Add(zs[i] <= -1).OnlyEnforceIf(c)
                    terms.append(1 - c)
                viol.append(terms)
    if tp.max_flips is not None:
        for k in range(B):
            md.Add(
                sum((1 - T[k][j]) if tp.current[k, j] > 0 else T[k][j] for j in range(n))
                <= tp.max_flips
            )
    if tp.current is not None:
        for k in range(B):
            for j in range(n):
                md.AddHint(T[k][j], bool(tp.current[k, j] > 0))
    md.Minimize(sum(int(tp.sample_weight[k]) * sum(viol[k]) for k in range(B)))
    solver = plain_solver(time_limit, seed, threads, native)
    try:
        code = solver.Solve(md)
        interrupted = False
    except KeyboardInterrupt:
        code, interrupted = cp_model.UNKNOWN, True
    name = solver.StatusName(code)
    if name == "MODEL_INVALID":
        raise SolverError(f"CP-SAT rejected the target model: {md.Validate()}")
    info = {"mode": mode, "wall_time_solver": solver.WallTime()}
    if name not in ("OPTIMAL", "FEASIBLE"):
        return RawAssignment(
            "infeasible" if name == "INFEASIBLE" else "limit",
            None,
            None,
            None,
            interrupted=interrupted,
            info=info,
        )
    Tv = np.array([[1 if solver.Value(t) else -1 for t in row] for row in T], dtype=np.int8)
    W = np.array([[solver.Value(v) for v in w] for w in Ws], dtype=np.int64)
    b = np.array([solver.Value(v) for v in bs], dtype=np.int64)
    bound = float(np.ceil(solver.BestObjectiveBound() - 1e-9))
    return RawAssignment(
        "optimal" if name == "OPTIMAL" else "limit",
        Tv,
        W,
        b,
        bound=bound,
        interrupted=interrupted,
        info=info,
    )
