"""Names to loaders: :func:`load`, :func:`describe`, :func:`available`."""

from __future__ import annotations

import inspect
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mixedopt.datasets.bundled import load_mnist1d, sklearn_loader
from mixedopt.datasets.delimited import parse_csv
from mixedopt.datasets.keel import parse_keel
from mixedopt.datasets.mnist import load_mnist5k
from mixedopt.datasets.spec import parse_options, split_spec
from mixedopt.datasets.table import DatasetInfo, Table, finish
from mixedopt.datasets.teacher import load_planted
from mixedopt.datasets.text import read_bytes
from mixedopt.datasets.toy import load_circles, load_moons, load_parity, load_xor
from mixedopt.datasets.vendored import keel_loader
from mixedopt.errors import DataError, ValidationError

logger = logging.getLogger(__name__)

__all__ = ["available", "describe", "load"]

_FILE_SUFFIXES = (".dat", ".csv", ".tsv", ".txt")


_BUILTINS: dict[str, Callable[..., Table]] = {
    "xor": load_xor,
    "parity3": load_parity,  # stands for the parity<k> family
    "moons": load_moons,
    "circles": load_circles,
    "planted": load_planted,
    "digits": sklearn_loader("load_digits", "8x8 images of the digits 0-9 (64 pixel values)"),
    "breast_cancer": sklearn_loader(
        "load_breast_cancer", "Wisconsin diagnostic breast cancer, 0 = malignant, 1 = benign"
    ),
    "iris": sklearn_loader("load_iris", "Fisher's iris flowers, 3 species"),
    "wine": sklearn_loader("load_wine", "wine recognition, 3 cultivars"),
    "mnist1d": load_mnist1d,
    "mnist5k": load_mnist5k,
    "pima": keel_loader("pima"),
    "titanic": keel_loader("titanic"),
    "german": keel_loader("german"),
    "spambase": keel_loader("spambase"),
}


_PARITY_RE = re.compile(r"^parity(\d+)$")

#: other names users reach for ("two-moons" is normalised to "two_moons")
_ALIASES = {"two_moons": "moons", "two_circles": "circles"}


def available() -> list[str]:
    """Names of the built-in data sets, each loadable by :func:`load` without options.

    ``"parity3"`` stands for the whole ``"parity<k>"`` family (k = 1..16); ``"planted"``,
    ``"moons"``, ``"circles"`` and ``"mnist1d"`` take options (``"planted:m=500,h=4"``).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from mixedopt import datasets
    >>> "pima" in datasets.available() and "xor" in datasets.available()
    True
    """
    return list(_BUILTINS)


def _unknown_name(name: str) -> DataError:
    return DataError(
        f"unknown data set {name!r}. Available: {', '.join(available())}; also 'parity<k>' "
        "(k = 1..16) and options like 'planted:m=200,d=6,h=3,noise=0.05,seed=0'. A path to a "
        ".csv or KEEL .dat file also works."
    )


def _load_table(name_or_path: Any, label_column: int | str, kwargs: dict[str, Any]) -> Table:
    """Dispatch a name, spec string or path to its loader (no post-processing)."""
    if isinstance(name_or_path, os.PathLike):
        return _load_file(name_or_path, label_column, kwargs)
    if not isinstance(name_or_path, str):
        raise ValidationError(
            f"name_or_path must be a data set name or a file path, got "
            f"{type(name_or_path).__name__}."
        )
    spec = name_or_path.strip()
    name, opts = split_spec(spec)
    name = _ALIASES.get(name, name)
    par = _PARITY_RE.match(name)
    if name in _BUILTINS or par is not None or name == "parity":
        if label_column != -1:
            raise ValidationError(
                f"label_column applies to files only, not to the built-in data set {name!r}."
            )
        shown = parse_options(name, opts)
        shown.update(kwargs)
        params = dict(shown)
        if par is not None:
            params.setdefault("k", int(par.group(1)))
            loader: Callable[..., Table] = load_parity
        elif name == "parity":
            if "k" not in params:
                raise DataError("'parity' needs k: write 'parity3' or 'parity:k=3' (k = 1..16).")
            loader = load_parity
        else:
            loader = _BUILTINS[name]
        accepted = list(inspect.signature(loader).parameters)
        bad = [k for k in params if k not in accepted]
        if bad:
            raise DataError(
                f"data set {name!r} does not take option(s) {bad}; it accepts "
                f"{accepted if accepted else 'no options'}."
            )
        table = loader(**params)
        base = table.name or name
        table.name = base + (":" + ",".join(f"{k}={v}" for k, v in shown.items()) if shown else "")
        return table
    file_part, colon, file_opts = spec.rpartition(":")
    if colon and not Path(spec).exists() and file_part.lower().endswith(_FILE_SUFFIXES):
        # "data.csv:label_column=target,header=true": options of a file, as for built-ins
        opts_d = parse_options(file_part, file_opts)
        if "label_column" in opts_d:
            if label_column != -1:
                raise ValidationError(
                    f"label_column is given twice: {label_column!r} and in {spec!r}."
                )
            label_column = opts_d.pop("label_column")
        return _load_file(file_part, label_column, {**opts_d, **kwargs})
    looks_like_file = spec.lower().endswith(_FILE_SUFFIXES) or os.sep in spec or "/" in spec
    if looks_like_file or Path(spec).is_file():
        return _load_file(spec, label_column, kwargs)
    raise _unknown_name(spec)


