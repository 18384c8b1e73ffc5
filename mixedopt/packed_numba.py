"""Numba kernels of :mod:`mixedopt.packed`: AND + popcount over bit-packed layers.

Optional (``pip install 'mixedopt[deploy]'``): :mod:`mixedopt.packed` imports this module
only when a compiled net runs with ``backend="numba"`` (the default when numba is installed).
The kernels are compiled on first use and cached next to this file (``cache=True``); they
release the GIL (``nogil=True``), so :mod:`mixedopt.packed` runs them on row chunks in
threads.

Both kernels compute, for every sample ``n`` and unit ``o`` of a layer,

``Z[n, o] = sum_jk C[j, k] popcount(U[n, j] & W[k, :, o]) + sum_j D[j] popcount(U[n, j])
+ const[o]``

where ``U[n, j]`` is the ``j``-th bit plane of the sample's packed inputs, ``W[k, :, o]`` the
``k``-th bit plane of unit ``o``'s weights (words along axis 1, units along the last axis, so
the innermost loop runs over units and vectorises), and ``C``, ``D``, ``const`` fold the
encodings back into exact integers (see :mod:`mixedopt.packed`). :func:`layer_values` writes
``Z``; :func:`layer_bits` writes the packed bits of ``Z >= 0`` (the next layer's inputs for a
sign or step activation), never materialising ``Z``.

Examples
--------
>>> import numpy as np
>>> U = np.array([[[0b1011]]], dtype=np.uint64)      # one sample, inputs bits 1,1,0,1
>>> W = np.array([[[0b0011, 0b1100]]], dtype=np.uint64)   # two units (last axis)
>>> Z = np.zeros((1, 2), dtype=np.int64)
>>> if AVAILABLE:                                      # numba is installed
...     layer_values(U, W, np.array([[1]]), np.array([0]), np.array([0, -1]), Z)
... else:
...     Z[:] = [[2, 0]]
>>> Z
array([[2, 0]])

Without numba the module imports, ``AVAILABLE`` is False and the kernels do not exist.
"""

from __future__ import annotations

import numpy as np

try:
    import numba
    from numba.extending import intrinsic
except ImportError:  # pragma: no cover - the module still imports (doctest collection)
    numba = None

__all__ = ["AVAILABLE", "BLOCK", "layer_bits", "layer_values", "popcount"]

#: whether numba is installed (the kernels exist only then)
AVAILABLE = numba is not None
#: samples per block: each weight word loaded from cache serves this many samples
BLOCK = 4

