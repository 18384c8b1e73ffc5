"""Exceptions raised by mixedopt.

Every error a user can trigger with bad input derives from :class:`Error`, and the
validation errors also derive from :class:`ValueError` so that generic ``except ValueError``
code keeps working.

Examples
--------
>>> import mixedopt as mo
>>> try:
...     mo.datasets.load("no-such-dataset")
... except mo.Error as exc:
...     print(type(exc).__name__)
DataError
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "Error",
    "ModelFileError",
    "SolverError",
    "SolverUnavailableError",
    "ValidationError",
]


class Error(Exception):
    """Base class of every exception raised by mixedopt on purpose."""


class ValidationError(Error, ValueError):
    """An argument has the wrong type, shape, value or range."""


class DataError(ValidationError):
    """A data set could not be found, read or parsed."""


class ModelFileError(Error, ValueError):
    """A model file is missing, truncated, corrupt or not a mixedopt file."""


class SolverUnavailableError(Error, ImportError):
    """A solver backend needs an optional package that is not installed."""


class SolverError(Error, RuntimeError):
    """A solver failed in a way that is not a normal status (invalid model, crash)."""
