"""A resolved graph as an ONNX model, built with the ``onnx`` package alone (no torch).

Every node of the graph is written by its op class (``Op.onnx_nodes``): the layer's last ONNX node
is named after the layer and writes the tensor of that name, so a profiler's node names and the
tensors between layers are the spec's layer names; helper nodes are ``layer/…``. The input is
``input`` of shape ``batch × C × H × W`` (``batch`` symbolic unless a number is given); the output
is the graph's last layer. Weights are random, seeded (numpy's PCG64): convolution and linear
weights He-normal, N(0, 2 / fan-in), so activations keep their scale through a deep network;
biases N(0, 0.01); batch-norm γ ~ U(0.5, 1.5), β and the running mean ~ N(0, 0.01), the running
variance ~ U(0.5, 1.5). Opset :data:`OPSET` (ONNX 1.12+, onnxruntime 1.12+), IR version
:data:`IR_VERSION`.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from pathlib import Path
from typing import Any

from archcalc.errors import ArchcalcError, require
from archcalc.model.graph import INPUT, Graph
from archcalc.model.ops import Shape

OPSET = 17
IR_VERSION = 8


def require_onnx() -> None:
    """One line, not a traceback, when the ``onnx`` package is missing."""
    require(("onnx",), "this command", "onnx")


class _Sink:
    """Collects nodes and initializers for :func:`to_onnx` (implements ``archcalc.model.ops.OnnxSink``)."""

    def __init__(self, seed: int) -> None:
        import numpy as np
        from onnx import helper, numpy_helper

        self._np, self._helper, self._numpy_helper = np, helper, numpy_helper
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()

    def _unique(self, name: str) -> str:
        if name in self._names:
            raise ArchcalcError(f"ONNX name {name!r} is used twice")
        self._names.add(name)
        return name

    def node(self, op_type: str, inputs: Sequence[str], output: str, name: str, **attrs: Any) -> str:
        self.nodes.append(self._helper.make_node(op_type, list(inputs), [output], name=name, **attrs))
        return output

    def _add(self, name: str, array: Any) -> str:
        self.initializers.append(self._numpy_helper.from_array(array, self._unique(name)))
        return name

    def weight(self, name: str, shape: Shape, role: str = "weight") -> str:
        np, rng = self._np, self.rng
        if role == "weight":
            a = rng.standard_normal(shape) * (2.0 / max(prod(shape[1:]), 1)) ** 0.5
        elif role in ("scale", "var"):
            a = rng.uniform(0.5, 1.5, shape)
        else:  # bias, mean
            a = rng.standard_normal(shape) * 0.1
        return self._add(name, a.astype(np.float32))

    def ints(self, name: str, values: Sequence[int]) -> str:
        return self._add(name, self._np.array(list(values), dtype=self._np.int64))

    def floats(self, name: str, values: Sequence[float]) -> str:
        a = self._np.array(list(values), dtype=self._np.float32)
        return self._add(name, a.reshape(()) if len(values) == 1 else a)


class _DrySink:
    """An ``OnnxSink`` that keeps nothing: for asking the ops whether they can write themselves."""

    def node(self, op_type: str, inputs: Sequence[str], output: str, name: str, **attrs: Any) -> str:
        return output

    def weight(self, name: str, shape: Shape, role: str = "weight") -> str:
        return name

    def ints(self, name: str, values: Sequence[int]) -> str:
        return name

    def floats(self, name: str, values: Sequence[float]) -> str:
        return name


def exportable(graph: Graph) -> bool:
    """Whether every layer of ``graph`` has an ONNX form, as its op class says (``Op.onnx_nodes``
    refuses what it cannot write), without the ``onnx`` package or building a model."""
    sink = _DrySink()
    try:
        for node in graph:
            node.op.onnx_nodes(sink, node.name, node.inputs, node.in_shapes)
    except ArchcalcError:
        return False
    return True


def to_onnx(graph: Graph, name: str = "archcalc", *, seed: int = 0, batch: int | str = "batch") -> Any:
    """``graph`` as an ``onnx.ModelProto`` (see module doc), checked by ``onnx.checker``."""
    require_onnx()
    import onnx
    from onnx import TensorProto, helper

    sink = _Sink(seed)
    for node in graph:
        node.op.onnx_nodes(sink, node.name, node.inputs, node.in_shapes)
    out = graph.output
    g = helper.make_graph(
        sink.nodes,
        name,
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [batch, *graph.input_shape])],
        [helper.make_tensor_value_info(out.name, TensorProto.FLOAT, [batch, *out.out_shape])],
        sink.initializers,
    )
    model = helper.make_model(
        g,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="archcalc",
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def save(model: Any, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (its folder must exist); one-line errors naming ``-o``."""
    import onnx

    p = Path(path)
    if p.is_dir():
        raise ArchcalcError(f"-o {path}: is a directory")
    if not p.parent.is_dir():
        raise ArchcalcError(f"-o {path}: folder {p.parent} does not exist")
    try:
        onnx.save(model, str(p))
    except OSError as e:
        raise ArchcalcError(f"-o {path}: cannot write ({e.strerror or e})") from None
    return p


__all__ = ["IR_VERSION", "OPSET", "require_onnx", "save", "to_onnx"]
