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

This module checks the options, builds the representation layers and dispatches; the method
trainers live in :mod:`~mixedopt.convex.train_lasso` (Convex-Lasso) and
:mod:`~mixedopt.convex.train_complete` (Convex-PI / -SVM), the lower bound and status in
:mod:`~mixedopt.convex.certify` (their helpers stay importable from here).

Every result carries a lower bound valid for *every* network of this form (the value of
program (7), any width and any hidden layers), so ``SolveResult.gap`` says how far the
returned network is from the global optimum of the regularised training problem; status
``OPTIMAL`` only when that gap is closed (to ``tol``).

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex import train_convex
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

from mixedopt.convex.arrangements import (
    SAMPLERS,
    ThresholdLayer,
    random_representation,
    staircase_representation,
)
from mixedopt.convex.losses import LOSSES
from mixedopt.convex.solvers import SOLVERS
from mixedopt.convex.train_complete import fit_complete
from mixedopt.convex.train_lasso import (
    fit_lasso,
)
from mixedopt.errors import ValidationError
from mixedopt.result import SolveResult
from mixedopt.threads import one_blas_thread
from mixedopt.validation import check_positive, check_time_limit, check_X_y, encode_labels

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
        results = fit_lasso(
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
        results = fit_complete(
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
        _keep_patterns(res, Xa, method)
    return results


def _keep_patterns(res: SolveResult, Xa: np.ndarray, method: str) -> None:
    """Store the convex solution's activation patterns on its net as its training targets:
    each hidden unit is a hyperplane of the arrangement, its pattern the unit's step value
    on every training sample (so the net meets them by construction)."""
    net = res.net
    if net is None or not net.hidden_sizes:
        return
    post = net.forward(Xa)[1][: len(net.hidden_sizes)]
    T = [np.asarray(p) for p in post]
    if any(np.any(t != np.round(t)) for t in T):
        return  # not two-level units: nothing to store as int8
    net.set_training_targets(
        T,
        Xa,
        source="convex",
        description=f"the convex solution's activation patterns (Convex-{method}; each "
        "hidden unit's step pattern on the training samples)",
    )


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
        Pattern sampler (see :func:`~mixedopt.convex.arrangements.sample_patterns`):
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
        :func:`~mixedopt.convex.reconstruct.network_objective`), ``bound`` (program
        (7)), ``status``; ``info`` holds the restricted program's certificate
        (``restricted_gap``, ``kkt_residual``), the agreement of the network with the convex
        model on the training set (``train_agreement``) and timings.
    """
    return train_convex_path(X, y, [beta], **kwargs)[0]
