"""The Python examples of the README and the guides in docs/ run as written.

The ``python`` code blocks of one file run in order in one namespace (later blocks use
names from earlier ones), in a temporary folder. A block preceded by an HTML comment
containing ``not run`` (a signature sketch) is skipped.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?:^(<!--[^\n]*-->)\n)?^```python\n(.*?)^```", re.S | re.M)
NEEDS = {"torch.md": "torch"}


def _blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in BLOCK.finditer(text):
        if m.group(1) and "not run" in m.group(1):
            continue
        out.append((text.count("\n", 0, m.start(2)) + 1, m.group(2)))
    return out


def test_every_guide_has_examples_and_the_marker_is_honoured():
    assert {p.name for p in DOCS} >= {"README.md", "exact.md", "ftprop.md", "torch.md"}
    assert all(_blocks(p) for p in DOCS)
    text = (ROOT / "docs" / "exact.md").read_text(encoding="utf-8")
    assert len(_blocks(ROOT / "docs" / "exact.md")) == text.count("```python") - 1


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_examples_run(path, tmp_path, monkeypatch):
    need = NEEDS.get(path.name)
    if need and importlib.util.find_spec(need) is None:
        pytest.skip(f"{path.name} needs {need}")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    ns: dict[str, object] = {"__name__": "__docs__"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        for line, code in _blocks(path):
            try:
                exec(compile(code, f"{path.name}:{line}", "exec"), ns)
            except Exception as exc:
                raise AssertionError(
                    f"the example at {path.name} line {line} fails: {exc!r}"
                ) from exc
    # an example that a reader copies must not warn that it stopped too early
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)], [
        str(w.message) for w in caught
    ]
