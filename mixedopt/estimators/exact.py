"""ExactThresholdClassifier: a scikit-learn classifier over :func:`mixedopt.train_exact`.

The network is trained by a mixed-integer / SAT solver under a time limit. A solve that
stops at the limit keeps the best network found and warns (``ConvergenceWarning``) with its
gap; ``status_``, ``gap_`` and ``result_`` say what was proven.

Integer-arithmetic backends (``cpsat``, ``maxsat``: those whose registry entry says
``needs_integral``) need integer inputs. With
``quantize="auto"`` (default) non-integer inputs are standardised and rounded,
``round(input_scale * (X - mean_) / scale_)``, before training and prediction: ``net_`` then
reads *quantised* inputs (use :meth:`ExactThresholdClassifier.quantize_inputs`), and every
guarantee of the solve (status, errors, gap) is about the quantised data.

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> clf = mo.ExactThresholdClassifier(hidden=(2,), time_limit=10, random_state=0)
>>> clf.fit(X, y).score(X, y), clf.status_.value   # doctest: +SKIP
(1.0, 'optimal')
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mixedopt.errors import SolverError, ValidationError
from mixedopt.estimators.base import (
    ThresholdClassifierBase,
    check_verbose,
    print_progress,
    say,
    seed_from,
)
from mixedopt.estimators.ovo import fit_one_vs_one, one_vs_one_decision, one_vs_one_pairs
from mixedopt.executors import get_executor, resolve_executor
from mixedopt.result import SolveResult, Status
from mixedopt.solvers.registry import DEFAULT_BACKEND, find
from mixedopt.validation import as_sequence_of_ints

__all__ = ["ExactThresholdClassifier"]


class ExactThresholdClassifier(ThresholdClassifierBase):
    """Threshold-network classifier trained exactly (MIP / SAT) by :func:`mixedopt.train_exact`.

    Parameters
    ----------
    hidden : tuple of int, default (3,)
        Hidden-layer widths (sign units).
    weights : {"integer", "binary", "ternary", "real"}, default "integer"
        Weight domain.
    weight_bound : number or None, default None
        Largest absolute weight (integer domain) or the box of real weights. None: the
        domain's default (3 for integer weights, 1 for real; binary and ternary weights are
        bounded by 1 by definition and take no other bound).
    objective : str, default "errors"
        ``"errors"``, ``"weights"``, ``"margin"`` or a lexicographic combination such as
        ``"errors,weights"``.
    backend : str, default "cpsat"
        Solver backend (see :func:`mixedopt.solvers.available`).
    method : str or None, default None
        Engine method of :func:`mixedopt.train_exact` (None: its default).
    time_limit : float, default 60.0
        Seconds for the solve; the best network so far is kept when it runs out.
    random_state : int, RandomState or None, default None
        Seed passed to the solver.
    warm_start : bool, default False
        Start the solver from the previous fit's network.
    init : {"auto", "codes", None}, default "auto"
        How the solve starts. ``"codes"``: from an output-code net
        (:func:`mixedopt.exact.codes.output_code_net`): hidden targets that split the classes
        by an error-correcting code, each unit a rounded logistic-regression fit, the output
        layer decoding the nearest code word; the engine then repairs its training errors
        and proves what it can. This is what makes few-shot nets generalise (MNIST, ten
        digits per class: validation accuracy 0.47 -> 0.67, see
        ``results/bench_fewshot_notes.md``). With two classes (and in every pair of
        ``ensemble="ovo"``) the units are bootstrap fits of the labels and the output unit
        takes their vote. ``"auto"``: ``"codes"`` where it applies (one hidden layer,
        discrete weights, at least 2 hidden units for three or more classes, not resuming a
        previous fit with ``warm_start=True``), else none. ``None``: the engine's own start. Its
        time counts in ``time_limit``.
    quantize : {"auto", True, False}, default "auto"
        Round standardised inputs to integers (``"auto"``: when they are not integers and
        the backend is ``cpsat`` or ``maxsat``).
    input_scale : float, default 4.0
        Quantisation levels per standard deviation.
    ensemble : {None, "ovo"}, default None
        ``"ovo"``: one-vs-one ensemble (BeMi's scheme) for three or more classes: one binary
        net of this shape per pair of classes (45 for 10 classes), each trained on the
        examples of its two classes, and a majority vote; ties go to the class with the
        largest summed pairwise decision value, then to the lowest class. ``time_limit`` is
        the budget of the whole fit, split equally: each pair gets
        ``time_limit / n_pairs`` seconds. With two classes it is the single net.
    verbose : int, default 0
        ``1``: print every new incumbent and bound of the solve on stdout (time, objective,
        bound, the phase that found it) and a last line with the status, as scikit-learn
        estimators do, with no logging to configure.
    n_jobs : int, default 1
        Workers. One net: :func:`mixedopt.train_exact`'s parallel exact search (see its
        ``n_jobs``). ``ensemble="ovo"``: how many pairwise nets train at once (``-1``: every
        core here; each pair then runs its own search in one process).
        Each pair keeps its own ``time_limit / n_pairs`` budget and seed, so the fit takes
        about ``1 / n_jobs`` of the serial wall time; predictions equal the serial ones
        wherever the pairwise solves do not depend on the wall clock (a solve that stops at
        its limit, or a local search cut by its time budget, may stop at another incumbent).
        With ``1`` everything runs in this process and Ray is never imported.
    executor : {None, "serial", "ray"}, default None
        Where the pairs run (see :func:`mixedopt.executors.get_executor`): None is
        ``"serial"`` for ``n_jobs=1`` and ``"ray"`` (``pip install 'mixedopt[ray]'``)
        otherwise. On Ray, progress events (``callback``, ``verbose=1``) of a pair are
        replayed here when the pair finishes.
    address : str or None, default None
        An existing Ray cluster (``"auto"``, ``"ray://host:10001"``); None starts a local
        one for the fit (or uses the one this process is already connected to).

    Attributes
    ----------
    net_ : ThresholdNet
    classes_ : ndarray
    result_ : SolveResult
        Status, objective, bound, gap, wall time and targets of the solve.
    status_ : Status
    gap_ : float or None
    history_ : dict
        Anytime progress of the solve: lists ``wall_time``, ``objective``, ``bound``.
    n_iter_ : int
        Always 1 (one solve).
    quantizer_ : tuple of ndarray or None
        ``(mean, scale)`` of the input quantisation, None when the inputs are used as given.
    n_features_in_ : int
    estimators_ : list of ExactThresholdClassifier
        ``ensemble="ovo"`` only: the fitted binary classifier of each pair (in ``pairs_``
        order); ``net_``, ``result_`` and ``quantizer_`` are then None and ``nets_``,
        ``results_`` hold the pairwise ones. ``status_`` is OPTIMAL only when every pairwise
        solve is; ``gap_`` is the largest pairwise gap.
    pairs_ : list of (int, int)
        ``ensemble="ovo"`` only: the class-index pairs ``(i, j)``; a pair's net outputs
        ``classes_[j]`` for a decision value ``>= 0``.
    nets_ : list of ThresholdNet
        ``ensemble="ovo"`` only: the pairwise nets (they read the pair's own quantised
        inputs when its estimator has a ``quantizer_``).
    results_ : list of SolveResult
        ``ensemble="ovo"`` only.
    """

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (3,),
        weights: str = "integer",
        weight_bound: float | None = None,
        objective: str = "errors",
        backend: str = DEFAULT_BACKEND,
        method: str | None = None,
        time_limit: float = 60.0,
        random_state: Any = None,
        warm_start: bool = False,
        init: str | None = "auto",
        quantize: Any = "auto",
        input_scale: float = 4.0,
        ensemble: str | None = None,
        verbose: int = 0,
        n_jobs: int = 1,
        executor: str | None = None,
        address: str | None = None,
    ) -> None:
        self.hidden = hidden
        self.weights = weights
        self.weight_bound = weight_bound
        self.objective = objective
        self.backend = backend
        self.method = method
        self.time_limit = time_limit
        self.random_state = random_state
        self.warm_start = warm_start
        self.init = init
        self.quantize = quantize
        self.input_scale = input_scale
        self.ensemble = ensemble
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.executor = executor
        self.address = address

    def quantize_inputs(self, X: Any) -> np.ndarray:
        """The inputs as ``net_`` reads them (quantised when ``quantizer_`` is set)."""
        Xa = self._validate_X(X)
        return self._apply_quantizer(Xa)

    def _apply_quantizer(self, X: np.ndarray) -> np.ndarray:
        q = getattr(self, "quantizer_", None)
        if q is None:
            return X
        mean, scale = q
        return np.round((X - mean) / scale).astype(np.int64)

    def decision_function(self, X: Any) -> np.ndarray:
        """Output pre-activations (see the base class); with ``ensemble="ovo"`` the votes
        per class plus a tie-breaking term in ``(-1/3, 1/3)`` (argmax is the prediction)."""
        if getattr(self, "estimators_", None) is not None:
            Xv = self._validate_X(X)
            decisions = [est.decision_function(Xv) for est in self.estimators_]
            return one_vs_one_decision(decisions, self.pairs_, len(self.classes_))
        Xa = self._apply_quantizer(self._validate_X(X))
        return np.asarray(self.net_.decision_function(Xa), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        if getattr(self, "estimators_", None) is not None:
            return self.classes_[np.argmax(self.decision_function(X), axis=1)]
        Xa = self._apply_quantizer(self._validate_X(X))
        return self.classes_[self.net_.predict_codes(Xa)]

    def fit(
        self, X: Any, y: Any, *, callback: Callable[[Any], Any] | None = None
    ) -> ExactThresholdClassifier:
        """Solve for a network that fits ``(X, y)`` under ``time_limit``.

        Parameters
        ----------
        callback : callable, optional
            Incumbent callback of the solve (receives :class:`mixedopt.Progress` events).

        Returns
        -------
        self
        """
        from mixedopt.exact.engine import train_exact

        hidden = as_sequence_of_ints(self.hidden, name="hidden")
        if (
            isinstance(self.time_limit, bool)
            or not isinstance(self.time_limit, (int, float))
            or not self.time_limit > 0
        ):
            raise ValidationError(
                f"time_limit must be a positive number of seconds, got {self.time_limit!r}; "
                "every exact solve needs a limit."
            )
        if self.quantize not in ("auto", True, False):
            raise ValidationError(f"quantize must be 'auto', True or False, got {self.quantize!r}.")
        if (
            isinstance(self.input_scale, bool)
            or not isinstance(self.input_scale, (int, float))
            or not self.input_scale > 0
        ):
            raise ValidationError(f"input_scale must be a number > 0, got {self.input_scale!r}.")
        if self.ensemble not in (None, "ovo"):
            raise ValidationError(f"ensemble must be None or 'ovo', got {self.ensemble!r}.")
        if self.init not in ("auto", "codes", None):
            raise ValidationError(f"init must be 'auto', 'codes' or None, got {self.init!r}.")
        started = time.perf_counter()
        where = resolve_executor(self.executor, self.n_jobs, self.address)
        X, y = self._validate_training_data(X, y)
        if self.ensemble == "ovo" and np.unique(y).size > 2:
            return self._fit_one_vs_one(X, y, callback)
        self.estimators_: list[ExactThresholdClassifier] | None = None
        integral = bool(np.all(X == np.round(X)))
        entry = find(self.backend)
        needs_integral = entry is not None and entry.needs_integral
        if self.quantize is True or (self.quantize == "auto" and not integral and needs_integral):
            mean = X.mean(axis=0)
            sd = X.std(axis=0)
            scale = np.where(sd > 1e-12, sd, 1.0) / float(self.input_scale)
            self.quantizer_: tuple[np.ndarray, np.ndarray] | None = (mean, scale)
        else:
            self.quantizer_ = None
        Xq = self._apply_quantizer(X)
        kwargs: dict[str, Any] = {
            "hidden": hidden,
            "weights": self.weights,
            "weight_bound": self.weight_bound,
            "objective": self.objective,
            "backend": self.backend,
            "time_limit": float(self.time_limit),
            "seed": seed_from(self.random_state),
        }
        if self.method is not None:
            kwargs["method"] = self.method
        if where != "serial":  # one net: the engine's parallel exact search
            kwargs.update(n_jobs=self.n_jobs, executor=where, address=self.address)
        if self.warm_start and getattr(self, "net_", None) is not None:
            kwargs["warm_start"] = self.net_
        elif self.init is not None:
            start = self._code_start(Xq, y, hidden, kwargs["seed"])
            if start is not None:
                kwargs["warm_start"] = start
                left = float(self.time_limit) - (time.perf_counter() - started)
                kwargs["time_limit"] = max(left, min(1.0, float(self.time_limit)))
        verbose = check_verbose(self.verbose)
        if verbose:

            def show(event: Any) -> None:
                print_progress("ExactThresholdClassifier", event)
                if callback is not None:
                    callback(event)

            kwargs["incumbent_callback"] = show
        elif callback is not None:
            kwargs["incumbent_callback"] = callback
        res: SolveResult = train_exact(Xq, y, **kwargs)
        if verbose:
            _say_done(res)
        if res.net is None:
            raise SolverError(
                f"the exact solve found no network ({res}); raise time_limit or try a smaller "
                "problem (fewer samples or hidden units) or another backend."
            )
        self.result_ = res
        self.status_ = res.status
        self.gap_ = res.gap
        self.net_ = res.net
        self.classes_ = np.asarray(res.net.classes)
        self.n_iter_ = 1
        self.history_ = {
            "wall_time": [p.wall_time for p in res.log],
            "objective": [p.objective for p in res.log],
            "bound": [p.bound for p in res.log],
        }
        if res.status is not Status.OPTIMAL:
            gap = "unknown" if res.gap is None else f"{res.gap:.2%}"
            warnings.warn(
                f"ExactThresholdClassifier: the solve stopped with status {res.status.value} "
                f"(objective {res.objective}, bound {res.bound}, gap {gap}) after "
                f"{res.wall_time:.1f}s; the network is the best found, not a proven optimum. "
                "Raise time_limit to close the gap.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _code_start(self, X: np.ndarray, y: np.ndarray, hidden: Any, seed: int) -> Any:
        """The output-code warm start of ``init``, or None where ``"auto"`` does not apply."""
        from mixedopt.exact.codes import init_applies, output_code_net
        from mixedopt.problems.training import TrainingProblem

        problem = TrainingProblem.from_data(
            X, y, hidden=hidden, weights=self.weights, weight_bound=self.weight_bound
        )
        if not init_applies(problem):
            if self.init == "codes":
                raise ValidationError(
                    "init='codes' needs one hidden layer (of at least 2 units for three or "
                    f"more classes) and discrete weights; got {problem.n_classes} classes, "
                    f"hidden={list(problem.hidden)}, weights={problem.weights!r}. Use "
                    "init='auto' or None."
                )
            return None
        return output_code_net(
            X, y, hidden=hidden, weights=self.weights, weight_bound=self.weight_bound, seed=seed
        )

    def _fit_one_vs_one(
        self, X: np.ndarray, y: np.ndarray, callback: Callable[[Any], Any] | None
    ) -> ExactThresholdClassifier:
        classes, codes = np.unique(y, return_inverse=True)
        pairs = one_vs_one_pairs(len(classes))
        rng = np.random.RandomState(seed_from(self.random_state))
        seeds = rng.randint(0, 2**31 - 1, size=len(pairs)).tolist()
        previous = getattr(self, "estimators_", None) if self.warm_start else None
        if previous is not None and len(previous) != len(pairs):
            previous = None
        # the pair's previous network seeds its solve
        preset = [
            {"net_": prev.net_} if getattr(prev, "net_", None) is not None else None
            for prev in (previous or [None] * len(pairs))
        ]
        params: dict[str, Any] = {
            "ensemble": None,
            "time_limit": float(self.time_limit) / len(pairs),
            "n_jobs": 1,
            "executor": None,
            "address": None,
        }
        where = resolve_executor(self.executor, self.n_jobs, self.address)
        if where == "serial":

            def fit_pair(est: ExactThresholdClassifier, Xp: np.ndarray, yp: np.ndarray) -> None:
                est.fit(Xp, yp, callback=callback)

            self.pairs_, self.estimators_ = fit_one_vs_one(
                self,
                X,
                codes,
                len(classes),
                seeds=seeds,
                params=params,
                fit=fit_pair,
                preset=preset,
            )
        else:
            # the pairs run elsewhere: their progress is replayed here as each one finishes
            verbose = check_verbose(self.verbose)

            def replay(_p: int, est: ExactThresholdClassifier) -> None:
                for event in est.result_.log:
                    if verbose:
                        print_progress("ExactThresholdClassifier", event)
                    if callback is not None:
                        callback(event)
                if verbose:
                    _say_done(est.result_)

            with get_executor(where, n_jobs=self.n_jobs, address=self.address) as ex:
                self.pairs_, self.estimators_ = fit_one_vs_one(
                    self,
                    X,
                    codes,
                    len(classes),
                    seeds=seeds,
                    params={**params, "verbose": 0},
                    executor=ex,
                    preset=preset,
                    on_fitted=replay,
                )
        self.classes_ = classes
        self.nets_ = [est.net_ for est in self.estimators_]
        self.results_ = [est.result_ for est in self.estimators_]
        self.net_ = None
        self.result_ = None
        self.quantizer_ = None
        statuses = [r.status for r in self.results_]
        self.status_ = (
            Status.OPTIMAL if all(s is Status.OPTIMAL for s in statuses) else Status.FEASIBLE
        )
        gaps = [r.gap for r in self.results_]
        self.gap_ = None if any(g is None for g in gaps) else float(max(gaps))
        self.n_iter_ = len(pairs)
        self.history_ = {"wall_time": [], "objective": [], "bound": []}
        open_pairs = [p for p, s in zip(pairs, statuses, strict=True) if s is not Status.OPTIMAL]
        if open_pairs:
            warnings.warn(
                f"ExactThresholdClassifier(ensemble='ovo'): {len(open_pairs)} of {len(pairs)} "
                f"pairwise solves stopped before a proven optimum (largest gap "
                f"{'unknown' if self.gap_ is None else f'{self.gap_:.2%}'}); their nets are the "
                "best found. Raise time_limit (it is split across the pairs) to close them.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self


def _say_done(res: SolveResult) -> None:
    """The last ``verbose=1`` line of a solve: status, objective, bound, gap, wall time."""
    gap = "-" if res.gap is None else f"{res.gap:.2%}"
    bnd = "-" if res.bound is None else f"{res.bound:g}"
    obj = "-" if res.objective is None else f"{res.objective:g}"
    say(
        "ExactThresholdClassifier",
        f"done: {res.status.value}, objective {obj}, bound {bnd}, gap {gap}, {res.wall_time:.2f}s",
    )
