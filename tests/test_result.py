"""Status enum and SolveResult."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mixedopt as mo
from mixedopt.result import Progress, relative_gap


def test_status_is_str_valued():
    assert mo.Status.OPTIMAL == "optimal"
    assert mo.Status("infeasible") is mo.Status.INFEASIBLE
    assert str(mo.Status.FEASIBLE) == "feasible"
    assert mo.Status.FEASIBLE.has_solution and not mo.Status.UNKNOWN.has_solution
    with pytest.raises(ValueError):
        mo.Status("solved")


def test_gap_never_overstates():
    res = mo.SolveResult(status="feasible", objective=10, bound=4)
    assert res.gap == pytest.approx(0.6)
    assert not res.is_optimal
    assert mo.SolveResult(status="optimal", objective=3, bound=3).gap == 0.0
    assert mo.SolveResult(status="unknown").gap is None
    assert relative_gap(0, 0) == 0.0
    assert relative_gap(2, float("-inf")) is None
    assert Progress(wall_time=1.0, objective=4, bound=2).gap == pytest.approx(0.5)


def test_to_dict_is_json():
    net = mo.ThresholdNet.random([2, 2, 1], seed=0, weights="binary")
    res = mo.SolveResult(
        status=mo.Status.FEASIBLE,
        net=net,
        objective=1,
        bound=0,
        wall_time=0.5,
        certificate=np.array([0, 3]),
        backend="cpsat",
        info={"rows": 10, "obj": object()},
    )
    d = json.loads(json.dumps(res.to_dict()))
    assert d["status"] == "feasible" and d["certificate"] == [0, 3]
    assert d["info"] == {"rows": 10}
    assert mo.ThresholdNet.from_dict(d["net"]) == net
    assert "gap=100.00%" in str(res)
