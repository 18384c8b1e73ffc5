"""Inspect target assignments: what each layer is asked to output, and how well it does.

:func:`inspect_targets` takes a network (or a :class:`~mixedopt.SolveResult`, or a fitted
estimator with ``net_``) and data, and reports per layer:

* the **target matrix** (samples × units) and the realised activations;
* **agreement** between targets and activations (overall and per unit);
* per unit, the **margin** on its targets (``min_i t_i z_i / ||w||``, negative when some target
  is missed; for a staircase the distance to the target level's interval; for an argmax
  output the raw score difference with the competing unit) and the **number of violated
  targets**;
* for a unit that cannot fit its targets, a **conflict set**: an irreducible set of samples
  whose targets no hyperplane on the layer's inputs separates
  (:func:`mixedopt.fit_unit` ``(...).conflict``);
* for hidden layers, the **class-conditional codes**: which activation patterns each class
  maps to, and their purity (the accuracy of a majority-vote lookup table on the codes);
* **flip rates** across training, from the training history (an FTPROP ``History``, the
  ``info["history"]`` of a result, ``net.metadata["history"]`` of a saved model, or a torch
  target-capture history from :mod:`mixedopt.torch`).

Targets come from, in this order: the ``targets`` argument; the targets of a
:class:`SolveResult` when they match ``X``; or one top-down FTPROP target step on ``(X, y)``
with the network's own weights (:func:`mixedopt.ftprop.trainer.propagate_targets`). The output
layer's targets are the labels (``±1`` for one output unit; one-vs-rest ``±1`` per class).

Outputs: :meth:`TargetReport.table` (rich), :meth:`TargetReport.to_dict` / ``to_json``,
matplotlib figures (:meth:`TargetReport.plot_targets`, :meth:`TargetReport.plot_training`)
and a self-contained HTML page (:meth:`TargetReport.to_html`); :meth:`TargetReport.save`
writes all of them to a folder. :func:`to_networkx` turns a network into a weighted DiGraph.

Modules
-------
``build``        :func:`inspect_targets`
``report``       :class:`TargetReport` and its outputs (table, JSON, figures, HTML, folder)
``layers``       :class:`LayerReport`, :class:`CodeStats`: the statistics of one layer
``layer_stats``  computes them: agreement, margins, conflict sets, class-conditional codes
``history``      flip-rate and violated-fraction curves from a training history
``html``         the HTML page, from a report's parts (no import of ``report``)
``plots``        the matplotlib figures, from a report's parts (no import of ``report``)
``graph``        :func:`to_networkx`
``scalars``      number helpers shared by the above

Dependencies point one way: ``build`` → ``report`` → ``html`` / ``plots`` → ``layers``;
nothing in the package imports this ``__init__``.

Examples
--------
>>> import numpy as np
>>> import mixedopt as mo
>>> net = mo.ThresholdNet([np.array([[1, 1], [-1, -1]]), np.array([[1, 1]])],
...                       [np.array([-1, -1]), np.array([1])])
>>> X = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]]); y = np.array([1, -1, -1, 1])
>>> rep = mo.inspect_targets(net, X, y)
>>> rep.layers[-1].agreement, rep.accuracy
(1.0, 1.0)
"""

from __future__ import annotations

from mixedopt.inspect.build import inspect_targets
from mixedopt.inspect.graph import to_networkx
from mixedopt.inspect.layers import CodeStats, LayerReport
from mixedopt.inspect.report import TargetReport

__all__ = ["CodeStats", "LayerReport", "TargetReport", "inspect_targets", "to_networkx"]
