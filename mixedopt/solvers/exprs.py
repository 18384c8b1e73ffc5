"""Solver-neutral expression builders shared by the CP-SAT and SCIP models.

Both backends write the first layer's pre-activations the same way: data rows times a
matrix of weight variables plus a bias variable, summed over the row's nonzero inputs only.
The solver shows only in how a coefficient is written (``int`` for CP-SAT, ``float`` for
SCIP) and which sum builds the expression (``sum`` or ``pyscipopt.quicksum``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from mixedopt.solvers.context import SolveContext

__all__ = ["affine_rows"]


def affine_rows(
    X: np.ndarray,
    W: Sequence[Sequence[Any]],
    b: Sequence[Any],
    *,
    coef: Callable[[Any], Any],
    total: Callable[[Iterable[Any]], Any],
    ctx: SolveContext | None = None,
    check_every: int = 64,
) -> list[list[Any]]:
    """Expressions ``z[k][j] = sum_i X[k, i] * W[j][i] + b[j]`` of every data row.

    Parameters
    ----------
    X : ndarray of shape (m, n_in)
        Data (numbers); each row's zero entries are left out of its sums.
    W : sequence of n_out sequences of n_in solver variables or expressions
        Weights, one row per unit (``W[j][i]``).
    b : sequence of n_out solver variables or expressions
        Biases.
    coef : callable
        Turns an entry of ``X`` into the solver's coefficient type (``int``, ``float``).
    total : callable
        Sums an iterable of terms into one expression (``sum``, ``pyscipopt.quicksum``).
    ctx : SolveContext, optional
        Checked (:meth:`SolveContext.check`) every ``check_every`` rows, so that a stop
        request or Ctrl-C ends a long model build.
    check_every : int, default 64
        Rows between checks of ``ctx``.

    Returns
    -------
    list of list
        ``z[k][j]`` for ``k < m`` and ``j < n_out``.

    Examples
    --------
    >>> import numpy as np
    >>> affine_rows(np.array([[1, 0], [2, 3]]), [[10, 100]], [5], coef=int, total=sum)
    [[15], [325]]
    """
    Z: list[list[Any]] = []
    n_out = len(W)
    for k in range(X.shape[0]):
        if ctx is not None and k % check_every == 0:
            ctx.check()
        xk = X[k]
        nzi = np.flatnonzero(xk)
        Z.append([total(coef(xk[i]) * W[j][i] for i in nzi) + b[j] for j in range(n_out)])
    return Z
