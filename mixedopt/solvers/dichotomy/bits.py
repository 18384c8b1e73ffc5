"""Bit-plane helpers of the dichotomy search: error sets as packed ``uint64`` rows.

A 0/1 matrix is stored one row per dichotomy, 64 examples per word; a product with a vector
of few distinct values is taken one bit plane at a time (AND + popcount), 32x less memory
traffic than the float product.
"""

from __future__ import annotations

import numpy as np


def pack(M: np.ndarray) -> np.ndarray:
    """Rows of a bool matrix as uint64 words (zero padded)."""
    n, m = M.shape
    nbytes = (m + 7) // 8
    words = (nbytes + 7) // 8
    out = np.zeros((n, words * 8), dtype=np.uint8)
    out[:, :nbytes] = np.packbits(M, axis=1)
    return out.view(np.uint64)


def unpack_bits(B: np.ndarray, m: int) -> np.ndarray:
    return np.unpackbits(B.view(np.uint8), axis=1, count=m).astype(np.float32)


HAS_POPCOUNT = hasattr(np, "bitwise_count")


def bits_dot(B: np.ndarray, v: np.ndarray, m: int) -> np.ndarray:
    """``unpack(B) @ v`` through bit planes when ``v`` has few distinct values."""
    vals = np.unique(v[v != 0])
    if vals.size == 0:
        return np.zeros(B.shape[0], dtype=np.float64)
    if not HAS_POPCOUNT or vals.size > 4:
        return (unpack_bits(B, m) @ v.astype(np.float32)).astype(np.float64)
    out = np.zeros(B.shape[0], dtype=np.float64)
    for c in vals.tolist():
        mask = pack((v == c)[None, :])[0]
        cnt = np.bitwise_count(B & mask).sum(axis=1, dtype=np.int64)
        out += c * cnt
    return out
