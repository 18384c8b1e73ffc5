"""Scalar helpers of the inspect package: JSON-safe numbers, table cells, numpy scalars."""

from __future__ import annotations

from typing import Any

import numpy as np


def _num(v: Any) -> Any:
    if v is None:
        return None
    v = float(v)
    return v if np.isfinite(v) else None


def _fmt(v: float | None) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:.3g}"


def _item(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
