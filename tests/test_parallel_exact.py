"""Parallel exact search (mixedopt.exact.parallel, issue 15): the same optimum as the
sequential search and the brute-force oracle, sound bounds when parts are lost, stopped or
split, time limits and Ctrl-C across workers, and the executor layer as the only importer
of Ray.

The first half runs everywhere: the parallel driver on the in-process executor (one
worker), with forced splits and forced hand-backs of work. The second half runs on a local
Ray cluster of two nodes (``ray.cluster_utils.Cluster``) and is skipped where Ray is not
installed or cannot start.
"""

from __future__ import annotations

import ast
import itertools
import math
import os
import pathlib
import subprocess
import sys
import time
from collections import deque

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mo_strategies import tiny_problems

import mixedopt as mo
from mixedopt.errors import SolverUnavailableError, ValidationError
from mixedopt.exact.engine import solve_problem
from mixedopt.exact.parallel import ParallelDichotomy
from mixedopt.executors import LocalIncumbent, SerialExecutor, WorkerLost
from mixedopt.problems.training import TrainingProblem
from mixedopt.result import Status
from mixedopt.solvers.dichotomy import DEFAULTS, canonical_functions, solve_dichotomy
from mixedopt.solvers.dichotomy import parts as parts_mod
from mixedopt.solvers.dichotomy.functions import CanonicalFunction, is_majority
from mixedopt.solvers.dichotomy.parts import Part, prepare, remainder, run_part

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _planted(m: int, d: int, seed: int, noise: float = 0.1, K: int = 3) -> TrainingProblem:
    X, y, _ = mo.datasets.planted(m, d, 3, noise, seed, input_range=8, weight_bound=K)
    return TrainingProblem.from_data(X, y, hidden=[3], weights="integer", weight_bound=K)


def _hint(p: TrainingProblem, seed: int = 0):
    from mixedopt.solvers.greedy import local_search

    return local_search(p, time_limit=1, seed=seed, max_stall=50).net


# ----------------------------------------------------------------------------- parts
MAJ = CanonicalFunction(3, (False, False, False, True, False, True, True, True), ((0, 1, 2),))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 5),
    lo=st.integers(0, 4),
    c0=st.integers(0, 4),
    c1=st.one_of(st.none(), st.integers(0, 4)),
    prefix=st.booleans(),
)
def test_remainder_is_exactly_what_follows_the_cursor(n, lo, c0, c1, prefix):
    """A part stopped with its loops at ``c0`` (level L) and ``c1`` (level L + 1) has
    settled every tuple before ``(c0, c1)`` in search order; the remainder parts cover the
    rest exactly once."""
    assume(lo < n and lo <= c0 < n and (c1 is None or c1 < n))
    pre = (1,) if prefix else ()
    part = Part(0, MAJ, pre, lo, None)
    L = len(pre)
    cursor: list[int | None] = [None, None, None]
    for j, u in enumerate(pre):
        cursor[j] = u
    cursor[L] = c0
    if L + 1 < 3:
        cursor[L + 1] = c1
    rest = remainder(part, cursor, n)

    def members(p: Part) -> set[tuple[int, ...]]:
        free = 3 - len(p.prefix) - 1
        hi = n if p.hi is None else p.hi
        return {
            (*p.prefix, u, *tail)
            for u in range(p.lo, hi)
            for tail in itertools.product(range(n), repeat=free)
        }

    everything = members(part)
    start = (*pre, c0) if c1 is None or L + 1 >= 3 else (*pre, c0, c1)
    left = {t for t in everything if t[: len(start)] >= start}
    covered: list[tuple[int, ...]] = [t for p in rest for t in members(p)]
    assert len(covered) == len(set(covered))  # disjoint
    assert set(covered) == left


def test_split_covers_the_part():
    """Splitting down to single dichotomies and one position deeper covers every net of
    the part once (majority: interchangeable positions in index order, u0 <= u1 <= u2)."""
    n = 7
    queue = deque([Part(0, MAJ, (), 0, None)])
    for _ in range(12):
        p = queue.popleft()
        queue.extend(p.split(n) if p.splittable(n) else [p])
    assert any(p.level == 1 for p in queue)
    tuples = []
    for p in queue:
        hi = n if p.hi is None else p.hi
        rest = list(itertools.product(range(n), repeat=3 - len(p.prefix) - 1))
        tuples += [(*p.prefix, u, *t) for u in range(p.lo, hi) for t in rest]
    ordered = [t for t in tuples if list(t) == sorted(t)]
    assert len(tuples) == len(set(tuples))  # disjoint
    assert sorted(ordered) == sorted(
        t for t in itertools.product(range(n), repeat=3) if list(t) == sorted(t)
    )


