"""TrainingProblem: data + architecture + weight domain + objective, validated once.

Every exact or heuristic trainer receives a :class:`TrainingProblem`; it never has to
re-validate inputs. Conventions:

* hidden units are ``sign`` units, sign(0) = +1;
* a **binary** problem has one output unit read as ``class 1 iff z >= 0``; a **multi-class**
  problem has one output unit per class read by ``argmax`` with ties to the lowest index;
* weight domains: ``binary`` {-1, +1}, ``ternary`` {-1, 0, 1}, ``integer`` [-K, K] and
  ``real`` (bounded by ``weight_bound`` when a model needs a box). Biases share the domain of
  the weights (binary nets take integer biases in [-n_in, n_in]: see :meth:`bias_bounds`);
* objectives: ``errors`` (minimise the (weighted) number of misclassified examples),
  ``weights`` (minimise the number of nonzero weights subject to zero errors), ``margin``
  (maximise the margin subject to zero errors); a tuple means lexicographic order.

Examples
--------
>>> import mixedopt as mo
>>> from mixedopt.problems.training import TrainingProblem
>>> X, y, _ = mo.datasets.planted(m=50, d=3, h=2, seed=0)
>>> p = TrainingProblem.from_data(X, y, hidden=[2], weights="integer", weight_bound=3)
>>> p.sizes, p.is_binary, p.integral
([3, 2, 1], True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mixedopt.arithmetic import as_exact_integers, rational_scale
from mixedopt.errors import ValidationError
from mixedopt.network import ThresholdNet
from mixedopt.validation import (
    as_sequence_of_ints,
    check_labels,
    check_weight_bound,
    check_X_y,
    encode_labels,
    is_integral,
)

__all__ = ["DOMAINS", "OBJECTIVES", "TrainingProblem", "parse_objective"]

DOMAINS = ("binary", "ternary", "integer", "real")
OBJECTIVES = ("errors", "weights", "margin")


def parse_objective(objective: str | Sequence[str]) -> tuple[str, ...]:
    """Normalise an objective spec: ``"errors"``, ``"errors,weights"`` or a sequence.

    >>> parse_objective("errors,margin")
    ('errors', 'margin')
    """
    if isinstance(objective, str):
        parts = tuple(p.strip() for p in objective.replace("+", ",").split(",") if p.strip())
    else:
        parts = tuple(objective)
    if not parts:
        raise ValidationError("objective must name at least one of " + ", ".join(OBJECTIVES))
    for p in parts:
        if p not in OBJECTIVES:
            raise ValidationError(
                f"unknown objective {p!r}; choose from {', '.join(OBJECTIVES)} or a "
                "lexicographic combination like 'errors,weights'."
            )
    if len(set(parts)) != len(parts):
        raise ValidationError(f"objective {objective!r} repeats a criterion.")
    return parts


@dataclass(frozen=True, eq=False)
class TrainingProblem:
    """A validated training problem for a sign network.

    Use :meth:`from_data` to build one; the fields are then consistent and typed:

    Attributes
    ----------
    X : ndarray, shape (m, d)
        Inputs; ``int64`` when every value is an integer (exact arithmetic), else float64.
    y : ndarray, shape (m,)
        Class codes ``0..k-1`` (index into :attr:`classes`).
    classes : ndarray
        Original labels.
    hidden : tuple of int
        Hidden layer widths (may be empty: a single layer of output units).
    weights : str
        Weight domain.
    weight_bound : int or float
        ``K`` for the ``integer`` domain (weights and biases in ``[-K, K]``), 1 for binary and
        ternary, the box for ``real`` weights.
    objective : tuple of str
        Lexicographic objective.
    sample_weight : ndarray of int64, shape (m,)
        Positive integer weight of each example in the ``errors`` objective (all ones by
        default).
    margin : float
        For ``real`` weights: an inactive unit needs ``z <= -margin`` (an active one
        ``z >= 0``); with integer data and weights the margin is exactly 1.
    input_scale : int
        ``q`` when the inputs were rationals with common denominator ``q`` (decimal data):
        :attr:`X` then holds the integers ``q * x`` and a first-layer unit's pre-activation is
        kept as ``q * z = w . (q x) + q b`` (see :meth:`bias_scale`), so every model stays
        integral and exact. 1 for integer inputs (and for inputs without a small common
        denominator, which stay float64 and make the problem non-:attr:`integral`).
    """

    X: np.ndarray
    y: np.ndarray
    classes: np.ndarray
    hidden: tuple[int, ...]
    weights: str = "integer"
    weight_bound: float = 3
    objective: tuple[str, ...] = ("errors",)
    sample_weight: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=np.int64))
    margin: float = 1.0
    input_scale: int = 1

    # ------------------------------------------------------------ construction
    @classmethod
    def from_data(
        cls,
        X: Any,
        y: Any,
        *,
        hidden: int | Sequence[int] | str = (),
        weights: str = "integer",
        weight_bound: float | None = None,
        objective: str | Sequence[str] = "errors",
        sample_weight: Any = None,
        margin: float | None = None,
    ) -> TrainingProblem:
        """Validate data and settings (clear :class:`ValidationError` on bad input)."""
        Xa, ya = check_X_y(X, y)
        if weights in DOMAINS and weights not in ("binary", "ternary"):
            check_weight_bound(weight_bound, weights)
        hid = tuple(as_sequence_of_ints(hidden, name="hidden")) if hidden != () else ()
        if any(h < 1 for h in hid):
            raise ValidationError(f"hidden layer widths must be >= 1, got {list(hid)}.")
        if weights not in DOMAINS:
            raise ValidationError(f"weights must be one of {', '.join(DOMAINS)}, got {weights!r}.")
        if weights in ("binary", "ternary"):
            if weight_bound not in (None, 1):
                raise ValidationError(
                    f"weight_bound={weight_bound!r} makes no sense with {weights} weights "
                    "(they are bounded by 1); leave it out or use weights='integer'."
                )
            K: float = 1
        elif weights == "integer":
            K = 3 if weight_bound is None else weight_bound
            if isinstance(K, bool) or int(K) != K or K < 1:
                raise ValidationError(
                    f"weight_bound must be a positive integer for integer weights, got {K!r}."
                )
            K = int(K)
        else:
            K = 1.0 if weight_bound is None else float(weight_bound)
            if not np.isfinite(K) or K <= 0:
                raise ValidationError(f"weight_bound must be > 0, got {weight_bound!r}.")
        obj = parse_objective(objective)
        classes, codes = encode_labels(ya)
        if sample_weight is None:
            sw = np.ones(Xa.shape[0], dtype=np.int64)
        else:
            sw_raw = check_labels(sample_weight, name="sample_weight", n_samples=Xa.shape[0])
            if not is_integral(np.asarray(sw_raw, dtype=np.float64)) or np.any(sw_raw < 1):
                raise ValidationError(
                    "sample_weight must hold positive integers (an example's multiplicity "
                    "in the error count); scale and round real weights first."
                )
            sw = np.asarray(sw_raw, dtype=np.int64)
        q = rational_scale(Xa) if weights != "real" else (1 if is_integral(Xa) else None)
        if q is not None:
            Xc = as_exact_integers(Xa, q)
            lim = 2.0**53
            zmax = float(np.max(np.sum(np.abs(Xc.astype(np.float64)), axis=1))) * K
            if weights != "real" and zmax + q * (K + Xa.shape[1]) >= lim:
                raise ValidationError(
                    f"inputs too large for exact training: |w . x + b| can reach {zmax:.3g}"
                    + (f" (in units of 1/{q})" if q > 1 else "")
                    + " with these weights, beyond the exact-integer limit 2**53 (about "
                    "9.0e15); rescale X (e.g. divide by a power of 2) or lower weight_bound."
                )
            if Xc.dtype == object:  # real weights on huge integers: float64 arithmetic
                Xc, q = Xa.astype(np.float64), 1
        else:
            Xc, q = Xa.astype(np.float64), 1
        if margin is None:
            margin = 1.0
        if not np.isfinite(margin) or margin <= 0:
            raise ValidationError(f"margin must be > 0, got {margin!r}.")
        return cls(
            X=Xc,
            y=codes,
            classes=classes,
            hidden=hid,
            weights=weights,
            weight_bound=K,
            objective=obj,
            sample_weight=sw,
            margin=float(margin),
            input_scale=int(q),
        )

    # --------------------------------------------------------------- geometry
    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return int(self.classes.shape[0])

    @property
    def is_binary(self) -> bool:
        return self.n_classes == 2

    @property
    def n_outputs(self) -> int:
        """1 for a binary problem, else one output unit per class."""
        return 1 if self.is_binary else self.n_classes

    @property
    def sizes(self) -> list[int]:
        """Layer widths ``[d, *hidden, n_outputs]``."""
        return [self.n_features, *self.hidden, self.n_outputs]

    @property
    def integral(self) -> bool:
        """True when inputs are integers and weights discrete: every pre-activation is an
        integer, so ``z < 0`` is exactly ``z <= -1``."""
        return self.X.dtype.kind == "i" and self.weights != "real"

    @property
    def y_pm(self) -> np.ndarray:
        """Binary labels as ±1 (``+1`` for class code 1). Only for binary problems."""
        if not self.is_binary:
            raise ValidationError("y_pm is only defined for binary problems.")
        return np.where(self.y == 1, 1, -1).astype(np.int8)

    def bias_bounds(self, layer: int) -> tuple[float, float]:
        """Box for the biases of ``layer`` (0 = first hidden layer).

        Biases share the weight domain, except for ``binary`` weights where a ±1 bias would
        cripple a unit: there the bias is an integer in ``[-n_in, n_in]``.
        """
        n_in = self.sizes[layer]
        if self.weights == "binary":
            return (-n_in, n_in)
        return (-self.weight_bound, self.weight_bound)

    def bias_scale(self, layer: int) -> int:
        """Factor of a bias in the models' pre-activations of ``layer``: :attr:`input_scale`
        for the first layer (whose inputs are kept as ``q * x``), 1 after.

        Biases are always stated (and returned in nets) in the user's units; a model writes
        ``w . X[k] + bias_scale(0) * b`` for the first layer.

        >>> import numpy as np
        >>> p = TrainingProblem.from_data([[0.5], [0.7]], [0, 1], weights="integer")
        >>> p.X.ravel().tolist(), p.input_scale, p.bias_scale(0), p.bias_scale(1)
        ([5, 7], 10, 10, 1)
        """
        return self.input_scale if layer == 0 else 1

    def internal_net(self, net: ThresholdNet) -> ThresholdNet:
        """``net`` in the units of :attr:`X`: first-layer biases times :attr:`input_scale`
        (the same net itself when the scale is 1). Its forward pass on :attr:`X` equals the
        user net's on the original inputs, exactly."""
        q = self.input_scale
        if q == 1:
            return net
        biases = [np.asarray(b) * q if i == 0 else b for i, b in enumerate(net.biases)]
        return ThresholdNet(
            net.weights,
            biases,
            net.activation_names,
            output=net.output,
            classes=net.classes,
            weight_domain=net.weight_domain,
        )

    def activations(self, net: ThresholdNet) -> list[np.ndarray]:
        """Hidden activations of ``net`` on the training inputs (true forward pass)."""
        return self.internal_net(net).activations(self.X)

    def domain_values(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Allowed weight values and bias values of ``layer`` for a discrete domain
        (``binary`` {-1, 1}, ``ternary`` {-1, 0, 1}, ``integer`` [-K, K]; biases from
        :meth:`bias_bounds`), as int64 arrays.

        >>> import mixedopt as mo
        >>> X, y = mo.datasets.load("xor")
        >>> wv, bv = TrainingProblem.from_data(X, y, hidden=[2], weights="ternary").domain_values(0)
        >>> wv.tolist(), bv.tolist()
        ([-1, 0, 1], [-1, 0, 1])
        """
        if self.weights == "real":
            raise ValidationError("real weights have no finite set of values.")
        if self.weights == "binary":
            wv = np.array([-1, 1], dtype=np.int64)
        else:
            K = int(self.weight_bound)
            wv = np.arange(-K, K + 1, dtype=np.int64)
        lo, hi = self.bias_bounds(layer)
        return wv, np.arange(int(lo), int(hi) + 1, dtype=np.int64)

    def n_unit_choices(self, layer: int) -> int:
        """Number of distinct ``(w, b)`` of one unit of ``layer`` in a discrete domain:
        ``|weight values| ** n_in * |bias values|`` (see :meth:`domain_values`).

        >>> import mixedopt as mo
        >>> X, y = mo.datasets.load("xor")
        >>> TrainingProblem.from_data(X, y, hidden=[2], weights="ternary").n_unit_choices(0)
        27
        """
        wv, bv = self.domain_values(layer)
        return len(wv) ** self.sizes[layer] * len(bv)

    # ------------------------------------------------------------- evaluation
    def make_net(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        metadata: dict[str, Any] | None = None,
    ) -> ThresholdNet:
        """Wrap solver output as a :class:`ThresholdNet` with this problem's classes."""
        return ThresholdNet(
            [np.asarray(w) for w in weights],
            [np.asarray(b) for b in biases],
            "sign",
            output="sign" if self.is_binary else "argmax",
            classes=self.classes,
            weight_domain=self.weights,
            metadata=metadata,
        )

    def predict_codes(self, net: ThresholdNet) -> np.ndarray:
        """Class codes predicted by ``net`` on the training inputs (true forward pass)."""
        return self.internal_net(net).predict_codes(self.X)

    def errors(self, net: ThresholdNet) -> int:
        """Weighted number of training errors of ``net`` (true forward pass)."""
        wrong = self.predict_codes(net) != self.y
        return int(np.sum(self.sample_weight[wrong]))

    def check_net(self, net: ThresholdNet) -> None:
        """Raise :class:`ValidationError` if ``net`` does not fit this problem's shape or
        weight domain (used for warm starts)."""
        if net.sizes != self.sizes:
            raise ValidationError(
                f"warm start has layer sizes {net.sizes}, the problem needs {self.sizes}."
            )
        for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            lo, hi = self.bias_bounds(i)
            if self.weights != "real":
                if not (is_integral(w) and is_integral(b)):
                    raise ValidationError(f"warm start layer {i} has non-integer weights.")
                allowed = {"binary": {-1, 1}, "ternary": {-1, 0, 1}}.get(self.weights)
                if allowed is not None and not set(np.unique(w).tolist()) <= allowed:
                    raise ValidationError(
                        f"warm start layer {i} has weights outside the {self.weights} domain."
                    )
            if np.max(np.abs(w), initial=0) > self.weight_bound or np.any(b < lo) or np.any(b > hi):
                raise ValidationError(
                    f"warm start layer {i} has weights or biases outside the bound "
                    f"{self.weight_bound}."
                )

    # ------------------------------------------------------------- objectives
    @property
    def maximize(self) -> bool:
        """True when the primary criterion is maximised (``margin``)."""
        return self.objective[0] == "margin"

    @property
    def hard(self) -> bool:
        """True when zero training errors are required (primary criterion not ``errors``)."""
        return self.objective[0] != "errors"

    def layer_integral(self, layer: int) -> bool:
        """True when every pre-activation of ``layer`` (0 = first hidden) is an integer:
        discrete weights and integer inputs (hidden layers see ±1 inputs)."""
        return self.weights != "real" and (layer > 0 or self.X.dtype.kind == "i")

    def eps(self, layer: int) -> float:
        """Gap below zero of an inactive unit of ``layer`` in the models: ``z <= -eps``.

        1 for integral layers (exact), :attr:`margin` otherwise.
        """
        return 1.0 if self.layer_integral(layer) else self.margin

    def active_tol(self, layer: int) -> float:
        """Least pre-activation of an active unit of ``layer`` in the models:
        ``z >= active_tol``.

        0 for integral layers; ``1e-4 * margin`` otherwise, so that LP/MIP solutions
        (feasibility tolerance ~1e-6) never land on the wrong side of ``z = 0``.
        """
        return 0.0 if self.layer_integral(layer) else 1e-4 * self.margin

    @property
    def n_params(self) -> int:
        """Number of weights and biases of a net of this shape."""
        s = self.sizes
        return sum(s[i + 1] * (s[i] + 1) for i in range(len(s) - 1))

    def z_bound(self, layer: int) -> np.ndarray:
        """Per-example bound on ``|z|`` of any unit of ``layer`` (0 = first hidden layer).

        Shape ``(n_samples,)``: ``K * ||x_k||_1 + B`` for the first layer,
        ``K * n_in + B`` after (``B`` the bias bound).
        """
        lo, hi = self.bias_bounds(layer)
        B = max(abs(lo), abs(hi)) * self.bias_scale(layer)
        K = self.weight_bound
        if layer == 0:
            return K * np.abs(self.X).sum(axis=1) + B
        return np.full(self.n_samples, K * self.sizes[layer] + B, dtype=np.float64)

    def margin_range(self) -> float:
        """An upper bound on :meth:`margin_value` of any net of this shape (0 with no examples)."""
        if self.n_samples == 0:
            return 0.0
        total = 0.0
        n_layers = len(self.sizes) - 1
        for layer in range(n_layers):
            zb = float(np.min(self.z_bound(layer)))
            if layer < n_layers - 1:
                total += self.sizes[layer + 1] * zb
            else:
                total += zb if self.is_binary else 2 * zb
        return float(np.floor(total)) if self.integral else total

    def unit_margins(self, net: ThresholdNet) -> list[np.ndarray]:
        """Margin of every unit on the training set (true forward pass).

        A hidden unit's margin is ``min_k s(z_k)`` with ``s(z) = z`` for ``z >= 0`` and
        ``s(z) = -eps - z`` below (``eps`` = :meth:`eps` of the layer): how far each example is from
        flipping, on its own side. The output layer (last entry, one value) measures the
        correctly classified examples only: ``s`` on the label's side for a binary net;
        ``min_{j != c} z_c - z_j - eps [j < c]`` for argmax with true class ``c``. Empty
        minima are 0.
        """
        pre, _ = self.internal_net(net).forward(self.X)
        out: list[np.ndarray] = []
        for layer, z in enumerate(pre[:-1]):
            eps = self.eps(layer)
            s = np.where(z >= 0, z, -eps - z)
            out.append(np.min(s, axis=0) if s.shape[0] else np.zeros(s.shape[1]))
        z = pre[-1]
        eps = self.eps(len(pre) - 1)
        ok = self.predict_codes(net) == self.y
        if self.is_binary:
            zz = z[:, 0]
            s = np.where(self.y == 1, zz, -eps - zz)
        else:
            k = np.arange(self.n_samples)
            zc = z[k, self.y]
            diff = zc[:, None] - z - eps * (np.arange(z.shape[1])[None, :] < self.y[:, None])
            diff[k, self.y] = np.inf
            s = diff.min(axis=1)
        s = s[ok]
        out.append(np.array([np.min(s) if s.size else 0.0]))
        return out

    def margin_value(self, net: ThresholdNet) -> float:
        """Sum of the unit margins (:meth:`unit_margins`): the ``margin`` objective."""
        v = float(sum(np.sum(m) for m in self.unit_margins(net)))
        return int(v) if self.integral and v.is_integer() else v

    @staticmethod
    def n_nonzero(net: ThresholdNet) -> int:
        """Number of nonzero weights and biases: the ``weights`` objective."""
        return int(
            sum(
                np.count_nonzero(w) + np.count_nonzero(b)
                for w, b in zip(net.weights, net.biases, strict=True)
            )
        )

    def evaluate(self, net: ThresholdNet) -> dict[str, float]:
        """True values of every criterion: ``{"errors", "weights", "margin"}``."""
        return {
            "errors": self.errors(net),
            "weights": self.n_nonzero(net),
            "margin": self.margin_value(net) if "margin" in self.objective else 0.0,
        }

    def is_feasible(self, net: ThresholdNet) -> bool:
        """True when ``net`` satisfies the hard constraints (zero errors if :attr:`hard`)."""
        return not self.hard or self.errors(net) == 0

    def objective_value(self, net: ThresholdNet) -> float | None:
        """True value of the primary criterion, or None when ``net`` is infeasible."""
        if not self.is_feasible(net):
            return None
        c = self.objective[0]
        if c == "errors":
            return self.errors(net)
        if c == "weights":
            return self.n_nonzero(net)
        return self.margin_value(net)

    def sort_key(self, net: ThresholdNet) -> tuple[float, ...]:
        """Lexicographic key, smaller is better: errors first, then the criteria in order
        (margin negated). Infeasible nets of a hard objective sort after feasible ones."""
        v = self.evaluate(net)
        key = [float(v["errors"])]
        for c in self.objective:
            if c == "errors":
                continue
            key.append(-float(v[c]) if c == "margin" else float(v[c]))
        return tuple(key)

    # ------------------------------------------------------------- derived problems
    def subset(self, index: Any) -> TrainingProblem:
        """The same problem restricted to the examples ``index`` (classes kept)."""
        idx = np.asarray(index)
        return replace(self, X=self.X[idx], y=self.y[idx], sample_weight=self.sample_weight[idx])

    def with_objective(self, objective: str | Sequence[str]) -> TrainingProblem:
        """The same problem with another objective."""
        return replace(self, objective=parse_objective(objective))

    def describe(self) -> str:
        dom = self.weights if self.weights != "integer" else f"integer[-{self.weight_bound},"
        if self.weights == "integer":
            dom += f"{self.weight_bound}]"
        return (
            f"{self.n_samples} examples, sizes {'-'.join(map(str, self.sizes))}, {dom} "
            f"weights, objective {'>'.join(self.objective)}"
        )
