"""The loaded data (:class:`Table`), its summary (:class:`DatasetInfo`) and the
post-processing every loader shares (standardize, binarize, describe)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixedopt.datasets.binarizer import Binarizer
from mixedopt.errors import ValidationError

__all__ = ["DatasetInfo"]


@dataclass(frozen=True)
class DatasetInfo:
    """Summary of a data set, as returned by :func:`describe` and ``load(return_info=True)``.

    Attributes
    ----------
    name : str
        The name or path the data came from.
    n_samples, n_features : int
        Shape of ``X`` (after any one-hot encoding or binarization).
    classes : tuple
        Sorted distinct labels.
    class_counts : dict
        Number of samples per class, in the order of ``classes``.
    feature_names : tuple of str
        One name per column of ``X``.
    source : str
        Where the data comes from (package, file, generator).
    description : str
        One line on what the data is.

    Examples
    --------
    >>> from mixedopt import datasets
    >>> info = datasets.describe("parity3")
    >>> info.n_samples, info.n_features, info.class_counts
    (8, 3, {-1: 4, 1: 4})
    """

    name: str
    n_samples: int
    n_features: int
    classes: tuple[Any, ...]
    class_counts: dict[Any, int]
    feature_names: tuple[str, ...] = ()
    source: str = ""
    description: str = ""

    @property
    def n_classes(self) -> int:
        """Number of distinct labels."""
        return len(self.classes)

    @property
    def class_balance(self) -> dict[Any, float]:
        """Fraction of the samples in each class."""
        n = max(self.n_samples, 1)
        return {c: k / n for c, k in self.class_counts.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dictionary (labels as strings in ``class_counts`` keys)."""
        return {
            "name": self.name,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "classes": list(self.classes),
            "class_counts": {str(k): v for k, v in self.class_counts.items()},
            "feature_names": list(self.feature_names),
            "source": self.source,
            "description": self.description,
        }


@dataclass
class Table:
    """Loaded data plus what is needed to post-process and describe it."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    numeric: np.ndarray  # bool per column: True = numeric (standardizable), False = one-hot
    name: str = ""
    source: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Table:
        return Table(
            self.X.copy(),
            self.y.copy(),
            list(self.feature_names),
            self.numeric.copy(),
            self.name,
            self.source,
            self.description,
            dict(self.extra),
        )

    def info(self) -> DatasetInfo:
        classes, counts = np.unique(self.y, return_counts=True)
        cls = tuple(classes.tolist())
        return DatasetInfo(
            name=self.name,
            n_samples=int(self.X.shape[0]),
            n_features=int(self.X.shape[1]),
            classes=cls,
            class_counts={c: int(k) for c, k in zip(cls, counts.tolist(), strict=True)},
            feature_names=tuple(self.feature_names),
            source=self.source,
            description=self.description,
        )


def _standardize_columns(X: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance on the selected columns; constant columns become 0."""
    X = np.array(X, dtype=np.float64, copy=True)
    if X.shape[0] == 0 or not np.any(cols):
        return X
    sub = X[:, cols]
    mean = sub.mean(axis=0)
    std = sub.std(axis=0)
    const = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
    std = np.where(const, 1.0, std)
    sub = (sub - mean) / std
    sub[:, const] = 0.0
    X[:, cols] = sub
    return X


def finish(
    table: Table,
    *,
    standardize: bool,
    binarize: str | None,
    return_info: bool,
    n_levels: int = 4,
) -> Any:
    """What the loaders return: ``(X, y)`` or ``(X, y, info)``, ``X`` a float64 copy of the
    table's features, standardized and/or ±1-encoded on request."""
    X = table.X
    if standardize:
        X = _standardize_columns(X, table.numeric)
    else:
        X = np.array(X, dtype=np.float64)
    names = list(table.feature_names)
    if binarize is not None:
        if not isinstance(binarize, str):
            raise ValidationError(
                f"binarize must be 'sign', 'thermometer' or None, got {binarize!r}."
            )
        enc = Binarizer(binarize, n_levels).fit(X)
        X = enc.transform(X)
        names = enc.feature_names_out(names)
    y = table.y
    if not return_info:
        return X, y
    out = Table(X, y, names, np.ones(X.shape[1], bool), table.name, table.source)
    out.description = table.description
    return X, y, out.info()
