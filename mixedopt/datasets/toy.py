"""Toy problems: XOR, parity on {-1, +1}^k, and scikit-learn's 2-D moons and circles."""

from __future__ import annotations

import numpy as np

from mixedopt.datasets.table import Table
from mixedopt.errors import DataError
from mixedopt.validation import check_generated_size, check_positive

_MAX_PARITY = 16


def _grid_pm1(k: int) -> np.ndarray:
    codes = np.arange(2**k, dtype=np.int64)[:, None] >> np.arange(k - 1, -1, -1)
    return (2 * (codes & 1) - 1).astype(np.float64)


def load_parity(k: int = 3) -> Table:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= _MAX_PARITY:
        raise DataError(
            f"parity<k> needs an integer k from 1 to {_MAX_PARITY} (2^k points), got {k!r}; "
            "e.g. 'parity3'."
        )
    X = _grid_pm1(int(k))
    y = np.prod(X, axis=1).astype(np.int64)
    return Table(
        X,
        y,
        [f"x{j}" for j in range(k)],
        np.ones(int(k), bool),
        name=f"parity{k}",
        description=f"parity: all 2^{k} points of {{-1,+1}}^{k}, label = product of the "
        "coordinates (parity<k> for k = 1..16)",
        source="generated",
    )


def load_xor() -> Table:
    table = load_parity(2)
    table.name = ""
    table.description = "XOR: the 4 points of {-1,+1}^2, label = x0*x1 (parity, same as parity2)"
    return table


def _sklearn_2d(maker: str, n_samples: int, description: str, **kwargs: object) -> Table:
    """Two features from one of scikit-learn's ``make_*`` generators."""
    from sklearn import datasets as skd

    n = check_positive(n_samples, name="n_samples", integer=True)
    check_generated_size(n, 2, name=f"{maker}: n_samples")
    X, y = getattr(skd, maker)(n_samples=n, **kwargs)
    return Table(
        X.astype(np.float64),
        y.astype(np.int64),
        ["x0", "x1"],
        np.ones(2, bool),
        description=description,
        source=f"sklearn {maker}",
    )


def load_moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = 0) -> Table:
    return _sklearn_2d(
        "make_moons",
        n_samples,
        "two interleaving half circles (options n_samples, noise, seed)",
        noise=float(noise),
        random_state=seed,
    )


def load_circles(
    n_samples: int = 200, noise: float = 0.1, seed: int | None = 0, factor: float = 0.5
) -> Table:
    return _sklearn_2d(
        "make_circles",
        n_samples,
        "two concentric circles (options n_samples, noise, seed, factor)",
        noise=float(noise),
        factor=float(factor),
        random_state=seed,
    )
