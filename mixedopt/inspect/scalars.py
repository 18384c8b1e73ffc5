"""Scalar helpers of the inspect package: JSON-safe numbers, table cells, numpy scalars."""

from __future__ import annotations

from typing import Any

import numpy as np


def num(v: Any) -> Any:
    if v is None:
        return None
    v = float(v)
    return v if np.isfinite(v) else None


def fmt(v: float | None) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:.3g}"


def item(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
