"""SCIP backend (PySCIPOpt): the monolithic MIP (``backend="scip"``).

The same model as :mod:`mixedopt.solvers.cpsat` as a MIP, for every weight domain including
``real`` (continuous weights in ``[-K, K]``):

* binaries ``u[k, j]`` (hidden activations) and ``c_k`` (example correctly classified;
  fixed to 1 for the zero-error objectives ``weights``/``margin``);
* threshold links ``u => z >= tol + mu``, ``not u => z <= -eps - mu`` (``tol``, ``eps`` from
  :meth:`~mixedopt.problem.TrainingProblem.active_tol` / ``eps``: 0 and 1 on integral
  layers), in one of two formulations chosen with the native option ``formulation``:

  - ``"bigm"`` (default): rows with a **per-example** constant
    ``M_k = K * ||x_k||_1 + B`` (first layer) or ``K * n_in + B`` (deeper), never a global
    one;
  - ``"indicator"``: SCIP indicator constraints (no M in the model; SCIP separates them);
  - ``"hull"``: the convex hull of each first-layer disjunction over the weight box
    (``(w, b, mu)`` disaggregated into one copy per side, scaled by ``u`` / ``1 - u``);
    deeper layers and the output use big-M;

* products ``p = w * a`` of deeper layers: four exact McCormick rows with ``M = 2K``;
* a lexicographic objective is solved in stages: optimise the first criterion, constrain
  it to the value found, re-optimise the next one with the time left (the result is
  ``OPTIMAL`` only if every stage closed).

Native options: SCIP parameters by name (``**{"limits/gap": 0.01}`` or
``scip_params={"presolving/maxrounds": 0}``) and ``formulation``. Unknown parameter names
raise :class:`~mixedopt.errors.ValidationError`.

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> res = mo.solvers.get("scip").solve_data(X, y, hidden=[2], weights="integer",
...                                         weight_bound=1, time_limit=20)
>>> res.status.value, res.objective
('optimal', 0)
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mixedopt.errors import SolverError, ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problem import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import LIMIT, Backend, RawResult, SolveContext

__all__ = ["FORMULATIONS", "SCIPBackend"]

logger = logging.getLogger(__name__)

FORMULATIONS = ("bigm", "indicator", "hull")

STATUS_MAP: dict[str, Status | str] = {
    "optimal": Status.OPTIMAL,
    "infeasible": Status.INFEASIBLE,
    "inforunbd": Status.INFEASIBLE,  # every variable is bounded: cannot be unbounded
    "timelimit": LIMIT,
    "userinterrupt": LIMIT,
    "gaplimit": LIMIT,
    "nodelimit": LIMIT,
    "totalnodelimit": LIMIT,
    "stallnodelimit": LIMIT,
    "memlimit": LIMIT,
    "sollimit": LIMIT,
    "bestsollimit": LIMIT,
    "restartlimit": LIMIT,
    "primallimit": LIMIT,
    "duallimit": LIMIT,
    "unknown": LIMIT,
}


def _split_native(native: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    native = dict(native)
    formulation = native.pop("formulation", "bigm")
    if formulation not in FORMULATIONS:
        raise ValidationError(
            f"unknown SCIP formulation {formulation!r}; choose from {', '.join(FORMULATIONS)}."
        )
    params = dict(native.pop("scip_params", {}) or {})
    for k, v in native.items():
        if "/" not in k:
            raise ValidationError(
                f"unknown scip option {k!r}; pass SCIP parameters by their path (e.g. "
                "'limits/gap') or in scip_params={...}, or formulation='bigm'|'indicator'|'hull'."
            )
        params[k] = v
    return formulation, params


def _set_params(model: Any, params: Mapping[str, Any]) -> None:
    for k, v in params.items():
        try:
            model.getParam(k)
        except Exception as exc:  # PySCIPOpt raises KeyError/LookupError variants
            raise ValidationError(f"unknown SCIP parameter {k!r}: {exc}") from exc
        try:
            model.setParam(k, v)
        except Exception as exc:
            raise ValidationError(f"bad value {v!r} for SCIP parameter {k!r}: {exc}") from exc


class _Model:
    """Builds the MIP; keeps handles to decode solutions and express criteria."""

    def __init__(
        self, problem: TrainingProblem, formulation: str, ctx: SolveContext | None = None
    ) -> None:
        import pyscipopt as scip

        self.scip = scip
        self.p = p = problem
        self.formulation = formulation
        self.model = md = scip.Model("mixedopt")
        md.hideOutput()
        sizes = p.sizes
        L = len(sizes) - 1
        m = p.n_samples
        K = float(p.weight_bound)
        real = p.weights == "real"
        hard = p.hard
        need_margin = "margin" in p.objective
        self.need_nz = "weights" in p.objective
        wtype = "C" if real else "I"
        self.W: list[list[list[Any]]] = []
        self.Wvar: list[list[list[Any]]] = []  # the variables (v for binary: w = 2v - 1)
        self.B: list[list[Any]] = []
        self.NZ: list[Any] = []
        self.n_const_nz = 0
        for layer in range(L):
            n_in, n_out = sizes[layer], sizes[layer + 1]
            lo, hi = p.bias_bounds(layer)
            rows, vrows = [], []
            for j in range(n_out):
                row, vrow = [], []
                for i in range(n_in):
                    if p.weights == "binary":
                        v = md.addVar(f"v{layer}_{j}_{i}", vtype="B")
                        row.append(2 * v - 1)
                    else:
                        v = md.addVar(f"w{layer}_{j}_{i}", vtype=wtype, lb=-K, ub=K)
                        row.append(v)
                    vrow.append(v)
                rows.append(row)
                vrows.append(vrow)
            self.W.append(rows)
            self.Wvar.append(vrows)
            self.B.append(
                [
                    md.addVar(f"b{layer}_{j}", vtype=wtype, lb=float(lo), ub=float(hi))
                    for j in range(n_out)
                ]
            )
            if self.need_nz:
                for j in range(n_out):
                    items = [] if p.weights == "binary" else list(rows[j])
                    self.n_const_nz += n_in if p.weights == "binary" else 0
                    bmax = max(abs(lo), abs(hi))
                    for v, M in [*((w, K) for w in items), (self.B[layer][j], bmax)]:
                        nz = md.addVar("", vtype="B")
                        md.addCons(v <= M * nz)
                        md.addCons(v >= -M * nz)
                        self.NZ.append(nz)
        self.mu: list[list[Any]] = []
        self.U: list[np.ndarray] = []
        X = p.X.astype(np.float64)
        prev_u: np.ndarray | None = None
        Zout: list[list[Any]] = []
        for layer in range(L):
            n_in, n_out = sizes[layer], sizes[layer + 1]
            zb = p.z_bound(layer)
            eps, tol = p.eps(layer), p.active_tol(layer)
            last = layer == L - 1
            mus: list[Any] = []
            if need_margin:
                ub = float(np.min(zb)) if m else 0.0
                n_mu = 1 if (last and not p.is_binary) else n_out
                ub_mu = 2 * ub if (last and not p.is_binary) else ub
                vt = "I" if p.layer_integral(layer) else "C"
                mus = [md.addVar(f"mu{layer}_{j}", vtype=vt, lb=0, ub=ub_mu) for j in range(n_mu)]
            self.mu.append(mus)
            mu_max = float(np.min(zb)) * (2 if last and not p.is_binary else 1) if mus else 0.0
            Z: list[list[Any]] = []
            if layer == 0:
                for k in range(m):
                    if ctx is not None and k % 64 == 0:
                        ctx.check()
                    xk = X[k]
                    nzi = np.flatnonzero(xk)
                    Z.append(
                        [
                            scip.quicksum(float(xk[i]) * self.W[0][j][i] for i in nzi)
                            + self.B[0][j]
                            for j in range(n_out)
                        ]
                    )
            else:
                assert prev_u is not None
                for k in range(m):
                    if ctx is not None and k % 16 == 0:
                        ctx.check()
                    zk = []
                    for j in range(n_out):
                        terms = []
                        for i in range(n_in):
                            w = self.W[layer][j][i]
                            u = prev_u[k, i]
                            pv = md.addVar("", vtype="C", lb=-K, ub=K)
                            # p = w * (2u - 1), exact McCormick with binary u
                            md.addCons(pv <= w + 2 * K * (1 - u))
                            md.addCons(pv >= w - 2 * K * (1 - u))
                            md.addCons(pv <= -w + 2 * K * u)
                            md.addCons(pv >= -w - 2 * K * u)
                            terms.append(pv)
                        zk.append(scip.quicksum(terms) + self.B[layer][j])
                    Z.append(zk)
            if not last:
                U = np.empty((m, n_out), dtype=object)
                for k in range(m):
                    if ctx is not None and k % 64 == 0:
                        ctx.check()
                    M = float(zb[k])
                    for j in range(n_out):
                        u = md.addVar(f"u{layer}_{k}_{j}", vtype="B")
                        U[k, j] = u
                        mu = mus[j] if mus else 0.0
                        if formulation == "hull" and layer == 0:
                            self._hull_link(X[k], j, u, tol, eps, mus[j] if mus else None, mu_max)
                            continue
                        self._link(Z[k][j] - mu, tol, u, True, M + tol + mu_max)
                        self._link(Z[k][j] + mu, -eps, u, False, M + eps + mu_max)
                self.U.append(U)
                prev_u = U
            else:
                Zout = Z
        # output correctness
        L1 = L - 1
        eps, tol = p.eps(L1), p.active_tol(L1)
        zb = p.z_bound(L1)
        mu_max = float(np.min(zb)) * (1 if p.is_binary else 2) if need_margin else 0.0
        self.C: list[Any] = []
        for k in range(m):
            c = None if hard else md.addVar(f"c{k}", vtype="B")
            self.C.append(c)
            M = float(zb[k])
            mu = self.mu[-1][0] if need_margin else 0.0
            zk = Zout[k]
            if p.is_binary:
                if p.y[k] == 1:
                    self._link(zk[0] - mu, tol, c, True, M + tol + mu_max)
                else:
                    self._link(zk[0] + mu, -eps, c, False, M + eps + mu_max, active_one=True)
            else:
                ck = int(p.y[k])
                for j in range(p.n_classes):
                    if j != ck:
                        gap = eps if j < ck else tol
                        self._link(zk[ck] - zk[j] - mu, gap, c, True, 2 * M + gap + mu_max)
        # criteria
        self.terms: dict[str, Any] = {}
        if "errors" in p.objective:
            self.terms["errors"] = (
                0
                if hard
                else scip.quicksum(float(p.sample_weight[k]) * (1 - self.C[k]) for k in range(m))
            )
        if self.need_nz:
            self.terms["weights"] = scip.quicksum(self.NZ) + self.n_const_nz
        if need_margin:
            self.terms["margin"] = scip.quicksum(v for mus in self.mu for v in mus)

    def _hull_link(
        self, x: np.ndarray, j: int, u: Any, tol: float, eps: float, mu: Any, mu_max: float
    ) -> None:
        """Convex hull of ``u => x.w + b >= tol + mu`` / ``not u => x.w + b <= -eps - mu``
        over the weight box (first layer): disaggregate ``(w, b, mu)`` into a copy for each
        side, each scaled into its box by ``u`` or ``1 - u``."""
        md = self.model
        scip = self.scip
        K = float(self.p.weight_bound)
        lo, hi = (float(v) for v in self.p.bias_bounds(0))
        w, b = self.W[0][j], self.B[0][j]
        on, off = [], []
        for i in range(len(w)):
            w1 = md.addVar("", vtype="C", lb=-K, ub=K)
            w0 = md.addVar("", vtype="C", lb=-K, ub=K)
            md.addCons(w[i] == w1 + w0)
            md.addCons(w1 <= K * u)
            md.addCons(w1 >= -K * u)
            md.addCons(w0 <= K * (1 - u))
            md.addCons(w0 >= -K * (1 - u))
            on.append(w1)
            off.append(w0)
        b1 = md.addVar("", vtype="C", lb=min(lo, 0.0), ub=max(hi, 0.0))
        b0 = md.addVar("", vtype="C", lb=min(lo, 0.0), ub=max(hi, 0.0))
        md.addCons(b == b1 + b0)
        md.addCons(b1 <= hi * u)
        md.addCons(b1 >= lo * u)
        md.addCons(b0 <= hi * (1 - u))
        md.addCons(b0 >= lo * (1 - u))
        nzi = np.flatnonzero(x)
        z1 = scip.quicksum(float(x[i]) * on[i] for i in nzi) + b1
        z0 = scip.quicksum(float(x[i]) * off[i] for i in nzi) + b0
        if mu is None:
            md.addCons(z1 >= tol * u)
            md.addCons(z0 <= -eps * (1 - u))
            return
        m1 = md.addVar("", vtype="C", lb=0.0, ub=mu_max)
        m0 = md.addVar("", vtype="C", lb=0.0, ub=mu_max)
        md.addCons(mu == m1 + m0)
        md.addCons(m1 <= mu_max * u)
        md.addCons(m0 <= mu_max * (1 - u))
        md.addCons(z1 - m1 >= tol * u)
        md.addCons(z0 + m0 <= -eps * (1 - u))

    def _link(
        self,
        expr: Any,
        rhs: float,
        b: Any,
        ge: bool,
        M: float,
        *,
        active_one: bool | None = None,
    ) -> None:
        """Enforce ``expr >= rhs`` (``ge``) or ``expr <= rhs`` when ``b`` says so.

        For hidden units ``b`` is ``u``: ``u = 1`` enforces the ``>=`` side and ``u = 0``
        the ``<=`` side. For output correctness (``active_one=True``) ``b = 1`` enforces
        either side. ``b is None`` means always enforced.
        """
        md = self.model
        if b is None:
            md.addCons(expr >= rhs if ge else expr <= rhs)
            return
        on_one = ge if active_one is None else active_one
        if self.formulation == "indicator":
            cons = expr >= rhs if ge else expr <= rhs
            md.addConsIndicator(cons, binvar=b, activeone=on_one)
            return
        slack = (1 - b) if on_one else b
        if ge:
            md.addCons(expr >= rhs - M * slack)
        else:
            md.addCons(expr <= rhs + M * slack)

    # ------------------------------------------------------------------ helpers
    def decode(self, sol: Any = None) -> ThresholdNet:
        md = self.model
        real = self.p.weights == "real"

        def val(v: Any) -> float:
            return float(md.getSolVal(sol, v)) if sol is not None else float(md.getVal(v))

        Ws, bs = [], []
        for Wl, Bl in zip(self.W, self.B, strict=True):
            W = np.array([[val(w) for w in row] for row in Wl])
            b = np.array([val(v) for v in Bl])
            if real:
                W[np.abs(W) < 1e-9] = 0.0
                b[np.abs(b) < 1e-9] = 0.0
            else:
                W, b = np.round(W).astype(np.int64), np.round(b).astype(np.int64)
            Ws.append(W)
            bs.append(b)
        return self.p.make_net(Ws, bs, metadata={"backend": "scip"})

    def hint(self, net: ThresholdNet) -> None:
        """Offer ``net`` as a start solution (silently ignored by SCIP if infeasible)."""
        md = self.model
        sol = md.createPartialSol()
        for Wl, Bl, W, b in zip(self.Wvar, self.B, net.weights, net.biases, strict=True):
            for j, row in enumerate(Wl):
                for i, v in enumerate(row):
                    if self.p.weights == "binary":
                        md.setSolVal(sol, v, 1.0 if W[j, i] > 0 else 0.0)
                    else:
                        md.setSolVal(sol, v, float(W[j, i]))
                md.setSolVal(sol, Bl[j], float(b[j]))
        for U, A in zip(self.U, net.activations(self.p.X), strict=True):
            for k in range(U.shape[0]):
                for j in range(U.shape[1]):
                    md.setSolVal(sol, U[k, j], 1.0 if A[k, j] > 0 else 0.0)
        md.addSol(sol)


class _Events:
    """SCIP event handler forwarding incumbents, bounds and log lines to a SolveContext.

    One handler serves every lexicographic stage: ``state["stage"]`` names the criterion
    being optimised and ``state["bound_of"]`` turns SCIP's dual bound into a bound on it;
    only the primary stage's dual bound is reported.
    """

    @staticmethod
    def make(mm: _Model, ctx: SolveContext, state: dict[str, Any], logfile: str | None):
        scip = mm.scip
        kinds = (scip.SCIP_EVENTTYPE.BESTSOLFOUND, scip.SCIP_EVENTTYPE.NODESOLVED)

        class H(scip.Eventhdlr):
            pos = 0

            def eventinit(self) -> None:
                for ev in kinds:
                    self.model.catchEvent(ev, self)

            def eventexit(self) -> None:
                for ev in kinds:
                    self.model.dropEvent(ev, self)

            def eventexec(self, event: Any) -> None:
                md = self.model
                stage = state["stage"]
                try:
                    if event.getType() == scip.SCIP_EVENTTYPE.BESTSOLFOUND:
                        ctx.incumbent(mm.decode(md.getBestSol()), source="scip", message=stage)
                    if stage == mm.p.objective[0]:
                        ctx.bound(state["bound_of"](md.getDualbound()), source="scip")
                    if logfile is not None:
                        self.pos = _forward_log(logfile, self.pos, ctx)
                except KeyboardInterrupt:
                    ctx.interrupt()
                if ctx.stop_requested:
                    md.interruptSolve()

        return H()


def _forward_log(path: str, pos: int, ctx: SolveContext) -> int:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(pos)
            chunk = f.read()
            pos = f.tell()
    except OSError:
        return pos
    for line in chunk.splitlines():
        ctx.log_line(line)
    return pos


class SCIPBackend(Backend):
    """SCIP monolithic MIP (see the module docstring)."""

    name = "scip"
    description = "SCIP MIP (big-M or indicator links)"
    packages = ("pyscipopt",)
    extra = "scip"
    STATUS_MAP: ClassVar[dict[str, Status | str]] = STATUS_MAP

    def check_native(self, native: Mapping[str, Any]) -> None:
        _, params = _split_native(native)
        if params:
            import pyscipopt as scip

            _set_params(scip.Model(), params)

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        formulation, params = _split_native(ctx.options.native)
        mm = _Model(problem, formulation, ctx)
        md = mm.model
        md.setParam("randomization/randomseedshift", int(ctx.seed) % 2**31)
        md.setParam("parallel/maxnthreads", int(ctx.threads))
        _set_params(md, params)
        logfile = None
        if ctx.options.log_callback is not None:
            fd, logfile = tempfile.mkstemp(prefix="mixedopt-scip-", suffix=".log")
            os.close(fd)
            md.setLogfile(logfile)
            md.setIntParam("display/verblevel", 4)
        start = ctx.options.warm_start or ctx.best_net
        info: dict[str, Any] = {
            "model": {"variables": md.getNVars(), "constraints": md.getNConss()},
            "formulation": formulation,
        }
        try:
            return self._stages(problem, mm, ctx, start, logfile, info)
        finally:
            if logfile is not None:
                try:
                    os.unlink(logfile)
                except OSError:
                    pass

    def _stages(
        self,
        problem: TrainingProblem,
        mm: _Model,
        ctx: SolveContext,
        start: ThresholdNet | None,
        logfile: str | None,
        info: dict[str, Any],
    ) -> RawResult:
        md = mm.model
        primary = problem.objective[0]
        state: dict[str, Any] = {"stage": primary, "bound_of": lambda v: None}
        md.includeEventhdlr(_Events.make(mm, ctx, state, logfile), "mixedopt", "progress")
        bound = belief = net = None
        status = "unknown"
        optimal_all = True
        for si, crit in enumerate(problem.objective):
            expr = mm.terms[crit]
            last_stage = si == len(problem.objective) - 1
            if isinstance(expr, (int, float)):  # errors under a hard objective: always 0
                continue
            integral = problem.integral or crit != "margin"

            def bound_of(v: Any, crit: str = crit, integral: bool = integral) -> float | None:
                if v is None or not np.isfinite(v) or abs(v) >= 1e19:
                    return None
                if not integral:
                    return float(v)
                return float(np.floor(v + 1e-6) if crit == "margin" else np.ceil(v - 1e-6))

            state["stage"], state["bound_of"] = crit, bound_of
            md.setObjective(expr, sense="maximize" if crit == "margin" else "minimize")
            left = ctx.time_left()
            if left is not None:
                md.setParam("limits/time", max(0.01, left))
            if start is not None:
                mm.hint(start)
            try:
                md.optimize()
            except KeyboardInterrupt:
                ctx.interrupt()
            st = md.getStatus()
            if st == "userinterrupt" and not ctx.stop_requested:
                ctx.interrupt()  # SCIP caught Ctrl-C itself
            if st not in STATUS_MAP:
                if st == "unbounded":
                    raise SolverError("SCIP reports the training MIP unbounded (a bug).")
                raise SolverError(f"unknown SCIP status {st!r}; please report this.")
            has_sol = md.getNSols() > 0
            if crit == primary:
                status = st
                if st != "infeasible":
                    bound = bound_of(md.getDualbound())
                if has_sol:
                    belief = float(md.getObjVal())
            if not has_sol:
                optimal_all = False
                break
            net = mm.decode(md.getBestSol())
            start = net
            ctx.incumbent(net, source="scip", message=crit)
            if st != "optimal":
                optimal_all = False
            value = float(md.getObjVal())
            md.freeTransform()
            if not last_stage:
                tol = 0.0 if integral else 1e-6 * max(1.0, abs(value))
                md.addCons(expr >= value - tol if crit == "margin" else expr <= value + tol)
            if ctx.stop_requested:
                optimal_all = False
                break
        if net is None:
            return RawResult(status, bound=bound, info=info, optimal_all=False)
        return RawResult(
            status, net=net, objective=belief, bound=bound, optimal_all=optimal_all, info=info
        )


# --------------------------------------------------------------------------- targets
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

    from mixedopt.targets import RawAssignment

    formulation, params = _split_native(native)
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
        row, vrow = [], []
        for i in range(d):
            if tp.weights == "binary":
                v = md.addVar(f"v{j}_{i}", vtype="B")
                row.append(2 * v - 1)
            else:
                v = md.addVar(f"w{j}_{i}", vtype=vt, lb=None if unbounded else -K, ub=K)
                row.append(v)
            vrow.append(v)
        W.append(row)
        Wv.append(vrow)
        bvars.append(md.addVar(f"b{j}", vtype=vt, lb=lo_b, ub=hi_b))
    eps, tol = tp.eps, tp.tol
    T = [[md.addVar(f"t{k}_{j}", vtype="B") for j in range(n)] for k in range(B)]
    for k in range(B):
        nzi = np.flatnonzero(A[k])
        M = 0.0 if unbounded else float(K * np.abs(A[k]).sum() + max(abs(lo_b), abs(hi_b)))
        for j in range(n):
            z = scip.quicksum(float(A[k, i]) * W[j][i] for i in nzi) + bvars[j]
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
    _set_params(md, params)
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
