"""Exhaustive oracle for tiny networks (``backend="brute"``).

The search is exact and simple enough to trust as a test oracle:

1. For each layer, every unit's **class** on the current inputs is enumerated: discrete
   domains enumerate every ``(w, b)`` in the box; ``real`` weights enumerate every ±1
   labelling of the distinct input rows and keep those an LP (HiGHS) realises with
   ``|w|, |b| <= K``, active ``z >= 0`` and inactive ``z <= -eps``. Parameters are grouped by
   the column they realise, keeping per column the best secondary criteria (fewest nonzeros,
   largest unit margin) — these decompose over units once columns are fixed.
2. A hidden layer picks its columns as a multiset (combinations with replacement: the next
   layer's domain is symmetric under permuting its inputs), and the search recurses.
3. The output layer is enumerated in full and scored by the problem's lexicographic key.

Non-integral data follow the models' margin semantics: a discrete parameter vector with some
``-eps < z < 0`` realises no column. Instances above a work cap raise
:class:`~mixedopt.errors.ValidationError` (native options ``max_work`` and ``max_combos``
move the cap). A time limit stops the search with the best net so far (status FEASIBLE).

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> res = mo.solvers.get("brute").solve_data(X, y, hidden=[2], weights="ternary")
>>> res.status.value, res.objective
('optimal', 0)
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.layer import RawAssignment, TargetProblem
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext, check_option_names

__all__ = ["BruteBackend"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_WORK = 3e8
DEFAULT_MAX_COMBOS = 300_000
MAX_REAL_ROWS = 10


def _grid(wvals: np.ndarray, bvals: np.ndarray, n_in: int) -> np.ndarray:
    """Every parameter vector ``(w_1..w_n, b)``, shape ``(P, n_in + 1)``."""
    axes = [wvals] * n_in + [bvals]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1).astype(np.int64)


@dataclass
class _UnitClass:
    """Realisable columns of one unit on fixed inputs, with the best parameters of each."""

    active: np.ndarray  # (n_cols, m) bool
    params: np.ndarray  # (n_cols, n_in + 1)
    nz: np.ndarray  # (n_cols,)
    margin: np.ndarray  # (n_cols,)


def _secondary_key(objective: tuple[str, ...], nz: np.ndarray, margin: np.ndarray) -> list:
    """np.lexsort keys (last = primary) ranking parameters by the non-error criteria."""
    keys: list[np.ndarray] = []
    for c in objective:
        if c == "weights":
            keys.append(nz)
        elif c == "margin":
            keys.append(-margin)
    keys.append(nz)  # tie-break: sparser nets
    return keys


def _unit_margin(z: np.ndarray, eps: float, mask: np.ndarray | None = None) -> np.ndarray:
    """Per column of ``z`` (m, P): min over rows of s(z) (rows restricted by ``mask``)."""
    s = np.where(z >= 0, z, -eps - z).astype(np.float64)
    if mask is not None:
        s = np.where(mask, s, np.inf)
    if s.shape[0] == 0:
        return np.zeros(s.shape[1])
    out = s.min(axis=0)
    return np.where(np.isfinite(out), out, 0.0)


def _group_best(
    active: np.ndarray, params: np.ndarray, nz: np.ndarray, margin: np.ndarray, objective: tuple
) -> _UnitClass:
    """Group parameter vectors by realised column (``active``: (P, m)); keep the best each."""
    if active.shape[0] == 0:
        m = active.shape[1]
        return _UnitClass(
            np.zeros((0, m), bool), np.zeros((0, params.shape[1]), np.int64), nz[:0], margin[:0]
        )
    packed = np.packbits(active, axis=1)
    keys = _secondary_key(objective, nz, margin)
    # order: by column, then by secondary key
    void = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1])))[:, 0]
    _, inv = np.unique(void, return_inverse=True)
    order = np.lexsort([*keys, inv])
    inv_sorted = inv[order]
    first = order[np.r_[True, inv_sorted[1:] != inv_sorted[:-1]]]
    return _UnitClass(active[first], params[first], nz[first], margin[first])


class _Search:
    def __init__(self, problem: TrainingProblem, ctx: SolveContext, native: Mapping[str, Any]):
        self.p = problem
        self.ctx = ctx
        self.real = problem.weights == "real"
        self.sizes = problem.sizes
        self.L = len(self.sizes) - 1
        self.objective = problem.objective
        self.need_margin = "margin" in problem.objective
        self.max_work = float(native.get("max_work", DEFAULT_MAX_WORK))
        self.max_combos = float(native.get("max_combos", DEFAULT_MAX_COMBOS))
        self.best_key: tuple | None = None
        self.best_params: list[np.ndarray] | None = None
        self.complete = True
        self.grids = []
        for layer in range(self.L):
            if self.real:
                self.grids.append(None)
            else:
                wv, bv = problem.domain_values(layer)
                self.grids.append(_grid(wv, bv, self.sizes[layer]))

    # ------------------------------------------------------------------ size check
    def check_size(self) -> None:
        m = self.p.n_samples
        work = 0.0
        combos = 1.0
        for layer in range(self.L):
            n_in = self.sizes[layer]
            if self.real:
                rows = m if layer == 0 else min(m, 2**n_in)
                if rows > MAX_REAL_ROWS:
                    raise ValidationError(
                        f"brute force with real weights enumerates 2^rows labellings per unit; "
                        f"layer {layer} has up to {rows} distinct input rows (cap "
                        f"{MAX_REAL_ROWS}). Use fewer examples or backend='scip'."
                    )
                P = 2.0**rows
                n_cols = P
                cost = P * 50 * rows  # one small LP per labelling
            else:
                P = float(len(self.grids[layer]))
                n_cols = min(P, 2.0**m)
                cost = P * m
            if layer == self.L - 1:
                if not self.p.is_binary:
                    cost = (P ** self.sizes[-1]) * m
                work += combos * cost
            else:
                work += combos * cost
                n = self.sizes[layer + 1]
                combos *= math.comb(int(min(n_cols, 1e6)) + n - 1, n)
                if combos > self.max_combos:
                    raise ValidationError(
                        f"instance too large for brute force: about {combos:.3g} hidden column "
                        f"choices up to layer {layer} (cap {self.max_combos:.3g}); use fewer "
                        "examples/units, a smaller weight_bound, or an exact backend "
                        "like 'cpsat'."
                    )
        if work > self.max_work:
            raise ValidationError(
                f"instance too large for brute force: about {work:.3g} operations (cap "
                f"{self.max_work:.3g}); use fewer examples/units, a smaller weight_bound, or an "
                "exact backend like 'cpsat'."
            )

    # ------------------------------------------------------------------ unit classes
    def unit_class(self, A: np.ndarray, layer: int) -> _UnitClass:
        if self.real:
            return self._real_class(A, layer)
        G = self.grids[layer]
        eps, tol = self.p.eps(layer), self.p.active_tol(layer)
        Z = self._z(A, layer)  # (m, P)
        if self.p.layer_integral(layer):
            ok = np.ones(G.shape[0], bool)
        else:
            ok = ~np.any((Z < tol) & (Z > -eps), axis=0)
        Z, G = Z[:, ok], G[ok]
        nz = np.count_nonzero(G, axis=1)
        margin = _unit_margin(Z, eps) if self.need_margin else np.zeros(G.shape[0])
        return _group_best((Z >= 0).T, G, nz, margin, self.objective)

    def _z(self, A: np.ndarray, layer: int) -> np.ndarray:
        """Pre-activations (m, P) of every grid unit of ``layer`` on inputs ``A`` (in the
        problem's units: the first layer's bias times :meth:`TrainingProblem.bias_scale`)."""
        G = self.grids[layer]
        return A @ G[:, :-1].T + G[:, -1] * self.p.bias_scale(layer)

    def _real_class(self, A: np.ndarray, layer: int, y: np.ndarray | None = None) -> _UnitClass:
        """Real-weight unit class: every labelling of the distinct rows of ``A`` that an LP
        realises. For the output unit (``y`` given) the margin counts correct rows only."""
        from mixedopt.perceptron.box_lp import best_unit_params

        rows, inv = np.unique(A, axis=0, return_inverse=True)
        inv = inv.ravel()
        K = float(self.p.weight_bound)
        actives, params, nzs, margins = [], [], [], []
        for bits in itertools.product([False, True], repeat=rows.shape[0]):
            col = np.array(bits)
            full = col[inv]
            mrows = None
            if y is not None:
                ok = full == y
                mrows = np.zeros(rows.shape[0], bool)
                mrows[inv[ok]] = True
            fit = best_unit_params(
                rows,
                col,
                K=K,
                eps=self.p.eps(layer),
                tol=self.p.active_tol(layer),
                objective=self.objective,
                margin_rows=mrows,
            )
            if fit is None:
                continue
            w, nz, margin = fit
            actives.append(full)
            params.append(w)
            nzs.append(nz)
            margins.append(margin)
        n_in = A.shape[1]
        return _UnitClass(
            np.array(actives, bool).reshape(-1, A.shape[0]),
            np.array(params, np.float64).reshape(-1, n_in + 1),
            np.array(nzs, np.int64),
            np.array(margins, np.float64),
        )

    # ------------------------------------------------------------------ search
    def run(self) -> None:
        X = self.p.X
        self._descend(0, X, [], 0, 0.0)

    def _descend(self, layer: int, A: np.ndarray, chosen: list, nz: int, margin: float) -> None:
        if self.ctx.stop_requested:
            self.complete = False
            return
        if layer == self.L - 1:
            self._output(A, chosen, nz, margin)
            return
        uc = self.unit_class(A, layer)
        n = self.sizes[layer + 1]
        for combo in itertools.combinations_with_replacement(range(uc.active.shape[0]), n):
            if self.ctx.stop_requested:
                self.complete = False
                return
            idx = list(combo)
            H = np.where(uc.active[idx].T, 1, -1).astype(np.int64)
            self._descend(
                layer + 1,
                H,
                [*chosen, uc.params[idx]],
                nz + int(uc.nz[idx].sum()),
                margin + float(uc.margin[idx].sum()),
            )

    def _key(self, errors: Any, nz: Any, margin: Any) -> list:
        keys = [np.asarray(errors, np.float64)]
        for c in self.objective:
            if c == "weights":
                keys.append(np.asarray(nz, np.float64))
            elif c == "margin":
                keys.append(-np.asarray(margin, np.float64))
        return keys

    def _output(self, A: np.ndarray, chosen: list, nz_h: int, margin_h: float) -> None:
        p = self.p
        if p.is_binary:
            uc = self._output_binary(A)
            if uc is None:
                return
            errors, params, nz, margin = uc
        else:
            errors, params, nz, margin = self._output_multiclass(A)
        keys = self._key(errors, nz + nz_h, margin + margin_h)
        if keys[0].size == 0:
            return
        order = np.lexsort(keys[::-1])
        i = int(order[0])
        key = tuple(float(k[i]) for k in keys)
        if self.best_key is None or key < self.best_key:
            self.best_key = key
            self.best_params = [*chosen, params[i]]
            net = self.make_net(self.best_params)
            self.ctx.incumbent(net, source="brute")

    def _output_binary(self, A: np.ndarray):
        p = self.p
        y = p.y == 1
        sw = p.sample_weight
        if self.real:
            uc = self._real_class(A, self.L - 1, y=y)
            if uc.active.shape[0] == 0:
                return None
            wrong = uc.active != y[None, :]
            errors = (wrong * sw[None, :]).sum(axis=1)
            return errors, uc.params, uc.nz, uc.margin
        G = self.grids[-1]
        Z = self._z(A, self.L - 1)
        act = Z >= 0
        wrong = act != y[:, None]
        eps, tol = p.eps(self.L - 1), p.active_tol(self.L - 1)
        if not p.layer_integral(self.L - 1):
            # inside the band (-eps, tol) an example counts as an error in the model
            wrong = wrong | ((Z < tol) & (Z > -eps))
        errors = (wrong * sw[:, None]).sum(axis=0)
        nz = np.count_nonzero(G, axis=1)
        if self.need_margin:
            s = np.where(y[:, None], Z, -eps - Z).astype(np.float64)
            s = np.where(wrong, np.inf, s)
            margin = s.min(axis=0) if s.shape[0] else np.zeros(G.shape[0])
            margin = np.where(np.isfinite(margin), margin, 0.0)
        else:
            margin = np.zeros(G.shape[0])
        return errors, G, nz, margin

    def _output_multiclass(self, A: np.ndarray):
        p = self.p
        G = self.grids[-1]
        C = p.n_classes
        Z1 = self._z(A, self.L - 1)  # (m, P) one unit
        P = G.shape[0]
        m = A.shape[0]
        k = np.arange(m)
        combos = np.array(list(itertools.product(range(P), repeat=C)), dtype=np.int64)
        errors = np.empty(len(combos))
        margin = np.zeros(len(combos))
        nzp = np.count_nonzero(G, axis=1)
        nz = nzp[combos].sum(axis=1)
        chunk = 4096
        for s in range(0, len(combos), chunk):
            cb = combos[s : s + chunk]  # (B, C)
            Z = Z1[:, cb]  # (m, B, C)
            pred = np.argmax(Z, axis=2)  # ties -> lowest index
            wrong = pred != p.y[:, None]
            errors[s : s + chunk] = (wrong * p.sample_weight[:, None]).sum(axis=0)
            if self.need_margin:
                zc = Z[k, :, p.y]  # (m, B)
                lower = (np.arange(C)[None, :] < p.y[:, None]).astype(np.float64)  # (m, C)
                diff = zc[:, :, None] - Z - p.eps(self.L - 1) * lower[:, None, :]
                diff[k, :, p.y] = np.inf
                sm = diff.min(axis=2)
                sm = np.where(wrong, np.inf, sm)
                mm = sm.min(axis=0)
                margin[s : s + chunk] = np.where(np.isfinite(mm), mm, 0.0)
        params = G[combos]  # (N, C, n_in+1)
        return errors, params, nz, margin

    def make_net(self, params: list[np.ndarray]) -> ThresholdNet:
        Ws, bs = [], []
        for layer, P in enumerate(params):
            P = np.asarray(P)
            if layer == self.L - 1 and self.p.is_binary:
                P = P.reshape(1, -1)
            if not self.real:
                P = P.astype(np.int64)
            Ws.append(P[:, :-1])
            bs.append(P[:, -1])
        return self.p.make_net(Ws, bs, metadata={"backend": "brute"})


class BruteBackend(Backend):
    """Exhaustive search (see the module docstring). Proves optimality when it completes."""

    name = "brute"
    description = "exhaustive oracle for tiny nets"
    packages = ()
    extra = None
    scaled_inputs = True
    auto_heuristic = False  # exhaustive: a hint from the local search does not help
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {
        "complete": Status.OPTIMAL,
        "stopped": LIMIT,
        "infeasible": Status.INFEASIBLE,
    }

    def unsupported_reason(self, problem: TrainingProblem) -> str | None:
        reason = super().unsupported_reason(problem)
        if reason is None and problem.weights == "real" and not problem.is_binary:
            reason = "backend 'brute' handles real weights for binary problems only"
        return reason

    def check_native(self, native: Mapping[str, Any]) -> None:
        check_option_names(native, ("max_work", "max_combos"), backend="brute")

    def assign(
        self,
        problem: TargetProblem,
        *,
        time_limit: float | None,
        seed: int = 0,
        threads: int = 1,
        initial_layer: tuple[Any, Any] | None = None,
        **native: Any,
    ) -> RawAssignment:
        """Exhaustive target assignment (:func:`assign_layer_targets`; native option
        ``max_combos``)."""
        return assign_layer_targets(problem, time_limit=time_limit, **native)

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        search = _Search(problem, ctx, ctx.options.native)
        search.check_size()
        search.run()
        complete = search.complete and not ctx.stop_requested
        if ctx.options.first_solution and ctx.first_solution_found:
            complete = False
        if search.best_params is None:
            return RawResult("infeasible" if complete else "stopped")
        net = search.make_net(search.best_params)
        feasible = problem.is_feasible(net)
        if complete and not feasible:
            return RawResult("infeasible")
        obj = problem.objective_value(net)
        return RawResult(
            "complete" if complete else "stopped",
            net=net,
            objective=obj,
            bound=obj if complete else None,
            optimal_all=complete,
        )


# --------------------------------------------------------------------------- targets
def _target_columns(tp: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every realisable column of one unit on ``tp.A`` with a realising parameter vector."""
    A = tp.A
    if tp.weights == "real":
        from mixedopt.perceptron.box_lp import unit_lp

        rows, inv = np.unique(A, axis=0, return_inverse=True)
        inv = inv.ravel()
        if rows.shape[0] > MAX_REAL_ROWS:
            raise ValidationError(
                f"brute force with real weights enumerates 2^rows labellings; the batch has "
                f"{rows.shape[0]} distinct rows (cap {MAX_REAL_ROWS})."
            )
        cols, params = [], []
        for bits in itertools.product([False, True], repeat=rows.shape[0]):
            v = unit_lp(rows, np.array(bits), K=tp.weight_bound, eps=tp.eps, tol=tp.tol)
            if v is not None:
                cols.append(np.array(bits)[inv])
                params.append(v)
        return np.array(cols, bool).reshape(-1, A.shape[0]), np.array(params).reshape(
            -1, A.shape[1] + 1
        )
    K = int(tp.weight_bound)
    lo, hi = (int(v) for v in tp.bias_bounds())
    wv = np.array([-1, 1]) if tp.weights == "binary" else np.arange(-K, K + 1)
    G = _grid(wv, np.arange(lo, hi + 1), A.shape[1])
    if float(G.shape[0]) * A.shape[0] > DEFAULT_MAX_WORK:
        raise ValidationError("instance too large for brute-force target assignment.")
    Z = A @ G[:, :-1].T + G[:, -1]
    if not tp.integral:
        ok = ~np.any((Z > -tp.eps) & (Z < tp.tol), axis=0)
        Z, G = Z[:, ok], G[ok]
    uc = _group_best((Z >= 0).T, G, np.count_nonzero(G, axis=1), np.zeros(G.shape[0]), ())
    return uc.active, uc.params


