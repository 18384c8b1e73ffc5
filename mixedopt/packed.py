"""Bit-packed inference for threshold networks (:meth:`mixedopt.ThresholdNet.compile`) and
the packed model file.

A threshold layer whose inputs take few values (±1 after ``sign``, 0/1 after ``step``, the
levels ``k/n`` of ``staircase<n>``) and whose weights are binary, ternary or small integers
needs no multiplication: with the inputs coded as unsigned integers ``u`` (bit planes
``u_j``) and the weights split into bit planes ``P_k`` with signed coefficients ``c_k``,

``sum_i u_i w_i = sum_j 2^j sum_k c_k popcount(u_j AND P_k)``

over machine words of 64 inputs. Binary weights ``w = 2p - 1`` need one plane,
``sum_i u_i w_i = 2 popcount(u AND p) - popcount(u)``; ternary weights two (``w = 1`` and
``w = -1``). The results are exact ``int64`` values ``Z = q z`` of the pre-activations (``q``
is the common denominator of the inputs: 1 for sign/step, ``n`` for ``staircase<n>``), so
every threshold, ``z = 0`` included, is decided exactly as :class:`mixedopt.ThresholdNet`
decides it.

How each layer runs (see :meth:`PackedNet.plan`):

* ``popcount``: the packed kernel above. With numba installed (``pip install
  'mixedopt[deploy]'``) a compiled kernel (:mod:`mixedopt.packed_numba`) that writes the next
  layer's packed bits directly; otherwise numpy (``np.bitwise_count``), slower than BLAS.
* ``exact``: integer weights that do not pack well (wide weights, many input levels): exact
  integer arithmetic (:func:`mixedopt.arithmetic.exact_affine`).
* ``reference``: real weights, and the first layer when its inputs do not pack: exactly what
  :meth:`ThresholdNet.forward` does (the same float64 product, or exact rational arithmetic
  for integer weights on integer or decimal inputs).

The first layer sees the raw inputs, so whether it packs is decided per call: integer
weights and inputs that are integers in a small range (±1 pixels, 0/1 features, small
counts) pack; other inputs take the reference path. Predictions equal
:meth:`ThresholdNet.predict` everywhere, ties included (sign(0) = +1; argmax ties go to the
lowest class index).

The packed file (:meth:`PackedNet.save`, ``.npz`` + JSON, no pickle) stores binary weights
at 1 bit, ternary at 2 bits, other integers at the bits of their range, real weights as
float64.

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> net = mo.ThresholdNet.random([64, 32, 10], seed=0, weights="binary")
>>> packed = net.compile(backend="numpy")
>>> X = np.random.default_rng(0).choice([-1, 1], size=(5, 64))
>>> bool(np.array_equal(packed.predict(X), net.predict(X)))
True
>>> [step["mode"] for step in packed.plan(X)]
['popcount', 'popcount']
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import threading
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt.activations import Activation, Sign, Staircase, Step, get
from mixedopt.arithmetic import (
    as_exact_integers,
    exact_affine,
    exact_layer,
    output_codes,
    rational_scale,
    scaled_bias,
    user_values,
)
from mixedopt.errors import ModelFileError, SolverUnavailableError, ValidationError
from mixedopt.files import atomic_savez
from mixedopt.threads import blas_for_flops
from mixedopt.validation import check_array, check_labels

__all__ = [
    "BACKENDS",
    "PACKED_FORMAT",
    "PACKED_FORMAT_VERSION",
    "PackedNet",
    "is_packed_file",
    "numba_available",
    "pack_bits",
    "read_packed_file",
    "unpack_bits",
    "write_packed_file",
]

logger = logging.getLogger(__name__)

PACKED_FORMAT = "mixedopt.PackedNet"
PACKED_FORMAT_VERSION = 1
BACKENDS = ("auto", "numba", "numpy")

#: most popcount passes (input planes x weight planes) a layer may take before it is
#: computed by exact integer arithmetic instead
MAX_PASSES = 8
#: bound on |Z| (and on every partial sum) for the int64 kernels
_INT_SAFE = 2.0**61
#: uint64 words of the (samples x units x words) temporaries of the numpy kernel
_NUMPY_CHUNK = 1 << 20
#: rows per thread task of the numba kernel (a multiple of its sample block, 4)
_MIN_ROWS_PER_TASK = 32
#: widest integer range stored bit-packed in a file (wider: raw int64)
_MAX_FILE_BITS = 16


def numba_available() -> bool:
    """Whether numba is installed (checked without importing it).

    >>> isinstance(numba_available(), bool)
    True
    """
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["numba"] = None
        return False


# ------------------------------------------------------------------------- bit packing
def pack_bits(B: np.ndarray) -> np.ndarray:
    """Pack the rows of a boolean matrix into ``uint64`` words.

    Bit ``i`` of a row is bit ``i % 64`` of word ``i // 64``; the unused bits of the last
    word are 0.

    Parameters
    ----------
    B : array-like of bool, shape (n, d)

    Returns
    -------
    ndarray of uint64, shape (n, ceil(d / 64))

    Examples
    --------
    >>> pack_bits(np.array([[1, 0, 1], [0, 0, 0]], dtype=bool))
    array([[5],
           [0]], dtype=uint64)
    """
    B = np.asarray(B, dtype=bool)
    n, d = B.shape
    nw = max(1, -(-d // 64))
    raw = np.packbits(B, axis=1, bitorder="little")
    if raw.shape[1] != nw * 8:
        full = np.zeros((n, nw * 8), dtype=np.uint8)
        full[:, : raw.shape[1]] = raw
        raw = full
    words = np.ascontiguousarray(raw).view("<u8")
    return words if words.dtype == np.uint64 else words.astype(np.uint64)


def unpack_bits(P: np.ndarray, d: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: the first ``d`` bits of every row, as bool.

    >>> unpack_bits(pack_bits(np.array([[1, 0, 1]], dtype=bool)), 3)
    array([[ True, False,  True]])
    """
    P = np.ascontiguousarray(np.asarray(P, dtype=np.uint64).astype("<u8"))
    raw = P.view(np.uint8).reshape(P.shape[0], -1)
    return np.unpackbits(raw, axis=1, count=d, bitorder="little").astype(bool)


