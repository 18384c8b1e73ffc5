"""scripts/bench_fewshot.py runs end to end on a tiny setting and writes both files."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_fewshot_tiny_run(tmp_path):
    bench = _load("bench_fewshot")
    argv = ["--per-class", "2", "--seeds", "0", "--time-limit", "3", "--rows", "single,logreg"]
    assert bench.main([*argv, "--out", str(tmp_path)]) == 0
    payload = json.loads((tmp_path / "bench_fewshot.json").read_text())
    rows = payload["results"]["2"]
    assert set(rows) == {"single", "logreg"}
    run = rows["single"]["runs"][0]
    assert 0.0 <= run["test_acc"] <= 1.0 and run["stages"] and run["nonzero"] > 0
    md = (tmp_path / "bench_fewshot.md").read_text()
    assert "mixedopt single 784-16-10 ternary" in md and "QUICK" not in md
