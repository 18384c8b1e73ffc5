"""Export a :class:`~mixedopt.ThresholdNet` as a weighted :class:`networkx.DiGraph`.

networkx is imported with :mod:`mixedopt.inspect`, which :mod:`mixedopt` imports on first
use (``mo.to_networkx``, ``mo.inspect_targets``), not when :mod:`mixedopt` is.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from mixedopt.inspect.scalars import item
from mixedopt.network import ThresholdNet

__all__ = ["to_networkx"]


def to_networkx(net: ThresholdNet, *, drop_zero: bool = False) -> Any:
    """The network as a weighted :class:`networkx.DiGraph`.

    Nodes are ``"x<i>"`` (inputs), ``"h<l>_<j>"`` (hidden unit ``j`` of hidden layer ``l``,
    from 1) and ``"y<k>"`` (outputs), with attributes ``layer``, ``kind``, ``index``,
    ``bias`` and ``activation``; edges carry ``weight``. All attributes are plain numbers or
    strings, so ``networkx.write_graphml(G, path)`` works.

    Parameters
    ----------
    drop_zero : bool
        Leave out zero-weight edges.

    Examples
    --------
    >>> import mixedopt as mo
    >>> G = mo.to_networkx(mo.ThresholdNet.random([3, 2, 1], seed=0))
    >>> G.number_of_nodes(), G.number_of_edges()
    (6, 8)
    """
    G = nx.DiGraph(sizes=",".join(map(str, net.sizes)), output=net.output)

    def name(layer: int, j: int) -> str:
        if layer == 0:
            return f"x{j}"
        if layer == net.n_layers:
            return f"y{j}"
        return f"h{layer}_{j}"

    for j in range(net.n_inputs):
        G.add_node(name(0, j), layer=0, kind="input", index=j, bias=0.0, activation="input")
    for li, (W, b) in enumerate(zip(net.weights, net.biases, strict=True), start=1):
        out = li == net.n_layers
        act = f"output:{net.output}" if out else net.activation_names[li - 1]
        for j in range(W.shape[0]):
            attrs: dict[str, Any] = {
                "layer": li,
                "kind": "output" if out else "hidden",
                "index": j,
                "bias": float(b[j]),
                "activation": act,
            }
            if out:
                cls = net.classes[j if net.output == "argmax" else 1]
                attrs["label"] = str(item(cls))
            G.add_node(name(li, j), **attrs)
            for i in range(W.shape[1]):
                w = float(W[j, i])
                if drop_zero and w == 0.0:
                    continue
                G.add_edge(name(li - 1, i), name(li, j), weight=w)
    return G
