"""Four UCI data sets vendored in KEEL form in ``mixedopt/data/``: pima, titanic, german,
spambase (header-stripped files; the feature names and descriptions live here)."""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Callable

from mixedopt.datasets.keel import parse_keel
from mixedopt.datasets.table import Table
from mixedopt.errors import DataError

_KEEL_FEATURES: dict[str, list[str]] = {
    "pima": ["preg", "plas", "pres", "skin", "insu", "mass", "pedi", "age"],
    "titanic": ["class", "age", "sex"],
    "german": [
        "checking_status",
        "duration",
        "credit_history",
        "purpose",
        "credit_amount",
        "savings",
        "employment_since",
        "installment_rate",
        "personal_status_sex",
        "other_debtors",
        "residence_since",
        "property",
        "age",
        "other_installment_plans",
        "housing",
        "existing_credits",
        "job",
        "num_dependents",
        "telephone",
        "foreign_worker",
    ],
    "spambase": [
        *(
            f"word_freq_{w}"
            for w in (
                "make address all 3d our over remove internet order mail receive will people "
                "report addresses free business email you credit your font 000 money hp hpl "
                "george 650 lab labs telnet 857 data 415 85 technology 1999 parts pm direct cs "
                "meeting original project re edu table conference"
            ).split()
        ),
        *(f"char_freq_{c}" for c in ";([!$#"),
        "capital_run_length_average",
        "capital_run_length_longest",
        "capital_run_length_total",
    ],
}


_KEEL_DESCRIPTIONS = {
    "pima": "Pima Indians Diabetes (UCI via KEEL): 8 numeric features, diabetes test result",
    "titanic": "Titanic (UCI via KEEL): class, age, sex (pre-encoded numbers), survived = 1",
    "german": "Statlog German Credit (UCI via KEEL): 20 mixed features (categorical codes "
    "one-hot encoded), 1 = good, 2 = bad",
    "spambase": "Spambase (UCI via KEEL): 57 word/character frequency features, 1 = spam",
}


@functools.lru_cache(maxsize=8)
def _vendored_table(name: str) -> Table:
    res = importlib.resources.files("mixedopt").joinpath("data", f"{name}.dat")
    source = f"mixedopt/data/{name}.dat"
    try:
        data = res.read_bytes()
    except OSError as exc:
        raise DataError(
            f"the vendored data file {source} is missing from the installation ({exc}); "
            "reinstall mixedopt."
        ) from exc
    table = parse_keel(data, source, label_column=None, dropna=False)
    names = _KEEL_FEATURES[name]
    base = [c.split("=", 1)[0] for c in table.feature_names]
    mapping = {f"col{j}": n for j, n in enumerate(names)}
    table.feature_names = [
        mapping.get(b, b) + c[len(b) :] for b, c in zip(base, table.feature_names, strict=True)
    ]
    table.description = _KEEL_DESCRIPTIONS[name]
    table.source = f"UCI via KEEL, {source}"
    table.X.setflags(write=False)
    return table


def keel_loader(name: str) -> Callable[[], Table]:
    def loader() -> Table:
        return _vendored_table(name).copy()

    loader.__name__ = f"_load_{name}"
    return loader
