"""Hypothesis strategies shared by several test modules (on ``sys.path`` through the
``pythonpath`` setting of pytest in ``pyproject.toml``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mixedopt.problems.training import TrainingProblem


@st.composite
def tiny_problems(draw, *, max_m: int = 12, max_sample_weight: int = 3) -> TrainingProblem:
    """One-hidden-layer binary problems small enough for the brute-force oracle: ``m <= max_m``
    examples with integer inputs in [-3, 3], ``d <= 2``, ``h <= 3``, every weight domain,
    both classes present, integer sample weights in ``[1, max_sample_weight]``."""
    seed = draw(st.integers(0, 100_000))
    rng = np.random.default_rng(seed)
    m = draw(st.integers(4, max_m))
    d = draw(st.integers(1, 2))
    h = draw(st.integers(1, 3))
    dom = draw(st.sampled_from(["integer", "ternary", "binary"]))
    X = rng.integers(-3, 4, size=(m, d))
    y = rng.integers(0, 2, size=m)
    y[:2] = [0, 1]
    sw = rng.integers(1, max_sample_weight + 1, size=m)
    kw = {"weight_bound": 2 if h < 3 else 1} if dom == "integer" else {}
    return TrainingProblem.from_data(X, y, hidden=[h], weights=dom, sample_weight=sw, **kw)
