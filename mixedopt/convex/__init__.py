"""Convex training of threshold networks (Ergen, Gulluk, Lacotte & Pilanci, ICLR 2023).

Weight-decay training of a threshold network with trainable amplitudes is equivalent to a
Lasso over hyperplane-arrangement patterns (program (6), deep: (15)); when every subset of
the training points is a pattern it collapses to the ``n``-dimensional program (7), solved in
closed form for the squared loss.

* :mod:`~mixedopt.convex.arrangements` — sampled / enumerated patterns, representations;
* :mod:`~mixedopt.convex.patterns` — their containers (bit-packed matrix, threshold layer);
* :mod:`~mixedopt.convex.solvers` — Lasso, logistic, hinge and group-Lasso solvers,
  warm-started paths, duality-gap certificates (the methods live in ``lars``, ``highs``,
  ``first_order``; solutions and certificates in ``solution``);
* :mod:`~mixedopt.convex.complete` — program (7) and its closed form;
* :mod:`~mixedopt.convex.reconstruct` — ThresholdNets from convex solutions;
* :mod:`~mixedopt.convex.train` — :func:`train_convex`, the whole pipeline, with
  the Convex-Lasso fit in ``train_lasso``, Convex-PI / -SVM in ``train_complete`` and the
  lower bound / status in ``certify``.

Examples
--------
>>> import numpy as np
>>> from mixedopt.convex import train_convex
>>> X = np.random.default_rng(0).normal(size=(60, 4)); y = (X[:, 0] > 0.3).astype(int)
>>> res = train_convex(X, y, method="lasso", n_patterns=300, beta=1e-3, seed=0)
>>> res.net.hidden_sizes[0] <= 301 and res.info["train_agreement"] == 1.0
True
"""

from __future__ import annotations

from mixedopt.convex.arrangements import (
    Arrangement,
    PatternMatrix,
    ThresholdLayer,
    cover_bound,
    enumerate_patterns,
    random_representation,
    sample_patterns,
    staircase_representation,
)
from mixedopt.convex.complete import (
    CompleteSolution,
    closed_form_pm1,
    complete_prox,
    solve_complete,
    solve_complete_qp,
)
from mixedopt.convex.losses import LOSSES, Certificate, certificate
from mixedopt.convex.reconstruct import (
    build_network,
    lasso_network,
    network_objective,
    pattern_units,
    staircase_decomposition,
)
from mixedopt.convex.solvers import ConvexSolution, beta_max, lasso_path, solve_lasso
from mixedopt.convex.train import METHODS, train_convex, train_convex_path

__all__ = [
    "LOSSES",
    "METHODS",
    "Arrangement",
    "Certificate",
    "CompleteSolution",
    "ConvexSolution",
    "PatternMatrix",
    "ThresholdLayer",
    "beta_max",
    "build_network",
    "certificate",
    "closed_form_pm1",
    "complete_prox",
    "cover_bound",
    "enumerate_patterns",
    "lasso_network",
    "lasso_path",
    "network_objective",
    "pattern_units",
    "random_representation",
    "sample_patterns",
    "solve_complete",
    "solve_complete_qp",
    "solve_lasso",
    "staircase_decomposition",
    "staircase_representation",
    "train_convex",
    "train_convex_path",
]
