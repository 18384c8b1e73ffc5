"""Convex per-unit fits: separability LP, max-margin, hinge, integer weights, perceptron.

Once the ±1 targets of a hidden layer are fixed, every threshold unit is an independent
perceptron: find weights ``w`` and a bias ``b`` with ``sign(w·a_k + b) = t_k`` for the unit's
inputs ``a_k`` (rows of ``A``) and targets ``t_k``. This package fits one such unit
(:func:`fit_unit`) or many units sharing the same inputs (:func:`fit_units`).

Sign convention: a unit outputs ``+1`` iff ``w·a + b >= 0`` (sign(0) = +1, as in
:mod:`mixedopt.activations`). The bias is always fitted (an implicit constant-1 column).

Methods
-------
``"lp"``
    Exact separability test. Separable → a hyperplane with functional margin
    ``t_k (w·a_k + b) >= 1`` for every example. Not separable → ``separable=False``, an
    *irreducible* conflict set (every proper subset is separable, at most ``n + 2`` examples)
    and, as a best effort, the soft-margin fit (see below).
``"max-margin"``
    Hard-margin SVM ``min ||w||² s.t. t_k (w·a_k + b) >= 1`` (maximum geometric margin).
    Not separable → the soft-margin fit with ``status="infeasible"``.
``"hinge"``
    The LP ``min ||w||₁ + C Σ_k c_k max(0, 1 - t_k (w·a_k + b))`` (``c_k`` = sample weights,
    bias not penalised).
``"integer"``
    Integer ``w`` and ``b`` with ``|w_i|, |b| <= K`` (``weight_bound``) minimising the
    weighted number of misclassified examples (CP-SAT, exact), ties broken by min ``Σ|w_i|``.
``"perceptron"``
    The averaged perceptron (exact sequential updates, checked in vectorised chunks); it stops
    after an epoch without mistakes, after ``max_iter`` epochs, or when the epoch's weighted
    mistakes have not improved for ``n_iter_no_change`` epochs (default 5).

The *soft-margin fit* used as the non-separable fallback of ``"lp"`` and ``"max-margin"`` is
the L2-SVM ``min ½||w||² + (C/2) Σ_k c_k max(0, 1 - t_k (w·a_k + b))²`` (squared hinge, the
default loss of scikit-learn's ``LinearSVC``), solved exactly by a finite Newton method.

Every returned hyperplane is re-evaluated exactly (integer or rational arithmetic where
float64 cannot tell), and dense linear algebra runs with one BLAS thread for small and medium
problems (threads only add synchronisation cost there and collapse when the machine is
oversubscribed).

Modules
-------
``fit``           :func:`fit_unit`, :func:`fit_units`, :func:`is_separable`
``result``        :class:`UnitFit`
``separability``  the separability test (least squares, least-distance working set, Farkas)
``conflict``      irreducible conflict sets, :func:`verify_conflict`
``lp``            method ``"lp"``
``margin``        method ``"max-margin"`` (hard-margin SVM via active-set KKT systems)
``soft_margin``   the squared-hinge soft-margin fit (finite Newton)
``hinge``         method ``"hinge"`` (column generation on the dual LP)
``integer``       method ``"integer"`` (CP-SAT)
``online``        method ``"perceptron"``
``_exact``, ``_data``, ``_options``   exact evaluation, shared numerics, argument checks

Examples
--------
>>> import numpy as np
>>> from mixedopt.perceptron import fit_unit
>>> A = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
>>> fit = fit_unit(A, [-1, 1, 1, 1])            # OR is linearly separable
>>> fit.separable, fit.n_violations, fit.status
(True, 0, 'optimal')
>>> fit_unit(A, [-1, 1, 1, -1]).conflict        # XOR is not: all four points conflict
array([0, 1, 2, 3])
"""

from __future__ import annotations

from mixedopt.perceptron.conflict import verify_conflict
from mixedopt.perceptron.fit import fit_unit, fit_units, is_separable
from mixedopt.perceptron.options import METHODS
from mixedopt.perceptron.result import STATUSES, UnitFit

__all__ = [
    "METHODS",
    "STATUSES",
    "UnitFit",
    "fit_unit",
    "fit_units",
    "is_separable",
    "verify_conflict",
]