class _AlwaysWanted(LocalIncumbent):
    """A board on which an idle worker always waits: every part gives work back as soon as
    it may."""

    def poll(self):
        value, stop, _ = super().poll()
        return value, stop, 1

    def claim(self):
        return True


def test_parts_that_keep_giving_work_back_still_prove_the_optimum(monkeypatch):
    monkeypatch.setattr(parts_mod, "MIN_RUN_S", 0.0)
    monkeypatch.setattr(parts_mod, "POLL_S", 0.0)
    p = _planted(80, 2, seed=4, K=2)
    seq = solve_dichotomy(p, time_limit=60)
    assert seq.status is Status.OPTIMAL
    state = prepare(p)
    board = _AlwaysWanted()
    queue = deque(Part(i, f) for i, f in enumerate(canonical_functions(p)))
    lbs, yields = [], 0
    while queue:
        res = run_part(p, state, queue.popleft(), board, 60, DEFAULTS)
        yields += res.yielded
        assert res.settled  # a part that gives work back has always settled some
        lbs.append(res.lb)
        queue.extendleft(reversed(res.remainder))
    assert yields > 0
    best, net = board.get()
    assert best == seq.objective == min(lbs)
    assert p.errors(net) == best


# ----------------------------------------------------------------------------- driver
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=tiny_problems(max_m=10, max_sample_weight=2), min_parts=st.sampled_from([0, 8]))
def test_parallel_driver_matches_the_brute_force_oracle(problem, min_parts):
    try:
        brute = mo.solvers.get("brute").solve(problem, time_limit=60)
    except ValidationError:  # above the oracle's work cap
        assume(False)
    res = ParallelDichotomy(SerialExecutor(), min_parts=min_parts).solve(problem, time_limit=60)
    assert res.status is Status.OPTIMAL
    assert res.objective == brute.objective == res.bound
    assert problem.errors(res.net) == res.objective
    problem.check_net(res.net)


def test_parallel_driver_matches_the_sequential_search_with_many_parts():
    p = _planted(100, 3, seed=2, K=2)
    hint = _hint(p)
    seq = solve_dichotomy(p, time_limit=120, hint=hint)
    par = ParallelDichotomy(SerialExecutor(), min_parts=16).solve(
        p, time_limit=120, warm_start=hint
    )
    assert seq.status is par.status is Status.OPTIMAL
    assert par.objective == seq.objective == par.bound
    info = par.info["parallel"]
    assert info["parts"] > 30 and info["splits"] > 0 and info["graph_pieces"] >= 1


def _flaky(lose):
    """A part function that raises WorkerLost for the parts ``lose`` picks (serial)."""
    seen = set()

    def task(problem, state, part, board, left, opts, graph):
        key = (part.fi, part.prefix, part.lo, part.hi, part.cap)
        if lose(part, key in seen):
            seen.add(key)
            raise WorkerLost("simulated")
        seen.add(key)
        return run_part(problem, state, part, board, left, opts, graph)

    return task


def test_a_lost_part_is_run_again():
    p = _planted(100, 3, seed=2, K=2)
    task = _flaky(lambda part, again: is_majority(part.f) and not again)
    res = ParallelDichotomy(SerialExecutor(), task=task).solve(p, time_limit=120)
    assert res.status is Status.OPTIMAL
    opt = solve_dichotomy(_planted(100, 3, seed=2, K=2), time_limit=120).objective
    assert res.objective == opt
    info = res.info["parallel"]
    assert info["lost"] >= 1 and info["retried"] == info["lost"] and info["given_up"] == 0


