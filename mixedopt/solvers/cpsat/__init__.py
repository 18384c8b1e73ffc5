"""OR-Tools CP-SAT backend: the naive monolithic CP model (``backend="cpsat"``).

Formulation (integral problems: integer inputs, discrete weights; sign(0) = +1):

* weights ``W_l[j, i]`` and biases ``b_l[j]`` are integer variables over the weight domain
  (``binary`` {-1, 1}; ``ternary`` [-1, 1]; ``integer`` [-K, K]; biases see
  :meth:`~mixedopt.problem.TrainingProblem.bias_bounds`);
* one Boolean ``u[k, j]`` per example and hidden unit (``a = 2u - 1``), linked to the
  pre-activation by half-reification, exact without any big-M:
  ``z >= 0`` if ``u`` and ``z <= -1`` if not ``u``;
* the first layer is linear in the weights (``X`` is data); deeper layers use one product
  variable ``p = W * a`` per (example, unit, input): ``p == W`` if ``u`` else ``p == -W``;
* binary output: a Boolean ``c_k`` per example with ``c_k => z >= 0`` (label +1) or
  ``c_k => z <= -1`` (label -1); multi-class (argmax, ties to the lowest index):
  ``c_k => z_c >= z_j + 1`` for ``j < c`` and ``z_c >= z_j`` for ``j > c``;
* objectives: ``errors`` = sum of ``sample_weight * (1 - c_k)``; ``weights`` = sum of
  indicators ``nz >= [w != 0]``; ``margin`` = sum of per-unit margins ``mu_j``
  (``z >= mu`` if active, ``z <= -1 - mu`` if inactive); a lexicographic objective is folded
  into one integer objective exactly (:class:`~mixedopt.solvers.base.LexScalarizer`).
  ``weights``/``margin`` require zero errors: the ``c_k`` are then fixed to true.

This is the baseline ("naive") model of the notes; the stronger table formulation with
symmetry breaking lives in :mod:`mixedopt.solvers.cpsat_table`. The per-layer
target-assignment model is :func:`assign_layer_targets`.

Native options are fields of CP-SAT's ``SatParameters`` (e.g. ``symmetry_level=2``,
``linearization_level=2``); unknown names raise :class:`~mixedopt.errors.ValidationError`.

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> res = mo.solvers.get("cpsat").solve_data(X, y, hidden=[2], weights="ternary",
...                                          time_limit=10)
>>> res.status.value, res.objective
('optimal', 0)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problem import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import (
    LIMIT,
    Backend,
    LexScalarizer,
    RawResult,
    SolveContext,
    pass_native,
)

__all__ = ["CPSATBackend", "MonolithicModel", "configure_solver", "run_solver"]

logger = logging.getLogger(__name__)

STATUS_MAP: dict[str, Status | str] = {
    "OPTIMAL": Status.OPTIMAL,
    "FEASIBLE": LIMIT,
    "INFEASIBLE": Status.INFEASIBLE,
    "UNKNOWN": LIMIT,
}


def _cp():
    from ortools.sat.python import cp_model

    return cp_model


def check_native_params(native: Mapping[str, Any]) -> None:
    """Raise ValidationError for an unknown CP-SAT parameter name or a bad value."""
    if not native:
        return
    from ortools.sat import sat_parameters_pb2

    pass_native(sat_parameters_pb2.SatParameters(), native, backend="cpsat")


def configure_solver(solver: Any, ctx: SolveContext, time_limit: float | None) -> None:
    """Apply time limit, seed, threads, logging and native options to a ``CpSolver``."""
    prm = solver.parameters
    if time_limit is not None:
        prm.max_time_in_seconds = max(0.01, float(time_limit))
    prm.random_seed = int(ctx.seed) % (2**31)
    prm.num_workers = int(ctx.threads)
    prm.log_to_stdout = False
    if ctx.options.log_callback is not None:
        prm.log_search_progress = True
        solver.log_callback = ctx.log_line
    pass_native(prm, ctx.options.native, backend="cpsat")


class _Callback:
    """Factory of a CpSolverSolutionCallback reporting incumbents to a SolveContext."""

    @staticmethod
    def make(ctx: SolveContext, decode, bound_of, source: str):
        cp_model = _cp()

        class CB(cp_model.CpSolverSolutionCallback):
            def __init__(self) -> None:
                super().__init__()
                self.n = 0

            def on_solution_callback(self) -> None:
                self.n += 1
                try:
                    net = decode(self.Value)
                    ctx.bound(bound_of(self.BestObjectiveBound()), source=source)
                    ctx.incumbent(net, source=source)
                except KeyboardInterrupt:
                    ctx.interrupt()
                if ctx.stop_requested:
                    self.StopSearch()

        return CB()


def run_solver(model: Any, ctx: SolveContext, decode, bound_of, source: str):
    """Solve ``model`` with incumbents reported through ``ctx``; returns (solver, status)."""
    cp_model = _cp()
    solver = cp_model.CpSolver()
    configure_solver(solver, ctx, ctx.time_left())
    cb = _Callback.make(ctx, decode, bound_of, source)
    limit = ctx.time_left()
    try:
        code = solver.Solve(model, cb)
    except KeyboardInterrupt:
        ctx.interrupt()
        code = cp_model.UNKNOWN
    name = solver.StatusName(code)
    if name in ("FEASIBLE", "UNKNOWN") and _stopped_by_sigint(solver, ctx, limit):
        ctx.interrupt()
    if name == "MODEL_INVALID":
        why = model.Validate() or (
            "the model is valid, so a solver parameter is not: check the native options "
            f"passed through ({str(solver.parameters).strip().replace(chr(10), '; ')})"
        )
        raise SolverError(f"CP-SAT rejected the model: {why}")
    return solver, name


def _stopped_by_sigint(solver: Any, ctx: SolveContext, limit: float | None) -> bool:
    """CP-SAT catches Ctrl-C itself and just stops: a limit status well before the time
    limit, with no stop requested by us and no other native limit, means it did."""
    if ctx.stop_requested or ctx.options.first_solution:
        return False
    if any(
        "limit" in k or (k.startswith("max_") and k != "max_time_in_seconds")
        for k in ctx.options.native
    ):
        return False
    return limit is None or solver.WallTime() < limit - 0.25


class MonolithicModel:
    """The naive monolithic CP-SAT model of a :class:`TrainingProblem` (see module doc)."""

    def __init__(self, problem: TrainingProblem, ctx: SolveContext | None = None) -> None:
        if not problem.integral:
            raise ValidationError(
                "the CP-SAT model needs integer inputs and discrete weights; quantise X "
                "(e.g. np.round(X * 100)) or use backend='scip'."
            )
        cp_model = _cp()
        self.p = p = problem
        self.model = md = cp_model.CpModel()
        self.scal = LexScalarizer(p)
        sizes = p.sizes
        L = len(sizes) - 1
        m = p.n_samples
        K = int(p.weight_bound)
        hard = p.hard
        need_margin = "margin" in p.objective
        self.W: list[list[list[Any]]] = []
        self.B: list[list[Any]] = []
        for layer in range(L):
            n_in, n_out = sizes[layer], sizes[layer + 1]
            lo, hi = (int(v) for v in p.bias_bounds(layer))
            rows = []
            for j in range(n_out):
                if p.weights == "binary":
                    dom = cp_model.Domain.FromValues([-1, 1])
                    rows.append(
                        [md.NewIntVarFromDomain(dom, f"w{layer}_{j}_{i}") for i in range(n_in)]
                    )
                else:
                    rows.append([md.NewIntVar(-K, K, f"w{layer}_{j}_{i}") for i in range(n_in)])
            self.W.append(rows)
            self.B.append([md.NewIntVar(lo, hi, f"b{layer}_{j}") for j in range(n_out)])

        self.U: list[np.ndarray] = []  # per hidden layer: (m, n) array of BoolVars
        self.P: list[list] = []
        self.mu: list[list[Any]] = []
        X = p.X
        prev_u: np.ndarray | None = None
        for layer in range(L):
            n_in, n_out = sizes[layer], sizes[layer + 1]
            lo, hi = (int(v) for v in p.bias_bounds(layer))
            zb = p.z_bound(layer)
            last = layer == L - 1
            mus = []
            if need_margin:
                ub = int(np.min(zb)) if m else 0
                n_mu = 1 if (last and not p.is_binary) else n_out
                ub_mu = 2 * ub if (last and not p.is_binary) else ub
                mus = [md.NewIntVar(0, max(0, ub_mu), f"mu{layer}_{j}") for j in range(n_mu)]
            self.mu.append(mus)
            # pre-activation expressions z[k][j]
            Z: list[list[Any]] = []
            if layer == 0:
                for k in range(m):
                    if ctx is not None and k % 64 == 0:
                        ctx.check()
                    xk = X[k]
                    nzi = np.flatnonzero(xk)
                    Z.append(
                        [
                            sum(int(xk[i]) * self.W[0][j][i] for i in nzi) + self.B[0][j]
                            for j in range(n_out)
                        ]
                    )
            else:
                assert prev_u is not None
                prods = []
                for k in range(m):
                    if ctx is not None and k % 16 == 0:
                        ctx.check()
                    zk = []
                    pk = []
                    for j in range(n_out):
                        terms = []
                        for i in range(n_in):
                            w = self.W[layer][j][i]
                            if p.weights == "binary":
                                pv = md.NewIntVarFromDomain(cp_model.Domain.FromValues([-1, 1]), "")
                            else:
                                pv = md.NewIntVar(-K, K, "")
                            a = prev_u[k, i]
                            md.Add(pv == w).OnlyEnforceIf(a)
                            md.Add(pv == -w).OnlyEnforceIf(a.Not())
                            terms.append(pv)
                        pk.append(terms)
                        zk.append(sum(terms) + self.B[layer][j])
                    prods.append(pk)
                    Z.append(zk)
                self.P.append(prods)
            if not last:
                U = np.empty((m, n_out), dtype=object)
                for k in range(m):
                    if ctx is not None and k % 64 == 0:
                        ctx.check()
                    for j in range(n_out):
                        u = md.NewBoolVar(f"u{layer}_{k}_{j}")
                        U[k, j] = u
                        z = Z[k][j]
                        if need_margin:
                            md.Add(z >= mus[j]).OnlyEnforceIf(u)
                            md.Add(z <= -1 - mus[j]).OnlyEnforceIf(u.Not())
                        else:
                            md.Add(z >= 0).OnlyEnforceIf(u)
                            md.Add(z <= -1).OnlyEnforceIf(u.Not())
                self.U.append(U)
                prev_u = U
            else:
                self.Z_out = Z
        # output correctness
        self.C: list[Any] = []
        for k in range(m):
            c = 1 if hard else md.NewBoolVar(f"c{k}")
            self.C.append(c)
            enf = [] if hard else [c]
            zk = self.Z_out[k]
            if p.is_binary:
                mu = self.mu[-1][0] if need_margin else 0
                if p.y[k] == 1:
                    md.Add(zk[0] >= mu).OnlyEnforceIf(enf)
                else:
                    md.Add(zk[0] <= -1 - mu).OnlyEnforceIf(enf)
            else:
                ck = int(p.y[k])
                mu = self.mu[-1][0] if need_margin else 0
                for j in range(p.n_classes):
                    if j == ck:
                        continue
                    md.Add(zk[ck] - zk[j] >= (1 if j < ck else 0) + mu).OnlyEnforceIf(enf)
        # objective terms
        terms: dict[str, Any] = {}
        if "errors" in p.objective:
            terms["errors"] = sum(
                int(p.sample_weight[k]) * (1 - self.C[k]) for k in range(m) if not hard
            )
        if "weights" in p.objective:
            nz_terms = []
            const = 0
            for layer in range(L):
                for j, row in enumerate(self.W[layer]):
                    if p.weights == "binary":
                        const += len(row)  # ±1 weights are never zero
                        row = []
                    for v in [*row, self.B[layer][j]]:
                        nzv = md.NewBoolVar("")
                        md.Add(v == 0).OnlyEnforceIf(nzv.Not())
                        nz_terms.append(nzv)
            terms["weights"] = sum(nz_terms) + const
        if need_margin:
            terms["margin"] = sum(v for mus in self.mu for v in mus)
        self.terms = terms
        obj = sum(
            self.scal.sign(c) * self.scal.coef[c] * terms[c]
            for c in p.objective
            if not (isinstance(terms[c], int) and terms[c] == 0)
        )
        self.has_objective = not isinstance(obj, int)
        if self.has_objective:
            md.Minimize(obj)

    # ------------------------------------------------------------------ hints / decode
    def add_hint(self, net: ThresholdNet) -> None:
        """Hint every variable from ``net``'s forward pass (values clipped to domains)."""
        md = self.model
        for layer, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            for j in range(W.shape[0]):
                for i in range(W.shape[1]):
                    md.AddHint(self.W[layer][j][i], int(W[j, i]))
                md.AddHint(self.B[layer][j], int(b[j]))
        acts = net.activations(self.p.X)
        for U, A in zip(self.U, acts, strict=True):
            for k in range(U.shape[0]):
                for j in range(U.shape[1]):
                    md.AddHint(U[k, j], bool(A[k, j] > 0))
        if not self.p.hard:
            pred = self.p.predict_codes(net)
            for k, c in enumerate(self.C):
                md.AddHint(c, bool(pred[k] == self.p.y[k]))

    def decode(self, value) -> ThresholdNet:
        Ws = [np.array([[value(v) for v in row] for row in Wl], dtype=np.int64) for Wl in self.W]
        bs = [np.array([value(v) for v in Bl], dtype=np.int64) for Bl in self.B]
        return self.p.make_net(Ws, bs, metadata={"backend": "cpsat"})

    def primary_bound(self, scalar_bound: float) -> float:
        return self.scal.primary_bound(scalar_bound)

    def belief(self, value) -> float:
        c = self.p.objective[0]
        t = self.terms[c]
        v = t if isinstance(t, (int, float)) else value(t)
        return float(v)

    def size(self) -> dict[str, int]:
        proto = self.model.Proto()
        return {"variables": len(proto.variables), "constraints": len(proto.constraints)}


