"""Forward-pass helpers of FTPROP-MB (:mod:`mixedopt.ftprop.trainer`): the activation values and
level indices of a layer's pre-activations, and the class codes of the output layer's.

Examples
--------
>>> import numpy as np
>>> from mixedopt.ftprop.unit_steps import levels_of
>>> forward_levels(levels_of("sign"), np.array([[-0.5, 0.0]]))[1]
array([[0, 1]], dtype=int8)
>>> predict_codes(np.array([[0.2, -1.0], [0.1, 0.3]]))
array([0, 1])
"""

from __future__ import annotations

import numpy as np

from mixedopt.ftprop.unit_steps import Levels


def forward_levels(lv: Levels, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Activation values (float64) and level indices (int8) of pre-activations ``Z``."""
    if lv.binary:
        k = (Z >= lv.thresholds[0]).astype(np.int8)
        return lv.values[k], k
    n = lv.n_levels - 1
    k = np.clip(np.ceil(Z * (n - 1)), 0, n).astype(np.int8)
    return k / n, k


def predict_codes(Z: np.ndarray) -> np.ndarray:
    if Z.shape[1] == 1:
        return (Z[:, 0] >= 0).astype(np.int64)
    return np.argmax(Z, axis=1)