def test_a_part_lost_twice_downgrades_the_status_never_a_false_optimal():
    p = _planted(100, 3, seed=2, K=2)
    opt = solve_dichotomy(p, time_limit=120).objective
    task = _flaky(lambda part, again: is_majority(part.f) and not math.isfinite(part.cap))
    res = ParallelDichotomy(SerialExecutor(), task=task).solve(
        p, time_limit=120, warm_start=_hint(p)
    )
    assert res.status is Status.FEASIBLE
    assert res.objective >= opt  # the net is real ...
    assert res.bound is None or res.bound <= opt  # ... and the bound sound
    assert res.info["parallel"]["given_up"] >= 1


def test_engine_runs_the_parallel_phase_on_a_given_executor():
    X, y, _ = mo.datasets.planted(100, 3, 3, 0.1, 2, input_range=8, weight_bound=2)
    kw = {"hidden": [3], "weight_bound": 2, "time_limit": 120, "seed": 0}
    seq = mo.train_exact(X, y, **kw)
    par = mo.train_exact(X, y, **kw, executor=SerialExecutor())
    assert seq.status is par.status is Status.OPTIMAL
    assert seq.objective == par.objective
    assert par.info["parallel"]["executor"] == "serial"
    assert "parallel" not in seq.info
    assert par.method == seq.method == "auto:heuristic+dichotomy"
    assert [ph["phase"] for ph in par.info["phases"]] == ["heuristic", "dichotomy"]
    # a method without a parallel search runs in this process, and says so
    kw["time_limit"] = 2
    mono = mo.train_exact(X, y, **kw, method="monolithic", executor=SerialExecutor())
    assert "no parallel search" in mono.info["parallel"]["note"]


def test_time_limit_holds_on_the_parallel_path():
    p = _planted(600, 4, seed=10, noise=0.05)
    t0 = time.perf_counter()
    res = solve_problem(p, time_limit=4, seed=0, executor=SerialExecutor())
    wall = time.perf_counter() - t0
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    assert wall <= 4 + 1.0 * max(1.0, load)
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert res.bound is None or res.bound <= res.objective
    assert p.errors(res.net) == res.objective


def test_ctrl_c_returns_the_best_net_so_far():
    p = _planted(100, 3, seed=2, K=2)
    opt = solve_dichotomy(p, time_limit=120).objective

    def task(problem, state, part, board, left, opts, graph):
        if is_majority(part.f) and not math.isfinite(part.cap):
            raise KeyboardInterrupt  # Ctrl-C while the driver waits on this part
        return run_part(problem, state, part, board, left, opts, graph)

    hint = _hint(p)
    res = ParallelDichotomy(SerialExecutor(), task=task).solve(p, time_limit=120, warm_start=hint)
    assert res.interrupted
    assert res.status is Status.FEASIBLE and res.net is not None
    assert res.objective >= opt and (res.bound is None or res.bound <= opt)


def test_bad_parallel_settings_are_refused(monkeypatch):
    X, y = mo.datasets.load("xor")
    for kw, match in [
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": 2.5}, "n_jobs"),
        ({"executor": "dask"}, "executor"),
        ({"executor": "serial", "n_jobs": 2}, "executor='ray'"),
        ({"executor": "serial", "address": "auto"}, "address"),
        ({"executor": 3}, "executor"),
        ({"executor": SerialExecutor(), "address": "auto"}, "address"),
    ]:
        with pytest.raises(ValidationError, match=match):
            mo.train_exact(X, y, hidden=[2], time_limit=5, **kw)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(SolverUnavailableError, match=r"mixedopt\[ray\]"):
        mo.train_exact(X, y, hidden=[2], time_limit=5, n_jobs=2)