def _planes(U: np.ndarray, n_planes: int) -> np.ndarray:
    """Bit planes of non-negative integers ``U (n, d)``: ``uint64 (n, n_planes, nw)``."""
    if n_planes == 1:
        return pack_bits(U != 0)[:, None, :]
    return np.stack([pack_bits((U >> j) & 1) for j in range(n_planes)], axis=1)


def _bitcount(A: np.ndarray) -> np.ndarray:
    """Set bits of every element (``np.bitwise_count`` on numpy 2, a table before)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(A)
    table = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
    b = table[np.ascontiguousarray(A).view(np.uint8)]
    return b.reshape(*A.shape, A.dtype.itemsize).sum(axis=-1, dtype=np.uint8)


# --------------------------------------------------------------------------- encodings
@dataclass(frozen=True)
class _Code:
    """Inputs of a layer as unsigned integers ``u < 2**planes``: ``x = (scale u + offset) / q``."""

    planes: int
    scale: int
    offset: int
    q: int


_SIGN_CODE = _Code(1, 2, -1, 1)
_STEP_CODE = _Code(1, 1, 0, 1)


def _output_code(act: Activation) -> _Code | None:
    """How the outputs of ``act`` enter the next layer (None: not as small integers)."""
    if isinstance(act, Sign):
        return _SIGN_CODE
    if isinstance(act, Step):
        return _STEP_CODE
    if isinstance(act, Staircase) and act.n < 2**16:
        return _Code(int(act.n).bit_length(), 1, 0, int(act.n))
    return None


def _integer_codes(act: Activation, A: np.ndarray) -> np.ndarray:
    """The integers ``u`` of an activation's outputs ``A`` (``A = (scale u + offset) / q``)."""
    if isinstance(act, (Sign, Step)):
        return (A > 0).astype(np.int8)
    return np.rint(np.asarray(A, dtype=np.float64) * act.n).astype(np.int64)


def _weight_planes(W: np.ndarray) -> tuple[list[np.ndarray], list[int], bool]:
    """Bit planes of integer weights: ``W = sum_k coef_k P_k`` (binary: ``W = 2 P - 1``).

    Returns ``(planes, coefs, binary)``; planes are bool ``(n_out, n_in)``; all-zero planes
    are left out.
    """
    if W.size and np.all((W == 1) | (W == -1)):
        return [W == 1], [2], True
    A = np.abs(W)
    planes, coefs = [], []
    for t in range(int(A.max()).bit_length() if A.size else 0):
        bit = ((A >> t) & 1).astype(bool)
        for sign in (1, -1):
            P = bit & ((W > 0) if sign > 0 else (W < 0))
            if P.any():
                planes.append(P)
                coefs.append(sign * (1 << t))
    return planes, coefs, False


