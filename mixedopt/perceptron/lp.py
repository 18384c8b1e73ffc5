"""Method ``"lp"``: the exact separability test, with a conflict set when it fails.

Separable → a hyperplane with functional margin ``t_k (w·a_k + b) >= 1`` for every example,
verified exactly. Not separable → ``separable=False``, an irreducible conflict set (at most
``n + 2`` examples) and, as a best effort, the soft-margin fit
(:mod:`mixedopt.perceptron.soft_margin`). See :mod:`mixedopt.perceptron.separability` for the
algorithm.
"""

from __future__ import annotations

import logging

import numpy as np

from mixedopt.perceptron.conflict import reduce_conflict
from mixedopt.perceptron.data import Data
from mixedopt.perceptron.options import Opts
from mixedopt.perceptron.result import UnitFit, finish
from mixedopt.perceptron.separability import (
    Sep,
    highs_separate,
    separate,
    separator_fit,
)
from mixedopt.perceptron.soft_margin import soft_fit

logger = logging.getLogger(__name__)


def not_separable(
    data: Data,
    t: np.ndarray,
    c: np.ndarray,
    opts: Opts,
    t0: float,
    sep: Sep,
    *,
    method: str,
    count_soft_iters: bool,
) -> UnitFit:
    """The outcome of a Farkas certificate ``sep``: an irreducible conflict set (when
    ``opts.conflict``) and the soft-margin fit as ``w``, ``b``."""
    assert sep.rows is not None and sep.u is not None
    conflict = None
    if opts.conflict:
        conflict = reduce_conflict(data.A1, t.astype(np.float64), sep.rows, sep.u, opts.deadline)
    w, b, obj, it = soft_fit(data, t, c, opts)
    return finish(
        data,
        t,
        w,
        b,
        method=method,
        status="infeasible",
        separable=False,
        conflict=conflict,
        objective=obj,
        n_iter=sep.rounds + (it if count_soft_iters else 0),
        t0=t0,
    )


def fit_lp(
    data: Data,
    t: np.ndarray,
    c: np.ndarray,
    opts: Opts,
    t0: float,
    v0: np.ndarray | None = None,
) -> UnitFit:
    tf = t.astype(np.float64)
    sep = separate(data.A1, tf, deadline=opts.deadline, v0=v0)
    if sep.status == "separable" and sep.v is not None:
        wb = separator_fit(data, t, sep.v)
        if wb is None:  # rounding after the change of coordinates: try the full LP
            logger.debug("separator lost exactness in original coordinates; retrying with HiGHS")
            sep2 = highs_separate(data.A1, tf, opts.deadline)
            wb = separator_fit(data, t, sep2.v) if sep2.v is not None else None
        if wb is not None:
            return finish(
                data,
                t,
                wb[0],
                wb[1],
                method="lp",
                status="optimal",
                separable=True,
                n_iter=sep.rounds,
                t0=t0,
            )
        w, b = data.from_std(sep.v)
        logger.warning("lp: separator found but not verified exactly; returning it unproved")
        return finish(
            data, t, w, b, method="lp", status="feasible", separable=None, n_iter=sep.rounds, t0=t0
        )
    if sep.status == "infeasible" and sep.rows is not None and sep.u is not None:
        return not_separable(data, t, c, opts, t0, sep, method="lp", count_soft_iters=False)
    # time limit or undecided: best effort least squares in original coordinates
    v = v0 if v0 is not None else data.ls(tf)
    w, b = data.from_std(v)
    status = "time_limit" if sep.status == "time_limit" else "feasible"
    if sep.status == "unknown":
        logger.warning("lp: separability could not be decided numerically")
    return finish(
        data, t, w, b, method="lp", status=status, separable=None, n_iter=sep.rounds, t0=t0
    )
