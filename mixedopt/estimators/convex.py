"""ConvexThresholdClassifier: scikit-learn classifier over the convex trainers.

Threshold networks trained through the convex reformulations of Ergen et al. (ICLR 2023):
Convex-Lasso (sampled arrangement patterns, program (6)), Convex-PI and Convex-SVM (program
(7) on a representation that makes every subset of the points a pattern). The hidden layers
use ``step`` units ``1{z >= 0}``; the output weights are the amplitudes found by the convex
program; a binary net predicts ``classes_[1]`` when its output is ``>= 0``.

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("breast_cancer")
>>> clf = mo.ConvexThresholdClassifier(method="lasso", n_patterns=500, beta=1e-2,
...                                    random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.9, clf.net_.activation_names
(True, ['step'])
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mixedopt.errors import ValidationError
from mixedopt.estimators.base import (
    ThresholdClassifierBase,
    check_verbose,
    say,
    seed_from,
)
from mixedopt.result import SolveResult
from mixedopt.validation import check_positive

__all__ = ["ConvexThresholdClassifier"]


class ConvexThresholdClassifier(ThresholdClassifierBase):
    """Threshold-network classifier trained by a convex program (globally, for its pattern set).

    Parameters
    ----------
    method : {"lasso", "pi", "svm"}, default "lasso"
        Convex-Lasso (Lasso over sampled hyperplane-arrangement patterns), Convex-PI or
        Convex-SVM (program (7), hidden units realised by pseudo-inverse or max-margin).
    n_patterns : int, default 1000
        Hyperplanes sampled for Convex-Lasso (duplicates and the empty pattern are dropped).
    beta : float, default 1e-3
        Regularisation on the normalised objective ``(1/n) sum loss + beta ||amplitudes||_1``
        (the paper's ``beta*``).
    loss : {"squared", "logistic", "hinge"}, default "squared"
    depth : int or None, default None
        Hidden layers (None: 1 for lasso, 2 for pi/svm: a representation layer then the
        convex layer).
    sampler : {"data", "gaussian", "enumerate"}, default "data"
        How Convex-Lasso draws its patterns: ``"data"``, sparse directions with offsets
        between consecutive training projections, or the paper's ``"gaussian"`` directions;
        ``"enumerate"``: all of them (tiny data only). The default ``"data"`` was first set
        from test accuracies; chosen on validation splits instead, it wins on 24 of 35
        splits (``results/convex_table.md``, which selects the sampler per split).
    sparsity : int or None, default None
        Non-zeros per sampled direction.
    representation : {"random", "staircase"}, default "random"
        Representation layers (``depth > 1``).
    representation_size : int, default 1000
        Units per random representation layer.
    svm_C : float or None, default None
        SVM penalty of Convex-SVM (None: hard margin).
    multiclass : {"ovr", "group"}, default "ovr"
        More than two classes: one convex program per class (one-vs-rest, ±1 targets), or
        (Convex-Lasso, squared loss) one group Lasso whose hidden units all outputs share.
    tol : float, default 1e-4
        Relative duality gap for the solvers.
    max_iter : int, default 20000
    time_limit : float, default 300.0
        Seconds for the whole fit (the best solution so far is kept, with a
        ``ConvergenceWarning`` when the solver's gap is still open). Under a short limit
        pattern sampling stops at half of it and the LARS path gives way to FISTA; when the
        limit cut the sampling or the solve, a warning is logged and
        ``result_.info["time_limit_reached"]`` is True.
    random_state : int, RandomState or None, default None
    verbose : int, default 0
        ``1``: print a line when the solve starts and one with its status, objective,
        bound and gap when it ends, on stdout (no logging to configure).

    Attributes
    ----------
    net_ : ThresholdNet
        The trained network (reads raw inputs).
    classes_ : ndarray
    result_ : SolveResult
        Status, objective, global bound (program (7)), gap and solver details (``info``).
    objective_ : float
        Training objective of ``net_`` on the convex programs' scale.
    bound_ : float or None
        Lower bound on that objective over every network of this form.
    gap_ : float or None
        Relative gap between them (0 when ``net_`` is a proven global optimum).
    status_ : Status
    n_hidden_ : int
        Units in the convex (last hidden) layer.
    n_iter_ : int
        Solver iterations.
    n_features_in_ : int
    """

    def __init__(
        self,
        *,
        method: str = "lasso",
        n_patterns: int = 1000,
        beta: float = 1e-3,
        loss: str = "squared",
        depth: int | None = None,
        sampler: str = "data",
        sparsity: int | None = None,
        representation: str = "random",
        representation_size: int = 1000,
        svm_C: float | None = None,
        multiclass: str = "ovr",
        tol: float = 1e-4,
        max_iter: int = 20_000,
        time_limit: float = 300.0,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        self.method = method
        self.n_patterns = n_patterns
        self.beta = beta
        self.loss = loss
        self.depth = depth
        self.sampler = sampler
        self.sparsity = sparsity
        self.representation = representation
        self.representation_size = representation_size
        self.svm_C = svm_C
        self.multiclass = multiclass
        self.tol = tol
        self.max_iter = max_iter
        self.time_limit = time_limit
        self.random_state = random_state
        self.verbose = verbose

    def _check_params(self) -> None:
        check_positive(self.beta, name="beta")
        check_positive(self.tol, name="tol")
        check_positive(self.time_limit, name="time_limit")
        check_positive(self.max_iter, name="max_iter", integer=True)
        if self.svm_C is not None:
            check_positive(self.svm_C, name="svm_C")
        if isinstance(self.n_patterns, bool) or not isinstance(self.n_patterns, (int, np.integer)):
            raise ValidationError(
                f"n_patterns must be a positive integer, got {self.n_patterns!r}."
            )
        if self.n_patterns < 1:
            raise ValidationError(
                f"n_patterns must be >= 1, got {self.n_patterns}: an empty pattern set has no "
                "hidden units."
            )

    def fit(self, X: Any, y: Any) -> ConvexThresholdClassifier:
        """Solve the convex program on ``(X, y)`` and build ``net_``.

        Returns
        -------
        self
        """
        from mixedopt.convex import train_convex

        self._check_params()
        verbose = check_verbose(self.verbose)
        X, y = self._validate_training_data(X, y)
        if verbose:
            say(
                "ConvexThresholdClassifier",
                f"solving the {self.method} program on {X.shape[0]} samples x {X.shape[1]} "
                f"features (time limit {self.time_limit:g}s)",
            )
        res: SolveResult = train_convex(
            X,
            y,
            method=self.method,
            beta=float(self.beta),
            loss=self.loss,
            n_patterns=int(self.n_patterns),
            depth=self.depth,
            sampler=self.sampler,
            sparsity=self.sparsity,
            representation=self.representation,
            representation_size=int(self.representation_size),
            svm_C=self.svm_C,
            multiclass=self.multiclass,
            tol=float(self.tol),
            max_iter=int(self.max_iter),
            time_limit=float(self.time_limit),
            seed=seed_from(self.random_state),
        )
        self.result_ = res
        self.net_ = res.net
        self.classes_ = np.asarray(res.net.classes)
        self.objective_ = res.objective
        self.bound_ = res.bound
        self.gap_ = res.gap
        self.status_ = res.status
        self.n_hidden_ = int(res.info.get("n_hidden", res.net.hidden_sizes[-1]))
        self.n_iter_ = int(res.info.get("n_iter", 1))
        if verbose:
            gap = "-" if res.gap is None else f"{res.gap:.2%}"
            bnd = "-" if res.bound is None else f"{res.bound:.6g}"
            say(
                "ConvexThresholdClassifier",
                f"done: {res.status.value}, objective {res.objective:.6g}, bound {bnd}, "
                f"gap {gap} (0: globally optimal), {self.n_hidden_} hidden units, "
                f"{self.n_iter_} iterations, {res.wall_time:.2f}s",
            )
        if res.interrupted or res.info.get("restricted_status") == "feasible":
            warnings.warn(
                "ConvexThresholdClassifier: the convex solver stopped before its duality gap "
                f"reached tol={self.tol:g} (restricted gap {res.info.get('restricted_gap')}); "
                "raise max_iter or time_limit.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self
