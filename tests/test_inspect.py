"""inspect_targets on hand-made networks (known numbers), report outputs, to_networkx."""

from __future__ import annotations

import base64
import importlib.util
import json
import warnings
from html.parser import HTMLParser

import networkx as nx
import numpy as np
import pytest

import mixedopt as mo
from mixedopt.errors import ValidationError
from mixedopt.inspect import inspect_targets, to_networkx

XOR_X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
XOR_Y = np.array([1, -1, -1, 1])
HAVE_PERCEPTRON = importlib.util.find_spec("mixedopt.perceptron") is not None


def xor_net() -> mo.ThresholdNet:
    # h1 = sign(x1 + x2 - 1), h2 = sign(-x1 - x2 - 1), out = sign(h1 + h2 + 1)
    return mo.ThresholdNet(
        weights=[np.array([[1, 1], [-1, -1]]), np.array([[1, 1]])],
        biases=[np.array([-1, -1]), np.array([1])],
    )


def test_correct_net_known_numbers():
    rep = inspect_targets(xor_net(), XOR_X, XOR_Y)
    assert rep.accuracy == 1.0 and rep.target_source == "reassigned"
    hid, out = rep.layers
    # the net is right with margin 1 everywhere: greedy keeps the activations as targets
    assert hid.targets.tolist() == [[-1, 1], [-1, -1], [-1, -1], [1, -1]]
    assert hid.agreement == 1.0 and hid.unit_violations.tolist() == [0, 0]
    # margins min_i t_i z_i / ||w||: z1 = (-3,-1,-1,1), z2 = (1,-1,-1,-3) -> 1/sqrt(2) each
    assert np.allclose(hid.unit_margin, [1 / np.sqrt(2)] * 2)
    assert np.allclose(out.unit_margin, [1 / np.sqrt(2)])
    # codes: "-+" (class 1), "--" (class -1, twice), "+-" (class 1)
    assert hid.codes.n_codes == 3 and hid.codes.purity == 1.0
    assert dict(hid.codes.per_class["-1"]) == {"--": 2}
    assert dict(hid.codes.per_class["1"]) == {"-+": 1, "+-": 1}
    assert out.targets[:, 0].tolist() == XOR_Y.tolist()


def test_given_targets_with_a_violation():
    # ask hidden unit 0 for XOR of the inputs: it realises (-1,-1,-1,1), misses sample 0
    T = [np.array([[1, 1], [-1, -1], [-1, -1], [1, -1]])]
    rep = inspect_targets(xor_net(), XOR_X, XOR_Y, targets=T)
    hid = rep.layers[0]
    assert rep.target_source == "given"
    assert hid.unit_violations.tolist() == [1, 0]
    assert hid.agreement == 7 / 8
    assert hid.unit_agreement.tolist() == [0.75, 1.0]
    assert hid.unit_margin[0] == pytest.approx(-3 / np.sqrt(2))
    if HAVE_PERCEPTRON:  # XOR of the inputs is not linearly separable: all 4 samples conflict
        assert hid.separable[0] is False
        assert sorted(hid.conflicts[0]) == [0, 1, 2, 3]
        assert hid.separable[1] is None  # no violation, not checked
    with pytest.raises(ValidationError, match="shapes"):
        inspect_targets(xor_net(), XOR_X, XOR_Y, targets=[np.ones((4, 3))])


def test_wrong_labels_and_objects_are_rejected():
    with pytest.raises(ValidationError, match="does not predict"):
        inspect_targets(xor_net(), XOR_X, np.array([0, 1, 2, 3]))
    with pytest.raises(ValidationError, match="ThresholdNet"):
        inspect_targets("net", XOR_X, XOR_Y)


def test_multiclass_output_and_staircase_layer():
    W1 = np.array([[1.0, 0.0], [0.0, 1.0]])
    W2 = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, -2.0]])
    net = mo.ThresholdNet(
        [W1, W2], [np.zeros(2), np.array([0.0, 0.0, 1.0])], "staircase3", classes=["a", "b", "c"]
    )
    X = np.array([[1.5, 0.0], [0.0, 1.5], [-1.0, -1.0], [1.5, 1.5]])
    y = np.array(["a", "b", "c", "a"])
    rep = inspect_targets(net, X, y, target_step="gradient")
    hid, out = rep.layers
    assert hid.activation == "staircase3"
    assert set(np.unique(hid.targets).tolist()) <= {0.0, 1 / 3, 2 / 3, 1.0}
    # output: one-vs-rest ±1 targets; the last sample is a tie (a == b), argmax picks a
    assert out.targets.tolist()[0] == [1, -1, -1]
    assert rep.accuracy == 1.0 and out.agreement == 1.0


