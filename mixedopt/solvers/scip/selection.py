"""The unit-selection MIP of the SCIP backend (``formulation="selection"``).

For a binary problem with one hidden layer of ``h`` sign units, integer inputs, discrete
weights and the ``errors`` objective, the weights need not be modelled at all: a first-layer
unit matters only through the sign pattern (dichotomy) it induces on the ``m`` examples,
and the domain realises finitely many of them (:func:`~mixedopt.solvers.dichotomy.unit_class`,
closed under negation because the output unit can negate any input). The model *selects*
units instead of building them, a pure 0/1 program:

* **output functions** — every function the output layer realises is, up to negating and
  permuting its inputs, a monotone canonical function ``f``
  (:func:`~mixedopt.solvers.dichotomy.canonical_functions`: constants, ``x1``, ``x1 and x2``,
  ``x1 or x2`` for ``h = 2``); a binary ``s_f`` picks one (``sum_f s_f = 1``);
* **unit selection** — for every position ``t`` of ``f`` a binary ``x[f, t, u]`` per
  candidate dichotomy ``u`` (``sum_u x[f, t, u] = s_f``);
* **errors** — for a monotone ``f`` example ``k`` is misclassified iff the set ``C`` of
  positions whose unit is wrong on ``k`` lies in an up-closed family (one for positive, one
  for negative examples). For every inclusion-minimal ``C`` of that family one row
  ``err_k + sum_{t in C} sum_{u right on k} x[f, t, u] >= s_f`` (``err_k`` must be 1 when every
  position of ``C`` holds a unit wrong on ``k``); objective ``sum_k w_k err_k``;
* **threshold rows** — the same condition as one knapsack-like row: ``f`` is a threshold
  function ``sum_t a_t c_t >= theta`` of its inputs (positive integers), so a positive example
  is right only if ``sum_t a_t r_t >= theta`` for ``r_t`` = position ``t`` right on it, and
  ``theta err_k + sum_t a_t r_t >= theta s_f`` is valid (for a negative example ``theta``
  becomes ``sum_t a_t - theta + 1``). Added where the minimal sets are not already this row
  (e.g. majority: ``2 err_k + r_1 + r_2 + r_3 >= 2 s_f`` cuts the LP point ``r = 1/2`` that
  the three pair rows allow); halved the CPU time of ``h = 3``, ``m = 32`` on data seeds
  0-9 (``h = 2`` has no such function);
* **dominance** — since every family is up-closed, a unit whose error set (examples it gets
  wrong) contains another unit's error set is never needed: only the inclusion-minimal
  error sets are candidates. On ``m = 24, d = 4, K = 2`` this keeps 20-140 of 1,200-1,500
  dichotomies;
* symmetry between interchangeable positions is left to SCIP's own symmetry handling
  (explicit ordering rows were slower), probing and restarts are off by default
  (:data:`SCIP_DEFAULTS`: probing took most of the time on ``m = 48``);
* a start net (warm start or the engine's heuristic incumbent) is written as a selection
  and given to SCIP as a solution (:meth:`SelectionModel.hint`).

A solution is decoded into a network (:func:`~mixedopt.solvers.dichotomy.decode.decode_net`)
and verified with the true forward pass like every backend's. The model grows with the
number of minimal error sets (most dichotomies are minimal once ``m`` is in the hundreds),
so ``formulation="auto"`` (the default) uses it only within :data:`AUTO_MAX_UNITS`
first-layer units and :data:`MAX_SELECTION_VARS` selection variables, else the big-M model.

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.problems.training import TrainingProblem
>>> X, y, _ = mo.datasets.planted(m=24, d=4, h=2, noise=0.1, seed=0, weight_bound=2)
>>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=2)
>>> res = mo.solvers.get("scip").solve(p, time_limit=30, formulation="selection")
>>> res.status.value, res.objective, res.info["formulation"]
('optimal', 1, 'selection')
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.context import SolveContext
from mixedopt.solvers.dichotomy.bits import pack
from mixedopt.solvers.dichotomy.decode import decode_net
from mixedopt.solvers.dichotomy.functions import CanonicalFunction, canonical_functions
from mixedopt.solvers.dichotomy.units import unit_class

__all__ = [
    "AUTO_MAX_UNITS",
    "MAX_SELECTION_VARS",
    "SCIP_DEFAULTS",
    "SelectionModel",
    "SelectionTooLarge",
    "minimal_error_sets",
    "selection_unsupported",
]

logger = logging.getLogger(__name__)

#: ``formulation="auto"`` builds the selection model only up to this many first-layer units
#: (``(2K + 1)^(d + 1)`` for integer weights: ``d = 4`` at ``K = 3`` is 16,807, ``d = 5``
#: at ``K = 3`` 117,649); an explicit ``formulation="selection"`` enumerates up to
#: :data:`MAX_UNITS`
AUTO_MAX_UNITS = 50_000
#: the most first-layer units an explicit ``formulation="selection"`` enumerates
MAX_UNITS = 2_000_000
#: the most selection binaries (minimal error sets x positions of all output functions);
#: beyond, ``auto`` falls back to the big-M model and an explicit ``selection`` is refused
MAX_SELECTION_VARS = 60_000
#: :meth:`SelectionModel.hint` tries at most this many position maps per output function
#: (``(2 h) ** positions``: 216 for ``h = 3``, 4,096 for ``h = 4``) to write a net as a
#: selection; beyond, the start net is not given to SCIP (the solve still keeps it)
MAX_HINT_MAPS = 5_000
#: SCIP parameters of the selection model unless the caller sets them: probing took 7 s of
#: presolve at ``m = 48, h = 2`` (data seed 0) and each restart re-ran it; with both off the
#: 10 planted instances ``m = 24 / 48, h = 2`` of data seeds 0-4 took 7.1 instead of 16.0 CPU
#: seconds in total (5.5 without the position-order rows, which SCIP's own symmetry
#: handling replaces)
SCIP_DEFAULTS: dict[str, Any] = {
    "propagating/probing/maxprerounds": 0,
    "presolving/maxrestarts": 0,
}


class SelectionTooLarge(Exception):
    """The selection model would exceed :data:`MAX_SELECTION_VARS` binaries."""


def selection_unsupported(problem: TrainingProblem, max_units: int = MAX_UNITS) -> str | None:
    """Why the selection model does not apply to ``problem`` (None when it does): it needs a
    binary output, one hidden layer, integer inputs, discrete weights, the ``errors``
    objective and at most ``max_units`` first-layer units.

    >>> import mixedopt as mo
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="ternary")
    >>> selection_unsupported(p) is None
    True
    >>> selection_unsupported(TrainingProblem.from_data(X, y, hidden=[2, 2]))
    'the selection model handles exactly one hidden layer'
    """
    if not problem.is_binary:
        return "the selection model handles binary problems only"
    if len(problem.hidden) != 1:
        return "the selection model handles exactly one hidden layer"
    if not problem.integral:
        return "the selection model needs integer inputs and discrete weights"
    if problem.objective != ("errors",):
        return "the selection model minimises errors only (objective='errors')"
    n = problem.n_unit_choices(0)
    if n > max_units:
        return (
            f"the first-layer domain has {n:,} units (more than {max_units:,}); the selection "
            "model enumerates them all"
        )
    return None


def minimal_error_sets(
    wrong: np.ndarray, *, limit: int | None = None, ctx: SolveContext | None = None
) -> np.ndarray:
    """Indices of the rows of ``wrong`` that are inclusion-minimal (no other row is a proper
    subset), one per distinct row, smallest first.

    Parameters
    ----------
    wrong : ndarray of bool, shape (n, m)
        Error sets, one row per candidate unit.
    limit : int, optional
        Stop with :class:`SelectionTooLarge` once more rows than this are minimal.
    ctx : SolveContext, optional
        Its clock is checked every 256 rows.

    Examples
    --------
    >>> E = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]], dtype=bool)
    >>> minimal_error_sets(E).tolist()
    [1, 2]
    """
    n = wrong.shape[0]
    bits = pack(wrong)
    order = np.argsort(wrong.sum(axis=1), kind="stable")
    kept = np.empty_like(bits)
    keep: list[int] = []
    nk = 0
    for step, i in enumerate(order.tolist()):
        if ctx is not None and step % 256 == 0:
            ctx.check()
        b = bits[i]
        # a kept row (at most as large) inside row i: row i is not minimal (or a duplicate)
        if nk and bool(np.any(np.all((kept[:nk] & ~b) == 0, axis=1))):
            continue
        kept[nk] = b
        nk += 1
        keep.append(i)
        if limit is not None and nk > limit:
            raise SelectionTooLarge(f"more than {limit:,} of {n:,} error sets are minimal")
    return np.asarray(keep, dtype=np.int64)


def _threshold(f: CanonicalFunction) -> tuple[list[int], int] | None:
    """Positive integer weights ``a`` (at most ``f.h``) and a threshold ``theta`` with
    ``f(c) = 1`` iff ``sum_t a_t c_t >= theta``, or None (not searched above 4 inputs)."""
    if f.h == 0 or f.h > 4:
        return None
    table = np.asarray(f.table, dtype=bool)
    codes = (np.arange(1 << f.h)[:, None] >> np.arange(f.h)) & 1
    for a in itertools.product(range(1, f.h + 1), repeat=f.h):
        z = codes @ np.asarray(a)
        for theta in range(1, sum(a) + 1):
            if np.array_equal(z >= theta, table):
                return list(a), theta
    return None


def _minimal_families(flags: np.ndarray, h: int) -> list[list[int]]:
    """The inclusion-minimal sets (as position lists) of the family ``{C : flags[C]}``."""
    sets = [c for c in range(1 << h) if flags[c]]
    minimal = [c for c in sets if not any(d != c and d & c == d for d in sets)]
    return [[t for t in range(h) if c >> t & 1] for c in minimal]


class SelectionModel:
    """The unit-selection MIP of a :class:`TrainingProblem` (see the module docstring).

    Parameters
    ----------
    problem : TrainingProblem
        See :func:`selection_unsupported`.
    ctx : SolveContext, optional
        Its clock bounds the enumeration and the model building.
    max_units : int
        Largest first-layer domain enumerated.

    Raises
    ------
    ValidationError
        The problem is not covered (:func:`selection_unsupported`).
    SelectionTooLarge
        More than :data:`MAX_SELECTION_VARS` selection binaries would be needed.

    Attributes
    ----------
    model : pyscipopt.Model
    terms : dict
        ``{"errors": expression}`` (the backend's criterion expressions).
    size_info : dict
        Variables, constraints, dichotomies, minimal error sets and output functions.
    """

    formulation = "selection"

    def __init__(
        self, problem: TrainingProblem, ctx: SolveContext | None = None, max_units: int = MAX_UNITS
    ) -> None:
        reason = selection_unsupported(problem, max_units)
        if reason is not None:
            raise ValidationError(reason + ".")
        import pyscipopt as scip

        self.scip = scip
        self.p = p = problem
        self.uc = uc = unit_class(p, ctx=ctx)
        pos = p.y == 1
        wrong = uc.patterns != pos[None, :]
        self.functions: list[CanonicalFunction] = canonical_functions(p)
        positions = sum(f.h for f in self.functions)
        limit = MAX_SELECTION_VARS // max(positions, 1)
        self.cand = cand = minimal_error_sets(wrong, limit=limit, ctx=ctx)
        E = wrong[cand]
        n, m = E.shape
        w = p.sample_weight.astype(np.float64)
        self.model = md = scip.Model("mixedopt-selection")
        md.hideOutput()
        self.err = [md.addVar(f"err{k}", vtype="B") for k in range(m)]
        self.S = [md.addVar(f"s{fi}", vtype="B") for fi in range(len(self.functions))]
        md.addCons(scip.quicksum(self.S) == 1)
        right = [np.flatnonzero(~E[:, k]).tolist() for k in range(m)]
        self.X: list[list[list[Any]]] = []
        for fi, f in enumerate(self.functions):
            if ctx is not None:
                ctx.check()
            s = self.S[fi]
            Xf = [[md.addVar(f"x{fi}_{t}_{u}", vtype="B") for u in range(n)] for t in range(f.h)]
            for t in range(f.h):
                md.addCons(scip.quicksum(Xf[t]) == s)
            self.X.append(Xf)
            fam_pos = _minimal_families(f.pos_err, f.h)
            fam_neg = _minimal_families(f.neg_err, f.h)
            thr = _threshold(f)
            for k in range(m):
                fam = fam_pos if pos[k] else fam_neg
                for C in fam:
                    # err_k = 1 unless some position of C holds a unit right on k
                    rhs = scip.quicksum(Xf[t][u] for t in C for u in right[k])
                    md.addCons(self.err[k] + rhs >= s)
                if thr is not None and len(fam) > 1 and max(len(C) for C in fam) > 1:
                    a, theta = thr
                    if not pos[k]:  # right on a negative example = output -1
                        theta = sum(a) - theta + 1
                    rhs = scip.quicksum(a[t] * Xf[t][u] for t in range(f.h) for u in right[k])
                    md.addCons(theta * self.err[k] + rhs >= theta * s)
        self.terms: dict[str, Any] = {
            "errors": scip.quicksum(float(w[k]) * self.err[k] for k in range(m))
        }
        self.size_info = {
            "variables": md.getNVars(),
            "constraints": md.getNConss(),
            "dichotomies": len(uc),
            "minimal_error_sets": int(n),
            "functions": len(self.functions),
        }

    # ------------------------------------------------------------------ hints / decode
    def hint(self, net: ThresholdNet) -> None:
        """Offer ``net`` as a start solution: its output function and hidden units written as
        a selection, each unit replaced by a candidate whose error set lies inside its own
        (so the solution has at most ``net``'s errors). Skipped (logged) when more than
        :data:`MAX_HINT_MAPS` position maps would have to be tried."""
        found = self._selection_of(net)
        if found is None:
            logger.debug("selection model: start net not written as a selection (too many maps)")
            return
        self._add_solution(*found)

    def _selection_of(self, net: ThresholdNet) -> tuple[int, list[int]] | None:
        """``(function index, candidate per position)`` computing ``net``'s outputs on the
        examples, or None (too many maps to try)."""
        p = self.p
        A = p.activations(net)[0] > 0  # (m, h) hidden outputs, True = +1
        out = p.predict_codes(net) == 1
        h = A.shape[1]
        pos = p.y == 1
        E = self.uc.patterns[self.cand] != pos[None, :]
        for fi, f in enumerate(self.functions):
            if (2 * h) ** f.h > MAX_HINT_MAPS:
                return None
            table = np.asarray(f.table, dtype=bool)
            for cols in itertools.product(range(h), repeat=f.h):
                for flips in itertools.product((False, True), repeat=f.h):
                    pats = [A[:, j] ^ neg for j, neg in zip(cols, flips, strict=True)]
                    code = np.zeros(len(out), dtype=np.int64)
                    for t, q in enumerate(pats):
                        code |= q.astype(np.int64) << t
                    if not np.array_equal(table[code], out):
                        continue
                    units = []
                    for q in pats:
                        inside = np.flatnonzero(~np.any(E & (q == pos)[None, :], axis=1))
                        units.append(int(inside[0]))  # a minimal error set inside q's
                    return fi, units
        return None

    def _add_solution(self, fi: int, units: list[int]) -> None:
        md = self.model
        f = self.functions[fi]
        pos = self.p.y == 1
        pats = [self.uc.patterns[self.cand[u]] for u in units]
        code = np.zeros(len(pos), dtype=np.int64)
        for t, q in enumerate(pats):
            code |= q.astype(np.int64) << t
        wrong = np.asarray(f.table, dtype=bool)[code] != pos
        sol = md.createSol()
        for gi, s in enumerate(self.S):
            md.setSolVal(sol, s, 1.0 if gi == fi else 0.0)
        for gi, Xf in enumerate(self.X):
            for t, row in enumerate(Xf):
                for u, v in enumerate(row):
                    md.setSolVal(sol, v, 1.0 if gi == fi and units[t] == u else 0.0)
        for k, e in enumerate(self.err):
            md.setSolVal(sol, e, 1.0 if wrong[k] else 0.0)
        if not md.addSol(sol):
            logger.debug("selection model: SCIP rejected the start solution")

    def decode(self, sol: Any = None) -> ThresholdNet:
        """The net of a SCIP solution (default: the best one)."""
        md = self.model

        def val(v: Any) -> float:
            return float(md.getSolVal(sol, v)) if sol is not None else float(md.getVal(v))

        fi = int(np.argmax([val(s) for s in self.S]))
        f = self.functions[fi]
        units = [int(np.argmax([val(v) for v in row])) for row in self.X[fi]]
        net = decode_net(self.p, self.uc, self.cand, f, units)
        net.metadata["trained_by"] = "scip"
        net.metadata["backend"] = "scip"
        net.metadata["model"] = "selection"
        return net
