"""Torch backend tests: every test here carries the ``torch`` marker (select with -m torch).

Without PyTorch installed the whole folder is skipped at collection.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).parent

if importlib.util.find_spec("torch") is None:  # pragma: no cover - CI always has torch
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.torch)


@pytest.fixture(autouse=True)
def _few_threads():
    """Keep torch to one thread per test (the suite runs with -n 2 on 2 cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