def test_one_job_never_imports_ray():
    code = (
        "import sys, mixedopt as mo\n"
        "X, y, _ = mo.datasets.planted(60, 2, 2, 0.1, 0)\n"
        "r = mo.train_exact(X, y, hidden=[2], time_limit=20, n_jobs=1)\n"
        "assert r.status.value == 'optimal', r.status\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def test_only_the_executor_layer_imports_ray():
    offenders = []
    for path in (ROOT / "mixedopt").rglob("*.py"):
        if "executors" in path.relative_to(ROOT / "mixedopt").parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(n == "ray" or n.startswith("ray.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# ----------------------------------------------------------------------------- Ray
@pytest.fixture(scope="module")
def ray():
    return pytest.importorskip("ray", reason="the ray extra is not installed", exc_type=ImportError)


def test_default_parallel_run_starts_and_stops_its_own_cluster(ray):
    """n_jobs=2 with no cluster: a local one is started for the exact phase and shut down
    after it (unless this process was already connected, which is then left alone)."""
    was_up = ray.is_initialized()
    X, y, _ = mo.datasets.planted(100, 3, 3, 0.1, 2, input_range=8, weight_bound=2)
    try:
        res = mo.train_exact(X, y, hidden=[3], weight_bound=2, time_limit=120, n_jobs=2)
    except Exception as exc:  # pragma: no cover - a machine where Ray cannot start
        if "ray" in type(exc).__module__.lower():
            pytest.skip(f"Ray cannot start here: {exc}")
        raise
    assert res.status is Status.OPTIMAL
    assert res.info["parallel"]["executor"] == "ray"
    assert ray.is_initialized() is was_up


@pytest.fixture(scope="module")
def cluster(ray):
    """Two Ray nodes of one CPU each in this machine (a simulated multi-node cluster)."""
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    try:
        c = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "include_dashboard": False},
        )
        c.add_node(num_cpus=1)
        ray.init(address=c.address, include_dashboard=False, log_to_driver=False)
        c.wait_for_nodes()
    except Exception as exc:  # pragma: no cover - a machine where Ray cannot start
        pytest.skip(f"Ray cannot start a local cluster here: {exc}")
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture
def executor(cluster):
    from mixedopt.executors import get_executor

    with get_executor("ray", n_jobs=2, address=cluster.address) as ex:
        yield ex


def test_two_nodes_give_the_sequential_optimum(ray, executor, cluster):
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    for seed in (3,):
        p = _planted(100, 3, seed=seed, K=2)
        hint = _hint(p, seed)
        seq = solve_dichotomy(p, time_limit=120, hint=hint)
        par = ParallelDichotomy(executor, min_parts=4).solve(p, time_limit=120, warm_start=hint)
        assert seq.status is par.status is Status.OPTIMAL
        assert par.objective == seq.objective == par.bound
        assert p.errors(par.net) == par.objective
    # the public entry point on the same cluster, by address
    X, y, _ = mo.datasets.planted(100, 3, 3, 0.1, 2, input_range=8, weight_bound=2)
    kw = {"hidden": [3], "weight_bound": 2, "time_limit": 120}
    res = mo.train_exact(X, y, **kw, n_jobs=2, executor="ray", address=cluster.address)
    assert res.status is Status.OPTIMAL
    opt = solve_dichotomy(_planted(100, 3, seed=2, K=2), time_limit=120).objective
    assert res.objective == opt


class _CrashOnce:
    """A part function whose worker process dies (os._exit) the first time it is handed a
    main-pass majority part: the marker file makes the second attempt run normally."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self, problem, state, part, board, left, opts, graph):
        if is_majority(part.f) and not math.isfinite(part.cap):
            if not os.path.exists(self.marker):
                pathlib.Path(self.marker).touch()
                os._exit(1)
        return run_part(problem, state, part, board, left, opts, graph)


def test_a_killed_worker_loses_no_proven_result(ray, executor, tmp_path):
    try:
        ray.cloudpickle.register_pickle_by_value(sys.modules[_CrashOnce.__module__])
    except Exception:  # not an importable module: pickled by value anyway
        pass
    p = _planted(100, 3, seed=2, K=2)
    hint = _hint(p)
    marker = tmp_path / "crashed"
    res = ParallelDichotomy(executor, task=_CrashOnce(str(marker))).solve(
        p, time_limit=120, warm_start=hint
    )
    assert marker.exists()
    assert res.status is Status.OPTIMAL
    assert res.objective == solve_dichotomy(p, time_limit=120, hint=hint).objective
    assert res.info["parallel"]["lost"] == 1 and res.info["parallel"]["retried"] == 1


def test_time_limit_holds_across_workers(executor):
    p = _planted(800, 4, seed=10, noise=0.05)
    t0 = time.perf_counter()
    res = solve_problem(p, time_limit=4, seed=0, executor=executor)
    wall = time.perf_counter() - t0
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    assert wall <= 4 + 1.5 * max(1.0, load)
    assert res.status is Status.FEASIBLE
    assert res.bound is None or res.bound < res.objective
    assert p.errors(res.net) == res.objective