class CPSATBackend(Backend):
    """OR-Tools CP-SAT, naive monolithic model (see the module docstring)."""

    name = "cpsat"
    description = "OR-Tools CP-SAT, monolithic CP model"
    packages = ("ortools",)
    extra = None
    domains = frozenset({"binary", "ternary", "integer"})
    needs_integral = True
    STATUS_MAP: ClassVar[dict[str, Status | str]] = STATUS_MAP

    def check_native(self, native: Mapping[str, Any]) -> None:
        check_native_params(native)

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        mm = MonolithicModel(problem, ctx)
        if ctx.options.warm_start is not None:
            mm.add_hint(ctx.options.warm_start)
        elif ctx.best_net is not None:
            mm.add_hint(ctx.best_net)
        info = {"model": mm.size()}
        if ctx.stop_requested:
            return RawResult("UNKNOWN", info=info)
        solver, status = run_solver(mm.model, ctx, mm.decode, mm.primary_bound, self.name)
        info["wall_time_solver"] = solver.WallTime()
        if status in ("OPTIMAL", "FEASIBLE"):
            net = mm.decode(solver.Value)
            has_obj = mm.has_objective
            bound = (
                mm.primary_bound(solver.BestObjectiveBound())
                if has_obj
                else problem.objective_value(net)
                if status == "OPTIMAL"
                else None
            )
            return RawResult(
                status,
                net=net,
                objective=mm.belief(solver.Value),
                bound=bound,
                optimal_all=status == "OPTIMAL",
                info=info,
            )
        return RawResult(status, info=info)


