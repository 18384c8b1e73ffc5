"""The file format of :class:`mixedopt.ThresholdNet`: ``.npz`` arrays plus JSON metadata.

One ``uint8`` record ``__meta__`` holds the JSON description of the network (everything of
:meth:`~mixedopt.ThresholdNet.to_dict` but the arrays, plus ``n_layers``); the arrays are
``W0, b0, W1, b1, ...``; a net that keeps the targets its training produced adds one ``int8``
array ``targets_<i>`` per hidden layer (their provenance sits in the JSON metadata under
``training_targets``; files without them load as before). No pickle is written or read.
Writes are atomic: a temporary file in the same folder is renamed over the target.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt.errors import ModelFileError, ValidationError
from mixedopt.files import atomic_savez

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "atomic_savez",
    "check_description",
    "check_weight_domain",
    "network_file_path",
    "read_network_file",
    "samples_fingerprint",
    "write_network_file",
]

FORMAT_NAME = "mixedopt.ThresholdNet"
FORMAT_VERSION = 1


def network_file_path(path: str | os.PathLike[str]) -> Path:
    """The file :meth:`ThresholdNet.save` writes for ``path``: ``.npz`` appended to a name
    without a suffix; a folder, or a name with another suffix, is refused (saving
    ``x.txt`` as ``x.txt.npz`` would surprise whoever looks for ``x.txt``).

    >>> network_file_path("runs/model").as_posix()
    'runs/model.npz'
    >>> network_file_path("model.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mixedopt.errors.ValidationError: 'model.txt' is not an .npz file name: ... 'model.npz' ...
    """
    raw = os.fspath(path)
    if not isinstance(raw, str):
        raw = os.fsdecode(raw)
    p = Path(raw)
    if raw.endswith(("/", os.sep)) or p.is_dir() or raw in ("", ".", ".."):
        raise ValidationError(
            f"{raw!r} is a folder, not a file name; give a file such as {str(p / 'model.npz')!r}."
        )
    if p.suffix == ".npz":
        return p
    if p.suffix == "":
        return p.with_name(p.name + ".npz")
    raise ValidationError(
        f"{raw!r} is not an .npz file name: a network is saved as an .npz archive; name it "
        f"{str(p.with_suffix('.npz'))!r} (or {str(p.with_name(p.name + '.npz'))!r})."
    )


def samples_fingerprint(X: Any) -> str:
    """A short hash of the samples ``X`` (values as float64, row order kept): what stored
    training targets were produced on, so a report can tell whether they fit given data.

    >>> a = samples_fingerprint([[1, 2], [3, 4]])
    >>> a == samples_fingerprint(np.array([[1.0, 2.0], [3.0, 4.0]]))
    True
    """
    a = np.ascontiguousarray(np.asarray(X, dtype=np.float64)) + 0.0  # -0.0 hashes as 0.0
    h = hashlib.sha256(repr(a.shape).encode("ascii"))
    h.update(a.tobytes())
    return h.hexdigest()[:16]


def _json_problem(value: Any, where: str) -> str | None:
    """Where in ``value`` something JSON cannot hold sits (None if nowhere)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                return f"{where} has a key of type {type(k).__name__} ({k!r})"
            found = _json_problem(v, f"{where}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _json_problem(v, f"{where}[{i}]")
            if found:
                return found
        return None
    kind = type(value).__name__
    hint = " (convert it with .tolist() or .item())" if hasattr(value, "tolist") else ""
    return f"{where} is a {type(value).__module__}.{kind}{hint}"


def write_network_file(
    path: Path,
    meta: dict[str, Any],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    targets: Sequence[np.ndarray] | None = None,
) -> None:
    """Write ``meta`` (JSON), the layer arrays and the optional training ``targets`` (one
    ``int8`` array per hidden layer, ``targets_<i>``) to ``path`` atomically.

    Raises
    ------
    ValidationError
        If ``meta`` (the network's ``metadata``) holds something JSON cannot store; nothing
        is written then.
    """
    try:
        text = json.dumps(meta)
    except (TypeError, ValueError) as exc:
        where = _json_problem(meta.get("metadata"), "metadata") or _json_problem(meta, "the net")
        raise ValidationError(
            f"cannot save the network to {str(path)!r}: {where or exc}, which JSON cannot "
            "store; metadata must hold only dicts, lists, str, numbers, bools and None."
        ) from None
    arrays: dict[str, np.ndarray] = {
        "__meta__": np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    }
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        arrays[f"W{i}"] = w
        arrays[f"b{i}"] = b
    for i, t in enumerate(targets or []):
        arrays[f"targets_{i}"] = np.asarray(t, dtype=np.int8)
    atomic_savez(path, arrays)


def check_description(d: dict[str, Any], where: str = "network description") -> None:
    """Check the types of the JSON fields of a network description (a saved file's
    metadata or :meth:`ThresholdNet.to_dict`), naming the first bad field.

    Raises
    ------
    ModelFileError
        A field has the wrong type (e.g. ``metadata`` not an object, ``activations`` a
        number, ``sizes`` null).
    """

    def bad(field: str, expected: str) -> ModelFileError:
        value = d[field]
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return ModelFileError(
            f"{where}: field {field!r} must be {expected}, got {type(value).__name__} "
            f"{shown}; the file is corrupt or was not written by mixedopt."
        )

    if "metadata" in d and not isinstance(d["metadata"], dict) and d["metadata"] is not None:
        raise bad("metadata", "a JSON object (dict)")
    if "activations" in d and d["activations"] is not None:
        acts = d["activations"]
        if not isinstance(acts, str) and not (
            isinstance(acts, list) and all(isinstance(a, str) for a in acts)
        ):
            raise bad("activations", "an activation name or a list of names")
    if "output" in d and not isinstance(d["output"], str):
        raise bad("output", "'sign', 'argmax' or 'auto'")
    if "classes" in d and d["classes"] is not None and not isinstance(d["classes"], list):
        raise bad("classes", "a list of labels")
    if "weight_domain" in d and d["weight_domain"] is not None:
        if not isinstance(d["weight_domain"], str):
            raise bad("weight_domain", "a domain name ('binary', 'ternary', 'integer', 'real')")
    if "sizes" in d and not (
        isinstance(d["sizes"], list)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in d["sizes"])
    ):
        raise bad("sizes", "a list of layer widths (integers)")
    for field in ("weights", "biases"):
        if field in d and not isinstance(d[field], (list, tuple)):
            raise bad(field, "a list with one array per layer")


def check_weight_domain(
    domain: str | None, weights: Sequence[np.ndarray], where: str = "network description"
) -> None:
    """Refuse weights outside their declared ``weight_domain`` (a corrupt or edited file
    would otherwise be reported, e.g. by :meth:`ThresholdNet.summary`, as what it is not).
    Biases are not checked: they may be scaled (rational inputs) or wider (binary nets)."""
    allowed = {"binary": "{-1, 1}", "ternary": "{-1, 0, 1}", "integer": "the integers"}
    if domain not in allowed:
        return
    for i, w in enumerate(weights):
        a = np.asarray(w)
        if a.size == 0:
            continue
        if a.dtype.kind == "f":
            bad = ~np.isfinite(a) | (a != np.round(a))
        else:
            bad = np.zeros(a.shape, dtype=bool)
        if domain == "binary":
            bad |= (a != 1) & (a != -1)
        elif domain == "ternary":
            bad |= (a != 1) & (a != -1) & (a != 0)
        if np.any(bad):
            value = a[bad].ravel()[0]
            raise ModelFileError(
                f"{where}: weight_domain is {domain!r} but layer {i} holds the weight "
                f"{value.item()!r}, outside {allowed[domain]}; the file is corrupt or was "
                "edited (fix the weights or the declared domain)."
            )


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
            _check_version(path, meta.get("format_version"))
            n = _check_n_layers(path, meta, files)
            check_description(meta, where=repr(str(path)))
            missing = [k for i in range(n) for k in (f"W{i}", f"b{i}") if k not in files]
            if missing:
                raise ModelFileError(f"{str(path)!r} is truncated: missing {missing}.")
            meta["weights"] = [z[f"W{i}"] for i in range(n)]
            meta["biases"] = [z[f"b{i}"] for i in range(n)]
            n_t = sum(1 for f in files if f.startswith("targets_") and f[8:].isdigit())
            if n_t and all(f"targets_{i}" in files for i in range(n_t)):
                meta["training_targets"] = [z[f"targets_{i}"] for i in range(n_t)]
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


def _check_version(path: Path, version: Any) -> None:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(
            f"{str(path)!r}: format_version is {version!r} ({type(version).__name__}), not an "
            f"integer such as {FORMAT_VERSION}; the file is corrupt or was not written by "
            "mixedopt."
        )
    if version < 1:
        raise ModelFileError(
            f"{str(path)!r}: format_version {version} is not a version mixedopt ever wrote "
            "(the first is 1); the file is corrupt."
        )
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} has format version {version}; this mixedopt reads up to "
            f"{FORMAT_VERSION}. Upgrade mixedopt."
        )


def _check_n_layers(path: Path, meta: dict[str, Any], files: set[str]) -> int:
    """``n_layers`` as a count the file's arrays can back (checked before any list of
    that length is built: a forged ``10**12`` must not exhaust memory)."""
    if "n_layers" not in meta:
        raise ModelFileError(f"{str(path)!r} is corrupt: its metadata lacks 'n_layers'.")
    n = meta["n_layers"]
    if isinstance(n, bool) or not isinstance(n, int):
        raise ModelFileError(
            f"{str(path)!r} is corrupt: n_layers is {n!r} ({type(n).__name__}), not a whole "
            "number of layers."
        )
    n_arrays = sum(1 for f in files if f.startswith("W") and f[1:].isdigit())
    if n < 1:
        raise ModelFileError(f"{str(path)!r} is corrupt: n_layers is {n}, not >= 1.")
    if n > n_arrays:
        raise ModelFileError(
            f"{str(path)!r} is truncated or corrupt: its metadata says {n} layers but it holds "
            f"weight arrays for {n_arrays}."
        )
    return n
