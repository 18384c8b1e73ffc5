"""Shared plumbing of the scikit-learn estimators: input checks and the prediction side.

Every mixedopt classifier keeps its trained network in ``net_`` (a
:class:`~mixedopt.ThresholdNet` that takes the raw inputs) and predicts through it, so
``predict``, ``decision_function`` and ``score`` live here once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from mixedopt.errors import ValidationError
from mixedopt.result import Progress
from mixedopt.validation import non_numeric_columns

__all__ = ["ThresholdClassifierBase", "check_verbose", "print_progress", "say", "seed_from"]


def check_verbose(verbose: Any) -> int:
    """``verbose`` as an int >= 0 (scikit-learn style: 0 silent, 1 progress lines)."""
    if isinstance(verbose, bool) or not isinstance(verbose, (int, np.integer)) or verbose < 0:
        raise ValidationError(f"verbose must be an int >= 0, got {verbose!r}.")
    return int(verbose)


def say(name: str, text: str) -> None:
    """Print one ``verbose=1`` line of estimator ``name`` on stdout, as scikit-learn
    estimators do (the one place the library writes to stdout; everything else logs)."""
    print(f"[{name}] {text}", flush=True)


def print_progress(name: str, event: Progress) -> None:
    """Print one progress event of a solve on stdout (``verbose=1``), as a line such as
    ``[ExactThresholdClassifier]    0.12s  incumbent  objective 3  bound 0  (heuristic)``."""
    obj = "-" if event.objective is None else f"{event.objective:g}"
    bnd = "-" if event.bound is None else f"{event.bound + 0.0:g}"
    what = event.message or "incumbent"
    src = f"  ({event.source})" if event.source else ""
    say(name, f"{event.wall_time:7.2f}s  {what}  objective {obj}  bound {bnd}{src}")


def seed_from(random_state: Any) -> int:
    """An int seed from a scikit-learn ``random_state`` (None, int or RandomState)."""
    try:
        rs = check_random_state(random_state)
    except ValueError as exc:
        raise ValidationError(
            f"random_state must be None, an integer in [0, 2**32 - 1] or a "
            f"numpy RandomState, got {random_state!r}."
        ) from exc
    return int(rs.randint(0, 2**31 - 1))


class ThresholdClassifierBase(ClassifierMixin, BaseEstimator):
    """Base class: validation of ``X``/``y`` and prediction through ``net_``.

    Subclasses implement ``fit`` and set ``net_`` and ``classes_`` (with
    :meth:`_validate_training_data` for the checks).
    """

    def _validate_training_data(
        self, X: Any, y: Any, *, reset: bool = True, min_classes: int = 2
    ) -> tuple[np.ndarray, np.ndarray]:
        non_numeric_columns(X)
        X, y = validate_data(self, X, y, reset=reset, dtype=np.float64, y_numeric=False)
        check_classification_targets(y)
        n_cls = np.unique(y).size
        if n_cls < min_classes:
            raise ValidationError(
                f"y has {n_cls} class ({np.unique(y)[:3].tolist()}) but a classifier needs at "
                f"least {min_classes} classes; check the labels."
            )
        return X, y

    def _validate_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        non_numeric_columns(X)
        return validate_data(self, X, reset=False, dtype=np.float64)

    def decision_function(self, X: Any) -> np.ndarray:
        """Output pre-activations: shape ``(n_samples,)`` for two classes (positive means
        ``classes_[1]``), else ``(n_samples, n_classes)``."""
        Xa = self._validate_X(X)
        return np.asarray(self.net_.decision_function(Xa), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (from ``classes_``), by the true forward pass of ``net_``."""
        Xa = self._validate_X(X)
        return self.classes_[self.net_.predict_codes(Xa)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags
