"""MaxSAT backend (PySAT RC2): ``backend="maxsat"``.

Every integer quantity is an affine function of Boolean variables and every threshold link
is a (reified) pseudo-Boolean constraint encoded to CNF by :class:`pysat.pb.PBEnc`:

* a weight ``w`` is ``c0 + sum_t c_t beta_t``: ``binary`` weights use one Boolean
  (``w = 2 beta - 1``); ``ternary``/``integer`` weights and all biases use the **order
  (unary) encoding** ``w = -K + sum_{t=1}^{2K} o_t`` with ``o_{t+1} => o_t`` (good
  propagation for the small K of discrete nets);
* first layer: ``z = sum_i x_ki w_i + b`` is linear in those Booleans (``X`` integer);
* deeper layers see ``a = 2u - 1``: ``w * a = sum_t c_t (2 g_t - beta_t) + c0 (2u - 1)`` with
  ``g_t = beta_t AND u`` (three clauses each) — for ±1 weights this is the classic
  XNOR/popcount encoding;
* reification ``r => sum a_i l_i >= R`` is the PB row ``sum a_i l_i + M not r >= R`` with the
  tight ``M = R - min(sum a_i l_i)``; rows that are always true are dropped and impossible
  ones become the clause ``not r`` (PySAT raises on out-of-range bounds otherwise);
* soft clauses: ``(c_k)`` with weight ``sample_weight_k`` per example (``errors``) and
  ``(not nz)`` per parameter (``weights``; ``nz`` is forced by ``w != 0``); a lexicographic
  objective uses the exact integer weights of :class:`~mixedopt.solvers.base.LexScalarizer`
  (``RC2Stratified`` then).

RC2 is core-guided: it raises a **lower bound** (``rc2.cost``) until the first model, which
is optimal; it finds no intermediate solutions. A time limit interrupts the SAT oracle and
returns the bound (and the warm start, if one was given). Objectives: ``errors``,
``weights``; not ``margin``.

Native options: ``solver`` (SAT oracle, default ``"g3"``; only oracles that can be
interrupted, so not CaDiCaL/Kissat), ``adapt``, ``exhaust``,
``minz``, ``trim`` (RC2's), ``stratified`` (bool), ``pb_encoding`` (a
:class:`pysat.pb.EncType` name, default ``"best"``).

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> res = mo.solvers.get("maxsat").solve_data(X, y, hidden=[2], weights="binary",
...                                           time_limit=10)
>>> res.status.value, res.objective
('optimal', 0)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.base import (
    LIMIT,
    Backend,
    LexScalarizer,
    RawResult,
    SolveContext,
    check_option_names,
)

__all__ = ["MaxSATBackend"]

logger = logging.getLogger(__name__)

#: PySAT oracles whose SAT calls can be interrupted (CaDiCaL, Kissat, ... cannot)
INTERRUPTIBLE = (
    "glucose3",
    "glucose4",
    "glucose42",
    "minisat22",
    "minisatgh",
    "maplechrono",
    "maplecm",
    "maplesat",
    "mergesat3",
)

NATIVE_KEYS = ("solver", "adapt", "exhaust", "minz", "trim", "stratified", "pb_encoding")

Lin = tuple[dict[int, int], int]  # ({literal: coefficient}, constant)


class _Encoder:
    """Builds the WCNF: hard clauses via PB encodings, soft clauses for the objective."""

    def __init__(
        self, problem: TrainingProblem, pb_encoding: int, ctx: SolveContext | None = None
    ) -> None:
        from pysat.formula import WCNF, IDPool

        self.ctx = ctx
        self.p = problem
        self.pool = IDPool()
        self.wcnf = WCNF()
        self.pb_encoding = pb_encoding
        self.n_pb = 0

    # ------------------------------------------------------------------ primitives
    def new(self) -> int:
        return self.pool.id()

    def hard(self, clause: list[int]) -> None:
        self.wcnf.append(clause)

    def int_var(self, lo: int, hi: int, binary: bool = False) -> tuple[Lin, list[int]]:
        """An integer in [lo, hi] as an affine function of Booleans (order encoding)."""
        if binary:
            b = self.new()
            return ({b: 2}, -1), [b]
        bits = [self.new() for _ in range(hi - lo)]
        for t in range(len(bits) - 1):
            self.hard([-bits[t + 1], bits[t]])  # o_{t+1} => o_t
        return ({b: 1 for b in bits}, lo), bits

    def and_(self, a: int, b: int) -> int:
        g = self.new()
        self.hard([-g, a])
        self.hard([-g, b])
        self.hard([g, -a, -b])
        return g

    def geq(self, expr: Lin, rhs: int, cond: int | None = None) -> None:
        """Post ``cond => sum >= rhs`` (unconditional when ``cond`` is None)."""
        from pysat.pb import PBEnc

        coefs, const = expr
        # normalise to positive coefficients: a*l = a + |a|*(not l) for a < 0
        items = []
        for lit, c in coefs.items():
            if c > 0:
                items.append((lit, c))
            elif c < 0:
                items.append((-lit, -c))
                const += c
        bound = rhs - const
        hi = sum(c for _, c in items)
        if bound <= 0:
            return  # always true
        if bound > hi:  # impossible
            self.hard([-cond] if cond is not None else [])
            return
        if cond is not None:
            items.append((-cond, bound))
        if self.ctx is not None:
            self.ctx.check()  # PB encodings are the slow part of building
        lits = [lit for lit, _ in items]
        weights = [c for _, c in items]
        enc = PBEnc.atleast(
            lits=lits, weights=weights, bound=bound, vpool=self.pool, encoding=self.pb_encoding
        )
        for cl in enc.clauses:
            self.hard(cl)
        self.n_pb += 1

    def leq(self, expr: Lin, rhs: int, cond: int | None = None) -> None:
        coefs, const = expr
        self.geq(({lit: -c for lit, c in coefs.items()}, -const), -rhs, cond)


def _add(*exprs: Lin) -> Lin:
    out: dict[int, int] = {}
    const = 0
    for coefs, c in exprs:
        const += c
        for lit, a in coefs.items():
            out[lit] = out.get(lit, 0) + a
    return out, const


def _scale(expr: Lin, s: int) -> Lin:
    return {lit: s * c for lit, c in expr[0].items()}, s * expr[1]


class _Model:
    def __init__(
        self, problem: TrainingProblem, pb_encoding: int, ctx: SolveContext | None = None
    ) -> None:
        if not problem.integral:
            raise ValidationError(
                "the MaxSAT model needs integer inputs and discrete weights; quantise X first."
            )
        self.p = p = problem
        self.enc = e = _Encoder(problem, pb_encoding, ctx)
        sizes = p.sizes
        L = len(sizes) - 1
        m = p.n_samples
        K = int(p.weight_bound)
        binary = p.weights == "binary"
        self.W: list[list[list[tuple[Lin, list[int]]]]] = []
        self.B: list[list[tuple[Lin, list[int]]]] = []
        for layer in range(L):
            n_in, n_out = sizes[layer], sizes[layer + 1]
            lo, hi = (int(v) for v in p.bias_bounds(layer))
            self.W.append(
                [[e.int_var(-K, K, binary=binary) for _ in range(n_in)] for _ in range(n_out)]
            )
            self.B.append([e.int_var(lo, hi) for _ in range(n_out)])
        self.U: list[np.ndarray] = []
        X = p.X
        prev: np.ndarray | None = None
        Zout: list[list[Lin]] = []
        for layer in range(L):
            n_in, n_out = sizes[layer], sizes[layer + 1]
            Z: list[list[Lin]] = []
            for k in range(m):
                if ctx is not None and k % 16 == 0:
                    ctx.check()
                zk = []
                for j in range(n_out):
                    parts: list[Lin] = [self.B[layer][j][0]]
                    for i in range(n_in):
                        w = self.W[layer][j][i][0]
                        if layer == 0:
                            if X[k, i] != 0:
                                parts.append(_scale(w, int(X[k, i])))
                        else:
                            assert prev is not None
                            u = int(prev[k, i])
                            coefs, c0 = w
                            # w * (2u - 1) = sum_t c_t (2 g_t - beta_t) + c0 (2u - 1)
                            term: dict[int, int] = {u: 2 * c0}
                            for beta, ct in coefs.items():
                                g = e.and_(beta, u)
                                term[g] = term.get(g, 0) + 2 * ct
                                term[beta] = term.get(beta, 0) - ct
                            parts.append((term, -c0))
                    zk.append(_add(*parts))
                Z.append(zk)
            if layer < L - 1:
                U = np.empty((m, n_out), dtype=np.int64)
                for k in range(m):
                    if ctx is not None and k % 16 == 0:
                        ctx.check()
                    for j in range(n_out):
                        u = e.new()
                        U[k, j] = u
                        e.geq(Z[k][j], 0, u)
                        e.leq(Z[k][j], -1, -u)
                self.U.append(U)
                prev = U
            else:
                Zout = Z
        # output
        hard = p.hard
        self.C: list[int | None] = []
        for k in range(m):
            if ctx is not None and k % 16 == 0:
                ctx.check()
            c = None if hard else e.new()
            self.C.append(c)
            if p.is_binary:
                if p.y[k] == 1:
                    e.geq(Zout[k][0], 0, c)
                else:
                    e.leq(Zout[k][0], -1, c)
            else:
                ck = int(p.y[k])
                for j in range(p.n_classes):
                    if j != ck:
                        diff = _add(Zout[k][ck], _scale(Zout[k][j], -1))
                        e.geq(diff, 1 if j < ck else 0, c)
        # soft clauses
        self.scal = LexScalarizer(p)
        coef = self.scal.coef
        if "errors" in p.objective and not hard:
            for k, c in enumerate(self.C):
                assert c is not None
                e.wcnf.append([c], weight=int(p.sample_weight[k]) * coef["errors"])
        self.n_const_nz = 0
        if "weights" in p.objective:
            for layer in range(L):
                for j in range(sizes[layer + 1]):
                    items = [self.B[layer][j]]
                    if binary:
                        self.n_const_nz += sizes[layer]
                    else:
                        items += self.W[layer][j]
                    for (_, const), bits in items:
                        # value = const + #true bits; zero iff exactly -const bits are true
                        z = -const
                        if z < 0 or z > len(bits):
                            self.n_const_nz += 1
                            continue
                        nz = e.new()
                        if z >= 1:
                            e.hard([nz, bits[z - 1]])  # fewer than z true -> nonzero
                        if z < len(bits):
                            e.hard([nz, -bits[z]])  # more than z true -> nonzero
                        e.wcnf.append([-nz], weight=coef["weights"])
        self.offset = coef.get("weights", 0) * self.n_const_nz

    def decode(self, model: list[int]) -> ThresholdNet:
        true = {lit for lit in model if lit > 0}

        def value(expr: Lin) -> int:
            coefs, c = expr
            return int(c + sum(a for lit, a in coefs.items() if lit in true))

        Ws = [np.array([[value(w[0]) for w in row] for row in Wl], dtype=np.int64) for Wl in self.W]
        bs = [np.array([value(b[0]) for b in Bl], dtype=np.int64) for Bl in self.B]
        return self.p.make_net(Ws, bs, metadata={"backend": "maxsat"})

    def size(self) -> dict[str, int]:
        return {
            "variables": int(self.enc.pool.top),
            "hard_clauses": len(self.enc.wcnf.hard),
            "soft_clauses": len(self.enc.wcnf.soft),
            "pb_rows": self.enc.n_pb,
        }


class MaxSATBackend(Backend):
    """PySAT RC2 over PB/cardinality encodings (see the module docstring)."""

    name = "maxsat"
    label = "MaxSAT"
    description = "PySAT RC2 MaxSAT over cardinality / PB encodings"
    packages = ("pysat",)
    extra = "maxsat"
    domains = frozenset({"binary", "ternary", "integer"})
    objectives = frozenset({"errors", "weights"})
    needs_integral = True
    STATUS_MAP: ClassVar[dict[str, Status | str]] = {
        "optimum": Status.OPTIMAL,
        "interrupted": LIMIT,
        "unsat": Status.INFEASIBLE,
    }

    def check_native(self, native: Mapping[str, Any]) -> None:
        check_option_names(native, NATIVE_KEYS, backend="maxsat")
        if "pb_encoding" in native:
            from pysat.pb import EncType

            if not hasattr(EncType, str(native["pb_encoding"])):
                raise ValidationError(
                    f"unknown pb_encoding {native['pb_encoding']!r}; choose from "
                    + ", ".join(e for e in dir(EncType) if not e.startswith("_"))
                )
        if "solver" in native:
            from pysat.solvers import SolverNames

            ok = {n for key in INTERRUPTIBLE for n in getattr(SolverNames, key)}
            if native["solver"] not in ok:
                raise ValidationError(
                    f"maxsat solver {native['solver']!r} is unknown or cannot be interrupted "
                    "(so no time limit could be honoured); use one of g3, g4, g42, m22, mgh, "
                    "mcb, mcm, mpl, mg3."
                )

    def _solve(self, problem: TrainingProblem, ctx: SolveContext) -> RawResult:
        from pysat.examples.rc2 import RC2, RC2Stratified
        from pysat.pb import EncType

        nat = dict(ctx.options.native)
        enc_name = nat.pop("pb_encoding", "best")
        mm = _Model(problem, getattr(EncType, enc_name), ctx)
        info: dict[str, Any] = {"model": mm.size()}
        stratified = nat.pop("stratified", None)
        weights = {w for w in mm.enc.wcnf.wght}
        if stratified is None:
            stratified = len(weights) > 1
        cls = RC2Stratified if stratified else RC2
        kwargs = {"solver": nat.pop("solver", "g3"), **nat}
        if ctx.stop_requested:
            return RawResult("interrupted", info=info)
        rc2 = cls(mm.enc.wcnf, **kwargs)
        stop = threading.Event()

        def watchdog() -> None:
            # RC2 finishes the current core after an interrupt (~0.1-1 s): stop a bit early
            while not stop.wait(0.05):
                left = ctx.time_left()
                if ctx.stop_requested or (left is not None and left < 0.25):
                    try:
                        rc2.interrupt()
                    except Exception as exc:  # an oracle without interrupt support
                        logger.warning("maxsat: could not interrupt the SAT oracle: %s", exc)
                    return
                ctx.bound(mm.scal.primary_bound(rc2.cost + mm.offset), source="maxsat")

        thread = threading.Thread(target=watchdog, daemon=True)
        thread.start()
        try:
            model = rc2.compute(expect_interrupt=True)
        except KeyboardInterrupt:
            ctx.interrupt()
            model = None
        finally:
            stop.set()
            thread.join()
        cost = rc2.cost + mm.offset
        interrupted = bool(getattr(rc2, "interrupted", False)) or ctx.interrupted
        rc2.delete()
        if model is None:
            if interrupted or ctx.stop_requested:
                return RawResult(
                    "interrupted", bound=mm.scal.primary_bound(cost), info=info, optimal_all=False
                )
            return RawResult("unsat", info=info)
        net = mm.decode(model)
        primary = mm.scal.primary_bound(cost)
        return RawResult("optimum", net=net, objective=primary, bound=primary, info=info)