class _Layer:
    """One affine layer, prepared for the three ways it can run."""

    def __init__(self, W: np.ndarray, b: np.ndarray, act: Activation | None, backend: str):
        self.W, self.b, self.act = W, b, act
        self.n_out, self.n_in = W.shape
        self.integer = W.dtype.kind == "i" and b.dtype.kind == "i"
        self.WT64 = W.T.astype(np.float64)  # what ThresholdNet._affine multiplies by
        self.b64 = b.astype(np.float64)
        self.out_code = _output_code(act) if act is not None else None
        self.planes: np.ndarray | None = None
        if not self.integer:
            return
        self.abs_rowsum = np.abs(W).sum(axis=1).astype(np.float64)
        self.rowsum = W.sum(axis=1).astype(np.int64)
        planes, coefs, self.binary = _weight_planes(W)
        self.coefs = np.array(coefs, dtype=np.int64)
        if not planes:  # all-zero weights: one empty plane keeps the kernels' shapes valid
            planes, self.coefs = [np.zeros_like(W, dtype=bool)], np.zeros(1, dtype=np.int64)
        packed = np.stack([pack_bits(P) for P in planes])  # (K, n_out, nw)
        # numba: units along the last axis (the innermost, vectorised loop); numpy: words
        self.planes = np.ascontiguousarray(
            packed.transpose(0, 2, 1) if backend == "numba" else packed
        )

    @property
    def n_planes(self) -> int:
        return 0 if self.planes is None else self.planes.shape[0]

    def packs(self, code: _Code | None) -> bool:
        """Whether inputs coded by ``code`` run popcount (few passes, no int64 overflow)."""
        if code is None or not self.integer:
            return False
        J = code.planes
        if J < 1 or J * self.n_planes > MAX_PASSES:
            return False
        umax = (1 << J) - 1
        bound = (code.scale * umax + abs(code.offset)) * float(self.abs_rowsum.max(initial=0))
        bound += code.q * float(np.abs(self.b).max(initial=0))
        return 4 * bound < _INT_SAFE

    def kernel_args(self, code: _Code) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``C (J, K)``, ``D (J,)`` and ``const (n_out,)`` of the kernels for ``code``."""
        J = code.planes
        pow2 = code.scale * (np.int64(1) << np.arange(J, dtype=np.int64))
        C = pow2[:, None] * self.coefs[None, :]
        D = -pow2 if self.binary else np.zeros(J, dtype=np.int64)
        const = code.offset * self.rowsum + code.q * self.b
        return np.ascontiguousarray(C), D, const.astype(np.int64)


def _reference_affine(A: np.ndarray, layer: _Layer) -> tuple[np.ndarray, int | None]:
    """``A @ W.T + b`` the way :meth:`ThresholdNet.forward` computes it: exact ``(q z, q)``
    for integer weights on integer or small-denominator rational inputs, else float64."""
    if layer.integer:
        exact = exact_layer(A, layer.W, layer.b)
        if exact is not None:
            return exact
    return A.astype(np.float64) @ layer.WT64 + layer.b64, None


# ------------------------------------------------------------------------------ kernels
_POOL: list[tuple[int, ThreadPoolExecutor]] = []
_POOL_LOCK = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    """A shared pool of at least ``n_threads`` threads (made on first use)."""
    with _POOL_LOCK:
        if not _POOL or _POOL[0][0] < n_threads:
            if _POOL:
                _POOL.pop()[1].shutdown(wait=False)
            _POOL.append((n_threads, ThreadPoolExecutor(n_threads, "mixedopt-packed")))
        return _POOL[0][1]


def _numba_kernels() -> Any:
    from mixedopt import packed_numba

    if not packed_numba.AVAILABLE:
        raise SolverUnavailableError(
            "backend='numba' needs numba: pip install 'mixedopt[deploy]' (or use backend='numpy')."
        )
    return packed_numba


def _run_numba(kernel: Any, U: np.ndarray, args: tuple, out: np.ndarray, n_threads: int) -> None:
    """Run a numba kernel over row chunks in threads (it releases the GIL)."""
    N = U.shape[0]
    tasks = min(4 * n_threads, N // _MIN_ROWS_PER_TASK)
    if n_threads <= 1 or tasks <= 1:
        kernel(U, *args, out)
        return
    step = -(-N // tasks)
    step += -step % 4
    futures = [
        _pool(n_threads).submit(kernel, U[a : a + step], *args, out[a : a + step])
        for a in range(0, N, step)
    ]
    for f in futures:
        f.result()


def _numpy_values(U: np.ndarray, planes: np.ndarray, C, D, const) -> np.ndarray:
    """``Z`` of the popcount formula in numpy (``planes``: ``(K, n_out, nw)``)."""
    N, J, nw = U.shape
    n_out = planes.shape[1]
    Z = np.empty((N, n_out), dtype=np.int64)
    row = _bitcount(U).sum(axis=2, dtype=np.int64) @ D
    Z[:] = const[None, :] + row[:, None]
    step = max(1, _NUMPY_CHUNK // max(1, n_out * nw))
    buf = np.empty((min(step, N), n_out, nw), dtype=np.uint64)
    for a in range(0, N, step):
        Ua = U[a : a + step]
        t = buf[: Ua.shape[0]]
        for j in range(J):
            for k in range(planes.shape[0]):
                if C[j, k] == 0:
                    continue
                np.bitwise_and(Ua[:, j, None, :], planes[k][None, :, :], out=t)
                Z[a : a + step] += C[j, k] * _bitcount(t).sum(axis=2, dtype=np.int64)
    return Z


# ---------------------------------------------------------------------------- the net
def _check_options(backend: str, n_threads: int | None) -> int:
    """Check ``backend`` and ``n_threads``; returns the number of threads to use."""
    if backend not in BACKENDS:
        raise ValidationError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if n_threads is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int, np.integer)):
        raise ValidationError(f"n_threads must be a positive integer, got {n_threads!r}.")
    if n_threads < 1:
        raise ValidationError(f"n_threads must be >= 1, got {n_threads}.")
    return int(n_threads)


class PackedNet:
    """A compiled threshold network: bit-packed inference with the predictions of
    :class:`mixedopt.ThresholdNet`.

    Made by :meth:`ThresholdNet.compile` (or :meth:`PackedNet.load`); it takes the layers
    as plain data, so it can also be built without a ``ThresholdNet``.

    Parameters
    ----------
    weights, biases : sequence of ndarray
        Per layer, shapes ``(n_out, n_in)`` and ``(n_out,)``, ``int64`` or ``float64`` as
        :attr:`ThresholdNet.weights` holds them.
    activations : sequence of str or Activation
        One per hidden layer.
    output : {"sign", "argmax"}
    classes : array-like
        Labels of the output codes.
    backend : {"auto", "numba", "numpy"}, default "auto"
        Popcount kernels: compiled numba (the ``deploy`` extra) or numpy. ``"auto"``: numba
        when installed.
    n_threads : int, optional
        Threads of the numba kernel (default: the CPUs this process may use).
    weight_domain : str, optional
    metadata : dict, optional
        Kept and saved with the packed file.

    Examples
    --------
    >>> import numpy as np
    >>> import mixedopt as mo
    >>> net = mo.ThresholdNet.random([8, 4, 1], seed=0, weights="ternary", activation="step")
    >>> X = np.random.default_rng(1).integers(0, 2, size=(6, 8))    # 0/1 inputs pack too
    >>> packed = net.compile(backend="numpy")
    >>> bool(np.array_equal(packed.predict(X), net.predict(X)))
    True
    >>> bool(np.array_equal(packed.decision_function(X), net.decision_function(X)))
    True
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        activations: Sequence[str | Activation],
        *,
        output: str,
        classes: Any,
        backend: str = "auto",
        n_threads: int | None = None,
        weight_domain: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        n_threads = _check_options(backend, n_threads)
        if backend == "auto":
            backend = "numpy"
            if numba_available():
                try:
                    _numba_kernels()
                    backend = "numba"
                except SolverUnavailableError:  # pragma: no cover - a broken numba install
                    logger.warning("numba does not import; packed inference runs in numpy")
        if backend == "numba":
            _numba_kernels()  # a clear error now, not at the first predict
        if len(weights) != len(biases) or len(activations) != len(weights) - 1:
            raise ValidationError(
                f"got {len(weights)} weight matrices, {len(biases)} bias vectors and "
                f"{len(activations)} activations; give one activation per hidden layer."
            )
        if output not in ("sign", "argmax"):
            raise ValidationError(f"output must be 'sign' or 'argmax', got {output!r}.")
        for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
            shape_w, shape_b = np.shape(W), np.shape(b)
            if len(shape_w) != 2 or shape_b != shape_w[:1] or 0 in shape_w:
                raise ValidationError(
                    f"layer {i}: weights of shape {shape_w} and biases of shape {shape_b}; "
                    "expected (n_out, n_in) and (n_out,)."
                )
            if i and shape_w[1] != np.shape(weights[i - 1])[0]:
                raise ValidationError(f"layer {i} does not chain with layer {i - 1}.")
        n_out = np.shape(weights[-1])[0]
        n_classes = 2 if output == "sign" else n_out
        if (output == "sign") != (n_out == 1) or len(np.asarray(classes)) != n_classes:
            raise ValidationError(
                f"output {output!r} with {n_out} output unit(s) and "
                f"{len(np.asarray(classes))} classes do not fit together."
            )
        self.backend = backend
        self.n_threads = int(n_threads)
        self.output = output
        self.classes = np.asarray(classes)
        self.weight_domain = weight_domain
        self.metadata: dict[str, Any] = dict(metadata or {})
        acts = [get(a) for a in activations]
        self._layers = [
            _Layer(
                np.asarray(W),
                np.asarray(b),
                acts[i] if i < len(acts) else None,
                backend,
            )
            for i, (W, b) in enumerate(zip(weights, biases, strict=True))
        ]
        # how the layers after the first run is fixed by the activation before them
        self._modes: list[str] = ["first"]
        for prev, layer in zip(self._layers, self._layers[1:], strict=False):
            if layer.packs(prev.out_code):
                self._modes.append("popcount")
            elif prev.out_code is not None and layer.integer:
                self._modes.append("exact")
            else:
                self._modes.append("reference")

    # ---------------------------------------------------------------------- shape
    @property
    def weights(self) -> list[np.ndarray]:
        return [layer.W for layer in self._layers]

    @property
    def biases(self) -> list[np.ndarray]:
        return [layer.b for layer in self._layers]

    @property
    def activation_names(self) -> list[str]:
        return [layer.act.name for layer in self._layers[:-1] if layer.act is not None]

    @property
    def sizes(self) -> list[int]:
        return [self._layers[0].n_in] + [layer.n_out for layer in self._layers]

    @property
    def n_inputs(self) -> int:
        return self._layers[0].n_in

    def __repr__(self) -> str:
        return (
            f"PackedNet(sizes={self.sizes}, backend={self.backend!r}, "
            f"modes={self._modes[1:]} after the first layer)"
        )

    # -------------------------------------------------------------------- forward
    def _check_X(self, X: Any) -> np.ndarray:
        Xa = check_array(X, name="X")
        if Xa.shape[1] != self.n_inputs:
            raise ValidationError(
                f"X has {Xa.shape[1]} features, but this network expects {self.n_inputs}."
            )
        return Xa

    def _first_layer(self, X: np.ndarray) -> tuple[Any, ...]:
        """Run the first layer's arithmetic up to the choice of mode: ``("popcount", U,
        code)`` when its raw inputs pack, else ``("values", Z, q)`` computed as
        :meth:`ThresholdNet.forward` does (exact for integer weights on integer or decimal
        inputs, float64 otherwise)."""
        layer = self._layers[0]
        if layer.integer:
            q = rational_scale(X)
            if q is not None:
                Xi = as_exact_integers(X, q)
                if Xi.dtype != object:
                    lo, hi = int(Xi.min()), int(Xi.max())
                    scale = 2 if (lo, hi) == (-1, 1) and not np.any(Xi == 0) else 1
                    code = _Code(max(1, ((hi - lo) // scale).bit_length()), scale, lo, q)
                    if layer.packs(code):
                        U = (Xi > 0) if scale == 2 else (Xi.astype(np.int64) - lo if lo else Xi)
                        return "popcount", _planes(U, code.planes), code
                return "values", exact_affine(Xi, layer.W, scaled_bias(layer.b, q)), q
        return "values", X.astype(np.float64) @ layer.WT64 + layer.b64, None

    def _popcount(self, layer: _Layer, U: np.ndarray, code: _Code, bits: bool) -> np.ndarray:
        C, D, const = layer.kernel_args(code)
        if self.backend == "numba":
            k = _numba_kernels()
            if bits:
                out = np.empty((U.shape[0], 1, -(-layer.n_out // 64)), dtype=np.uint64)
                _run_numba(k.layer_bits, U, (layer.planes, C, D, const), out, self.n_threads)
            else:
                out = np.empty((U.shape[0], layer.n_out), dtype=np.int64)
                _run_numba(k.layer_values, U, (layer.planes, C, D, const), out, self.n_threads)
            return out
        Z = _numpy_values(U, layer.planes, C, D, const)
        return pack_bits(Z >= 0)[:, None, :] if bits else Z

    def _forward(self, X: Any, trace: list[dict[str, Any]] | None = None) -> tuple[Any, Any]:
        """Output-layer values ``(Z, q)`` as :meth:`ThresholdNet._forward` returns them."""
        X = self._check_X(X)
        n = X.shape[0]
        flops = n * sum(layer.W.size for layer in self._layers)
        last = len(self._layers) - 1
        with blas_for_flops(flops):  # as ThresholdNet.forward: same BLAS threads, same sums
            # the inputs of the current layer, in whichever form its mode needs
            U: np.ndarray | None = None  # packed planes of the codes u (popcount)
            code: _Code | None = None  # the inputs are (code.scale u + code.offset) / code.q
            A: np.ndarray = X  # dense values as ThresholdNet sees them (reference)
            V: np.ndarray | None = None  # q x the inputs, as integers (exact)
            for i, layer in enumerate(self._layers):
                mode = self._modes[i]
                Z: Any = None
                q: int | None = None
                if mode == "first":
                    kind, first, extra = self._first_layer(X)
                    if kind == "popcount":
                        mode, U, code = "popcount", first, extra
                    else:
                        mode, Z, q = "reference", first, extra
                nxt = self._modes[i + 1] if i < last else None
                if trace is not None:
                    trace.append(self._describe(i, layer, mode, code))
                if mode == "popcount" and nxt == "popcount" and isinstance(layer.act, (Sign, Step)):
                    # the kernel writes the next layer's packed inputs: Z is never stored
                    U, code = self._popcount(layer, U, code, bits=True), layer.out_code
                    continue
                if mode == "popcount":
                    Z, q = self._popcount(layer, U, code, bits=False), code.q
                elif mode == "exact":
                    Z, q = exact_affine(V, layer.W, scaled_bias(layer.b, code.q)), code.q
                elif Z is None:
                    Z, q = _reference_affine(A, layer)
                if i == last:
                    return Z, q
                act = layer.act
                A = act(Z) if q is None else act.exact(Z, q)
                if nxt in ("popcount", "exact"):
                    code = layer.out_code
                    u = _integer_codes(act, A)
                    if nxt == "popcount":
                        U = _planes(u, code.planes)
                    else:
                        V = code.scale * u.astype(np.int64) + code.offset
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _describe(i: int, layer: _Layer, mode: str, code: _Code | None) -> dict[str, Any]:
        step: dict[str, Any] = {"layer": i, "shape": [layer.n_out, layer.n_in], "mode": mode}
        if mode == "popcount" and code is not None:
            step["passes"] = code.planes * layer.n_planes
            step["input_planes"] = code.planes
            step["weight_planes"] = layer.n_planes
        return step

    def plan(self, X: Any) -> list[dict[str, Any]]:
        """How each layer runs on ``X`` (the first layer's mode depends on the inputs).

        Returns one dict per layer: ``layer``, ``shape``, ``mode`` (``"popcount"``,
        ``"exact"`` or ``"reference"``) and, for popcount layers, the number of passes
        (input bit planes x weight bit planes).
        """
        trace: list[dict[str, Any]] = []
        self._forward(X, trace)
        return trace

    def decision_function(self, X: Any) -> np.ndarray:
        """Output pre-activations, equal to :meth:`ThresholdNet.decision_function`:
        shape ``(n_samples,)`` for a binary net, else ``(n_samples, n_classes)``."""
        Z, q = self._forward(X)
        z = user_values(Z, q)
        return z[:, 0] if self.output == "sign" else z

    def predict_codes(self, X: Any) -> np.ndarray:
        """Predicted class indices (``0..k-1``; for a binary net 1 iff ``z >= 0``)."""
        Z, _ = self._forward(X)
        return output_codes(Z, self.output)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (from :attr:`classes`), equal to :meth:`ThresholdNet.predict`."""
        return self.classes[self.predict_codes(X)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on ``(X, y)``."""
        pred = self.predict(X)
        ya = check_labels(y, n_samples=pred.shape[0])
        return float(np.mean(pred == ya))

    # ------------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the packed file (``.npz`` + JSON, no pickle; see :func:`write_packed_file`).

        >>> import tempfile, pathlib, mixedopt as mo
        >>> net = mo.ThresholdNet.random([16, 8, 1], seed=0, weights="binary")
        >>> p = net.compile(backend="numpy").save(pathlib.Path(tempfile.mkdtemp()) / "m.npz")
        >>> PackedNet.load(p, backend="numpy").sizes
        [16, 8, 1]
        """
        return write_packed_file(
            path,
            self.weights,
            self.biases,
            self.activation_names,
            output=self.output,
            classes=self.classes,
            weight_domain=self.weight_domain,
            metadata=self.metadata,
        )

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, backend: str = "auto", n_threads: int | None = None
    ) -> PackedNet:
        """Read a packed file written by :meth:`save` (``allow_pickle=False``).

        Raises
        ------
        ModelFileError
            If the file is missing, truncated, corrupt or not a packed network.
        """
        _check_options(backend, n_threads)
        d = read_packed_file(path)
        try:
            return cls(
                d["weights"],
                d["biases"],
                d["activations"],
                output=d["output"],
                classes=d["classes"],
                backend=backend,
                n_threads=n_threads,
                weight_domain=d["weight_domain"],
                metadata=d["metadata"],
            )
        except ValidationError as exc:
            raise ModelFileError(f"{str(path)!r} is inconsistent: {exc}") from exc


# --------------------------------------------------------------------------- the file
def _encode_array(a: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """``(description, stored array)``: integers as ``offset + step * code`` with ``bits``
    bits per code (binary: 1 bit, ternary: 2 bits) in a ``uint8`` bit stream; reals (and
    wide integers) raw."""
    a = np.asarray(a)
    desc: dict[str, Any] = {"shape": list(a.shape)}
    if a.dtype.kind != "i" or a.size == 0:
        desc["encoding"] = "raw"
        return desc, a
    lo, hi = int(a.min()), int(a.max())
    if np.all((a == 1) | (a == -1)):
        lo, step, bits = -1, 2, 1
    else:
        step, bits = 1, max(1, (hi - lo).bit_length())
    if bits > _MAX_FILE_BITS:
        desc["encoding"] = "raw"
        return desc, a
    codes = ((a.ravel().astype(np.int64) - lo) // step).astype(np.uint64)
    planes = ((codes[:, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(bool)
    desc.update(encoding="bits", bits=bits, offset=lo, step=step)
    return desc, np.packbits(planes.ravel(), bitorder="little")


def _int_field(desc: dict[str, Any], name: str, where: str) -> int:
    v = desc.get(name)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ModelFileError(f"{where}: field {name!r} must be an integer, got {v!r}.")
    return v


def _decode_array(desc: Any, arrays: Any, stream: np.ndarray, where: str) -> np.ndarray:
    """One array of a packed file from its description (``arrays``: the open ``.npz``)."""
    if not isinstance(desc, dict) or desc.get("encoding") not in ("raw", "bits"):
        raise ModelFileError(f"{where}: unknown array encoding {desc!r}.")
    shape = desc.get("shape")
    if not (
        isinstance(shape, list)
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)
    ):
        raise ModelFileError(f"{where}: bad shape {shape!r}.")
    size = math.prod(shape)
    if desc["encoding"] == "raw":
        name = desc.get("array")
        if not isinstance(name, str) or not name.startswith("raw") or name not in arrays.files:
            raise ModelFileError(f"{where}: the raw array {name!r} is missing (truncated file).")
        stored = arrays[name]
        if stored.dtype.kind not in "if" or list(stored.shape) != shape:
            raise ModelFileError(
                f"{where}: stored array of shape {list(stored.shape)} and dtype {stored.dtype}, "
                f"expected shape {shape} of numbers."
            )
        return stored
    bits, offset, step = (_int_field(desc, k, where) for k in ("bits", "offset", "step"))
    start = _int_field(desc, "start", where)
    if not 1 <= bits <= _MAX_FILE_BITS or step not in (1, 2) or abs(offset) >= 2**62:
        raise ModelFileError(f"{where}: bad bit encoding {desc!r}.")
    nbytes = -(-size * bits // 8)
    if start < 0 or start + nbytes > stream.size:
        raise ModelFileError(
            f"{where}: needs bytes {start}..{start + nbytes} of the bit stream, which holds "
            f"{stream.size}; the file is truncated or corrupt."
        )
    chunk = stream[start : start + nbytes]
    flat = np.unpackbits(chunk, count=size * bits, bitorder="little").reshape(size, bits)
    codes = flat.astype(np.int64) @ (np.int64(1) << np.arange(bits, dtype=np.int64))
    return (offset + step * codes).reshape(shape)


def write_packed_file(
    path: str | os.PathLike[str],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    *,
    output: str,
    classes: Any,
    weight_domain: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a network in the packed format: ``.npz`` arrays plus JSON metadata, no pickle.

    The JSON record ``__meta__`` holds the format name and version, ``sizes``,
    ``activations``, ``output``, ``classes``, ``weight_domain``, ``metadata`` and, per
    layer, how its weights and biases are stored: ``{"encoding": "bits", "bits": B,
    "offset": o, "step": s, "shape": [...]}`` (values ``o + s * code``, codes of ``B`` bits
    in one little-endian bit stream: binary weights at 1 bit, ternary at 2) or ``{"encoding":
    "raw", "shape": [...]}`` (real weights as float64, very wide integers as int64). The
    bit-encoded arrays share one ``uint8`` array ``bits`` (each from byte ``start``: one
    ``.npy`` header for the whole net, which keeps small files small); raw arrays are
    ``raw0, raw1, ...`` (named by ``array``). The write is atomic.

    Returns
    -------
    pathlib.Path
        The path written (``.npz`` appended to a name without a suffix).

    Raises
    ------
    ValidationError
        A bad path, or metadata JSON cannot hold.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> W = [np.array([[1, -1, 1], [-1, -1, 1]]), np.array([[1, 0]])]
    >>> b = [np.array([0, 1]), np.array([-1])]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.npz"
    >>> path = write_packed_file(path, W, b, ["sign"], output="sign", classes=[-1, 1])
    >>> is_packed_file(path), read_packed_file(path)["layers"][0]["weights"]["bits"]
    (True, 1)
    >>> [w.tolist() for w in read_packed_file(path)["weights"]] == [w.tolist() for w in W]
    True
    """
    from mixedopt.io import network_file_path

    path = network_file_path(path)
    layers: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    stream: list[np.ndarray] = []
    start = 0
    for W, b in zip(weights, biases, strict=True):
        layer = {}
        for key, value in (("weights", W), ("biases", b)):
            desc, stored = _encode_array(np.asarray(value))
            if desc["encoding"] == "bits":  # one stream: one .npy header for every layer
                desc["start"] = start
                stream.append(stored)
                start += stored.size
            else:
                desc["array"] = f"raw{len(arrays)}"
                arrays[desc["array"]] = stored
            layer[key] = desc
        layers.append(layer)
    arrays["bits"] = np.concatenate(stream) if stream else np.zeros(0, dtype=np.uint8)
    cls = np.asarray(classes)
    meta = {
        "format": PACKED_FORMAT,
        "format_version": PACKED_FORMAT_VERSION,
        "sizes": [int(np.shape(weights[0])[1])] + [int(np.shape(W)[0]) for W in weights],
        "activations": [a if isinstance(a, str) else a.name for a in activations],
        "output": output,
        "classes": [v.item() if isinstance(v, np.generic) else v for v in cls.tolist()],
        "weight_domain": weight_domain,
        "metadata": dict(metadata or {}),
        "n_layers": len(layers),
        "layers": layers,
    }
    try:
        text = json.dumps(meta)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"cannot save the packed network to {str(path)!r}: {exc}; metadata must hold "
            "only dicts, lists, str, numbers, bools and None."
        ) from None
    arrays["__meta__"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    atomic_savez(path, arrays)
    return path


def is_packed_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a readable ``.npz`` in the packed format (False on any error)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if "__meta__" not in z.files:
                return False
            meta = json.loads(bytes(z["__meta__"]).decode("utf-8"))
    except Exception:
        return False
    return isinstance(meta, dict) and meta.get("format") == PACKED_FORMAT


def read_packed_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a packed file: its metadata with ``weights`` and ``biases`` (decoded to
    ``int64`` / ``float64`` arrays) added.

    Raises
    ------
    ModelFileError
        If the file is missing, truncated, corrupt, of a newer format version, or not a
        packed mixedopt network.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"model file {str(p)!r} does not exist.")
    try:
        with np.load(p, allow_pickle=False) as z:
            files = set(z.files)
            if "__meta__" not in files:
                raise ModelFileError(f"{str(p)!r} is an .npz file but not a mixedopt network.")
            meta = json.loads(bytes(z["__meta__"]).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != PACKED_FORMAT:
                raise ModelFileError(f"{str(p)!r} is not a packed mixedopt network file.")
            version = meta.get("format_version")
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                raise ModelFileError(f"{str(p)!r}: bad format_version {version!r}.")
            if version > PACKED_FORMAT_VERSION:
                raise ModelFileError(
                    f"{str(p)!r} has packed format version {version}; this mixedopt reads up "
                    f"to {PACKED_FORMAT_VERSION}. Upgrade mixedopt."
                )
            layers = meta.get("layers")
            if not isinstance(layers, list) or not layers:
                raise ModelFileError(f"{str(p)!r} is corrupt: no layer descriptions.")
            if "bits" not in files:
                raise ModelFileError(f"{str(p)!r} is truncated: its bit stream is missing.")
            stream = z["bits"]
            if stream.dtype != np.uint8 or stream.ndim != 1:
                raise ModelFileError(f"{str(p)!r} is corrupt: the bit stream is not bytes.")
            weights, biases = [], []
            for i, entry in enumerate(layers):
                if not isinstance(entry, dict):
                    raise ModelFileError(f"{str(p)!r} is corrupt: layer {i} is not described.")
                weights.append(_decode_array(entry.get("weights"), z, stream, f"{p} layer {i} W"))
                biases.append(_decode_array(entry.get("biases"), z, stream, f"{p} layer {i} b"))
    except ModelFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(
            f"could not read model file {str(p)!r}: it is corrupt or not a packed mixedopt "
            f"network ({type(exc).__name__}: {exc})."
        ) from exc
    for field, kind in (("activations", list), ("classes", list), ("output", str)):
        if not isinstance(meta.get(field), kind):
            raise ModelFileError(f"{str(p)!r}: field {field!r} is missing or malformed.")
    if not isinstance(meta.get("metadata", {}), dict):
        raise ModelFileError(f"{str(p)!r}: field 'metadata' must be a JSON object.")
    for i in range(1, len(weights)):
        if weights[i].ndim != 2 or weights[i].shape[1] != weights[i - 1].shape[0]:
            raise ModelFileError(f"{str(p)!r} is corrupt: layer shapes do not chain.")
    meta["weights"], meta["biases"] = weights, biases
    meta.setdefault("metadata", {})
    meta.setdefault("weight_domain", None)
    return meta
