"""pytest: the doctests of this package need the ``deploy`` extra (onnx, onnxruntime) and,
for :mod:`mixedopt.export.torch_model`, torch; without them they are not collected."""

from __future__ import annotations

import importlib.util


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


_DEPLOY = _installed("onnx") and _installed("onnxruntime")
_TORCH = _installed("torch")

collect_ignore_glob = [] if _DEPLOY else ["*.py"]
if _DEPLOY and not _TORCH:
    collect_ignore_glob.append("torch_model.py")
