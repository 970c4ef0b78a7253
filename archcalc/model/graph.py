"""The resolved graph: a DAG of primitive layers, each knowing its input and output shapes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from archcalc.errors import ArchcalcError, CollapseError
from archcalc.inputs.limits import MAX_CHANNELS, MAX_NODES
from archcalc.model.ops import Op, Shape

INPUT = "input"
"""Name of the graph's input tensor, usable as a node input."""

__all__ = ["INPUT", "MAX_NODES", "Graph", "GraphBuilder", "Node"]
"""``MAX_NODES`` (:mod:`archcalc.inputs.limits`): most primitive layers in one graph (the largest built-in
network has under 400); a spec whose ``repeat`` counts go past it is refused instead of expanding
for minutes. ``MAX_CHANNELS``: most channels of any C×H×W tensor, however it was made."""


@dataclass(slots=True)
class Node:
    """One primitive layer: its name, op, the names of the tensors it reads, and shapes.

    A value, never changed after :meth:`GraphBuilder.add` makes it (not ``frozen``, which would
    make building a graph slower; see :class:`archcalc.model.ops.Op`)."""

    name: str
    op: Op
    inputs: tuple[str, ...]
    in_shapes: tuple[Shape, ...]
    out_shape: Shape
    row: str = ""  # the spec entry (or design) this layer was expanded from

    @property
    def kind(self) -> str:
        return self.op.kind


@dataclass(frozen=True, slots=True)
class BlockSpan:
    """One instance of a spec row (``sep7.2`` of a repeated row): nodes ``start`` to ``stop − 1``."""

    name: str
    kind: str
    start: int
    stop: int


@dataclass(slots=True)
class Graph:
    """Nodes in topological (construction) order; node ``i`` reads only earlier tensors.

    ``blocks`` are the spec rows' instances in order, each a run of consecutive nodes (empty for
    graphs not built from a spec)."""

    input_shape: Shape
    nodes: list[Node] = field(default_factory=list)
    blocks: list[BlockSpan] = field(default_factory=list)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


class GraphBuilder:
    """Appends primitives to a graph, inferring shapes; tracks the current tensor of a chain."""

    def __init__(self, input_shape: Shape) -> None:
        self.graph = Graph(input_shape=input_shape)
        self._shapes: dict[str, Shape] = {INPUT: input_shape}
        self.current = INPUT
        self.row = ""
        self.nominal: int | None = input_shape[0]
        """The current tensor's width before α: the previous row's ``out`` (None after a row without
        one); what Keras's MobileNetV3 divides the table's expanded width by (``exp_from: input``)."""
        self.sources: tuple[str, ...] | None = None  # the tensors the row being expanded reads (``from``)
        self.row_outputs: dict[str, str] = {}  # row name → the tensor its last layer wrote

    def tensor_of(self, ref: str, where: str) -> str:
        """The tensor a spec reference names: ``input``, an earlier row (its output) or a layer."""
        if ref == INPUT:
            return INPUT
        if ref in self.row_outputs:
            return self.row_outputs[ref]
        if ref in self._shapes:
            return ref
        raise ArchcalcError(f"{where}: no earlier row or layer is named {ref!r}")

    def has(self, tensor: str) -> bool:
        """Whether ``tensor`` (a layer's name, or ``input``) has been written."""
        return tensor in self._shapes

    def shape(self, tensor: str | None = None) -> Shape:
        return self._shapes[tensor or self.current]

    def op(
        self, name: str, cls: type[Op], *args: object, inputs: Sequence[str] | None = None, **kwargs: object
    ) -> str:
        """Construct ``cls(*args, **kwargs)`` (errors name the layer) and :meth:`add` it."""
        try:
            op = cls(*args, **kwargs)
        except ArchcalcError as e:
            raise ArchcalcError(f"layer {name} ({cls.kind}): {e}") from None
        return self.add(name, op, inputs)

    def add(self, name: str, op: Op, inputs: Sequence[str] | None = None) -> str:
        """Add ``op`` reading ``inputs`` (default: the current tensor); it becomes current."""
        shapes = self._shapes
        if inputs is None and op.n_inputs == 0:
            ins: tuple[str, ...] = ()
            in_shapes: tuple[Shape, ...] = ()
        elif inputs is None:
            ins = (self.current,)
            in_shapes = (shapes[self.current],)
        else:
            ins = tuple(inputs)
            in_shapes = tuple([shapes[i] for i in ins])
        if name in shapes:
            raise ArchcalcError(f"layer name {name!r} is used twice")
        nodes = self.graph.nodes
        if len(nodes) >= MAX_NODES:
            raise ArchcalcError(f"layer {name}: the network has more than {MAX_NODES:,} layers")
        if op.n_inputs is not None and len(ins) != op.n_inputs:
            raise ArchcalcError(f"layer {name}: {op.kind} takes {op.n_inputs} input(s), got {len(ins)}")
        try:
            out = op.out_shape(in_shapes)
        except CollapseError as e:
            raise CollapseError(f"layer {name} ({op.kind}): {e}") from None
        except ArchcalcError as e:
            raise ArchcalcError(f"layer {name} ({op.kind}): {e}") from None
        if len(out) == 3 and out[0] > MAX_CHANNELS:  # a product of bounded sizes (t·c, a concat)
            raise ArchcalcError(
                f"layer {name} ({op.kind}): {out[0]:,} output channels is more than the "
                f"{MAX_CHANNELS:,} supported"
            )
        nodes.append(Node(name, op, ins, in_shapes, out, self.row))
        shapes[name] = out
        self.current = name
        return name
