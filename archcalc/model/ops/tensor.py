"""Parameter-free tensor plumbing: flatten, residual add, scale multiply, channel concat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import LayerRow, OnnxSink, Op, Shape, fmt_shape, numel


@dataclass(slots=True, unsafe_hash=True)
class Flatten(Op):
    """C×H×W → (C·H·W,).  0 MACs. A reshape of the pooled map: the papers' tables give it no row."""

    kind: ClassVar[str] = "flatten"
    folds_into_previous = True
    level_rule = "flatten"
    latency_kind = "view"

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return (numel(inputs[0]),)

    def category(self) -> str:
        return "Reshape"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Flatten()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Flatten`` from axis 1 (the batch stays)."""
        sink.node("Flatten", [inputs[0]], name, name, axis=1)


@dataclass(slots=True, unsafe_hash=True)
class Add(Op):
    """Element-wise sum of equal-shape tensors (residual add).  0 MACs (fvcore skips aten::add)."""

    kind: ClassVar[str] = "add"
    n_inputs: ClassVar[int | None] = None
    level_rule = "same"
    latency_kind = "elementwise"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::add": "residual add: 0 MACs (paper, fvcore, torch)",
        "aten::add_": "residual add: 0 MACs (paper, fvcore, torch)",
    }

    @classmethod
    def joins_kernel(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """onnxruntime adds a residual inside the convolution that writes one of its two inputs (the
        first such input; the sum input of ``FusedConv`` / the NCHWc conv), after a folded batch norm
        and before any activation."""
        return (
            backend == "onnxruntime"
            and len(row.inputs) == 2
            and kernel[0].kind == "conv2d"
            and all(k.kind in ("conv2d", "batchnorm2d") for k in kernel)
        )

    @classmethod
    def row_tail_feature(cls, row: LayerRow) -> tuple[str, float]:
        return "fused_add", 1.0

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        if len(inputs) < 2 or any(s != inputs[0] for s in inputs):
            raise ArchcalcError(f"add needs equal shapes, got {', '.join(map(fmt_shape, inputs))}")
        return inputs[0]

    def category(self) -> str:
        return "Elementwise"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Add()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Add`` of two tensors, ``Sum`` of more."""
        sink.node("Add" if len(inputs) == 2 else "Sum", list(inputs), name, name)


@dataclass(slots=True, unsafe_hash=True)
class Mul(Op):
    """Element-wise product with broadcasting of a C×1×1 gate (squeeze-and-excite scale).  0 MACs."""

    kind: ClassVar[str] = "mul"
    n_inputs: ClassVar[int | None] = 2
    level_rule = "same"
    broadcasts_gate = True
    latency_kind = "elementwise"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::mul": "squeeze-and-excite scale: 0 MACs (paper, fvcore, torch)"
    }

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        a, b = inputs
        if len(a) != len(b) or any(x != y and y != 1 for x, y in zip(a, b, strict=True)):
            raise ArchcalcError(f"mul cannot broadcast {fmt_shape(b)} onto {fmt_shape(a)}")
        return a

    def category(self) -> str:
        return "Elementwise"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Mul()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Mul`` (the C×1×1 gate broadcasts as in torch)."""
        sink.node("Mul", list(inputs), name, name)


@dataclass(slots=True, unsafe_hash=True)
class Concat(Op):
    """Concatenation along channels of maps with equal H×W.  0 MACs."""

    kind: ClassVar[str] = "concat"
    n_inputs: ClassVar[int | None] = None
    level_rule = "same"
    latency_kind = "copy"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::cat": "concat: 0 MACs"}

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        if len(inputs) < 2 or any(s[1:] != inputs[0][1:] for s in inputs):
            raise ArchcalcError(f"concat needs equal spatial sizes, got {', '.join(map(fmt_shape, inputs))}")
        return (sum(s[0] for s in inputs), *inputs[0][1:])

    def category(self) -> str:
        return "Concat"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Concat()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Concat`` along channels (axis 1)."""
        sink.node("Concat", list(inputs), name, name, axis=1)


@dataclass(slots=True, unsafe_hash=True)
class Slice(Op):
    """Channels [start, stop) of a map (ShuffleNet V2's channel split).  0 MACs."""

    kind: ClassVar[str] = "slice"
    level_rule = "same"
    latency_kind = "view"
    start: int
    stop: int

    @classmethod
    def joins_sibling(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """onnxruntime turns channel slices of one tensor into a single ``Split`` (ShuffleNet V2's
        channel split)."""
        return backend == "onnxruntime" and all(k.kind == "slice" for k in kernel)

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if not 0 <= self.start < self.stop <= shape[0]:
            raise ArchcalcError(f"channel slice [{self.start}, {self.stop}) is outside 0..{shape[0]}")
        return (self.stop - self.start, *shape[1:])

    def category(self) -> str:
        return "Reshape"

    def describe(self) -> str:
        return f"channels {self.start}:{self.stop}"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Slice(self.start, self.stop)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Slice`` of channels [start, stop) on axis 1."""
        starts, ends = sink.ints(f"{name}.starts", [self.start]), sink.ints(f"{name}.ends", [self.stop])
        sink.node("Slice", [inputs[0], starts, ends, sink.ints(f"{name}.axes", [1])], name, name)


@dataclass(slots=True, unsafe_hash=True)
class ChannelShuffle(Op):
    """ShuffleNet's channel shuffle with g groups: reshape to g×(C/g), transpose, flatten.  0 MACs."""

    kind: ClassVar[str] = "shuffle"
    per_channel = True
    level_rule = "same"
    latency_kind = "copy"
    groups: int

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if shape[0] % self.groups:
            raise ArchcalcError(
                f"channel shuffle with {self.groups} groups needs channels divisible by it, got {shape[0]}"
            )
        return shape

    def category(self) -> str:
        return "Reshape"

    def describe(self) -> str:
        return f"g{self.groups}"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.ChannelShuffle(self.groups)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Reshape`` to N × g × C/g × H × W, ``Transpose`` the two channel axes, ``Reshape`` back."""
        c, h, w = in_shapes[0]
        split = sink.ints(f"{name}.split_shape", [0, self.groups, c // self.groups, h, w])
        r = sink.node("Reshape", [inputs[0], split], f"{name}/split", f"{name}/split")
        t = sink.node("Transpose", [r], f"{name}/transpose", f"{name}/transpose", perm=[0, 2, 1, 3, 4])
        sink.node("Reshape", [t, sink.ints(f"{name}.shape", [0, c, h, w])], name, name)
