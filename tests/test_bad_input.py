"""Bad input gives one clear error naming the problem and the fix: never a traceback, never
a hang, never a silently wrong result, and nothing already on disk is lost.

Library cases expect a :class:`mixedopt.Error` (a ``ValueError`` for bad values) whose
message names the problem; command-line cases expect a non-zero exit, one ``error:`` line
(or click's usage error) and no traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import mixedopt as mo
from mixedopt.cli import app
from mixedopt.io import write_network_file

runner = CliRunner()


def cli_fails(args: list[str], phrase: str, *, code: int = 2) -> str:
    """Run the CLI in-process; it must fail with ``code``, one message and no traceback."""
    res = runner.invoke(app, args)
    out = res.output
    assert res.exit_code == code, out
    assert isinstance(res.exception, SystemExit), repr(res.exception)  # handled, not a crash
    assert "Traceback" not in out
    assert phrase in " ".join(out.split()), out
    assert sum(line.startswith("error:") for line in out.splitlines()) <= 1, out
    return out


@pytest.fixture
def saved_net(tmp_path: Path) -> Path:
    net = mo.ThresholdNet.random([2, 2, 1], seed=0, weights="integer", weight_bound=3)
    net.metadata["mixedopt_train"] = {"data": "xor", "test_size": 0.0, "seed": 0}
    return net.save(tmp_path / "model.npz")


def forged(tmp_path: Path, name: str, **changes) -> Path:
    """A model file whose JSON description is ``changes`` away from a valid one."""
    net = mo.ThresholdNet.random([2, 2, 1], seed=0, weights="integer", weight_bound=3)
    meta = net.to_dict()
    del meta["weights"], meta["biases"]
    meta["n_layers"] = net.n_layers
    for key, value in changes.items():
        if value is KeyError:
            meta.pop(key)
        else:
            meta[key] = value
    path = tmp_path / f"{name}.npz"
    write_network_file(path, meta, net.weights, net.biases)
    return path


# ----------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize(
    "bound, phrase",
    [
        ("nan", "weight_bound must be a finite number > 0, got nan"),
        ("inf", "weight_bound must be a finite number > 0, got inf"),
        ("1e20", "weight_bound=1e+20 is beyond the supported limit of 1,000,000"),
        ("1e12", "beyond the supported limit"),
        ("2.5", "must be a positive integer for integer weights, got 2.5"),
    ],
)
def test_solve_bad_bound(bound, phrase):
    cli_fails(["solve", "-d", "xor", "--hidden", "2", "--bound", bound, "--no-progress"], phrase)


def test_solve_huge_hidden_fails_fast_instead_of_hanging():
    out = cli_fails(
        ["solve", "-d", "planted:m=20,d=2,h=2", "--hidden", "1000000000", "--no-progress"],
        "beyond the limit of 10,000,000",
    )
    assert "narrower layers" in out


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--param", "max_iter=abc"], "max_iter must be an integer >= 1, got 'abc'"),
        (["--param", "nonsense=1"], "--param nonsense is not a parameter"),
        (["--test-size", "-0.1"], "--test-size must be a fraction in [0, 1)"),
        (["--test-size", "1"], "--test-size must be a fraction in [0, 1)"),
        (["--seed", "-5"], "--seed"),
        (["--out", "x.txt"], "not an .npz file name"),
        (["--out", "some/dir/"], "is a folder, not a file name"),
    ],
)
def test_train_bad_options(tmp_path, monkeypatch, args, phrase):
    monkeypatch.chdir(tmp_path)
    out = cli_fails(["train", "-d", "xor", "--no-progress", *args], phrase)
    assert "FTPropClassifier on" not in out or "--param" in args  # refused before training
    assert not list(tmp_path.rglob("*.npz"))  # no x.txt.npz, no some/dir.npz


def test_train_out_without_suffix_still_gets_npz(tmp_path):
    res = runner.invoke(
        app, ["train", "-d", "xor", "--no-progress", "--test-size", "0", "-o", str(tmp_path / "m")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.npz").exists()


def test_inspect_out_onto_the_model_is_refused_and_the_model_kept(saved_net):
    before = saved_net.read_bytes()
    cli_fails(["inspect", str(saved_net), "--out", str(saved_net)], "the model file itself")
    assert saved_net.read_bytes() == before


def test_inspect_out_onto_another_file(saved_net, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    cli_fails(["inspect", str(saved_net), "--out", str(other)], "is an existing file")
    assert other.read_text() == "keep me"


def test_inspect_forged_model_file(tmp_path):
    path = forged(tmp_path, "huge", n_layers=10**12)
    cli_fails(["inspect", str(path)], "says 1000000000000 layers but it holds weight arrays")


@pytest.mark.parametrize(
    "spec, phrase",
    [
        ("planted:m=1000000000,d=6,h=3", "beyond the limit of 50,000,000"),
        ("moons:n_samples=1000000000", "beyond the limit of 50,000,000"),
    ],
)
def test_datasets_too_large_are_refused_up_front(spec, phrase):
    cli_fails(["datasets", spec], phrase)


def test_solve_greedy_with_an_exact_method(tmp_path):
    cli_fails(
        ["solve", "-d", "xor", "--hidden", "2", "-b", "greedy", "--method", "dichotomy"],
        "method='dichotomy' does not apply",
    )


def test_solve_json_into_a_folder_is_refused_before_solving(tmp_path):
    out = cli_fails(
        ["solve", "-d", "xor", "--hidden", "2", "--json", f"{tmp_path}/", "--no-progress"],
        "is a folder",
    )
    assert "problem" not in out  # nothing was solved, so nothing is lost


def test_console_script_prints_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "mixedopt.cli", "solve", "-d", "xor", "--bound", "nan"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "weight_bound must be a finite number" in proc.stderr


def test_unexpected_errors_are_one_line_too(monkeypatch):
    import mixedopt.datasets as ds

    def boom(*a, **k):
        raise TypeError("something internal")

    monkeypatch.setattr(ds, "describe", boom)
    out = cli_fails(["datasets", "xor"], "internal error (TypeError: something internal)", code=1)
    assert "please report it" in out


# ------------------------------------------------------------------------ model files
@pytest.mark.parametrize(
    "changes, phrase",
    [
        ({"n_layers": 10**12}, "says 1000000000000 layers"),
        ({"n_layers": 2.7}, "n_layers is 2.7 (float), not a whole number"),
        ({"n_layers": "2"}, "n_layers is '2' (str)"),
        ({"n_layers": 0}, "n_layers is 0, not >= 1"),
        ({"n_layers": KeyError}, "lacks 'n_layers'"),
        ({"metadata": [["a", 1]]}, "field 'metadata' must be a JSON object (dict), got list"),
        ({"metadata": "ab"}, "field 'metadata' must be a JSON object (dict), got str"),
        ({"metadata": 5}, "field 'metadata' must be a JSON object (dict), got int"),
        ({"sizes": None}, "field 'sizes' must be a list of layer widths"),
        ({"sizes": [3, 2, 1]}, "stored sizes do not match the arrays"),
        ({"activations": 5}, "field 'activations' must be an activation name"),
        ({"classes": "ab"}, "field 'classes' must be a list of labels"),
        ({"weight_domain": "binary"}, "weight_domain is 'binary' but layer 0 holds the weight"),
        ({"weight_domain": 3}, "field 'weight_domain' must be a domain name"),
        ({"format_version": "1"}, "format_version is '1' (str), not an integer such as 1"),
        ({"format_version": 0}, "not a version mixedopt ever wrote"),
        ({"format_version": 99}, "Upgrade mixedopt"),
    ],
)
def test_load_rejects_forged_descriptions(tmp_path, changes, phrase):
    path = forged(tmp_path, "bad", **changes)
    with pytest.raises(mo.ModelFileError) as err:
        mo.ThresholdNet.load(path)
    assert phrase in str(err.value)
    assert str(path) in str(err.value)
    if changes.get("format_version") == "1":
        assert "Upgrade" not in str(err.value)


def test_load_still_reads_good_files(saved_net):
    net = mo.ThresholdNet.load(saved_net)
    assert net.sizes == [2, 2, 1] and net.weight_domain == "integer"


def test_save_array_metadata_names_the_field_and_writes_nothing(tmp_path):
    net = mo.ThresholdNet.random([2, 1], seed=0)
    net.metadata["scores"] = np.arange(3)
    with pytest.raises(mo.ValidationError, match=r"metadata\['scores'\] is a numpy.ndarray"):
        net.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_save_paths(tmp_path):
    net = mo.ThresholdNet.random([2, 1], seed=0)
    assert net.save(tmp_path / "new" / "sub" / "m.npz").exists()  # folders are created
    assert net.save(tmp_path / "plain").name == "plain.npz"
    with pytest.raises(mo.ValidationError, match="is a folder, not a file name"):
        net.save(f"{tmp_path}/")
    with pytest.raises(mo.ValidationError, match="is a folder, not a file name"):
        net.save(tmp_path / "new")
    with pytest.raises(mo.ValidationError, match=r"name it '.*x\.npz' \(or '.*x\.txt\.npz'\)"):
        net.save(tmp_path / "x.txt")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    with pytest.raises(NotADirectoryError) as err:
        net.save(blocker / "m.npz")
    assert "is a file, not a folder" in str(err.value)
    assert str(blocker / "m.npz") in str(err.value)  # the real target, not a temporary file
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]  # no temporary file left


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError, OSError])
def test_crash_mid_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, exc):
    net = mo.ThresholdNet.random([2, 1], seed=0)
    path = net.save(tmp_path / "m.npz")
    before = path.read_bytes()

    def crash(fh, **arrays):
        fh.write(b"partial")
        raise exc("crash mid-write")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(exc) as err:
        mo.ThresholdNet.random([2, 1], seed=1).save(path)
    if exc is OSError:
        assert str(path) in str(err.value)  # names the target, not the temporary file
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


# ------------------------------------------------------------------------ weight_bound
BAD_BOUNDS = [
    (float("nan"), "finite number > 0, got nan"),
    (float("inf"), "finite number > 0, got inf"),
    (10**20, "beyond the supported limit of 1,000,000"),
    (1e20, "beyond the supported limit of 1,000,000"),
    (-1, "finite number > 0, got -1"),
    ("3", "must be a number"),
]


@pytest.mark.parametrize("bound, phrase", BAD_BOUNDS)
def test_train_exact_bad_weight_bound(bound, phrase):
    X, y = mo.datasets.load("xor")
    with pytest.raises(mo.ValidationError, match=phrase.replace("(", r"\(").replace("+", r"\+")):
        mo.train_exact(X, y, hidden=[2], weight_bound=bound, time_limit=5)


@pytest.mark.parametrize("bound, phrase", BAD_BOUNDS[:4])
def test_other_entry_points_bad_weight_bound(bound, phrase):
    from mixedopt.problems.layer_checks import check_weight_domain
    from mixedopt.solvers import get

    X, y = mo.datasets.load("xor")
    calls = [
        lambda: mo.ExactThresholdClassifier(hidden=(2,), weight_bound=bound).fit(X, y),
        lambda: get("brute").solve_data(X, y, hidden=[2], weight_bound=bound),
        lambda: check_weight_domain("integer", bound),
        lambda: mo.ThresholdNet.random([2, 1], weights="integer", weight_bound=bound),
    ]
    for call in calls:
        with pytest.raises(mo.ValidationError) as err:
            call()
        assert phrase in str(err.value)


def test_real_weights_bound_limit_names_the_box():
    X, y = mo.datasets.load("xor")
    with pytest.raises(mo.ValidationError, match="smaller box"):
        mo.train_exact(X, y, weights="real", backend="brute", weight_bound=1e20, time_limit=5)


def test_huge_hidden_layer_is_refused_by_the_library():
    X, y = mo.datasets.load("xor")
    with pytest.raises(mo.ValidationError, match="beyond the limit of 10,000,000"):
        mo.train_exact(X, y, hidden=[10**9], time_limit=5)


# ------------------------------------------------------------------- greedy honesty
def test_greedy_rejects_exact_methods():
    X, y = mo.datasets.load("xor")
    for method in ("table", "dichotomy"):
        with pytest.raises(mo.ValidationError, match="backend='greedy' is a local search"):
            mo.train_exact(X, y, hidden=[2], backend="greedy", method=method, time_limit=5)


def test_greedy_status_and_gap_agree():
    X, y = mo.datasets.load("xor")
    res = mo.train_exact(X, y, hidden=[2], backend="greedy", time_limit=10, seed=0)
    # zero errors: the trivial bound 0 proves it, so the phase and the result both say so
    assert res.n_errors == 0
    assert res.status is mo.Status.OPTIMAL and res.gap == 0.0
    assert res.info["phases"][-1]["status"] == "optimal"
    X, y, _ = mo.datasets.planted(m=60, d=3, h=2, noise=0.1, seed=0)
    res = mo.train_exact(X, y, hidden=[2], backend="greedy", time_limit=1, seed=0)
    assert res.status is mo.Status.FEASIBLE
    assert res.gap is None or res.gap > 0  # never a gap of 0 without a proof


# -------------------------------------------------------------- numerics of one unit
@pytest.mark.parametrize("scale, phrase", [(1e300, "values as large as"), (1e-300, "underflow")])
@pytest.mark.parametrize("method", ["lp", "hinge", "max-margin", "perceptron"])
def test_fit_unit_extreme_magnitudes(scale, phrase, method):
    A = np.array([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [2.0, 0.5]]) * scale
    t = [1, -1, 1, -1]
    with pytest.raises(mo.ValidationError, match=phrase):
        mo.fit_unit(A, t, method=method)
    with pytest.raises(mo.ValidationError, match="Rescale A"):
        mo.is_separable(A, t)
    with pytest.raises(mo.ValidationError, match="Rescale A"):
        mo.perceptron.fit_units(A, np.array(t), method=method)


def test_fit_unit_ordinary_magnitudes_still_work():
    A = np.array([[1e-3, 1e-3], [-1e-3, 1e-3], [1e-3, -1e-3], [-1e-3, -1e-3]]) * 1e100
    assert mo.is_separable(A, [1, 1, 1, -1])


# ------------------------------------------------------------------------- data files
def test_csv_without_a_label_column_is_refused(tmp_path):
    path = tmp_path / "nolabel.csv"
    path.write_text("a,b,c\n0.1,0.2,0.37\n0.5,0.1,0.9\n0.3,0.3,0.5\n")
    with pytest.raises(mo.DataError, match="may have no label column") as err:
        mo.datasets.load(path)
    assert "label_column=" in str(err.value)
    cli_fails(["datasets", str(path)], "may have no label column")


def test_csv_last_column_of_ids_is_refused(tmp_path):
    path = tmp_path / "ids.csv"
    rows = "\n".join(f"{i % 3},{i % 5},{1000 + i}" for i in range(40))
    path.write_text("a,b,id\n" + rows + "\n")
    with pytest.raises(mo.DataError, match="40 distinct values in 40 rows"):
        mo.datasets.load(path)


def test_csv_label_column_by_name_and_in_the_spec(tmp_path):
    path = tmp_path / "mid.csv"
    path.write_text("a,target,b\n0.1,1,0.25\n0.5,0,0.5\n0.3,1,0.75\n")
    X, y = mo.datasets.load(path, label_column="target")
    assert y.tolist() == [1, 0, 1] and X.shape == (3, 2)
    X2, y2 = mo.datasets.load(f"{path}:label_column=target")
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    ok = tmp_path / "ok.csv"
    ok.write_text("a,b,label\n0.1,0.2,yes\n0.5,0.1,no\n")
    assert mo.datasets.load(ok)[1].tolist() == ["yes", "no"]  # a real label column is kept


def test_planted_too_large():
    with pytest.raises(mo.DataError, match="generate fewer samples"):
        mo.datasets.planted(m=10**9, d=6, h=3)


# ------------------------------------------------------------------ seeds and messages
def test_negative_seeds():
    X, y = mo.datasets.load("xor")
    with pytest.raises(mo.ValidationError, match="seed must be a non-negative integer"):
        mo.datasets.train_test_split(X, y, seed=-5)
    with pytest.raises(mo.ValidationError, match="random_state must be None"):
        mo.FTPropClassifier(random_state=-5).fit(X, y)


@pytest.mark.parametrize(
    "call, shown",
    [
        (lambda X, y: mo.train_exact(X, y, time_limit=-1e-9), "-1e-09"),
        (lambda X, y: mo.train_exact(X, y, weights="real", margin=-1e-9), "-1e-09"),
        (lambda X, y: mo.FTPropClassifier(learning_rate=-1e-9).fit(X, y), "-1e-09"),
    ],
)
def test_tiny_values_are_shown_as_given(call, shown):
    X, y = mo.datasets.load("xor")
    with pytest.raises(mo.ValidationError) as err:
        call(X, y)
    assert shown in str(err.value)
    assert "got 0.0" not in str(err.value)


def test_messages_say_what_is_wrong():
    with pytest.raises(mo.ValidationError, match=r"flat list of 2 labels, got a nested list"):
        mo.ThresholdNet([np.ones((1, 2))], classes=[[1], [2]])
    from mixedopt.problems.layer_checks import check_current

    with pytest.raises(mo.ValidationError, match=r"only ±1 targets, got values \[0\]"):
        check_current(np.zeros((30, 2), dtype=int), 30, 2)
    with pytest.raises(mo.ValidationError, match=r"got shape \(30, 3\)"):
        check_current(np.ones((30, 3)), 30, 2)


# ---------------------------------------------------------------------------- torch
def test_torch_resume_with_a_changed_width(tmp_path):
    pytest.importorskip("torch")
    common = ["torch-train", "-m", "mlp", "-d", "digits", "--max-steps", "1", "-q"]
    common += ["--device", "cpu"]
    ck = str(tmp_path / "ck.pt")
    res = runner.invoke(app, [*common, "-e", "1", "-o", "hidden=16", "--checkpoint", ck])
    assert res.exit_code == 0, res.output
    cli_fails(
        [*common, "-e", "2", "-o", "hidden=32", "--resume", ck],
        "hidden=[32] but the checkpoint has [16]",
    )
    cli_fails([*common, "-e", "2", "-o", "width=3", "--resume", ck], "has no such option")
    res = runner.invoke(app, [*common, "-e", "2", "-o", "hidden=16", "--resume", ck])
    assert res.exit_code == 0, res.output  # the same width resumes
    out = cli_fails([*common, "-e", "1", "--save-net", str(tmp_path / "net.pt")], "--save-net")
    assert "not an .npz file name" in out and "epoch" not in out  # refused before training
