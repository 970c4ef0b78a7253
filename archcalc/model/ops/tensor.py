"""Parameter-free tensor plumbing: flatten, residual add, scale multiply, channel concat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import Op, Shape, fmt_shape, numel
from archcalc.model.ops.counting import Tally, rule

ADD_ELEMENT = rule("add output element (per input beyond the first)", tf=1)
"""TF's AddV2; torch's tools see ``a + b`` (not ``torch.add``: ptflops patches only the latter,
torchprofile lists ``aten::add`` as free)."""
MUL_ELEMENT = rule("multiply output element", torchprofile=1, tf=1)
"""torchprofile counts ``aten::mul`` per output element; TF's Mul; ptflops patches only ``torch.mul``."""


@dataclass(slots=True, unsafe_hash=True)
class Flatten(Op):
    """C×H×W → (C·H·W,).  0 MACs."""

    kind: ClassVar[str] = "flatten"
    level_rule = "flatten"
    latency_kind = "view"

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return (numel(inputs[0]),)

    def category(self) -> str:
        return "Reshape"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Flatten()


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

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        if len(inputs) < 2 or any(s != inputs[0] for s in inputs):
            raise ArchcalcError(f"add needs equal shapes, got {', '.join(map(fmt_shape, inputs))}")
        return inputs[0]

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """(inputs − 1) · output elements."""
        return ((ADD_ELEMENT, (len(inputs) - 1) * numel(out)),)

    def category(self) -> str:
        return "Elementwise"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Add()


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

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """Output elements."""
        return ((MUL_ELEMENT, numel(out)),)

    def category(self) -> str:
        return "Elementwise"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Mul()


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


@dataclass(slots=True, unsafe_hash=True)
class Slice(Op):
    """Channels [start, stop) of a map (ShuffleNet V2's channel split).  0 MACs."""

    kind: ClassVar[str] = "slice"
    level_rule = "same"
    latency_kind = "view"
    start: int
    stop: int

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
