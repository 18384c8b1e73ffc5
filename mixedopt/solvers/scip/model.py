"""The monolithic training MIP of the SCIP backend: building, hints and decoding.

:class:`Model` writes a :class:`~mixedopt.problems.training.TrainingProblem` as a PySCIPOpt model
(the formulation is described in :mod:`mixedopt.solvers.scip`), keeps handles to its
variables, turns a SCIP solution back into a :class:`~mixedopt.network.ThresholdNet` and
offers a net as a start solution. :func:`weight_row` makes one unit's weight variables, here
and in the per-layer target model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.base import SolveContext
from mixedopt.solvers.exprs import affine_rows

__all__ = ["weight_row"]


def weight_row(
    md: Any, weights: str, n: int, suffix: str, vtype: str, lb: float | None, ub: float | None
) -> tuple[list[Any], list[Any]]:
    """One unit's ``n`` weights in the PySCIPOpt model ``md``.

    Parameters
    ----------
    md : pyscipopt.Model
        The model the variables are added to.
    weights : str
        Weight domain; ``"binary"`` weights are ``2 v - 1`` of a binary ``v`` named
        ``v<suffix><i>``, the others a variable ``w<suffix><i>`` of type ``vtype`` in
        ``[lb, ub]`` (``None``: unbounded).
    n : int
        Number of inputs.
    suffix : str
        Middle part of the variable names (e.g. ``"0_3_"`` for layer 0, unit 3).
    vtype : str
        SCIP variable type of non-binary weights (``"I"`` or ``"C"``).
    lb, ub : float or None
        Bounds of non-binary weights.

    Returns
    -------
    exprs, variables : list, list
        The weights as expressions (``W[i]``) and the variables behind them (for hints and
        decoding).
    """
    row, vrow = [], []
    for i in range(n):
        if weights == "binary":
            v = md.addVar(f"v{suffix}{i}", vtype="B")
            row.append(2 * v - 1)
        else:
            v = md.addVar(f"w{suffix}{i}", vtype=vtype, lb=lb, ub=ub)
            row.append(v)
        vrow.append(v)
    return row, vrow


class Model:
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
                row, vrow = weight_row(md, p.weights, n_in, f"{layer}_{j}_", wtype, -K, K)
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
                bs = float(p.bias_scale(0))  # rational inputs are kept as q * x
                B0 = self.B[0] if bs == 1 else [bs * v for v in self.B[0]]
                Z = affine_rows(X, self.W[0], B0, coef=float, total=scip.quicksum, ctx=ctx)
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
        bs = float(self.p.bias_scale(0))
        z1 = scip.quicksum(float(x[i]) * on[i] for i in nzi) + bs * b1
        z0 = scip.quicksum(float(x[i]) * off[i] for i in nzi) + bs * b0
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
        for U, A in zip(self.U, self.p.activations(net), strict=True):
            for k in range(U.shape[0]):
                for j in range(U.shape[1]):
                    md.setSolVal(sol, U[k, j], 1.0 if A[k, j] > 0 else 0.0)
        md.addSol(sol)