# --------------------------------------------------------------------------- targets
def _plain_solver(time_limit: float | None, seed: int, threads: int, native: Mapping[str, Any]):
    cp_model = _cp()
    solver = cp_model.CpSolver()
    prm = solver.parameters
    if time_limit is not None:
        prm.max_time_in_seconds = max(0.01, float(time_limit))
    prm.random_seed = int(seed) % (2**31)
    prm.num_workers = int(threads)
    prm.log_to_stdout = False
    pass_native(prm, native, backend="cpsat")
    return solver


def _unit_vars(md: Any, tp: Any, name: str) -> tuple[list[Any], Any]:
    cp_model = _cp()
    K = int(tp.weight_bound)
    lo, hi = (int(v) for v in tp.bias_bounds())
    if tp.weights == "binary":
        dom = cp_model.Domain.FromValues([-1, 1])
        w = [md.NewIntVarFromDomain(dom, f"{name}w{i}") for i in range(tp.n_inputs)]
    else:
        w = [md.NewIntVar(-K, K, f"{name}w{i}") for i in range(tp.n_inputs)]
    return w, md.NewIntVar(lo, hi, f"{name}b")


def fit_unit_exact(tp: Any, target: np.ndarray, *, time_limit: float = 10.0) -> np.ndarray | None:
    """Exact realisability of one ±1 column with discrete weights (integral inputs):
    ``(w_1..w_n, b)`` realising it, or None when proven impossible or out of time."""
    cp_model = _cp()
    md = cp_model.CpModel()
    w, b = _unit_vars(md, tp, "")
    A = tp.A
    for k in range(A.shape[0]):
        z = sum(int(A[k, i]) * w[i] for i in np.flatnonzero(A[k])) + b
        md.Add(z >= 0) if target[k] > 0 else md.Add(z <= -1)
    solver = _plain_solver(time_limit, 0, 1, {})
    st = solver.Solve(md)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return np.array([solver.Value(v) for v in w] + [solver.Value(b)], dtype=np.int64)


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
    from mixedopt.targets import RawAssignment

    if not tp.integral:
        raise ValidationError(
            "backend='cpsat' needs integer inputs and discrete weights for target assignment; "
            "use backend='scip' (real weights or inputs) or backend='greedy'."
        )
    check_native_params(native)
    cp_model = _cp()
    md = cp_model.CpModel()
    n, B = tp.n_units, tp.n_samples
    A = tp.A
    Ws, bs = [], []
    for j in range(n):
        w, b = _unit_vars(md, tp, f"u{j}")
        Ws.append(w)
        bs.append(b)
    T = [[md.NewBoolVar(f"t{k}_{j}") for j in range(n)] for k in range(B)]
    for k in range(B):
        nzi = np.flatnonzero(A[k])
        for j in range(n):
            z = sum(int(A[k, i]) * Ws[j][i] for i in nzi) + bs[j]
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
    solver = _plain_solver(time_limit, seed, threads, native)
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
