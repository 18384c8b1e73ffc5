"""The strongest CP-SAT formulation: output layer as a table, exact symmetry breaking.

For a binary problem with one hidden layer of ``h`` sign units (integer inputs, discrete
weights, ``errors`` objective):

* hidden units as in the monolithic model: integer ``w, b``; one Boolean ``a[k, j]`` per
  example and unit, ``a => z >= 0`` and ``not a => z <= -1`` (exact, no big-M);
* **the output layer is a table**: the output unit sees only the ``2^h`` hidden codes and
  realises a finite set of Boolean functions of them (104 for ``h = 3`` and weights in
  ``[-3, 3]``: every threshold function of 3 inputs). One Boolean ``T[c]`` per code ``c`` is
  constrained to a row of that set (``AddAllowedAssignments``), and example ``k`` is wrong
  when its code ``c`` has ``T[c]`` opposite to its label: clauses
  ``(a[k] != c) or T[c] or err[k]`` (label +1; ``not T[c]`` for -1). No product of weights
  and activations is modelled;
* **unit flip**: for integer pre-activations ``sign(-z - 1) = -sign(z)``, so ``(w, b) ->
  (-w, -b - 1)`` negates a unit exactly (``(-w, -b)`` would be wrong at ``z = 0``) and the
  output table absorbs it. The flip stays in the bias box only when ``b <= hi - 1``, so the
  rule is ``a[k0, j] or b_j == hi`` (unit ``j`` is ``+1`` on a reference example ``k0`` unless
  its bias sits at the top of the box) — it keeps an optimum;
* **unit order**: units are interchangeable (the table set is closed under permuting its
  inputs), so their numbers of active examples are made non-increasing;
* a hint (e.g. from the local search) is given to every variable.

Measured in ``results/bench_exact_notes.md``; the whole-network alternative that proves
far larger instances for small ``d`` is :mod:`mixedopt.solvers.dichotomy`.

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.problems.training import TrainingProblem
>>> from mixedopt.solvers.table import solve_table
>>> X, y, _ = mo.datasets.planted(m=40, d=2, h=2, noise=0.1, seed=0)
>>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=2)
>>> res = solve_table(p, time_limit=20, seed=0)
>>> res.status.value, res.objective == res.bound
('optimal', True)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import ProgressCallback, SolveResult, Status
from mixedopt.solvers.base import Backend, RawResult, SolveContext
from mixedopt.solvers.cpsat import STATUS_MAP, check_native_params, run_solver
from mixedopt.solvers.greedy.moves import output_functions

__all__ = ["TableBackend", "TableModel", "applicable", "solve_table"]

logger = logging.getLogger(__name__)

#: the largest output table accepted (rows of realisable functions)
MAX_TABLE_ROWS = 200_000


def applicable(problem: TrainingProblem) -> bool:
    """True when the table model handles ``problem``: binary output, one hidden layer,
    integer inputs, discrete weights, ``errors`` objective, and an output table of at most
    ``MAX_TABLE_ROWS`` functions."""
    return _unsupported(problem) is None


def _unsupported(problem: TrainingProblem) -> str | None:
    if not problem.is_binary:
        return "the table model handles binary problems only"
    if len(problem.hidden) != 1:
        return "the table model handles exactly one hidden layer"
    if not problem.integral:
        return "the table model needs integer inputs and discrete weights"
    if problem.objective != ("errors",):
        return "the table model minimises errors only (objective='errors')"
    if problem.n_unit_choices(1) > 20 * MAX_TABLE_ROWS:
        return "the output layer has too many weight combinations for a table"
    return None


class TableModel:
    """The CP-SAT table model of a :class:`TrainingProblem` (see the module docstring)."""

    def __init__(
        self, problem: TrainingProblem, *, symmetry: bool = True, ctx: SolveContext | None = None
    ) -> None:
        reason = _unsupported(problem)
        if reason is not None:
            raise ValidationError(reason + ".")
        from ortools.sat.python import cp_model

        self.p = p = problem
        self.model = md = cp_model.CpModel()
        X = p.X.astype(np.int64)
        m, d = X.shape
        h = p.hidden[0]
        self.h = h
        wv, bv = p.domain_values(0)
        lo, hi = int(bv.min()), int(bv.max())
        if p.weights == "binary":
            dom = cp_model.Domain.FromValues([-1, 1])
            self.W = [
                [md.NewIntVarFromDomain(dom, f"w{j}_{i}") for i in range(d)] for j in range(h)
            ]
        else:
            K = int(wv.max())
            self.W = [[md.NewIntVar(-K, K, f"w{j}_{i}") for i in range(d)] for j in range(h)]
        self.B = [md.NewIntVar(lo, hi, f"b{j}") for j in range(h)]
        K = int(np.abs(wv).max())
        absx = np.abs(X).sum(axis=1)
        self.A = np.empty((m, h), dtype=object)
        for k in range(m):
            if ctx is not None and k % 256 == 0:
                ctx.check()
            zmax = int(K * absx[k]) + max(abs(lo), abs(hi))
            for j in range(h):
                a = md.NewBoolVar(f"a{k}_{j}")
                expr = sum(int(X[k, i]) * self.W[j][i] for i in range(d) if X[k, i] != 0)
                expr = expr + self.B[j]
                if zmax >= 0:
                    md.Add(expr >= 0).OnlyEnforceIf(a)
                    md.Add(expr <= -1).OnlyEnforceIf(a.Not())
                self.A[k, j] = a
        # output table
        owv, obv = p.domain_values(1)
        P, T = output_functions(h, tuple(int(v) for v in owv), tuple(int(v) for v in obv))
        if len(P) > MAX_TABLE_ROWS:
            raise ValidationError(f"the output table has {len(P):,} rows (> {MAX_TABLE_ROWS:,}).")
        self.P = P
        self.Ttab = T.astype(np.int64)
        self.T = [md.NewBoolVar(f"T{c}") for c in range(1 << h)]
        md.AddAllowedAssignments(self.T, [tuple(int(v) for v in row) for row in self.Ttab])
        # errors
        w = p.sample_weight.astype(np.int64)
        self.err = [md.NewBoolVar(f"e{k}") for k in range(m)]
        for k in range(m):
            if ctx is not None and k % 256 == 0:
                ctx.check()
            pos = p.y[k] == 1
            for c in range(1 << h):
                lits = [self.A[k, j].Not() if (c >> j) & 1 else self.A[k, j] for j in range(h)]
                out = self.T[c] if pos else self.T[c].Not()
                md.AddBoolOr([*lits, out, self.err[k]])
        self.objective = sum(int(w[k]) * self.err[k] for k in range(m))
        md.Minimize(self.objective)
        # symmetry breaking
        self.symmetry = symmetry
        if symmetry and m:
            k0 = 0
            for j in range(h):
                top = md.NewBoolVar(f"btop{j}")
                md.Add(self.B[j] == hi).OnlyEnforceIf(top)
                md.Add(self.B[j] != hi).OnlyEnforceIf(top.Not())
                md.AddBoolOr([self.A[k0, j], top])
            counts = [sum(self.A[k, j] for k in range(m)) for j in range(h)]
            for j in range(h - 1):
                md.Add(counts[j] >= counts[j + 1])

    # ------------------------------------------------------------------ hints / decode
    def add_hint(self, net: ThresholdNet) -> None:
        """Hint every variable from ``net``, normalised to satisfy the symmetry rules."""
        W, B = net.integer_weights()
        W1, b1 = W[0].copy(), B[0].copy()
        hi = int(self.p.bias_bounds(0)[1])
        if self.symmetry and self.p.n_samples:
            x0 = self.p.X[0].astype(np.int64)
            for j in range(self.h):
                if x0 @ W1[j] + b1[j] < 0 and b1[j] <= hi - 1:
                    W1[j], b1[j] = -W1[j], -b1[j] - 1
        A = (self.p.X.astype(np.int64) @ W1.T + b1) >= 0
        if self.symmetry:
            order = np.argsort(-A.sum(axis=0), kind="stable")
            W1, b1, A = W1[order], b1[order], A[:, order]
        code = (A.astype(np.int64) << np.arange(self.h)).sum(axis=1)
        # best table row for these codes
        pos = np.bincount(
            code, weights=self.p.sample_weight * (self.p.y == 1), minlength=1 << self.h
        )
        neg = np.bincount(
            code, weights=self.p.sample_weight * (self.p.y != 1), minlength=1 << self.h
        )
        row = int(np.argmin(self.Ttab @ (neg - pos)))
        md = self.model
        for j in range(self.h):
            for i in range(W1.shape[1]):
                md.AddHint(self.W[j][i], int(W1[j, i]))
            md.AddHint(self.B[j], int(b1[j]))
            for k in range(A.shape[0]):
                md.AddHint(self.A[k, j], bool(A[k, j]))
        for c in range(1 << self.h):
            md.AddHint(self.T[c], bool(self.Ttab[row, c]))
        out = self.Ttab[row, code].astype(bool)
        wrong = out != (self.p.y == 1)
        for k, e in enumerate(self.err):
            md.AddHint(e, bool(wrong[k]))

    def decode(self, value: Any) -> ThresholdNet:
        W1 = np.array([[value(v) for v in row] for row in self.W], dtype=np.int64)
        b1 = np.array([value(v) for v in self.B], dtype=np.int64)
        tab = np.array([value(t) for t in self.T], dtype=np.int64)
        hit = np.flatnonzero(np.all(self.Ttab == tab[None, :], axis=1))
        row = self.P[hit[0]] if hit.size else self.P[0]
        h = self.h
        return self.p.make_net(
            [W1, row[None, :h]], [b1, row[h:]], metadata={"backend": "cpsat", "model": "table"}
        )

    def size(self) -> dict[str, int]:
        proto = self.model.Proto()
        return {
            "variables": len(proto.variables),
            "constraints": len(proto.constraints),
            "table_rows": len(self.P),
        }


class TableBackend(Backend):
    """CP-SAT table model (not in the registry; reached through :func:`solve_table` or
    ``train_exact(method="table")``)."""

    name = "cpsat-table"
    description = "OR-Tools CP-SAT, table model with symmetry breaking"
    packages = ("ortools",)
    domains = frozenset({"binary", "ternary", "integer"})
    objectives = frozenset({"errors"})
    needs_integral = True
    multiclass = False
    max_hidden_layers = 1
    STATUS_MAP: ClassVar[dict[str, Status | str]] = STATUS_MAP

    def check_native(self, native: Mapping[str, Any]) -> None:
        rest = {k: v for k, v in native.items() if k != "symmetry"}
        check_native_params(rest)

    def unsupported_reason(self, problem: TrainingProblem) -> str | None:
        return super().unsupported_reason(problem) or _unsupported(problem)

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        native = dict(ctx.options.native)
        symmetry = bool(native.pop("symmetry", True))
        ctx.options.native = native
        tm = TableModel(problem, symmetry=symmetry, ctx=ctx)
        hint = ctx.options.warm_start or ctx.best_net
        if hint is not None:
            tm.add_hint(hint)
        info: dict[str, Any] = {"model": tm.size(), "formulation": "table"}
        if ctx.stop_requested:
            return RawResult("UNKNOWN", info=info)
        solver, status = run_solver(tm.model, ctx, tm.decode, float, self.name)
        info["wall_time_solver"] = solver.WallTime()
        if status in ("OPTIMAL", "FEASIBLE"):
            net = tm.decode(solver.Value)
            return RawResult(
                status,
                net=net,
                objective=float(solver.ObjectiveValue()),
                bound=float(solver.BestObjectiveBound()),
                info=info,
            )
        return RawResult(status, info=info)


def solve_table(
    problem: TrainingProblem,
    *,
    time_limit: float | None = 60.0,
    seed: int = 0,
    threads: int = 1,
    hint: ThresholdNet | None = None,
    symmetry: bool = True,
    log_callback: Any = None,
    incumbent_callback: ProgressCallback | None = None,
    **native: Any,
) -> SolveResult:
    """Solve ``problem`` with the CP-SAT table model.

    Parameters
    ----------
    problem : TrainingProblem
        See :func:`applicable`.
    time_limit : float or None
        Seconds (model building included).
    seed : int
        CP-SAT ``random_seed``.
    threads : int, default 1
        CP-SAT workers (1 was about 2x better than 2 on a 2-core machine).
    hint : ThresholdNet, optional
        A net of the problem's shape (e.g. from the local search): first incumbent and a
        hint for every variable.
    symmetry : bool, default True
        Unit-flip and unit-order symmetry breaking.
    log_callback, incumbent_callback : callable, optional
        Native log lines; improving solutions and bounds.
    **native
        CP-SAT ``SatParameters`` fields.

    Examples
    --------
    >>> import mixedopt as mo
    >>> from mixedopt.problems.training import TrainingProblem
    >>> X, y = mo.datasets.load("xor")
    >>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="ternary")
    >>> solve_table(p, time_limit=10).objective
    0
    """
    return TableBackend().solve(
        problem,
        time_limit=time_limit,
        seed=seed,
        threads=threads,
        warm_start=hint,
        log_callback=log_callback,
        incumbent_callback=incumbent_callback,
        symmetry=symmetry,
        **native,
    )