def test_estimator_history_reaches_the_report(tmp_path):
    X, y = mo.datasets.load("iris")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = mo.FTPropClassifier(hidden=(6, 4), max_iter=4, random_state=0).fit(X, y)
    rep = inspect_targets(clf, X, y)
    assert len(rep.layers) == 3
    assert rep.layers[0].flip_rate == [e[0] for e in clf.history_.flipped]
    assert rep.layers[2].violated_curve == [e[2] for e in clf.history_.violated]
    files = rep.save(tmp_path / "report")
    for key in ("html", "json", "npz", "training", "targets_layer0", "targets_layer2"):
        assert files[key].exists() and files[key].stat().st_size > 0
    data = json.loads(files["json"].read_text())
    assert data["format"] == "mixedopt.target_report" and len(data["layers"]) == 3
    assert data["history"]["epoch"] == [1, 2, 3, 4]
    with np.load(files["npz"], allow_pickle=False) as z:
        assert z["targets0"].shape == (150, 6)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])


def test_html_is_self_contained_and_parses():
    rep = inspect_targets(xor_net(), XOR_X, XOR_Y)
    html = rep.to_html()
    p = _Collector()
    p.feed(html)
    p.close()
    assert "table" in p.tags and html.lstrip().startswith("<!DOCTYPE html>")
    assert p.images, "the heatmaps are embedded"
    for src in p.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in html and "https://" not in html


def test_plot_targets_names_a_layer_that_is_not_there():
    rep = inspect_targets(xor_net(), XOR_X, XOR_Y)
    with pytest.raises(ValidationError, match=r"layer must be in \[0, 1\], got 2"):
        rep.plot_targets(2)


def test_renderers_do_not_import_the_report():
    """html.py and plots.py draw from a report's parts: report.py imports them, never back."""
    grimp = pytest.importorskip("grimp")

    graph = grimp.build_graph("mixedopt")
    for renderer in ("mixedopt.inspect.html", "mixedopt.inspect.plots"):
        assert graph.find_shortest_chain(renderer, "mixedopt.inspect.report") is None
        assert graph.find_shortest_chain(renderer, "mixedopt.inspect") is None


def test_torch_capture_history_is_accepted():
    # the documented format of mixedopt.torch's target capture (plain data)
    hist = {
        "format": "mixedopt.torch.target_history",
        "version": 1,
        "layers": ["act0"],
        "probe": {
            "epochs": np.array([0, 1, 2]),
            "flip_rate": np.array([[np.nan], [0.25], [0.1]]),
            "disagreement": np.array([[0.5], [0.3], [0.2]]),
        },
    }
    rep = inspect_targets(xor_net(), XOR_X, XOR_Y, history=hist)
    assert rep.layers[0].flip_rate == [None, 0.25, 0.1]
    assert rep.layers[0].violated_curve == [0.5, 0.3, 0.2]
    assert rep.plot_training() is not None
    json.loads(rep.to_json())


def test_rich_table_renders():
    from rich.console import Console

    console = Console(record=True, width=100)
    inspect_targets(xor_net(), XOR_X, XOR_Y).print(console)
    text = console.export_text()
    assert "h1" in text and "out" in text and "1.000" in text


def test_to_networkx_and_graphml_round_trip(tmp_path):
    net = xor_net()
    G = to_networkx(net)
    assert isinstance(G, nx.DiGraph)
    assert sorted(G.nodes) == ["h1_0", "h1_1", "x0", "x1", "y0"]
    assert G.number_of_edges() == 6
    assert G["x0"]["h1_1"]["weight"] == -1.0
    assert G.nodes["h1_0"]["bias"] == -1.0 and G.nodes["y0"]["label"] == "1"
    path = tmp_path / "net.graphml"
    nx.write_graphml(G, path)
    H = nx.read_graphml(path)
    assert sorted(H.edges(data="weight")) == sorted(G.edges(data="weight"))
    Z = to_networkx(mo.ThresholdNet([np.array([[0, 1]])], [np.array([0])]), drop_zero=True)
    assert Z.number_of_edges() == 1


@pytest.mark.skipif(
    importlib.util.find_spec("mixedopt.exact.engine") is None, reason="train_exact not present"
)
def test_solver_targets_are_used_for_a_result():
    res = mo.train_exact(XOR_X, XOR_Y, hidden=[2], time_limit=20, seed=0)
    rep = inspect_targets(res, XOR_X, XOR_Y)
    assert rep.target_source == "solver" and rep.accuracy == 1.0
    assert rep.layers[0].agreement == 1.0  # exact training: targets are the activations


def test_step_layers_get_conflict_sets_too():
    # a 0/1 step layer whose targets no hyperplane realises: XOR targets for one unit
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    net = mo.ThresholdNet(
        [np.array([[1.0, 1.0]]), np.array([[1.0]])],
        [np.array([-0.5]), np.array([-0.5])],
        activations="step",
    )
    targets = [np.array([[0.0], [1.0], [1.0], [0.0]])]
    report = inspect_targets(net, X, np.array([-1, 1, 1, -1]), targets=targets)
    hidden = report.layers[0]
    assert hidden.unit_violations[0] == 1
    assert hidden.separable[0] is False
    assert sorted(hidden.conflicts[0]) == [0, 1, 2, 3]
    assert not any("skipped" in n for n in report.notes)
