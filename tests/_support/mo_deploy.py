"""Hypothesis strategies for the deployment tests (packed inference, ONNX export): random
threshold nets of every supported kind with inputs that hit thresholds exactly."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

import mixedopt as mo

ACTIVATIONS = ["sign", "step", "staircase2", "staircase3", "staircase5"]
DOMAINS = ["binary", "ternary", "integer", "real"]
INPUTS = ["pm1", "01", "small", "decimal", "float"]


def layer_weights(rng: np.random.Generator, domain: str, n_out: int, n_in: int):
    if domain == "binary":
        return rng.choice([-1, 1], (n_out, n_in)), rng.choice([-1, 1], n_out)
    if domain == "ternary":
        return rng.integers(-1, 2, (n_out, n_in)), rng.integers(-1, 2, n_out)
    if domain == "integer":
        k = int(rng.integers(2, 8))
        return rng.integers(-k, k + 1, (n_out, n_in)), rng.integers(-k, k + 1, n_out)
    return rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)


def inputs_of_kind(rng: np.random.Generator, kind: str, m: int, d: int) -> np.ndarray:
    if kind == "pm1":
        return rng.choice([-1, 1], (m, d)).astype(rng.choice([np.int8, np.int64, np.float64]))
    if kind == "01":
        return rng.integers(0, 2, (m, d))
    if kind == "small":
        return rng.integers(-3, 17, (m, d))
    if kind == "decimal":
        return rng.integers(-20, 21, (m, d)) / 10
    return rng.normal(size=(m, d))


@st.composite
def nets_and_inputs(draw, kinds: tuple[str, ...] = tuple(INPUTS)):
    """A random net (any depth, every weight domain and activation, mixed per layer) and
    inputs of one kind; for integer first layers the biases are set so that the first
    sample lies exactly on the threshold of the first unit (z = 0)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    depth = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 130))] + [draw(st.integers(1, 70)) for _ in range(depth - 1)]
    sizes.append(draw(st.sampled_from([1, 2, 3, 10])))
    domain = draw(st.sampled_from(DOMAINS))
    mixed = draw(st.booleans())
    acts = [draw(st.sampled_from(ACTIVATIONS)) for _ in range(depth - 1)]
    W, B = [], []
    for n_in, n_out in itertools.pairwise(sizes):
        dom = draw(st.sampled_from(DOMAINS)) if mixed else domain
        w, b = layer_weights(rng, dom, n_out, n_in)
        W.append(w)
        B.append(b)
    kind = draw(st.sampled_from(kinds))
    X = inputs_of_kind(rng, kind, draw(st.integers(1, 80)), sizes[0])
    if W[0].dtype.kind == "i" and kind in ("pm1", "01", "small"):
        B[0] = B[0].copy()
        B[0][0] = -int(W[0][0] @ X[0].astype(np.int64))  # z = 0 exactly: sign(0) = +1
    return mo.ThresholdNet(W, B, acts), X
