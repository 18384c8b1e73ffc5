"""Training histories read by :func:`~mixedopt.inspect.inspect_targets`.

A history is an FTPROP ``History`` (or its dict: per-epoch ``flipped`` and ``violated``
fractions per layer) or a torch target-capture history from :mod:`mixedopt.torch` (its probe
``flip_rate`` and ``disagreement`` per threshold layer). This module turns either into the
per-layer flip-rate and violated-fraction curves of a :class:`~mixedopt.inspect.LayerReport`,
and a history into plain JSON data.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from mixedopt.errors import ValidationError
from mixedopt.inspect.scalars import num


def history_dict(history: Any) -> dict[str, Any] | None:
    if history is None:
        return None
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    if not isinstance(history, dict):
        raise ValidationError(
            f"history must be a dict (FTPROP History or a torch target-capture history), got "
            f"{type(history).__name__}."
        )
    return history


def _is_torch_capture(h: dict[str, Any]) -> bool:
    return h.get("format") == "mixedopt.torch.target_history" or "probe" in h


def history_curves(
    h: dict[str, Any] | None, i: int, kind: str, n_hidden: int
) -> tuple[list[float] | None, list[float] | None]:
    """Flip-rate and violated-fraction curves of layer ``i`` from a history."""
    if not h:
        return None, None
    if _is_torch_capture(h):
        if kind != "hidden":
            return None, None
        probe = h.get("probe", {})
        fr = np.asarray(probe.get("flip_rate", []), dtype=np.float64)
        dis = np.asarray(probe.get("disagreement", []), dtype=np.float64)
        flip = [num(v) for v in fr[:, i].tolist()] if fr.ndim == 2 and fr.shape[1] > i else None
        viol = [num(v) for v in dis[:, i].tolist()] if dis.ndim == 2 and dis.shape[1] > i else None
        return flip, viol
    flipped = h.get("flipped") or []
    violated = h.get("violated") or []
    flip = [float(e[i]) for e in flipped if len(e) > i] if kind == "hidden" else None
    col = i if kind == "hidden" else n_hidden
    viol = [float(e[col]) for e in violated if len(e) > col] or None
    return flip or None, viol


def jsonable_history(h: dict[str, Any] | None) -> Any:
    if h is None:
        return None
    return json.loads(json.dumps(h, default=_json_default))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)