def assign_layer_targets(
    tp: Any, *, time_limit: float | None, max_combos: float = DEFAULT_MAX_COMBOS
) -> Any:
    """Exhaustive per-layer target assignment (oracle for tiny batches): every product of
    realisable unit columns, filtered by ``max_flips``, scored by the true violations."""
    start = time.perf_counter()
    cols, params = _target_columns(tp)
    n = tp.n_units
    if float(cols.shape[0]) ** n > max_combos:
        raise ValidationError(
            f"brute-force target assignment would try {cols.shape[0]}^{n} column choices "
            f"(cap {max_combos:.3g}); use backend='cpsat' or 'scip'."
        )
    best = None
    complete = True
    for combo in itertools.product(range(cols.shape[0]), repeat=n):
        if time_limit is not None and time.perf_counter() - start > time_limit:
            complete = False
            break
        idx = list(combo)
        T = np.where(cols[idx].T, 1, -1).astype(np.int8)
        if tp.max_flips is not None and np.any(np.sum(T != tp.current, axis=1) > tp.max_flips):
            continue
        v = tp.violations(T)
        if best is None or v < best[0]:
            best = (v, T, params[idx])
            if v == 0:
                break
    if best is None:
        return RawAssignment("infeasible" if complete else "limit", None, None, None)
    v, T, P = best
    return RawAssignment(
        "optimal" if complete or v == 0 else "limit",
        T,
        P[:, :-1],
        P[:, -1],
        bound=float(v) if complete or v == 0 else None,
    )
