"""Encoding of real features as ±1 columns: :class:`Binarizer` and :func:`binarize`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.validation import check_array, check_positive

__all__ = ["Binarizer", "binarize"]


class Binarizer:
    """Encode real features as ±1 columns, with the statistics fitted on one data set.

    Parameters
    ----------
    method : {"sign", "thermometer"}, default "sign"
        ``"sign"``: one column per feature, the sign of the standardized value (sign(0) =
        +1; standardization uses the fitted mean and standard deviation). ``"thermometer"``:
        ``n_levels - 1`` columns per feature; bit ``k`` is +1 iff ``x >= threshold_k``, with
        thresholds at the fitted ``k / n_levels`` quantiles.
    n_levels : int, default 4
        Number of levels of the thermometer code (>= 2); ignored by ``"sign"``.

    Attributes
    ----------
    mean_, scale_ : ndarray, shape (n_features,)
        Fitted per-feature mean and standard deviation (1 for constant features).
    thresholds_ : ndarray, shape (n_features, n_levels - 1)
        Thermometer thresholds (``"thermometer"`` only).
    n_features_in_, n_features_out_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.datasets import Binarizer
    >>> X_train = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> enc = Binarizer("thermometer", n_levels=2).fit(X_train)
    >>> enc.thresholds_.tolist(), enc.transform(np.array([[1.0], [2.5]])).tolist()
    ([[1.5]], [[-1.0], [1.0]])
    """

    METHODS = ("sign", "thermometer")

    def __init__(self, method: str = "sign", n_levels: int = 4) -> None:
        if method not in self.METHODS:
            raise ValidationError(f"binarize method must be one of {self.METHODS}, got {method!r}.")
        if method == "thermometer":
            n_levels = check_positive(n_levels, name="n_levels", integer=True)
            if n_levels < 2:
                raise ValidationError(f"n_levels must be >= 2, got {n_levels}.")
        self.method = method
        self.n_levels = int(n_levels)

    def fit(self, X: Any) -> Binarizer:
        """Learn the per-feature statistics from ``X``."""
        Xa = check_array(X, name="X").astype(np.float64)
        self.n_features_in_ = Xa.shape[1]
        self.mean_ = Xa.mean(axis=0)
        std = Xa.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        if self.method == "thermometer":
            qs = np.arange(1, self.n_levels) / self.n_levels
            self.thresholds_ = np.quantile(Xa, qs, axis=0).T.copy()
            self.n_features_out_ = self.n_features_in_ * (self.n_levels - 1)
        else:
            self.n_features_out_ = self.n_features_in_
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Encode ``X`` with the fitted statistics; returns a float64 array of ±1."""
        if not hasattr(self, "n_features_in_"):
            raise ValidationError("this Binarizer is not fitted yet; call fit(X_train) first.")
        Xa = check_array(X, name="X").astype(np.float64)
        if Xa.shape[1] != self.n_features_in_:
            raise ValidationError(
                f"X has {Xa.shape[1]} features, but the Binarizer was fitted on "
                f"{self.n_features_in_}."
            )
        if self.method == "sign":
            z = (Xa - self.mean_) / self.scale_
            return np.where(z >= 0, 1.0, -1.0)
        bits = Xa[:, :, None] >= self.thresholds_[None, :, :]
        return np.where(bits, 1.0, -1.0).reshape(Xa.shape[0], -1)

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def feature_names_out(self, names: Sequence[str] | None = None) -> list[str]:
        """Names of the output columns, given the input names (default ``x0, x1, ...``)."""
        if not hasattr(self, "n_features_in_"):
            raise ValidationError("this Binarizer is not fitted yet; call fit(X_train) first.")
        names = list(names) if names is not None else [f"x{j}" for j in range(self.n_features_in_)]
        if self.method == "sign":
            return names
        return [
            f"{n}>={t:.4g}" for n, row in zip(names, self.thresholds_, strict=True) for t in row
        ]


def binarize(
    X: Any,
    method: str = "sign",
    n_levels: int = 4,
    fit_on: Any = None,
    *,
    return_binarizer: bool = False,
) -> np.ndarray | tuple[np.ndarray, Binarizer]:
    """Encode features as ±1 (shortcut for :class:`Binarizer`).

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Data to encode.
    method : {"sign", "thermometer"}, default "sign"
        See :class:`Binarizer`.
    n_levels : int, default 4
        Thermometer levels (``n_levels - 1`` bits per feature).
    fit_on : array-like, optional
        Data to fit the statistics on (e.g. the training set when encoding a test set);
        default ``X`` itself.
    return_binarizer : bool, default False
        Also return the fitted :class:`Binarizer` (its ``thresholds_`` / ``mean_``), to encode
        more data the same way.

    Returns
    -------
    ndarray of float64 with values in {-1, +1}, or ``(array, Binarizer)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mixedopt.datasets import binarize
    >>> X_train = np.array([[0.0, 5.0], [2.0, 5.0]])
    >>> binarize(np.array([[1.5, 4.0]]), "sign", fit_on=X_train).tolist()
    [[1.0, -1.0]]
    """
    enc = Binarizer(method, n_levels).fit(X if fit_on is None else fit_on)
    out = enc.transform(X)
    return (out, enc) if return_binarizer else out
