"""ONNX export of a numpy :class:`~mixedopt.ThresholdNet` with the same predictions.

The graph reproduces :meth:`ThresholdNet.predict` decision by decision. Hidden activations
travel as small integers (``±1`` for sign, ``0/1`` for step, the level index ``k`` of
``staircase<n>``, whose value is ``k/n``), so a layer with integer weights computes the exact
integer ``Z = q z`` (``q``: the common denominator of its inputs) in the narrowest type that
holds every partial sum exactly: float32 below 2**24, float64 below 2**53, int64 beyond.
Thresholds compare those exact values, so ``sign(0) = +1`` holds exactly
(``Where(GreaterOrEqual(Z, 0), 1, -1)``). Real-weight layers run in float64, as
:meth:`ThresholdNet.forward` does.

=================  ===========================================================================
ThresholdNet       ONNX (opset 17)
=================  ===========================================================================
affine layer       ``Gemm(a, W, q b, transB=1)`` (float32/float64) or ``MatMul`` + ``Add``
                   (int64); real weights: ``Gemm`` in float64 on the values ``k / n``
sign               ``Where(GreaterOrEqual(Z, 0), 1, -1)``
step               ``Cast(GreaterOrEqual(Z, 0))``
staircase<n>       ``k = ReduceSum(Cast(Greater(Unsqueeze(Z (n-1)), [0, q, ..., (n-1) q])))``
                   (the number of thresholds passed: ``clip(ceil(z (n-1)), 0, n)``)
output "sign"      ``index = Cast(GreaterOrEqual(Z[:, 0], 0), int64)``
output "argmax"    ``index = ArgMax(Z, axis=1)`` (ties: the first index, as numpy)
=================  ===========================================================================

Outputs: ``index`` (int64 class codes), ``scores`` (float64, as
:meth:`ThresholdNet.decision_function`) and, when the classes are numbers or strings,
``label`` (``Gather`` of the classes).

The first layer sees raw inputs. By default the graph reads float64 ``X`` and computes the
first layer in float64: identical to mixedopt for integer-valued inputs (and real weights);
for integer weights on decimal inputs mixedopt decides exact rational ties (``0.1 + 0.2 -
0.3 = 0``) that float64 cannot see. With ``input_bound=B`` the inputs are declared integers
with ``|x| <= B`` (e.g. 1 for ±1 pixels): the first layer is then exact too, in float32 when
the sums allow it (the graph then reads float32 ``X``).

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> from mixedopt.export import OnnxModel, export_onnx
>>> net = mo.ThresholdNet.random([16, 8, 3], seed=0, weights="binary")
>>> model = export_onnx(net, input_bound=1)
>>> X = np.random.default_rng(0).choice([-1.0, 1.0], size=(5, 16))
>>> bool(np.array_equal(OnnxModel(model).predict(X), net.predict(X)))
True
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from mixedopt.activations import Sign, Staircase, Step, get
from mixedopt.errors import ValidationError
from mixedopt.export.graph import Graph

__all__ = ["net_to_onnx"]

_F32_EXACT = 2.0**24
_F64_EXACT = 2.0**53
_I64_SAFE = 2.0**62


def _exact_type(bound: float) -> Any:
    """The narrowest type whose arithmetic is exact on integers below ``bound``."""
    if bound < _F32_EXACT:
        return np.float32
    if bound < _F64_EXACT:
        return np.float64
    if bound < _I64_SAFE:
        return np.int64
    raise ValidationError(
        f"a layer's integer sums reach {bound:.3g}, beyond int64: the net cannot be exported "
        "with exact arithmetic (its weights or inputs are too wide)."
    )


class _Value:
    """A tensor of the graph: ``exact`` integers ``V`` (the layer inputs are ``V / q``,
    ``|V| <= bound``) or ``float`` values (float64, as ThresholdNet holds them)."""

    def __init__(self, name: str, dtype: Any, *, q: int | None, bound: float = 0.0):
        self.name, self.dtype, self.q, self.bound = name, np.dtype(dtype), q, bound

    @property
    def exact(self) -> bool:
        return self.q is not None


def _cast(g: Graph, v: _Value, dtype: Any) -> str:
    if v.dtype == np.dtype(dtype):
        return v.name
    return g.cast(v.name, dtype)


def _affine(g: Graph, v: _Value, W: np.ndarray, b: np.ndarray, act: Any) -> _Value:
    """``Z = q (a W^T + b)`` exactly for integer layers on exact inputs, else float64."""
    if W.dtype.kind == "i" and v.exact:
        abs_rows = float(np.abs(W).sum(axis=1).max(initial=0))
        bound = v.bound * abs_rows + v.q * float(np.abs(b).max(initial=0)) + 1.0
        if isinstance(act, Staircase):
            bound *= max(1, act.n - 1)  # the thresholds compare Z (n - 1)
        dt = np.dtype(_exact_type(bound))
        a = _cast(g, v, dt)
        qb = g.const((b.astype(object) * v.q).astype(dt), hint="qb")
        if dt.kind == "f":
            z = g.node("Gemm", [a, g.const(W.astype(dt), hint="W"), qb], hint="z", transB=1)
        else:  # Gemm has no int64 kernel
            z = g.node("Add", [g.node("MatMul", [a, g.const(W.T.astype(dt), hint="WT")]), qb])
        return _Value(z, dt, q=v.q, bound=bound)
    # real weights (or raw float inputs): float64 on the values ThresholdNet multiplies
    a = _cast(g, v, np.float64)
    if v.exact and v.q != 1:
        a = g.node("Div", [a, g.const(np.float64(v.q))])
    Wc, bc = g.const(W.astype(np.float64), hint="W"), g.const(b.astype(np.float64), hint="b")
    return _Value(g.node("Gemm", [a, Wc, bc], hint="z", transB=1), np.float64, q=None)


def _activation(g: Graph, z: _Value, act: Any) -> _Value:
    """The activation's outputs as small integers (``sign``: ±1, ``step``: 0/1,
    ``staircase<n>``: the level index ``k``, value ``k / n``)."""
    dt = z.dtype
    ge = g.node("GreaterOrEqual", [z.name, g.const(np.zeros((), dt))])
    if isinstance(act, Sign):
        one, minus = g.const(np.ones((), dt)), g.const(-np.ones((), dt))
        return _Value(g.node("Where", [ge, one, minus], hint="sign"), dt, q=1, bound=1)
    if isinstance(act, Step):
        return _Value(_cast(g, _Value(ge, np.bool_, q=1), dt), dt, q=1, bound=1)
    if isinstance(act, Staircase):
        n = int(act.n)
        v = g.node("Mul", [z.name, g.const(np.array(n - 1, dtype=dt))])
        q = z.q if z.exact else 1  # exact: z = Z / q; float: compare z (n - 1) itself
        thresholds = g.const((np.arange(n, dtype=object) * q).astype(dt), hint="thresholds")
        passed = g.node("Greater", [g.node("Unsqueeze", [v, g.const([-1], np.int64)]), thresholds])
        ct = np.float32 if n < 2**24 else np.float64
        count = g.cast(passed, ct)
        k = g.node("ReduceSum", [count, g.const([-1], np.int64)], hint="level", keepdims=0)
        return _Value(k, ct, q=n, bound=n)
    raise ValidationError(
        f"activation {act.name!r} has no ONNX export; sign, step and staircase<n> do."
    )


def _classes_tensor(classes: np.ndarray) -> np.ndarray | None:
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        return classes.astype(np.float64)
    if classes.dtype.kind in "UO" and all(isinstance(c, str) for c in classes.tolist()):
        return classes.astype(object)
    return None


def net_to_onnx(
    net: Any,
    *,
    input_bound: float | None = None,
    input_dtype: Any = None,
    name: str = "mixedopt_threshold_net",
) -> Any:
    """Export a :class:`~mixedopt.ThresholdNet` (or a :class:`~mixedopt.packed.PackedNet`)
    to an ``onnx.ModelProto`` (see the module docstring for the graph).

    Parameters
    ----------
    net : ThresholdNet or PackedNet
    input_bound : float, optional
        Declares integer-valued inputs with ``|x| <= input_bound`` (1 for ±1 or 0/1
        inputs): the first layer is then exact, in float32 when its sums stay below 2**24.
        Default: real inputs, first layer in float64.
    input_dtype : numpy dtype, optional
        Type of the graph input ``X``: float64 by default, float32 when ``input_bound`` lets
        the first layer run in float32.
    name : str
        Graph name.

    Returns
    -------
    onnx.ModelProto
        Inputs ``X [N, n_inputs]``; outputs ``index``, ``scores`` and (numeric or string
        classes) ``label``.

    Raises
    ------
    ValidationError
        For an activation without an ONNX form, or integer sums beyond int64.
    SolverUnavailableError
        When onnx is not installed.
    """
    weights = [np.asarray(w) for w in net.weights]
    biases = [np.asarray(b) for b in net.biases]
    acts = [get(a) for a in net.activation_names]
    output = net.output
    g = Graph(name)
    d = weights[0].shape[1]
    if input_bound is not None:
        if not np.isfinite(input_bound) or input_bound < 0:
            raise ValidationError(f"input_bound must be a finite number >= 0, got {input_bound}.")
        first_dt = np.dtype(np.float64)
        if weights[0].dtype.kind == "i":
            probe = float(input_bound) * float(np.abs(weights[0]).sum(axis=1).max(initial=0))
            probe += float(np.abs(biases[0]).max(initial=0)) + 1.0
            if acts and isinstance(acts[0], Staircase):
                probe *= max(1, acts[0].n - 1)
            first_dt = np.dtype(_exact_type(probe))
        in_dt = np.dtype(input_dtype or (np.float32 if first_dt == np.float32 else np.float64))
        x = g.input("X", in_dt, ["N", d])
        v = _Value(x, in_dt, q=1, bound=float(input_bound))
    else:
        in_dt = np.dtype(input_dtype or np.float64)
        x = g.input("X", in_dt, ["N", d])
        v = _Value(x, in_dt, q=None)
    if in_dt.kind != "f":
        raise ValidationError(f"input_dtype must be a float type, got {in_dt}.")
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        act = acts[i] if i < len(acts) else None
        z = _affine(g, v, W, b, act)
        if act is None:
            break
        v = _activation(g, z, act)
    # outputs
    if output == "sign":
        z0 = g.node("Squeeze", [z.name, g.const([1], np.int64)])
        ge = g.node("GreaterOrEqual", [z0, g.const(np.zeros((), z.dtype))])
        index = g.cast(ge, np.int64)
        scores_src, shape = _Value(z0, z.dtype, q=z.q), ["N"]
    else:
        index = g.node("ArgMax", [z.name], axis=1, keepdims=0)
        scores_src, shape = z, ["N", weights[-1].shape[0]]
    scores = _cast(g, scores_src, np.float64)
    if z.exact and z.q != 1:
        scores = g.node("Div", [scores, g.const(np.float64(z.q))])
    g.output(index, np.int64, ["N"], name="index")
    g.output(scores, np.float64, shape, name="scores")
    classes = np.asarray(net.classes)
    table = _classes_tensor(classes)
    if table is not None:
        label = g.node("Gather", [g.const(table, hint="classes"), index], axis=0)
        g.output(label, table.dtype, ["N"], name="label")
    meta = {
        "mixedopt.model": "ThresholdNet",
        "mixedopt.sizes": json.dumps([d] + [w.shape[0] for w in weights]),
        "mixedopt.activations": json.dumps([a.name for a in acts]),
        "mixedopt.output": output,
        "mixedopt.classes": json.dumps(
            [c.item() if isinstance(c, np.generic) else c for c in classes.tolist()]
        ),
        "mixedopt.input_bound": json.dumps(input_bound),
        "mixedopt.conventions": "sign(0) = +1, step(0) = 1, argmax ties to the lowest index",
    }
    return g.build(meta)
