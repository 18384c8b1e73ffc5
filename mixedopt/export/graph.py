"""A small ONNX graph builder shared by the exporters (onnx is imported lazily).

:func:`require` imports an optional package or raises
:class:`~mixedopt.errors.SolverUnavailableError` naming the ``deploy`` extra; :class:`Graph`
collects nodes and constant initializers and builds a checked ``onnx.ModelProto`` at the
opset of :data:`ONNX_OPSET`.

Examples
--------
>>> import numpy as np
>>> g = Graph("demo")
>>> x = g.input("X", np.float64, ["N", 2])
>>> y = g.node("Add", [x, g.const(np.array([1.0, 2.0]))])
>>> g.output(y, np.float64, ["N", 2], name="Y")
'Y'
>>> model = g.build({"note": "example"})
>>> model.opset_import[0].version, [n.op_type for n in model.graph.node]
(17, ['Add', 'Identity'])
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from mixedopt.errors import SolverUnavailableError

__all__ = ["IR_VERSION", "ONNX_OPSET", "Graph", "elem_type", "require"]

#: the ONNX opset of every exported graph (onnxruntime >= 1.13 runs it)
ONNX_OPSET = 17
#: IR version written (readable by onnxruntime >= 1.10)
IR_VERSION = 8


def require(package: str) -> Any:
    """Import an optional package of the ``deploy`` extra, or raise a clear error.

    Raises
    ------
    SolverUnavailableError
        The package is not installed (an ``ImportError``), naming the extra to install.
    """
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise SolverUnavailableError(
            f"this needs {package}: pip install 'mixedopt[deploy]' (import failed: {exc})"
        ) from exc


def elem_type(onnx: Any, dtype: Any) -> int:
    """The ONNX element type of a numpy dtype (strings: STRING)."""
    dt = np.dtype(dtype)
    if dt.kind in "OU":
        return onnx.TensorProto.STRING
    return int(onnx.helper.np_dtype_to_tensor_dtype(dt))


class Graph:
    """Nodes, initializers, inputs and outputs of one ONNX graph.

    Parameters
    ----------
    name : str
        Graph name.
    """

    def __init__(self, name: str) -> None:
        self.onnx = require("onnx")
        self.name = name
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.inputs: list[Any] = []
        self.outputs: list[Any] = []
        self._count = 0

    def fresh(self, hint: str) -> str:
        """A new tensor name."""
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value: Any, dtype: Any = None, hint: str = "c") -> str:
        """Add a constant (an initializer) and return its name."""
        arr = np.asarray(value, dtype=dtype)
        name = self.fresh(hint)
        if arr.dtype.kind in "OU":
            strings = [str(v).encode() for v in arr.ravel()]
            t = self.onnx.helper.make_tensor(name, self.onnx.TensorProto.STRING, arr.shape, strings)
        else:
            t = self.onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name)
        self.inits.append(t)
        return name

    def cast(self, tensor: str, dtype: Any) -> str:
        """A ``Cast`` of ``tensor`` to ``dtype``."""
        return self.node("Cast", [tensor], to=elem_type(self.onnx, dtype))

    def node(self, op: str, inputs: list[str], hint: str | None = None, **attrs: Any) -> str:
        """Add a one-output node and return its output name."""
        out = self.fresh(hint or op.lower())
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], **attrs))
        return out

    def input(self, name: str, dtype: Any, shape: list[Any]) -> str:
        self.inputs.append(
            self.onnx.helper.make_tensor_value_info(name, elem_type(self.onnx, dtype), shape)
        )
        return name

    def output(self, tensor: str, dtype: Any, shape: list[Any] | None, *, name: str) -> str:
        """Expose ``tensor`` as the graph output ``name`` (through an Identity node)."""
        self.nodes.append(self.onnx.helper.make_node("Identity", [tensor], [name]))
        self.outputs.append(
            self.onnx.helper.make_tensor_value_info(name, elem_type(self.onnx, dtype), shape)
        )
        return name

    def build(self, metadata: dict[str, str]) -> Any:
        """The checked ``onnx.ModelProto`` (opset :data:`ONNX_OPSET`, IR :data:`IR_VERSION`)."""
        h = self.onnx.helper
        graph = h.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        model = h.make_model(
            graph,
            opset_imports=[h.make_opsetid("", ONNX_OPSET)],
            producer_name="mixedopt",
        )
        model.ir_version = IR_VERSION
        for key, value in metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        self.onnx.checker.check_model(model)
        return model
