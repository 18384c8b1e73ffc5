"""Train threshold networks through their convex reformulations (Ergen et al., ICLR 2023).

:func:`train_convex` is the single entry point used by the estimator and the command line:

* ``method="lasso"`` (Convex-Lasso): patterns of the (last) representation are sampled
  (or enumerated exactly for tiny data), program (6)/(15) is solved over them, and the
  support becomes the hidden layer;
* ``method="pi"`` / ``"svm"`` (Convex-PI / Convex-SVM): program (7) is solved in closed form
  (squared loss) or by FISTA / LP, and each pattern of its staircase decomposition is
  realised on the representation by a pseudo-inverse or a max-margin unit.

``depth`` is the number of hidden step layers of the returned network: the first
``depth - 1`` are representation layers (random units, or the deterministic staircase layer
that makes every subset of the points a pattern), the last one is the convex layer.

Every result carries a lower bound valid for *every* network of this form (the value of
program (7), any width and any hidden layers), so ``SolveResult.gap`` says how far the
returned network is from the global optimum of the regularised training problem; status
``OPTIMAL`` only when that gap is closed (to ``tol``).

Examples
--------
>>> import numpy as np
>>> from mixedopt.train.convex import train_convex
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(40, 3)); y = np.where(X[:, 0] * X[:, 1] > 0, "a", "b")
>>> res = train_convex(X, y, method="pi", beta=1e-3, seed=0)
>>> res.status.value, res.n_errors
('optimal', 0)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedopt._threads import one_blas_thread
from mixedopt._validation import check_positive, check_time_limit, check_X_y, encode_labels
from mixedopt.errors import ValidationError
from mixedopt.result import SolveResult, Status, relative_gap
from mixedopt.train.convex.arrangements import (
    SAMPLERS,
    Arrangement,
    ThresholdLayer,
    enumerate_patterns,
    random_representation,
    sample_patterns,
    staircase_representation,
    unique_rows,
)
from mixedopt.train.convex.complete import solve_complete
from mixedopt.train.convex.losses import LOSSES
from mixedopt.train.convex.reconstruct import (
    build_network,
    lasso_network,
    network_objective,
    pattern_units,
    staircase_decomposition,
)
from mixedopt.train.convex.solvers import SOLVERS, lasso_path

__all__ = ["METHODS", "MULTICLASS", "REPRESENTATIONS", "train_convex", "train_convex_path"]

logger = logging.getLogger(__name__)

METHODS = ("lasso", "pi", "svm")
MULTICLASS = ("ovr", "group")
REPRESENTATIONS = ("random", "staircase")


def _check_options(
    method: str,
    loss: str,
    depth: int | None,
    sampler: str,
    representation: str,
    representation_size: int,
    n_patterns: int,
    solver: str,
) -> int:
    if method not in METHODS:
        raise ValidationError(f"method must be one of {METHODS}, got {method!r}.")
    if loss not in LOSSES:
        raise ValidationError(f"loss must be one of {LOSSES}, got {loss!r}.")
    if sampler not in (*SAMPLERS, "enumerate"):
        raise ValidationError(
            f"sampler must be one of {(*SAMPLERS, 'enumerate')}, got {sampler!r}."
        )
    if representation not in REPRESENTATIONS:
        raise ValidationError(
            f"representation must be one of {REPRESENTATIONS}, got {representation!r}."
        )
    if solver not in SOLVERS:
        raise ValidationError(f"solver must be one of {SOLVERS}, got {solver!r}.")
    check_positive(n_patterns, name="n_patterns", integer=True)
    check_positive(representation_size, name="representation_size", integer=True)
    if depth is None:
        return 1 if method == "lasso" else 2
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValidationError(f"depth (number of hidden layers) must be >= 1, got {depth!r}.")
    return int(depth)


def _targets(codes: np.ndarray, k: int) -> np.ndarray:
    if k == 2:
        return np.where(codes == 1, 1.0, -1.0)
    return np.where(codes[:, None] == np.arange(k)[None, :], 1.0, -1.0)


def _representation(
    X: np.ndarray, n_layers: int, kind: str, size: int, rng: np.random.Generator
) -> tuple[list[ThresholdLayer], np.ndarray]:
    layers: list[ThresholdLayer] = []
    A = X
    for _ in range(n_layers):
        layer = (
            staircase_representation(A)
            if kind == "staircase"
            else random_representation(A, size, seed=rng)
        )
        layers.append(layer)
        A = layer.transform(A)
    return layers, A


def _bound(Y: np.ndarray, beta: float, loss: str, group: bool, groups: np.ndarray) -> float:
    """Value of program (7) per output, summed, with identical inputs grouped: a lower bound
    for every network whose last hidden layer is a step layer (any width and depth)."""
    if Y.ndim == 1:
        return solve_complete(Y, beta, loss=loss, groups=groups).dual_objective
    K = Y.shape[1]
    b = beta / np.sqrt(K) if group else beta  # sum_j ||W_j||_2 >= sum_j ||W_j||_1 / sqrt(K)
    return float(
        sum(solve_complete(Y[:, k], b, loss=loss, groups=groups).dual_objective for k in range(K))
    )


def _aggregate(
    A: np.ndarray, D: Any, Y: np.ndarray, arr: Arrangement
) -> tuple[np.ndarray, np.ndarray, float, float, np.ndarray] | None:
    """Merge identical inputs for the squared loss (titanic: 1760 rows, 14 distinct).

    ``(1/2n) ||D w - y||^2 = (G/n) (1/2G) ||D~ w - y~||^2 + c`` with ``D~ = sqrt(n_g) D_g``,
    ``y~ = sqrt(n_g) mean_g(y)`` and ``c`` the within-group spread, so the Lasso with
    ``beta n / G`` on the ``G`` distinct rows has the same solutions. Returns ``(D~, Y~,
    G / n, c, c per column)`` or None when less than 10 % of the rows are duplicates.
    """
    first, groups, counts = unique_rows(np.ascontiguousarray(A))
    n, G = A.shape[0], first.size
    if G > 0.9 * n:
        return None
    Du = D[first].astype(np.float64) if isinstance(D, np.ndarray) else arr.transform(A[first])
    w = np.sqrt(counts.astype(np.float64))
    Y2 = Y.reshape(n, -1)
    means = (
        np.stack(
            [np.bincount(groups, weights=Y2[:, k], minlength=G) for k in range(Y2.shape[1])], axis=1
        )
        / counts[:, None]
    )
    spread = np.sum((Y2 - means[groups]) ** 2, axis=0) / (2 * n)
    Yt = means * w[:, None]
    return (
        np.asarray(Du, dtype=np.float64) * w[:, None],
        Yt[:, 0] if Y.ndim == 1 else Yt,
        G / n,
        float(spread.sum()),
        spread,
    )


def _unscale(sol: Any, scale: float, const: float, beta: float) -> None:
    """Map a solution of the aggregated program back to the original normalisation."""
    sol.objective = scale * sol.objective + const
    sol.dual_objective = scale * sol.dual_objective + const
    sol.gap = scale * sol.gap
    sol.kkt_residual = scale * sol.kkt_residual
    sol.beta = beta
    sol.info["aggregated_rows"] = True


def _predict_codes(F: np.ndarray) -> np.ndarray:
    return (F >= 0).astype(np.int64) if F.ndim == 1 else np.argmax(F, axis=1)


def train_convex_path(
    X: Any,
    y: Any,
    betas: Sequence[float],
    *,
    method: str = "lasso",
    loss: str = "squared",
    n_patterns: int = 1000,
    depth: int | None = None,
    sampler: str = "data",
    sparsity: int | None = None,
    representation: str = "random",
    representation_size: int = 1000,
    include_ones: bool = True,
    svm_C: float | None = None,
    pi_threshold: float = 0.5,
    solver: str = "auto",
    tol: float = 1e-4,
    max_iter: int = 20_000,
    time_limit: float | None = None,
    seed: int | None = None,
    multiclass: str = "ovr",
) -> list[SolveResult]:
    """:func:`train_convex` for several ``beta`` sharing one representation and pattern set
    (warm-started path for Convex-Lasso). Results come back in the order of ``betas``."""

    # one BLAS thread: these are many small products and factorisations, which two threads
    # competing for two shared cores slow down by an order of magnitude (measured)
    with one_blas_thread():
        return _train_convex_path(
            X,
            y,
            betas,
            method=method,
            loss=loss,
            n_patterns=n_patterns,
            depth=depth,
            sampler=sampler,
            sparsity=sparsity,
            representation=representation,
            representation_size=representation_size,
            include_ones=include_ones,
            svm_C=svm_C,
            pi_threshold=pi_threshold,
            solver=solver,
            tol=tol,
            max_iter=max_iter,
            time_limit=time_limit,
            seed=seed,
            multiclass=multiclass,
        )


def _train_convex_path(
    X: Any,
    y: Any,
    betas: Sequence[float],
    *,
    method: str,
    loss: str,
    n_patterns: int,
    depth: int | None,
    sampler: str,
    sparsity: int | None,
    representation: str,
    representation_size: int,
    include_ones: bool,
    svm_C: float | None,
    pi_threshold: float,
    solver: str,
    tol: float,
    max_iter: int,
    time_limit: float | None,
    seed: int | None,
    multiclass: str,
) -> list[SolveResult]:
    t0 = time.perf_counter()
    if multiclass not in MULTICLASS:
        raise ValidationError(f"multiclass must be one of {MULTICLASS}, got {multiclass!r}.")
    depth = _check_options(
        method, loss, depth, sampler, representation, representation_size, n_patterns, solver
    )
    betas = [float(check_positive(b, name="beta")) for b in np.atleast_1d(betas)]
    if not betas:
        raise ValidationError("betas is empty; give at least one value of beta.")
    tol = float(check_positive(tol, name="tol"))
    time_limit = check_time_limit(time_limit)
    Xa, ya = check_X_y(X, y, min_classes=2)
    Xa = Xa.astype(np.float64)
    classes, codes = encode_labels(ya)
    K = classes.size
    Y = _targets(codes, K)
    rng = np.random.default_rng(seed)
    layers, A = _representation(Xa, depth - 1, representation, representation_size, rng)
    t_rep = time.perf_counter() - t0
    common = {
        "method": method,
        "loss": loss,
        "depth": depth,
        "n_classes": int(K),
        "representation": representation if depth > 1 else "none",
        "representation_size": [L.n_units for L in layers],
    }
    if method == "lasso":
        results = _lasso(
            Xa,
            A,
            Y,
            betas,
            layers,
            classes,
            loss,
            n_patterns,
            sampler,
            sparsity,
            include_ones,
            solver,
            tol,
            max_iter,
            time_limit,
            rng,
            common,
            t0,
            multiclass,
        )
    else:
        results = _complete(
            Xa,
            A,
            Y,
            betas,
            layers,
            classes,
            method,
            loss,
            svm_C,
            pi_threshold,
            tol,
            max_iter,
            time_limit,
            seed,
            common,
            t0,
        )
    for res in results:
        res.net.metadata["train_time"] = res.wall_time
        res.info["representation_time"] = t_rep
        res.n_errors = int(np.sum(res.net.predict_codes(Xa) != codes))
        res.seed = seed
    return results


def train_convex(X: Any, y: Any, *, beta: float = 1e-3, **kwargs: Any) -> SolveResult:
    """Train a threshold network by a convex program; see the module docstring.

    Parameters
    ----------
    X : array-like (n, d)
    y : array-like (n,)
        Labels (two or more classes). Binary problems use ±1 targets; multi-class problems
        the ±1 one-vs-rest code with a group Lasso (squared loss, shared hidden units) or one
        program per class (other losses, and Convex-PI / -SVM).
    beta : float
        Regularisation ``> 0`` on the normalised objective ``(1/n) sum l + beta ||w||_1``
        (the paper's ``beta*``; its code passes ``n beta``).
    method : {"lasso", "pi", "svm"}
    loss : {"squared", "logistic", "hinge"}
    n_patterns : int
        Directions sampled for Convex-Lasso (before deduplication).
    depth : int, optional
        Hidden layers of the network (default 1 for lasso, 2 for pi/svm).
    sampler : {"data", "gaussian", "enumerate"}
        Pattern sampler (see :func:`~mixedopt.train.convex.arrangements.sample_patterns`):
        ``"data"`` (default; sparse directions, offsets between training projections),
        ``"gaussian"`` (the paper's), ``"enumerate"`` (the exact arrangement set, tiny data).
    sparsity : int, optional
        Non-zeros per sampled direction.
    representation : {"random", "staircase"}
        Representation layers: ``representation_size`` random step units, or the
        deterministic layer that makes every subset of the points a pattern.
    include_ones : bool
        Include the all-ones pattern (an output bias) in the Lasso.
    svm_C : float, optional
        SVM penalty for Convex-SVM (``None``: hard margin).
    pi_threshold : float
        Threshold of the Convex-PI units (0.5).
    solver : {"auto", "cd", "fista", "highs"}
    tol : float
        Relative duality gap for the solvers and for declaring ``OPTIMAL``.
    max_iter : int
    time_limit : float, optional
        Seconds for the whole training (best-so-far is returned, status ``FEASIBLE``).
    seed : int, optional
        Seeds the representation and pattern sampling.
    multiclass : {"ovr", "group"}
        Multi-class formulation (see ``y``); ``"ovr"`` uses the exact LARS path per class.

    Returns
    -------
    SolveResult
        ``net`` (a ThresholdNet with step hidden layers), ``objective`` (the network's value,
        :func:`~mixedopt.train.convex.reconstruct.network_objective`), ``bound`` (program
        (7)), ``status``; ``info`` holds the restricted program's certificate
        (``restricted_gap``, ``kkt_residual``), the agreement of the network with the convex
        model on the training set (``train_agreement``) and timings.
    """
    return train_convex_path(X, y, [beta], **kwargs)[0]


def _result(
    net: Any,
    objective: float,
    bound: float | None,
    tol: float,
    t0: float,
    method: str,
    info: dict[str, Any],
    interrupted: bool = False,
) -> SolveResult:
    gap = relative_gap(objective, bound)
    status = Status.OPTIMAL if gap is not None and gap <= tol else Status.FEASIBLE
    return SolveResult(
        status=status,
        net=net,
        objective=float(objective),
        bound=None if bound is None else float(min(bound, objective)),
        wall_time=time.perf_counter() - t0,
        backend="convex",
        method=f"convex-{method}",
        interrupted=interrupted,
        info=info,
    )


def _lasso(
    X: np.ndarray,
    A: np.ndarray,
    Y: np.ndarray,
    betas: list[float],
    layers: list[ThresholdLayer],
    classes: np.ndarray,
    loss: str,
    n_patterns: int,
    sampler: str,
    sparsity: int | None,
    include_ones: bool,
    solver: str,
    tol: float,
    max_iter: int,
    time_limit: float | None,
    rng: np.random.Generator,
    common: dict[str, Any],
    t0: float,
    multiclass: str,
) -> list[SolveResult]:
    t1 = time.perf_counter()
    if sampler == "enumerate":
        arr: Arrangement = enumerate_patterns(A, time_limit=time_limit)
    else:
        arr = sample_patterns(
            A,
            int(n_patterns),
            sampler=sampler,
            sparsity=sparsity,
            include_ones=include_ones,
            seed=rng,
        )
    t_arr = time.perf_counter() - t1
    D: Any = arr.patterns if A.shape[0] * arr.n_patterns > 20_000_000 else arr.patterns.toarray()
    group = Y.ndim == 2 and loss == "squared" and multiclass == "group"
    left = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    agg = _aggregate(A, D, Y, arr) if loss == "squared" else None
    D_s, Y_s, betas_s = (
        (D, Y, betas) if agg is None else (agg[0], agg[1], [b / agg[2] for b in betas])
    )
    if Y.ndim == 1 or group:
        paths = [
            lasso_path(
                D_s,
                Y_s,
                betas_s,
                loss=loss,
                solver=solver,
                tol=tol,
                max_iter=max_iter,
                time_limit=left,
            )
        ]
    else:  # one program per class over the shared patterns
        paths = [
            lasso_path(
                D_s,
                Y_s[:, k],
                betas_s,
                loss=loss,
                solver=solver,
                tol=tol,
                max_iter=max_iter,
                time_limit=None if left is None else left / Y.shape[1],
            )
            for k in range(Y.shape[1])
        ]
    if agg is not None:
        for k, path in enumerate(paths):
            const = agg[3] if (Y.ndim == 1 or group) else agg[4][k]
            for sol, beta in zip(path, betas, strict=True):
                _unscale(sol, agg[2], const, beta)
    Dmat = arr.patterns
    out = []
    for i, beta in enumerate(betas):
        sols = [p[i] for p in paths]
        coef = sols[0].coef if len(sols) == 1 else np.column_stack([s.coef for s in sols])
        F = Dmat.matvec(coef)
        penalty = "group" if group else "l1"
        meta = {
            "trainer": "convex",
            "method": "lasso",
            "beta": beta,
            "loss": loss,
            "sampler": sampler,
            "depth": common["depth"],
        }
        net = lasso_network(layers, arr.layer, coef, classes=classes, metadata=meta)
        obj = network_objective(net, X, Y, beta, loss=loss, penalty=penalty)
        bound = _bound(Y, beta, loss, group, unique_rows(X)[1])
        restricted_dual = float(sum(s.dual_objective for s in sols))
        if arr.complete and not layers:  # exact H(X): the restricted dual bounds everything
            bound = max(bound, restricted_dual)
        agree = float(np.mean(net.predict_codes(X) == _predict_codes(F)))
        info = {
            **common,
            "beta": beta,
            "sampler": sampler,
            "n_patterns": arr.n_patterns,
            "n_hidden": int(net.hidden_sizes[-1]),
            "complete_patterns": bool(arr.complete),
            "restricted_objective": float(sum(s.objective for s in sols)),
            "restricted_dual": restricted_dual,
            "restricted_gap": float(sum(s.gap for s in sols)),
            "restricted_status": "optimal"
            if all(s.status == Status.OPTIMAL for s in sols)
            else "feasible",
            "kkt_residual": float(max(s.kkt_residual for s in sols)),
            "solver": sols[0].solver,
            "n_iter": int(sum(s.n_iter for s in sols)),
            "solve_time": float(sum(s.wall_time for s in sols)),
            "arrangement_time": t_arr,
            "train_agreement": agree,
        }
        out.append(
            _result(net, obj, bound, tol, t0, "lasso", info, any(s.interrupted for s in sols))
        )
    return out


def _complete(
    X: np.ndarray,
    A: np.ndarray,
    Y: np.ndarray,
    betas: list[float],
    layers: list[ThresholdLayer],
    classes: np.ndarray,
    method: str,
    loss: str,
    svm_C: float | None,
    pi_threshold: float,
    tol: float,
    max_iter: int,
    time_limit: float | None,
    seed: int | None,
    common: dict[str, Any],
    t0: float,
) -> list[SolveResult]:
    first, groups, _ = unique_rows(np.ascontiguousarray(A))
    x_groups = unique_rows(X)[1]
    Au = np.asarray(A[first], dtype=np.float64)
    G, m = Au.shape
    complete = bool(G <= m + 1 and np.linalg.matrix_rank(np.hstack([Au, np.ones((G, 1))])) == G)
    Ys = [Y] if Y.ndim == 1 else [Y[:, k] for k in range(Y.shape[1])]
    out = []
    for beta in betas:
        t1 = time.perf_counter()
        sols = [
            solve_complete(
                yk,
                beta,
                loss=loss,
                groups=groups,
                tol=min(tol, 1e-9),
                max_iter=max_iter,
                time_limit=time_limit,
            )
            for yk in Ys
        ]
        t_solve = time.perf_counter() - t1
        unit_layers, amps, realised = [], [], []
        for s in sols:
            Pm, amp = staircase_decomposition(s.delta_groups)
            layer, ok = pattern_units(
                Au, Pm, method, threshold=pi_threshold, svm_C=svm_C, seed=seed
            )
            unit_layers.append(layer)
            amps.append(amp)
            realised.append(ok)
        W = np.vstack([L.weights for L in unit_layers])
        b = np.concatenate([L.biases for L in unit_layers])
        k_tot = W.shape[0]
        if len(sols) == 1:
            Wout = amps[0]
        else:  # block output: class k reads only its own units
            Wout = np.zeros((len(sols), k_tot))
            pos = 0
            for k, a in enumerate(amps):
                Wout[k, pos : pos + a.size] = a
                pos += a.size
        meta = {
            "trainer": "convex",
            "method": method,
            "beta": beta,
            "loss": loss,
            "depth": common["depth"],
            "complete_representation": complete,
        }
        net = build_network([*layers, ThresholdLayer(W, b)], Wout, classes=classes, metadata=meta)
        obj = network_objective(net, X, Y, beta, loss=loss, penalty="l1")
        bound = _bound(Y, beta, loss, False, x_groups)
        F = sols[0].delta if len(sols) == 1 else np.column_stack([s.delta for s in sols])
        agree = float(np.mean(net.predict_codes(X) == _predict_codes(F)))
        r = np.concatenate(realised) if realised else np.zeros(0, dtype=bool)
        info = {
            **common,
            "beta": beta,
            "complete_representation": complete,
            "n_groups": int(G),
            "n_hidden": int(net.hidden_sizes[-1]),
            "convex_objective": float(sum(s.objective for s in sols)),
            "representation_bound": float(sum(s.dual_objective for s in sols)),
            "convex_gap": float(sum(s.gap for s in sols)),
            "solver": sols[0].solver,
            "solve_time": t_solve,
            "reconstruction_time": time.perf_counter() - t1 - t_solve,
            "patterns_realised": float(r.mean()) if r.size else 1.0,
            "train_agreement": agree,
        }
        out.append(_result(net, obj, bound, tol, t0, method, info))
    return out
