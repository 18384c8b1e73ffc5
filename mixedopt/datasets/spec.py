"""Data set specs with options: ``"planted:m=200,d=6,h=3,noise=0.05,seed=0"``."""

from __future__ import annotations

from typing import Any

from mixedopt.errors import DataError


def _parse_value(text: str) -> Any:
    """Parse an option value from a ``name:key=value`` string."""
    t = text.strip()
    low = t.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    if low in ("none", "null"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def split_spec(spec: str) -> tuple[str, str]:
    """``"moons:noise=0.2"`` -> ``("moons", "noise=0.2")``; names are normalized."""
    name, _, opts = spec.partition(":")
    return name.strip().lower().replace("-", "_"), opts.strip()


def parse_options(name: str, opts: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not opts:
        return out
    for part in opts.split(","):
        if not part.strip():
            continue
        key, eq, val = part.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise DataError(
                f"could not parse option {part.strip()!r} in data spec '{name}:{opts}'; write "
                "options as key=value separated by commas, e.g. "
                "'planted:m=200,d=6,h=3,noise=0.05,seed=0'."
            )
        out[key] = _parse_value(val)
    return out
