"""Hard-threshold activations in numpy.

Conventions (they matter for exact solvers, so they are stated once here):

* ``sign``: ``+1`` if ``z >= 0`` else ``-1`` — **sign(0) = +1** (as Larq and Icarte et al.;
  the FTPROP reference code uses sign(0) = -1).
* ``step``: ``1`` if ``z >= 0`` else ``0``.
* ``staircase<n>``: the quantized ReLU of the FTPROP code with ``n`` thresholds and ``n + 1``
  levels, ``y = clip(ceil(z * (n - 1)), 0, n) / n``; ``staircase3`` is the "2-bit" qReLU with
  levels ``{0, 1/3, 2/3, 1}`` and thresholds ``z > 0, z > 0.5, z > 1``. It is computed in
  float64 (exact for float32 inputs); the torch backend does the same, so both agree.

Activations are referred to by short names, as in Larq: :func:`get` accepts a name or an
:class:`Activation` instance.

Examples
--------
>>> import numpy as np
>>> from mixedopt import activations
>>> activations.get("sign")(np.array([-2.0, 0.0, 3.0]))
array([-1,  1,  1], dtype=int8)
>>> activations.get("staircase3")(np.array([0.0, 0.2, 0.7, 2.0]))
array([0.        , 0.33333333, 0.66666667, 1.        ])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from mixedopt.errors import ValidationError

__all__ = ["Activation", "Sign", "Staircase", "Step", "available", "get"]


@dataclass(frozen=True)
class Activation:
    """Base class: a hard-threshold elementwise function with a short ``name``."""

    name: str = "identity"

    #: number of distinct output values (2 for sign/step)
    @property
    def n_levels(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    #: output values, sorted
    @property
    def levels(self) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    #: bits needed to store one output value
    @property
    def bits(self) -> int:
        return max(1, int(np.ceil(np.log2(self.n_levels))))

    def __call__(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def exact(self, zq: np.ndarray, q: int) -> np.ndarray:
        """The activation of ``z = zq / q`` for exact integers ``zq`` (``int64`` or Python
        ints) and a positive integer ``q``, without rounding. Sign-only activations (sign,
        step) need only the sign of ``zq``: the default applies the activation to ``zq``."""
        return self(zq)


@dataclass(frozen=True)
class Sign(Activation):
    """``+1`` if ``z >= 0`` else ``-1`` (sign(0) = +1); output dtype ``int8``."""

    name: str = "sign"

    @property
    def n_levels(self) -> int:
        return 2

    @property
    def levels(self) -> np.ndarray:
        return np.array([-1, 1], dtype=np.int8)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(z) >= 0, np.int8(1), np.int8(-1))


@dataclass(frozen=True)
class Step(Activation):
    """``1`` if ``z >= 0`` else ``0``; output dtype ``int8``."""

    name: str = "step"

    @property
    def n_levels(self) -> int:
        return 2

    @property
    def levels(self) -> np.ndarray:
        return np.array([0, 1], dtype=np.int8)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return (np.asarray(z) >= 0).astype(np.int8)


@dataclass(frozen=True)
class Staircase(Activation):
    """Quantized ReLU with ``n`` thresholds: ``clip(ceil(z (n-1)), 0, n) / n``.

    Parameters
    ----------
    n : int
        Number of thresholds (>= 2); the output has ``n + 1`` levels in ``[0, 1]``.
    """

    name: str = "staircase3"
    n: int = 3

    def __post_init__(self) -> None:
        if int(self.n) < 2:
            raise ValidationError(f"a staircase needs n >= 2 thresholds, got n={self.n}.")
        object.__setattr__(self, "name", f"staircase{int(self.n)}")

    @property
    def n_levels(self) -> int:
        return self.n + 1

    @property
    def levels(self) -> np.ndarray:
        return np.arange(self.n + 1, dtype=np.float64) / self.n

    @property
    def thresholds(self) -> np.ndarray:
        """Input values at which the output steps up (strictly greater than)."""
        return np.arange(self.n, dtype=np.float64) / (self.n - 1)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        # + 0.0 turns the -0.0 of ceil(-0.1) into 0.0 (equal, but it prints and hashes apart)
        return np.clip(np.ceil(z * (self.n - 1)), 0, self.n) / self.n + 0.0

    def exact(self, zq: np.ndarray, q: int) -> np.ndarray:
        """Exact levels of ``z = zq / q``: ``ceil(zq (n-1) / q)`` in integers.

        >>> import numpy as np
        >>> Staircase(n=3).exact(np.array([-1, 0, 1, 5, 6, 7]), 10)
        array([0.        , 0.        , 0.33333333, 0.33333333, 0.66666667,
               0.66666667])
        """
        zq = np.asarray(zq)
        k = -((-zq * (self.n - 1)) // q)
        k = np.minimum(np.maximum(k, 0), self.n).astype(np.int64)
        return k / self.n + 0.0


_FIXED = {"sign": Sign(), "step": Step(), "step01": Step()}
_ALIASES = {"qrelu2": "staircase3", "2bit": "staircase3", "qrelu3": "staircase5"}
_STAIR = re.compile(r"^staircase(\d+)$")


def available() -> list[str]:
    """Names accepted by :func:`get` (``staircase<n>`` for any n >= 2)."""
    return ["sign", "step", "staircase<n>"]


def get(spec: str | Activation) -> Activation:
    """Return the activation named ``spec`` (or ``spec`` itself if it is one).

    Raises
    ------
    ValidationError
        If the name is unknown.
    """
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise ValidationError(f"an activation must be a name like 'sign', got {spec!r}.")
    key = _ALIASES.get(spec.lower(), spec.lower())
    if key in _FIXED:
        return _FIXED[key]
    m = _STAIR.match(key)
    if m:
        return Staircase(n=int(m.group(1)))
    raise ValidationError(
        f"unknown activation {spec!r}; choose one of 'sign', 'step', 'staircase<n>' "
        "(e.g. 'staircase3' for a 2-bit quantized ReLU)."
    )
