"""The file format of :class:`mixedopt.ThresholdNet`: ``.npz`` arrays plus JSON metadata.

One ``uint8`` record ``__meta__`` holds the JSON description of the network (everything of
:meth:`~mixedopt.ThresholdNet.to_dict` but the arrays, plus ``n_layers``); the arrays are
``W0, b0, W1, b1, ...``. No pickle is written or read. Writes are atomic: a temporary file in
the same folder is renamed over the target.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt._files import atomic_savez
from mixedopt.errors import ModelFileError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "atomic_savez",
    "read_network_file",
    "write_network_file",
]

FORMAT_NAME = "mixedopt.ThresholdNet"
FORMAT_VERSION = 1


def write_network_file(
    path: Path, meta: dict[str, Any], weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]
) -> None:
    """Write ``meta`` (JSON) and the layer arrays to ``path`` atomically."""
    arrays: dict[str, np.ndarray] = {
        "__meta__": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    }
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        arrays[f"W{i}"] = w
        arrays[f"b{i}"] = b
    atomic_savez(path, arrays)


def read_network_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata of a network file with its ``weights`` and ``biases`` lists added.

    Raises
    ------
    ModelFileError
        If the file is missing, truncated, corrupt, of a newer format version, or not a
        mixedopt network.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {str(path)!r} does not exist.")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelFileError(f"could not read model file {str(path)!r}: {exc}.") from exc
    if magic != b"PK\x03\x04":  # every .npz is a zip archive
        raise ModelFileError(
            f"{str(path)!r} is not an .npz model file (not a zip archive: corrupt or another "
            "format); give a file written by ThresholdNet.save or `mixedopt train --out`."
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            files = set(z.files)
            if "__meta__" not in files:
                raise ModelFileError(
                    f"{str(path)!r} is an .npz file but not a mixedopt network "
                    "(no metadata record); was it written by ThresholdNet.save?"
                )
            meta = json.loads(bytes(z["__meta__"]).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
                raise ModelFileError(f"{str(path)!r} is not a mixedopt network file.")
            version = meta.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise ModelFileError(
                    f"{str(path)!r} has format version {version!r}; this mixedopt reads "
                    f"up to {FORMAT_VERSION}. Upgrade mixedopt."
                )
            n = int(meta["n_layers"])
            missing = [k for i in range(n) for k in (f"W{i}", f"b{i}") if k not in files]
            if missing:
                raise ModelFileError(f"{str(path)!r} is truncated: missing {missing}.")
            meta["weights"] = [z[f"W{i}"] for i in range(n)]
            meta["biases"] = [z[f"b{i}"] for i in range(n)]
    except ModelFileError:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        EOFError,
        zipfile.BadZipFile,
        UnicodeDecodeError,
    ) as exc:
        raise ModelFileError(
            f"could not read model file {str(path)!r}: it is corrupt or not a mixedopt "
            f"network ({type(exc).__name__}: {exc})."
        ) from exc
    return meta
