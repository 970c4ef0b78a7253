"""Fully connected layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import Op, Shape, fmt_shape
from archcalc.model.ops.counting import MAC_COUNTERS, Tally, rule

LINEAR_MACS = rule("linear multiply-add", **MAC_COUNTERS, tf=2)
"""MatMul: 2 FLOPs per multiply-add in TF's profiler."""
LINEAR_BIAS = rule("linear bias add", ptflops=1, torchinfo=1, tf=1)
"""ptflops' linear hook and torchinfo (batch × params) count it; so does TF's BiasAdd."""


@dataclass(slots=True, unsafe_hash=True)
class Linear(Op):
    """Fully connected M → N.  params = M·N (+ N bias);  MACs = M·N."""

    kind: ClassVar[str] = "linear"
    level_rule = "vector"
    latency_kind = "linear"
    in_features: int
    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        if self.in_features < 1 or self.out_features < 1:
            raise ArchcalcError(
                f"linear has {self.in_features} inputs and {self.out_features} outputs; "
                "both must be at least 1"
            )

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if shape != (self.in_features,):
            raise ArchcalcError(
                f"linear expects a vector of {self.in_features} features, got shape "
                f"{fmt_shape(shape)} (flatten or pool first)"
            )
        return (self.out_features,)

    def weight_params(self) -> int:
        return self.in_features * self.out_features + self.bias_params()

    def bias_params(self) -> int:
        return self.out_features if self.bias else 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return self.in_features * self.out_features

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """M·N multiply-adds, and N bias adds with a bias."""
        macs = self.in_features * self.out_features
        if self.bias:
            return ((LINEAR_MACS, macs), (LINEAR_BIAS, self.out_features))
        return ((LINEAR_MACS, macs),)

    def category(self) -> str:
        return "Fully Connected"

    def describe(self) -> str:
        return f"{self.in_features}×{self.out_features}"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Linear(self.in_features, self.out_features, self.bias)