def _load_file(
    path: str | os.PathLike[str], label_column: int | str, kwargs: dict[str, Any]
) -> Table:
    p = Path(path)
    data, source = read_bytes(p)
    suffix = p.suffix.lower()
    is_keel = suffix == ".dat" or (
        suffix not in (".csv", ".tsv") and data.lstrip()[:1] in (b"@", b"%")
    )
    if is_keel:
        allowed = {"dropna"}
    else:
        allowed = {"dropna", "header", "delimiter"}
    bad = sorted(set(kwargs) - allowed)
    if bad:
        raise DataError(
            f"{source}: option(s) {bad} do not apply to this file; accepted: "
            f"{sorted(allowed)} plus label_column, standardize, binarize."
        )
    dropna = bool(kwargs.get("dropna", False))
    if is_keel:  # the default -1 means "the @outputs attribute, else the last column"
        lab = None if isinstance(label_column, int) and label_column == -1 else label_column
        return parse_keel(data, source, label_column=lab, dropna=dropna)
    delimiter = kwargs.get("delimiter") or ("\t" if suffix == ".tsv" else ",")
    return parse_csv(
        data,
        source,
        label_column=label_column,
        header=kwargs.get("header", "infer"),
        delimiter=delimiter,
        dropna=dropna,
    )


def load(
    name_or_path: str | os.PathLike[str],
    *,
    standardize: bool = False,
    label_column: int | str = -1,
    binarize: str | None = None,
    return_info: bool = False,
    **kwargs: Any,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Load a built-in data set or a data file as ``(X, y)``.

    Parameters
    ----------
    name_or_path : str or path-like
        A built-in name (see :func:`available`; also ``"parity<k>"``), optionally with
        options (``"moons:n_samples=500,noise=0.2"``,
        ``"planted:m=200,d=6,h=3,noise=0.05,seed=0"``), or a path to a ``.csv`` / KEEL
        ``.dat`` file, optionally with options too (``"data.csv:label_column=target"``).
    standardize : bool, default False
        Scale numeric columns to zero mean and unit variance (constant columns become 0;
        one-hot columns of files stay 0/1).
    label_column : int or str, default -1
        Label column of a file (index, or name for a CSV with a header / a headered KEEL
        file). For headered KEEL files the default is the ``@outputs`` attribute. A CSV's
        default, its last column, is refused when it holds non-integer numbers or nearly one
        value per row (a feature, not a label: the file may lack a label column).
    binarize : {"sign", "thermometer"}, optional
        Encode the features as ±1 with :class:`Binarizer` fitted on the whole data set (to
        keep a test set unseen, split first and use :class:`Binarizer` on the training part).
    return_info : bool, default False
        Also return a :class:`DatasetInfo`.
    **kwargs
        Options of the data set: ``n_samples, noise, seed`` (moons, circles; ``factor`` for
        circles), ``m, d, h, noise, seed, input_range, weight_bound`` (planted), ``split,
        num_samples, seed`` (mnist1d), ``k`` (parity), ``dropna`` (files), ``header,
        delimiter`` (CSV files), ``n_levels`` (thermometer binarization). They override the
        same options given in the name.

    Returns
    -------
    X : ndarray of float64, shape (n_samples, n_features)
    y : ndarray, shape (n_samples,)
        Original labels (numbers or strings).
    info : DatasetInfo
        Only when ``return_info`` is true.

    Raises
    ------
    DataError
        Unknown name (the message lists the choices), a bad option, or an unreadable file.

    Examples
    --------
    >>> from mixedopt import datasets
    >>> X, y = datasets.load("pima")
    >>> X.shape, sorted(set(y.tolist()))
    ((768, 8), ['tested_negative', 'tested_positive'])
    >>> X, y = datasets.load("planted:m=100,d=4,h=2,noise=0.1,seed=1")
    >>> X.shape
    (100, 4)
    """
    n_levels = kwargs.pop("n_levels", 4)
    table = _load_table(name_or_path, label_column, kwargs)
    logger.debug("loaded %s: X %s", table.name, table.X.shape)
    return finish(
        table,
        standardize=standardize,
        binarize=binarize,
        return_info=return_info,
        n_levels=n_levels,
    )


def describe(name_or_path: str | os.PathLike[str], **kwargs: Any) -> DatasetInfo:
    """Summary of a data set (size, classes, balance, source) without returning its data.

    Parameters
    ----------
    name_or_path : str or path-like
        Anything :func:`load` accepts.
    **kwargs
        Options passed to :func:`load`.

    Returns
    -------
    DatasetInfo

    Examples
    --------
    >>> from mixedopt import datasets
    >>> info = datasets.describe("german")
    >>> info.n_samples, info.class_counts
    (1000, {1: 700, 2: 300})
    """
    _, _, info = load(name_or_path, return_info=True, **kwargs)
    return info