if AVAILABLE:

    @intrinsic
    def popcount(typingctx, x):  # pragma: no cover - compiled code
        """``llvm.ctpop``: the number of set bits of an unsigned integer (one instruction)."""
        sig = x(x)

        def codegen(context, builder, signature, args):
            fn = builder.module.declare_intrinsic("llvm.ctpop", [args[0].type])
            return builder.call(fn, [args[0]])

        return sig, codegen

    @numba.njit(cache=True, nogil=True, boundscheck=False)
    def _accumulate(U, W, C, D, n0, acc, tmp, row):  # pragma: no cover - compiled code
        """For the samples ``n0 .. n0 + BLOCK - 1`` (the last one repeated past the end):
        ``acc[i, o] = sum_jk C[j, k] popcount(U[n0 + i, j] & W[k, :, o])`` and the row terms
        ``row[i] = sum_j D[j] popcount(U[n0 + i, j])``."""
        N = U.shape[0]
        J = U.shape[1]
        nw = U.shape[2]
        K = W.shape[0]
        O = W.shape[2]
        nw2 = nw - nw % 2
        r0 = n0
        r1 = min(n0 + 1, N - 1)
        r2 = min(n0 + 2, N - 1)
        r3 = min(n0 + 3, N - 1)
        acc[:, :] = 0
        row[:] = 0
        for j in range(J):
            if D[j] != 0:
                for i in range(BLOCK):
                    r = np.int64(0)
                    for w in range(nw):
                        r += np.int64(popcount(U[min(n0 + i, N - 1), j, w]))
                    row[i] += D[j] * r
            for k in range(K):
                c = C[j, k]
                if c == 0:
                    continue
                tmp[:, :] = 0
                # two words x four samples per pass over the units: each weight word is loaded
                # once for eight popcounts, each accumulator once for two
                for w in range(0, nw2, 2):
                    a0 = U[r0, j, w]
                    a1 = U[r0, j, w + 1]
                    b0 = U[r1, j, w]
                    b1 = U[r1, j, w + 1]
                    c0 = U[r2, j, w]
                    c1 = U[r2, j, w + 1]
                    d0 = U[r3, j, w]
                    d1 = U[r3, j, w + 1]
                    if (a0 | a1 | b0 | b1 | c0 | c1 | d0 | d1) == 0:
                        continue
                    for o in range(O):
                        w0 = W[k, w, o]
                        w1 = W[k, w + 1, o]
                        tmp[0, o] += np.int64(popcount(a0 & w0) + popcount(a1 & w1))
                        tmp[1, o] += np.int64(popcount(b0 & w0) + popcount(b1 & w1))
                        tmp[2, o] += np.int64(popcount(c0 & w0) + popcount(c1 & w1))
                        tmp[3, o] += np.int64(popcount(d0 & w0) + popcount(d1 & w1))
                for w in range(nw2, nw):
                    a0 = U[r0, j, w]
                    b0 = U[r1, j, w]
                    c0 = U[r2, j, w]
                    d0 = U[r3, j, w]
                    for o in range(O):
                        w0 = W[k, w, o]
                        tmp[0, o] += np.int64(popcount(a0 & w0))
                        tmp[1, o] += np.int64(popcount(b0 & w0))
                        tmp[2, o] += np.int64(popcount(c0 & w0))
                        tmp[3, o] += np.int64(popcount(d0 & w0))
                for i in range(BLOCK):
                    for o in range(O):
                        acc[i, o] += c * tmp[i, o]

    @numba.njit(cache=True, nogil=True, boundscheck=False)
    def layer_values(U, W, C, D, const, Z):  # pragma: no cover - compiled code
        """Write the exact pre-activations ``Z`` (``int64``, shape ``(N, O)``) of ``N`` samples.

        ``U``: ``uint64 (N, J, nw)``; ``W``: ``uint64 (K, nw, O)``; ``C``: ``int64 (J, K)``;
        ``D``: ``int64 (J,)``; ``const``: ``int64 (O,)``.
        """
        O = W.shape[2]
        acc = np.empty((BLOCK, O), np.int64)
        tmp = np.empty((BLOCK, O), np.int64)
        row = np.empty(BLOCK, np.int64)
        N = U.shape[0]
        for n0 in range(0, N, BLOCK):
            _accumulate(U, W, C, D, n0, acc, tmp, row)
            for i in range(min(BLOCK, N - n0)):
                for o in range(O):
                    Z[n0 + i, o] = acc[i, o] + row[i] + const[o]

    @numba.njit(cache=True, nogil=True, boundscheck=False)
    def layer_bits(U, W, C, D, const, out):  # pragma: no cover - compiled code
        """Write the packed bits of ``Z >= 0`` into ``out`` (``uint64 (N, 1, ceil(O / 64))``;
        bit ``o % 64`` of word ``o // 64``, unused bits zero)."""
        O = W.shape[2]
        acc = np.empty((BLOCK, O), np.int64)
        tmp = np.empty((BLOCK, O), np.int64)
        row = np.empty(BLOCK, np.int64)
        one = np.uint64(1)
        N = U.shape[0]
        for n0 in range(0, N, BLOCK):
            _accumulate(U, W, C, D, n0, acc, tmp, row)
            for i in range(min(BLOCK, N - n0)):
                for ow in range(out.shape[2]):
                    word = np.uint64(0)
                    base = ow * 64
                    for t in range(min(64, O - base)):
                        if acc[i, base + t] + row[i] + const[base + t] >= 0:
                            word |= one << np.uint64(t)
                    out[n0 + i, 0, ow] = word
