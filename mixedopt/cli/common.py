"""What the commands of :mod:`mixedopt.cli` share.

The consoles (``console`` for output, ``err_console`` for errors), one-line errors and exit
codes (:func:`fail`, :func:`handle_errors`), the global ``-v`` option
(:func:`global_options`), output paths checked before any work is done
(:func:`net_out_path`, :func:`file_out_path`), the train/test split that ``train`` saves
and ``inspect`` re-creates (:func:`split_data`), and the command classes that keep
``--help`` from listing a ``<bool>`` type for on/off flags (:class:`FlagCommand`,
:class:`FlagGroup`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

from mixedopt import datasets
from mixedopt.errors import Error, ValidationError
from mixedopt.io import network_file_path

__all__ = [
    "FlagCommand",
    "FlagGroup",
    "FlagOption",
    "console",
    "err_console",
    "fail",
    "file_out_path",
    "global_options",
    "handle_errors",
    "net_out_path",
    "split_data",
]

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class FlagOption(TyperOption):
    """A typer option whose help shows no type for an on/off flag (typer prints ``<bool>``)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag and not self.count:
            return None
        return super().display_type_rich(ctx)


def _flag_params(params: list[Any]) -> list[Any]:
    for param in params:
        if type(param) is TyperOption and param.is_flag:
            param.__class__ = FlagOption  # same state, one overridden method
    return params


class FlagCommand(TyperCommand):
    """A command whose ``--help`` lists flags (``--progress/--no-progress``) without a type."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flag_params(super().get_params(ctx))


class FlagGroup(TyperGroup):
    """The ``mixedopt`` group, with :class:`FlagCommand`'s help for its own options."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flag_params(super().get_params(ctx))


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def net_out_path(out: str | None, flag: str) -> Path | None:
    """The ``.npz`` file a command will save its net to, checked before any work is done:
    a folder (``runs/``) or another suffix (``x.txt``) is an error, not ``runs.npz`` or
    ``x.txt.npz`` written silently after training."""
    if out is None:
        return None
    try:
        return network_file_path(out)
    except ValidationError as exc:
        raise ValidationError(f"{flag}: {exc}") from None


def file_out_path(out: str | None, flag: str) -> Path | None:
    """A file to write at the end of a command, refused up front if it names a folder."""
    if out is None:
        return None
    if out.endswith(("/", "\\")) or Path(out).is_dir():
        raise ValidationError(f"{flag} {out!r} is a folder; give a file name inside it.")
    return Path(out)


def split_data(data: str, test_size: float, seed: int) -> tuple[np.ndarray, ...]:
    """``X_train, X_test, y_train, y_test`` of data set ``data`` (no test part when
    ``test_size`` is 0): the split ``train`` records and ``inspect`` re-creates."""
    X, y = datasets.load(data)
    if test_size <= 0:
        return X, X[:0], y, y[:0]
    return datasets.train_test_split(X, y, test_size=test_size, seed=seed)


#: ``-v`` count of this run: ``-vv`` shows the traceback of an internal error
_verbosity = 0


def global_options(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-v info, -vv debug)."
    ),
) -> None:
    global _verbosity
    _verbosity = verbose
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def handle_errors(func: F) -> F:
    """Turn errors into a one-line message and a non-zero exit code, never a traceback.

    Bad input (a mixedopt :class:`~mixedopt.errors.Error`), a file-system error and running
    out of memory exit with 2; anything else is a bug in mixedopt, reported in one line
    with exit code 1 (``-vv`` re-raises it to show the traceback).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException):
            raise
        except Error as exc:
            raise fail(str(exc)) from None
        except OSError as exc:  # missing file, permission, a file in the way, disk full
            raise fail(str(exc)) from None
        except MemoryError:
            raise fail(
                "out of memory: the data or the model is too large for this machine; use a "
                "smaller data set or narrower layers."
            ) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _verbosity >= 2:
                raise
            raise fail(
                f"internal error ({type(exc).__name__}: {exc}); this is a bug in mixedopt, "
                "please report it (run with -vv to see the traceback).",
                code=1,
            ) from None

    return wrapper  # type: ignore[return-value]
