"""The naive monolithic CP-SAT model of a training problem (``backend="cpsat"``).

:class:`MonolithicModel` writes a :class:`~mixedopt.problems.training.TrainingProblem` as a CP-SAT
model (the formulation is described in :mod:`mixedopt.solvers.cpsat`), hints it with a net,
decodes solutions and reports the primary criterion's bound. :func:`weight_vars` makes
weight variables over a discrete domain, here and in the per-layer target model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.solvers.base import LexScalarizer, SolveContext
from mixedopt.solvers.cpsat.solver import cp
from mixedopt.solvers.exprs import affine_rows

__all__ = ["MonolithicModel", "weight_vars"]


def weight_vars(md: Any, weights: str, K: int, names: Iterable[str]) -> list[Any]:
    """Integer weight variables of the CP-SAT model ``md``, one per name.

    Parameters
    ----------
    md : CpModel
        The model the variables are added to.
    weights : str
        Weight domain: ``"binary"`` gives variables over ``{-1, 1}``, any other ``[-K, K]``.
    K : int
        Weight bound (unused for binary weights).
    names : iterable of str
        Variable names.

    Returns
    -------
    list of IntVar
    """
    if weights == "binary":
        dom = cp().Domain.FromValues([-1, 1])
        return [md.NewIntVarFromDomain(dom, name) for name in names]
    return [md.NewIntVar(-K, K, name) for name in names]


class MonolithicModel:
    """The naive monolithic CP-SAT model of a :class:`TrainingProblem` (see module doc)."""

    def __init__(self, problem: TrainingProblem, ctx: SolveContext | None = None) -> None:
        if not problem.integral:
            raise ValidationError(
                "the CP-SAT model needs integer inputs and discrete weights; quantise X "
                "(e.g. np.round(X * 100)) or use backend='scip'."
            )
        cp_model = cp()
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
                names = (f"w{layer}_{j}_{i}" for i in range(n_in))
                rows.append(weight_vars(md, p.weights, K, names))
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
                bs = p.bias_scale(0)  # rational inputs are kept as q * x
                B0 = self.B[0] if bs == 1 else [bs * v for v in self.B[0]]
                Z = affine_rows(X, self.W[0], B0, coef=int, total=sum, ctx=ctx)
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
        acts = self.p.activations(net)
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
