"""Data sets: toy problems, planted teachers, bundled benchmarks and KEEL / CSV files.

Everything here works offline. Names understood by :func:`load`:

* toy problems: ``"xor"``, ``"parity<k>"`` (``k`` from 1 to 16), ``"moons"``, ``"circles"``;
* a planted integer teacher: ``"planted"`` (see :func:`planted`);
* scikit-learn's bundled sets: ``"digits"``, ``"breast_cancer"``, ``"iris"``, ``"wine"``;
* ``"mnist1d"`` (generated procedurally by the ``mnist1d`` package, never downloaded);
* four UCI sets vendored in KEEL form: ``"pima"``, ``"titanic"``, ``"german"``, ``"spambase"``;
* a path to a KEEL ``.dat`` file (with or without its ``@attribute`` header) or a ``.csv`` file.

Options can ride along in the name, ``"planted:m=200,d=6,h=3,noise=0.05,seed=0"`` or
``"moons:n_samples=500,noise=0.2"``, which is how the command line passes them.

Conventions: ``X`` comes back as a float64 array of shape ``(n_samples, n_features)``; ``y``
keeps the original labels (strings stay strings; labels that all parse as numbers become
numbers, integers when every one is integral). Categorical feature columns of files are
one-hot encoded as 0/1 columns named ``"<column>=<value>"``. sign(0) = +1 wherever a sign is
taken.

Modules
-------
``registry``   :func:`load`, :func:`describe`, :func:`available` (names to loaders)
``toy``        xor, parity<k>, moons, circles
``teacher``    :func:`planted` (a random integer sign teacher)
``bundled``    scikit-learn's bundled sets, MNIST-1D
``vendored``   the UCI sets in ``mixedopt/data/`` (KEEL form)
``keel``       :func:`read_keel`;  ``delimited``: :func:`read_csv`
``tabular``    typed columns, missing values, one-hot encoding (shared by both parsers)
``split``      :func:`train_test_split`;  ``binarizer``: :class:`Binarizer`, :func:`binarize`
``table``      :class:`DatasetInfo` and the post-processing every loader shares

Examples
--------
>>> from mixedopt import datasets
>>> X, y = datasets.load("xor")
>>> X.shape, sorted(set(y.tolist()))
((4, 2), [-1, 1])
>>> X, y, teacher = datasets.planted(m=50, d=4, h=2, seed=0)
>>> X.dtype.kind, X.shape
('i', (50, 4))
"""

from __future__ import annotations

from mixedopt.datasets.binarizer import Binarizer, binarize
from mixedopt.datasets.delimited import read_csv
from mixedopt.datasets.keel import read_keel
from mixedopt.datasets.registry import available, describe, load
from mixedopt.datasets.split import few_shot_split, train_test_split
from mixedopt.datasets.table import DatasetInfo
from mixedopt.datasets.teacher import planted
from mixedopt.datasets.text import MISSING_TOKENS as MISSING_TOKENS

__all__ = [
    "Binarizer",
    "DatasetInfo",
    "available",
    "binarize",
    "describe",
    "few_shot_split",
    "load",
    "planted",
    "read_csv",
    "read_keel",
    "train_test_split",
]
