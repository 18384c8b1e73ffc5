"""Atomic file writes: a temporary file in the target's folder, renamed over the target.

A crash or Ctrl-C mid-write leaves the previous file intact and no temporary file behind.
The new file gets the permissions an ordinary ``open(path, "w")`` would give it
(``0o666`` minus the umask), not the ``0o600`` of :func:`tempfile.mkstemp`.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(d / "a.json", "{}")
>>> (d / "a.json").read_text()
'{}'
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["atomic_path", "atomic_savez", "atomic_write_bytes", "atomic_write_text"]

_UMASK_LOCK = threading.Lock()


def _default_mode() -> int:
    with _UMASK_LOCK:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit it replaces ``path``.

    Whatever the block writes to the yielded path becomes ``path`` only when the block
    finishes without an exception; otherwise the temporary file is removed and ``path`` is
    left as it was. ``suffix`` matters to writers that check the file name (e.g.
    ``torch.export.save`` wants ``.pt2``).
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, "Is a folder, not a file name (give a file inside it)", str(target)
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(
                    errno.ENOTDIR, f"{str(parent)!r} is a file, not a folder", str(target)
                )
            break
    tmp: Path | None = None
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
            tmp = Path(name)
            os.close(fd)
        except OSError as exc:
            raise _about_target(exc, target) from None
        try:
            yield tmp
        except OSError as exc:  # a write into the temporary file failed (disk full, ...)
            if exc.filename is None or str(exc.filename) == str(tmp):
                raise _about_target(exc, target) from exc
            raise
        try:
            os.chmod(tmp, _default_mode())
            os.replace(tmp, target)
        except OSError as exc:
            raise _about_target(exc, target) from None
    except BaseException:
        # any failure, Ctrl-C included: no temporary file is left behind
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise


def _about_target(exc: OSError, target: Path) -> OSError:
    """The same kind of OSError, naming the file the caller asked for rather than the
    temporary file, e.g. ``[Errno 13] Permission denied: 'out/net.npz'``."""
    why = exc.strerror or type(exc).__name__
    other = None if exc.filename is None else str(exc.filename)
    if other is not None and other != str(target) and not Path(other).name.startswith("."):
        why = f"{why} (at {other!r})"  # a parent folder, e.g. a file in the way
    return type(exc)(exc.errno, why, str(target))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (flushed and fsynced before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_savez(path: str | os.PathLike[str], arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` to ``path`` atomically (no pickle is written: plain arrays only)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
