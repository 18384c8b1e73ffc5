"""scikit-learn classifiers over mixedopt's training algorithms.

* :class:`FTPropClassifier` — mini-batch feasible target propagation (scales to large data);
* :class:`ExactThresholdClassifier` — exact MIP / SAT training (small data, proven optima);
* :class:`ConvexThresholdClassifier` — convex reformulations over hyperplane arrangements.

They follow scikit-learn's conventions (keyword-only parameters stored by ``__init__``,
fitted attributes ending in ``_``, ``ConvergenceWarning``) and work in ``Pipeline`` and
``GridSearchCV``. Each keeps its network in ``net_``.

Only :class:`FTPropClassifier` has ``partial_fit``: it learns from mini-batches anyway. An
exact or convex solve is a statement about one whole training set (a proven optimum, a
global minimiser), which batch-by-batch updates would void; refit on the union instead, with
``warm_start=True`` on :class:`ExactThresholdClassifier` to start from the previous network.

Examples
--------
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("pima")
>>> pipe = make_pipeline(StandardScaler(), mo.FTPropClassifier(hidden=(8,), max_iter=5))
>>> pipe.fit(X, y).score(X, y) > 0.6    # doctest: +SKIP
True
"""

from __future__ import annotations

from mixedopt.estimators.convex import ConvexThresholdClassifier
from mixedopt.estimators.exact import ExactThresholdClassifier
from mixedopt.estimators.ftprop import FTPropClassifier

__all__ = ["ConvexThresholdClassifier", "ExactThresholdClassifier", "FTPropClassifier"]
