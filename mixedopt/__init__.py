"""mixedopt: train hard-threshold neural networks by mixed convex-combinatorial optimization.

Choosing the ±1 targets of hidden units is discrete (solved exactly by CP-SAT, SCIP or MaxSAT
on small networks, greedily at scale); once targets are fixed every unit is an independent
perceptron fitted by convex optimization.

Examples
--------
>>> import mixedopt as mo
>>> X, y = mo.datasets.load("xor")
>>> net = mo.ThresholdNet.random([2, 2, 1], seed=0)
>>> net.predict(X).shape
(4,)

Heavy parts (solvers, scikit-learn, torch) are imported lazily, on first use, so that
``import mixedopt`` stays fast.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from mixedopt.errors import (
    DataError,
    Error,
    ModelFileError,
    SolverError,
    SolverUnavailableError,
    ValidationError,
)
from mixedopt.network import ThresholdNet
from mixedopt.result import Progress, SolveResult, Status

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    # submodules
    "activations": "mixedopt.activations",
    "datasets": "mixedopt.datasets",
    "perceptron": "mixedopt.perceptron",
    "solvers": "mixedopt.solvers",
    "problems": "mixedopt.problems",
    "exact": "mixedopt.exact",
    "ftprop": "mixedopt.ftprop",
    "convex": "mixedopt.convex",
    "targets": "mixedopt.targets",
    "torch": "mixedopt.torch",
    # functions and classes
    "fit_unit": "mixedopt.perceptron",
    "fit_units": "mixedopt.perceptron",
    "UnitFit": "mixedopt.perceptron",
    "is_separable": "mixedopt.perceptron",
    "verify_conflict": "mixedopt.perceptron",
    "train_exact": "mixedopt.exact.engine",
    "output_code_net": "mixedopt.exact.codes",
    "assign_targets": "mixedopt.targets",
    "TargetAssignment": "mixedopt.problems.layer",
    "estimators": "mixedopt.estimators",
    "FTPropClassifier": "mixedopt.estimators",
    "ExactThresholdClassifier": "mixedopt.estimators",
    "ConvexThresholdClassifier": "mixedopt.estimators",
    "inspect": "mixedopt.inspect",
    "inspect_targets": "mixedopt.inspect",
    "to_networkx": "mixedopt.inspect",
}

__all__ = [
    "DataError",
    "Error",
    "ModelFileError",
    "Progress",
    "SolveResult",
    "SolverError",
    "SolverUnavailableError",
    "Status",
    "ThresholdNet",
    "ValidationError",
    "__version__",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mixedopt' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if module.rsplit(".", 1)[-1] == name else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API only (``__all__``): not the submodules that importing it loads
    (``mixedopt.network``, ``mixedopt.io``, ...) nor this module's own imports."""
    return sorted(__all__)
