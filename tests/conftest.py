"""Shared test configuration.

Hypothesis runs derandomized by default, so ``make test`` (and CI) draws the same examples
on every run and a red build always reproduces. To search for new counterexamples with
random draws, run ``HYPOTHESIS_PROFILE=explore make test`` (or pytest with that variable);
turn what it finds into an explicit regression test.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
