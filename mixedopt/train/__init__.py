"""Training algorithms built from the parts of mixedopt.

* :func:`mixedopt.train.ftprop.train_ftprop` — mini-batch feasible target propagation
  (FTPROP-MB) in numpy, for sign and staircase networks of any depth;
* :mod:`mixedopt.train.exact` — whole-network exact training (MIP / SAT);
* :mod:`mixedopt.train.convex` — convex reformulations of threshold networks.

The submodules are imported lazily, on first attribute access, so importing this package
is cheap.

Examples
--------
>>> from mixedopt.train import train_ftprop  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "ftprop": "mixedopt.train.ftprop",
    "exact": "mixedopt.train.exact",
    "convex": "mixedopt.train.convex",
    "train_ftprop": "mixedopt.train.ftprop",
    "FTPropConfig": "mixedopt.train.ftprop",
    "FTPropTrainer": "mixedopt.train.ftprop",
    "History": "mixedopt.train.ftprop",
    "propagate_targets": "mixedopt.train.ftprop",
    "train_exact": "mixedopt.train.exact",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mixedopt.train' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.rsplit(".", 1)[-1] == name else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
