"""The primitive-op protocol: every primitive layer kind answers the same questions.

A resolved graph is made of primitives only (conv with groups, linear, batch norm, activation,
pooling, add, multiply, concat, flatten). Each primitive kind is one slotted dataclass that knows
its output shape, its parameters, its multiply-accumulates (MACs) under each counting convention,
and the weight elements it reads. Cost, traffic and (later) the torch builder are looked up by
``kind``; nothing else in the code branches on layer kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any, ClassVar, Protocol

Shape = tuple[int, ...]
"""A tensor shape without the batch dimension: ``(C, H, W)`` for maps, ``(F,)`` for vectors."""


def fmt_shape(shape: Shape | list[int]) -> str:
    """``(32, 112, 112)`` → ``32×112×112``."""
    return "×".join(str(d) for d in shape)


def numel(shape: Shape) -> int:
    """Number of elements of one sample's tensor: the product of its dimensions."""
    return prod(shape)


class KernelRow(Protocol):
    """What the kernel-fusion facts read of a layer row (``closed_form.LayerCost``)."""

    name: str
    kind: str
    category: str
    args: str
    inputs: Sequence[str]


class OnnxSink(Protocol):
    """Where :meth:`Op.onnx_nodes` writes a layer as ONNX (``archcalc.export.onnx`` implements it,
    so the op classes never import onnx)."""

    def node(self, op_type: str, inputs: Sequence[str], output: str, name: str, **attrs: Any) -> str:
        """Append an ONNX node ``op_type`` named ``name`` reading ``inputs``; returns ``output``."""
        ...

    def weight(self, name: str, shape: Shape, role: str = "weight") -> str:
        """A random float32 initializer (role: ``weight`` (He-normal over the fan-in ``shape[1:]``),
        ``bias``, ``scale``, ``mean`` or ``var`` (positive)); returns its name."""
        ...

    def ints(self, name: str, values: Sequence[int]) -> str:
        """An int64 initializer (shapes, slice bounds); returns its name."""
        ...

    def floats(self, name: str, values: Sequence[float]) -> str:
        """A float32 initializer holding constants (a scalar when ``values`` has one element)."""
        ...


class Op:
    """Base class of primitive layer kinds.

    Subclasses are ``@dataclass(slots=True, unsafe_hash=True)`` values: never mutated after
    construction, hashed by their fields (the sweep engine memoises on ops). They are not
    ``frozen=True`` because a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, which made building ops a fifth of resolving a network.
    """

    kind: ClassVar[str]
    n_inputs: ClassVar[int | None] = 1  # None: any number >= 1

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        """Output shape for the given input shapes; raises on a mismatch or a collapsed map."""
        raise NotImplementedError

    def weight_params(self) -> int:
        """Learnable conv / linear weights and biases (the papers' parameter count)."""
        return 0

    def bias_params(self) -> int:
        """The bias part of :meth:`weight_params`."""
        return 0

    def norm_params(self) -> int:
        """Learnable normalisation parameters (batch norm γ and β): counted by torch, not papers."""
        return 0

    def buffer_elems(self) -> int:
        """Non-learnable state read at inference (batch norm running mean and variance)."""
        return 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        """Multiply-accumulates under the paper convention: conv and linear only."""
        return 0

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        """What fvcore's FlopCountAnalysis counts for this op (its default handles).

        The paper count unless a kind says otherwise: fvcore counts conv and linear as the papers
        do, adds batch norm and adaptive average pooling, and skips every other kind (0 MACs in the
        paper count too).
        """
        return self.macs(inputs, out)

    def weights_read(self) -> int:
        """Elements of weights and state read by one forward pass (traffic rule)."""
        return self.weight_params() + self.norm_params() + self.buffer_elems()

    def category(self) -> str:
        """The layer-type bucket of MobileNet V1 Table 2 (``Conv 1×1``, ``Fully Connected`` …)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short human description of the op's arguments (filter shape, stride …)."""
        return self.kind

    def torch_module(self) -> Any:
        """The equivalent ``torch.nn.Module`` (torch is imported only inside this method)."""
        raise NotImplementedError

    @classmethod
    def joins_kernel(cls, backend: str, row: KernelRow, kernel: Sequence[KernelRow]) -> bool:
        """Whether layer ``row`` of this kind runs inside ``kernel`` (the layer rows of the kernel that
        wrote its input, head first) on ``backend`` (``torch``: eager, one call per layer, so never;
        ``onnxruntime``: the CPU provider's default graph optimisations). Asked only when that input
        has no other reader (``archcalc.count.kernels``)."""
        return False

    @classmethod
    def joins_sibling(cls, backend: str, row: KernelRow, kernel: Sequence[KernelRow]) -> bool:
        """Whether layer ``row`` runs inside ``kernel``, an earlier kernel whose head reads exactly
        the same inputs, on ``backend``."""
        return False

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """Write the layer as ONNX nodes (opset 17) on ``sink``: reading tensors ``inputs`` (shapes
        ``in_shapes``, without the batch), the last node writing the tensor ``name`` and named
        ``name``; helper nodes are named ``name/…``. Weights are random (``sink.weight``)."""
        from archcalc.errors import ArchcalcError

        raise ArchcalcError(f"layer {name}: op {self.kind!r} has no ONNX export")
