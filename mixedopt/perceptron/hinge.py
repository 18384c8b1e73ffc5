"""Method ``"hinge"``: the LP ``min ||w||₁ + C Σ_k c_k max(0, 1 - t_k (w·a_k + b))``.

``c_k`` are the sample weights; the bias is not penalised. The LP's dual has one column per
example with box ``[0, C c_k]``; HiGHS solves it by column generation, adding the examples
with margin < 1 until none is left (exact).
"""

from __future__ import annotations

import numpy as np

from mixedopt.errors import SolverError
from mixedopt.perceptron.data import Data, WorkingSet
from mixedopt.perceptron.highs import quiet_highs
from mixedopt.perceptron.options import Opts, remaining
from mixedopt.perceptron.result import UnitFit, finish, separable_if_clean


def fit_hinge(data: Data, t: np.ndarray, c: np.ndarray, opts: Opts, t0: float) -> UnitFit:
    """Cutting-plane solve of the hinge LP through its dual (columns = examples)."""
    import highspy

    tf = t.astype(np.float64)
    X = data.G1
    d = X.shape[1]
    n = d - 1
    Cs = opts.C * data.scale  # objective scaled by s: ||w'||₁ + C s Σ c_k s_k
    live = np.flatnonzero(c > 0)
    try:
        v0 = np.linalg.lstsq(X[live], tf[live], rcond=None)[0]
    except np.linalg.LinAlgError:  # pragma: no cover
        v0 = np.zeros(d)
    z = (X @ v0) * tf
    z[c <= 0] = np.inf
    ws = WorkingSet(z, 4 * d, pool=live)
    h = quiet_highs()
    h.addRows(
        d,
        np.r_[np.full(n, -1.0), 0.0],
        np.r_[np.full(n, 1.0), 0.0],
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0),
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def add_cols(idx: np.ndarray) -> None:
        k = idx.size
        vals = X[idx] * tf[idx, None]
        h.addCols(
            k,
            np.ones(k),
            np.zeros(k),
            Cs * c[idx],
            k * d,
            np.arange(0, k * d, d, dtype=np.int32),
            np.tile(np.arange(d, dtype=np.int32), k),
            np.ascontiguousarray(vals).ravel(),
        )

    add_cols(ws.rows)
    rounds = 0
    status = "optimal"
    v = v0
    while True:
        rem = remaining(opts.deadline)
        if rem is not None:
            if rem <= 0:
                status = "time_limit"
                break
            h.setOptionValue("time_limit", rem)
        rounds += 1
        h.run()
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kTimeLimit:
            status = "time_limit"
            break
        if st != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"HiGHS failed on the hinge LP: {h.modelStatusToString(st)}")
        v = np.asarray(h.getSolution().row_dual, dtype=np.float64)
        z = (X @ v) * tf
        cand = ws.outside((z < 1.0 - 1e-9) & (c > 0))
        if cand.size == 0:
            break
        add_cols(ws.add(z, cand, max(4 * d, ws.size)))

    def objective(vv: np.ndarray) -> tuple[float, np.ndarray, float]:
        ww, bb = data.from_global(vv)
        hinge = np.maximum(0.0, 1.0 - (data.Af @ ww + bb) * tf)
        return float(np.sum(np.abs(ww))) + opts.C * float(c @ hinge), ww, bb

    obj, w, b = objective(v)
    if status == "time_limit":  # the restricted LP's solution can be poor on all examples
        alt = objective(v0)
        if alt[0] < obj:
            obj, w, b = alt
    fit = finish(
        data,
        t,
        w,
        b,
        method="hinge",
        status=status,
        separable=None,
        objective=obj,
        n_iter=rounds,
        t0=t0,
    )
    return separable_if_clean(fit)
