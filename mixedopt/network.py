"""ThresholdNet: a feed-forward network of hard-threshold units, in numpy.

A network with layer sizes ``[d, n_1, ..., n_L]`` has ``L`` affine layers
``z_l = a_{l-1} W_l^T + b_l`` (``W_l`` has shape ``(n_l, n_{l-1})``). Hidden layers apply a
hard-threshold activation (``sign`` by default, see :mod:`mixedopt.activations`); the output
layer is read as

* **binary** (one output unit): class ``classes[1]`` if ``z >= 0`` else ``classes[0]``
  (sign(0) = +1, the convention of the whole package);
* **multi-class** (one unit per class): ``argmax`` of the pre-activations; ties go to the
  lowest class index, deterministically.

When weights, biases and inputs are all integer-valued the forward pass runs in exact
``int64`` arithmetic, so a network returned by an exact solver is re-evaluated without any
rounding.

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> net = mo.ThresholdNet(
...     weights=[np.array([[1, 1], [-1, -1]]), np.array([[1, 1]])],
...     biases=[np.array([-1, -1]), np.array([1])],
... )
>>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
>>> net.predict(X)                      # XOR of the two inputs, as ±1
array([ 1, -1, -1,  1])
>>> [a.shape for a in net.activations(X)]
[(4, 2)]
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt import activations as _act
from mixedopt.arithmetic import exact_layer, output_codes, user_values
from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.io import (
    FORMAT_NAME,
    FORMAT_VERSION,
    check_description,
    check_weight_domain,
    network_file_path,
    read_network_file,
    samples_fingerprint,
    write_network_file,
)
from mixedopt.packed import PackedNet, is_packed_file, read_packed_file, write_packed_file
from mixedopt.summary import DOMAINS, LayerSummary, NetSummary, infer_domain, summarize
from mixedopt.threads import blas_for_flops
from mixedopt.validation import check_array, check_labels, check_weight_bound, is_integral

__all__ = ["LayerSummary", "NetSummary", "ThresholdNet", "infer_domain"]

logger = logging.getLogger(__name__)

OUTPUTS = ("sign", "argmax")


def _as_weight_array(a: Any, name: str, ndim: int) -> np.ndarray:
    arr = check_array(a, name=name, ndim=ndim, allow_empty=False)
    if arr.dtype.kind in "iub" or is_integral(arr):
        return arr.astype(np.int64)
    return arr.astype(np.float64)


def _affine(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int | None]:
    """``A @ W.T + b`` of one layer, exactly where the sign of a tie can be told exactly:
    :func:`~mixedopt.arithmetic.exact_layer`'s ``(q z, q)``, else the float64 product and
    ``q = None`` (real weights, or inputs that are not small-denominator rationals)."""
    exact = exact_layer(A, W, b)
    if exact is not None:
        return exact
    return A.astype(np.float64) @ W.T.astype(np.float64) + b.astype(np.float64), None


class ThresholdNet:
    """Feed-forward network of hard-threshold units.

    Parameters
    ----------
    weights : sequence of array-like
        One matrix per layer, shape ``(n_out, n_in)``; consecutive shapes must chain.
    biases : sequence of array-like, optional
        One vector per layer, shape ``(n_out,)``; zeros when omitted.
    activations : str or sequence of str, default "sign"
        Hidden-layer activations (one name for all, or one per hidden layer):
        ``"sign"``, ``"step"`` or ``"staircase<n>"``.
    output : {"auto", "sign", "argmax"}, default "auto"
        How the output layer is read: ``"sign"`` (binary, one unit) or ``"argmax"``
        (multi-class, one unit per class). ``"auto"`` picks by the number of output units.
    classes : sequence, optional
        Labels returned by :meth:`predict`: ``[negative, positive]`` for a binary net, one per
        output unit otherwise. Defaults to ``[-1, 1]`` (binary) or ``0..k-1``.
    weight_domain : {"binary", "ternary", "integer", "real"}, optional
        Declared weight domain (informational, used by :meth:`summary`); inferred per layer
        when omitted.
    metadata : dict, optional
        Free-form JSON-serialisable information saved with the network (how it was trained).

    Attributes
    ----------
    weights, biases : list of ndarray
        Layer parameters (``int64`` when integral, else ``float64``).
    sizes : list of int
        ``[n_inputs, n_1, ..., n_outputs]``.
    """

    def __init__(
        self,
        weights: Sequence[Any],
        biases: Sequence[Any] | None = None,
        activations: str | Sequence[str] = "sign",
        *,
        output: str = "auto",
        classes: Sequence[Any] | None = None,
        weight_domain: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or not weights:
            raise ValidationError(
                "weights must be a non-empty list of 2-D arrays, one per layer "
                f"(shape (n_out, n_in)); got {type(weights).__name__}."
            )
        W = [_as_weight_array(w, f"weights[{i}]", 2) for i, w in enumerate(weights)]
        if biases is None:
            B = [np.zeros(w.shape[0], dtype=w.dtype) for w in W]
        else:
            if len(biases) != len(W):
                raise ValidationError(
                    f"got {len(W)} weight matrices but {len(biases)} bias vectors; give one "
                    "bias vector per layer."
                )
            B = [
                _as_weight_array(np.atleast_1d(b), f"biases[{i}]", 1) for i, b in enumerate(biases)
            ]
        for i, (w, b) in enumerate(zip(W, B, strict=True)):
            if b.shape != (w.shape[0],):
                raise ValidationError(
                    f"biases[{i}] has shape {b.shape} but layer {i} has {w.shape[0]} units."
                )
            if i and W[i - 1].shape[0] != w.shape[1]:
                raise ValidationError(
                    f"layer {i} expects {w.shape[1]} inputs but layer {i - 1} has "
                    f"{W[i - 1].shape[0]} units; weights must chain (n_out, n_in)."
                )
        # keep exact integer arithmetic only if a whole layer is integral
        for i in range(len(W)):
            if W[i].dtype.kind != B[i].dtype.kind:
                W[i], B[i] = W[i].astype(np.float64), B[i].astype(np.float64)
        self.weights: list[np.ndarray] = W
        self.biases: list[np.ndarray] = B

        n_hidden = len(W) - 1
        if isinstance(activations, (str, _act.Activation)):
            acts = [activations] * n_hidden
        else:
            acts = list(activations)
            if len(acts) != n_hidden:
                raise ValidationError(
                    f"got {len(acts)} activations for {n_hidden} hidden layer(s); give one "
                    "name for all or one per hidden layer."
                )
        self._acts = [_act.get(a) for a in acts]

        n_out = W[-1].shape[0]
        if output == "auto":
            output = "sign" if n_out == 1 else "argmax"
        if output not in OUTPUTS:
            raise ValidationError(f"output must be 'auto', 'sign' or 'argmax', got {output!r}.")
        if output == "sign" and n_out != 1:
            raise ValidationError(
                f"output='sign' needs exactly one output unit, the last layer has {n_out}."
            )
        if output == "argmax" and n_out < 2:
            raise ValidationError("output='argmax' needs at least two output units.")
        self.output = output

        if classes is None:
            classes = [-1, 1] if output == "sign" else list(range(n_out))
        cls = np.asarray(list(classes))
        expected = 2 if output == "sign" else n_out
        if cls.ndim != 1:
            raise ValidationError(
                f"classes must be a flat list of {expected} labels, got a nested list of "
                f"shape {cls.shape}."
            )
        if cls.shape[0] != expected:
            raise ValidationError(
                f"classes must list {expected} labels for this output layer, got {cls.shape[0]}."
            )
        self.classes = cls

        if weight_domain is not None and weight_domain not in DOMAINS:
            raise ValidationError(f"weight_domain must be one of {DOMAINS}, got {weight_domain!r}.")
        self.weight_domain = weight_domain
        self.metadata: dict[str, Any] = dict(metadata or {})
        #: the hidden-layer targets training produced (int8, one array per hidden layer),
        #: provenance in ``metadata["training_targets"]``; see :meth:`set_training_targets`
        self.training_targets: list[np.ndarray] | None = None

    # ------------------------------------------------------------------ shape
    @property
    def sizes(self) -> list[int]:
        """Layer widths ``[n_inputs, n_1, ..., n_outputs]``."""
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    @property
    def n_layers(self) -> int:
        """Number of affine layers (hidden layers + output layer)."""
        return len(self.weights)

    @property
    def n_inputs(self) -> int:
        return self.weights[0].shape[1]

    @property
    def hidden_sizes(self) -> list[int]:
        return self.sizes[1:-1]

    @property
    def activation_names(self) -> list[str]:
        """Names of the hidden-layer activations."""
        return [a.name for a in self._acts]

    def layer_domains(self) -> list[str]:
        """Inferred weight domain of each layer (weights and bias together)."""
        return [infer_domain(w, b) for w, b in zip(self.weights, self.biases, strict=True)]

    # ---------------------------------------------------------------- forward
    def _check_X(self, X: Any) -> np.ndarray:
        Xa = check_array(X, name="X")
        if Xa.shape[1] != self.n_inputs:
            raise ValidationError(
                f"X has {Xa.shape[1]} features, but this network expects {self.n_inputs}."
            )
        return Xa

    def forward(self, X: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Full forward pass.

        Integer layers are evaluated exactly when their inputs are integers or rationals
        with a small common denominator (decimal data, staircase levels): a unit whose true
        pre-activation is 0 is active, whatever float64 rounding would say, and no product
        overflows (see :mod:`mixedopt.arithmetic`). Real-weight layers and inputs that are not
        small-denominator rationals use float64.

        Returns
        -------
        pre : list of ndarray
            Pre-activations of every layer, shape ``(n_samples, n_l)``.
        post : list of ndarray
            Activations of every hidden layer, shape ``(n_samples, n_l)``.
        """
        pre, post, _ = self._forward(X)
        return pre, post

    def _forward(
        self, X: Any
    ) -> tuple[list[np.ndarray], list[np.ndarray], tuple[np.ndarray, int | None]]:
        """:meth:`forward` plus the output layer's exact values ``(Z, q)`` (see ``_affine``)."""
        a = self._check_X(X)
        pre, post = [], []
        last: tuple[np.ndarray, int | None] = (np.zeros((0, 0)), None)
        flops = a.shape[0] * sum(w.size for w in self.weights)
        with blas_for_flops(flops):  # small products: one BLAS thread (see mixedopt.threads)
            for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
                zq, q = _affine(a, w, b)
                last = (zq, q)
                pre.append(user_values(zq, q))
                if i < len(self._acts):
                    act = self._acts[i]
                    a = act(zq) if q is None else act.exact(zq, q)
                    post.append(a)
        return pre, post, last

    def activations(self, X: Any) -> list[np.ndarray]:
        """Hidden-layer activations (the realised targets), one ``(n_samples, n_l)`` array
        per hidden layer; ``±1`` for sign units."""
        return self.forward(X)[1]

    def decision_function(self, X: Any) -> np.ndarray:
        """Output pre-activations: shape ``(n_samples,)`` for a binary net, else
        ``(n_samples, n_classes)``."""
        z = self.forward(X)[0][-1]
        return z[:, 0] if self.output == "sign" else z

    def predict_codes(self, X: Any) -> np.ndarray:
        """Predicted class indices (``0..k-1``; for a binary net 1 iff ``z >= 0``).

        Read from the exact output pre-activations where they are exact (ties included)."""
        z, _ = self._forward(X)[2]
        return output_codes(z, self.output)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (from :attr:`classes`)."""
        return self.classes[self.predict_codes(X)]

    def n_errors(self, X: Any, y: Any) -> int:
        """Number of misclassified samples (exact, by the true forward pass)."""
        Xa = self._check_X(X)
        ya = check_labels(y, n_samples=Xa.shape[0])
        return int(np.count_nonzero(self.predict(Xa) != ya))

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on ``(X, y)``."""
        Xa = self._check_X(X)
        return 1.0 - self.n_errors(Xa, y) / Xa.shape[0]

    # ----------------------------------------------------------- construction
    @classmethod
    def random(
        cls,
        sizes: Sequence[int],
        seed: int | None = 0,
        *,
        weights: str = "real",
        weight_bound: int = 3,
        activation: str = "sign",
        output: str = "auto",
        classes: Sequence[Any] | None = None,
    ) -> ThresholdNet:
        """A random network with layer widths ``sizes = [n_in, n_1, ..., n_out]``.

        Parameters
        ----------
        weights : {"real", "integer", "binary", "ternary"}
            ``real`` draws N(0, 1/n_in) weights and N(0, 1/n_in) biases; the discrete domains
            draw uniformly (``integer`` in ``[-weight_bound, weight_bound]``).

        >>> net = ThresholdNet.random([6, 3, 1], seed=0, weights="integer")
        >>> net.sizes, net.layer_domains()[0] in ("integer", "ternary")
        ([6, 3, 1], True)
        """
        sz = list(sizes)
        if len(sz) < 2 or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sz
        ):
            raise ValidationError(
                f"sizes must list at least two positive integers [n_in, ..., n_out], got {sizes!r}."
            )
        if weights not in DOMAINS:
            raise ValidationError(f"weights must be one of {DOMAINS}, got {weights!r}.")
        rng = np.random.default_rng(seed)
        W, B = [], []
        for n_in, n_out in itertools.pairwise(sz):
            if weights == "real":
                W.append(rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_out, n_in)))
                B.append(rng.normal(0.0, 1.0 / np.sqrt(n_in), size=n_out))
            elif weights == "binary":
                W.append(rng.choice([-1, 1], size=(n_out, n_in)))
                B.append(rng.choice([-1, 1], size=n_out))
            elif weights == "ternary":
                W.append(rng.integers(-1, 2, size=(n_out, n_in)))
                B.append(rng.integers(-1, 2, size=n_out))
            else:
                k = int(check_weight_bound(weight_bound, "integer"))
                W.append(rng.integers(-k, k + 1, size=(n_out, n_in)))
                B.append(rng.integers(-k, k + 1, size=n_out))
        return cls(W, B, activation, output=output, classes=classes, weight_domain=weights)

    def copy(self) -> ThresholdNet:
        return ThresholdNet.from_dict(self.to_dict())

    def set_training_targets(
        self,
        targets: Sequence[Any],
        X: Any,
        *,
        source: str,
        description: str,
        encoding: str = "values",
        **provenance: Any,
    ) -> None:
        """Keep the hidden-layer ``targets`` training produced on the samples ``X`` (the
        inputs this net reads), with their provenance: ``source`` (``"exact"``, ``"ftprop"``,
        ``"convex"``), a one-line ``description``, the ``encoding`` (``"values"``: activation
        values; ``"level_index"``: staircase level indices) and any JSON-able ``provenance``
        (``data``, ``split``, ``indices`` ...). They are saved with the net (``targets_<i>``
        arrays) and shown by :func:`mixedopt.inspect_targets` on the same samples.
        """
        Xa = np.asarray(X)
        arrays = [np.asarray(t) for t in targets]
        n = Xa.shape[0]
        want = [(n, k) for k in self.hidden_sizes]
        if [a.shape for a in arrays] != want:
            raise ValidationError(
                f"training targets must have shapes {want}, got {[a.shape for a in arrays]}."
            )
        if any(a.size and (np.any(a != np.round(a)) or np.abs(a).max() > 127) for a in arrays):
            raise ValidationError("training targets must be small integers (stored as int8).")
        self.training_targets = [a.astype(np.int8) for a in arrays]
        self.metadata["training_targets"] = {
            "source": source,
            "description": description,
            "encoding": encoding,
            "n_samples": int(n),
            "fingerprint": samples_fingerprint(Xa),
            **provenance,
        }

    # ------------------------------------------------------------ serialising
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description (weights as nested lists)."""
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "sizes": self.sizes,
            "activations": self.activation_names,
            "output": self.output,
            "classes": _to_json_list(self.classes),
            "weight_domain": self.weight_domain,
            "metadata": self.metadata,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            **(
                {}
                if self.training_targets is None
                else {"training_targets": [t.tolist() for t in self.training_targets]}
            ),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ThresholdNet:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(d, dict) or d.get("format") != FORMAT_NAME:
            raise ModelFileError(
                f"not a mixedopt network description (expected format {FORMAT_NAME!r})."
            )
        check_description(d)
        try:
            net = cls(
                [np.asarray(w) for w in d["weights"]],
                [np.asarray(b) for b in d["biases"]],
                d.get("activations") or "sign",
                output=d.get("output", "auto"),
                classes=d.get("classes"),
                weight_domain=d.get("weight_domain"),
                metadata=d.get("metadata") or {},
            )
        except KeyError as exc:
            raise ModelFileError(f"network description lacks the field {exc}.") from exc
        except ValidationError as exc:
            raise ModelFileError(f"network description is inconsistent: {exc}") from exc
        except (TypeError, ValueError) as exc:  # e.g. ragged weight lists
            raise ModelFileError(f"network description is malformed: {exc}.") from exc
        check_weight_domain(net.weight_domain, net.weights)
        tt = d.get("training_targets")
        if tt is not None:
            try:
                arrays = [np.asarray(t, dtype=np.int8) for t in tt]
            except (TypeError, ValueError) as exc:
                raise ModelFileError(f"training_targets are malformed: {exc}.") from exc
            if len(arrays) != len(net.hidden_sizes) or any(
                a.ndim != 2 or a.shape[1] != k
                for a, k in zip(arrays, net.hidden_sizes, strict=False)
            ):
                raise ModelFileError("training_targets do not match the hidden layers.")
            net.training_targets = arrays
        return net

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the network to ``path`` as ``.npz`` arrays plus JSON metadata (no pickle).

        The write is atomic: a temporary file in the same folder is renamed over ``path``.
        Returns the path written: ``path``, with ``.npz`` appended when it has no suffix.

        Raises
        ------
        ValidationError
            ``path`` is a folder or has a suffix other than ``.npz``, or :attr:`metadata`
            holds something JSON cannot store (numpy arrays: convert with ``.tolist()``).
        """
        path = network_file_path(path)
        meta = self.to_dict()
        del meta["weights"], meta["biases"]
        meta.pop("training_targets", None)
        meta["n_layers"] = self.n_layers
        write_network_file(path, meta, self.weights, self.biases, self.training_targets)
        logger.debug("saved %s network to %s", self.sizes, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ThresholdNet:
        """Read a network written by :meth:`save` (``allow_pickle=False``).

        Raises
        ------
        ModelFileError
            If the file is missing, truncated, corrupt, or not a mixedopt network.
        """
        if is_packed_file(path):  # a file written by PackedNet.save loads as a net too
            meta = read_packed_file(path)
            meta.update(format=FORMAT_NAME, format_version=FORMAT_VERSION)
        else:
            meta = read_network_file(path)
        try:
            net = cls.from_dict(meta)
        except ModelFileError as exc:
            raise ModelFileError(f"{str(path)!r}: {exc}") from exc
        if net.sizes != list(meta.get("sizes", net.sizes)):
            raise ModelFileError(f"{str(path)!r}: stored sizes do not match the arrays.")
        return net

    # ------------------------------------------------------------------ report
    def summary(self) -> NetSummary:
        """Bit-aware per-layer summary: shape, activation, weight domain, parameters and
        memory at 1, 2 and 32 bits per parameter.

        >>> print(ThresholdNet.random([4, 2, 1], weights="binary").summary())  # doctest: +SKIP
        """
        return summarize(
            self.weights,
            self.biases,
            [a.name for a in self._acts],
            self.weight_domain,
            output=self.output,
            file_bytes=self._file_bytes(),
        )

    def _file_bytes(self) -> dict[str, int] | None:
        """Real sizes of the files :meth:`save` and ``compile().save`` write (None when
        they cannot be written, e.g. metadata JSON cannot hold)."""
        try:
            with tempfile.TemporaryDirectory(prefix="mixedopt-size-") as folder:
                npz = self.save(Path(folder) / "net.npz")
                packed = write_packed_file(
                    Path(folder) / "net.packed.npz",
                    self.weights,
                    self.biases,
                    self.activation_names,
                    output=self.output,
                    classes=self.classes,
                    weight_domain=self.weight_domain,
                    metadata=self.metadata,
                )
                return {"npz": npz.stat().st_size, "packed": packed.stat().st_size}
        except (OSError, ValidationError):
            return None

    def compile(self, backend: str = "auto", *, n_threads: int | None = None) -> PackedNet:
        """A bit-packed predictor with the same predictions (see :mod:`mixedopt.packed`).

        Layers with binary, ternary or small-integer weights after sign, step or staircase
        activations run as AND + popcount over machine words; the first layer packs when
        its inputs are small integers (e.g. ±1 pixels); other layers run the exact or
        float64 arithmetic of :meth:`forward`. Predictions equal :meth:`predict`, ties
        included.

        Parameters
        ----------
        backend : {"auto", "numba", "numpy"}, default "auto"
            Popcount kernels: numba (``pip install 'mixedopt[deploy]'``; the default when
            installed) or numpy.
        n_threads : int, optional
            Threads of the numba kernels (default: every CPU this process may use).

        Returns
        -------
        PackedNet
            With ``predict``, ``decision_function``, ``score``, ``plan`` and ``save`` (the
            packed file: binary weights at 1 bit, ternary at 2).

        Examples
        --------
        >>> import numpy as np
        >>> net = ThresholdNet.random([32, 16, 3], seed=0, weights="binary")
        >>> X = np.random.default_rng(0).choice([-1, 1], size=(4, 32))
        >>> packed = net.compile(backend="numpy")
        >>> bool(np.array_equal(packed.predict(X), net.predict(X)))
        True
        """
        return PackedNet(
            self.weights,
            self.biases,
            self._acts,
            output=self.output,
            classes=self.classes,
            backend=backend,
            n_threads=n_threads,
            weight_domain=self.weight_domain,
            metadata=self.metadata,
        )

    def integer_weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The discrete weights and biases as ``int64`` arrays (one call, as in Larq's
        ``quantized_scope``).

        Raises
        ------
        ValidationError
            If some layer has non-integer weights.
        """
        out_w, out_b = [], []
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if not (is_integral(w) and is_integral(b)):
                raise ValidationError(f"layer {i} has real-valued weights; nothing to extract.")
            out_w.append(np.asarray(w, dtype=np.int64))
            out_b.append(np.asarray(b, dtype=np.int64))
        return out_w, out_b

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ThresholdNet):
            return NotImplemented
        return (
            self.sizes == other.sizes
            and self.activation_names == other.activation_names
            and self.output == other.output
            and np.array_equal(self.classes, other.classes)
            and all(np.array_equal(a, b) for a, b in zip(self.weights, other.weights, strict=True))
            and all(np.array_equal(a, b) for a, b in zip(self.biases, other.biases, strict=True))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        acts = ",".join(sorted(set(self.activation_names))) or "-"
        doms = ",".join(dict.fromkeys(self.layer_domains()))
        return (
            f"ThresholdNet(sizes={self.sizes}, activations={acts}, output={self.output}, "
            f"weights={doms})"
        )


def _to_json_list(a: np.ndarray) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in a.tolist()]
