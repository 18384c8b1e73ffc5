"""A silent ``highspy.Highs`` constructor.

HiGHS prints a start-up banner from C++ on file descriptor 1 the first time a ``Highs``
object is created, before ``output_flag`` can be set. :func:`quiet_highs` swallows it once
(redirecting fd 1 to ``/dev/null`` around the first construction) and turns output off on
every instance. Library code never prints.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Any

__all__ = ["quiet_highs"]

_STATE = {"banner": False}
_LOCK = threading.Lock()


def _first_highs() -> Any:
    """The first ``Highs`` of the process, built with fd 1 silenced (None if that fails)."""
    import highspy

    h = None
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()
            with contextlib.suppress(Exception):
                ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
    except OSError:  # pragma: no cover - no real fd 1
        h = None
    return h


def quiet_highs() -> Any:
    """A ``highspy.Highs`` with ``output_flag`` off (the one-time banner is swallowed).

    >>> h = quiet_highs()
    >>> h.getNumCol(), h.getNumRow()
    (0, 0)
    """
    import highspy

    h = None
    if not _STATE["banner"]:
        with _LOCK:
            if not _STATE["banner"]:
                _STATE["banner"] = True
                h = _first_highs()
    if h is None:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h
