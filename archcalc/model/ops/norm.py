"""Normalisation layers: batch norm (inference mode) and layer norm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import Op, Shape, fmt_shape


@dataclass(slots=True, unsafe_hash=True)
class BatchNorm2d(Op):
    """Batch norm over C channels, eval mode.

    params (torch) = 2C (γ, β); buffers = 2C (running mean, variance); paper MACs = 0.
    fvcore MACs = 2 per input element with affine (γ, β), 1 without (``batchnorm_flop_jit``).
    """

    kind: ClassVar[str] = "batchnorm2d"
    fuses_into_producer = True
    per_channel = True
    level_rule = "same"
    latency_kind = "batchnorm"
    channels: int
    affine: bool = True

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if shape[0] != self.channels:
            raise ArchcalcError(f"batch norm over {self.channels} channels got {shape[0]}")
        return shape

    def norm_params(self) -> int:
        return 2 * self.channels if self.affine else 0

    def buffer_elems(self) -> int:
        return 2 * self.channels

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return prod(inputs[0]) * (2 if self.affine else 1)

    def category(self) -> str:
        return "BatchNorm"

    def describe(self) -> str:
        return f"{self.channels}"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.BatchNorm2d(self.channels, affine=self.affine)


@dataclass(slots=True, unsafe_hash=True)
class LayerNorm(Op):
    """Layer norm over the trailing dimensions ``shape`` (torch's ``normalized_shape``).

    params (torch) = numel(shape) for γ (with ``affine``) + numel(shape) for β (with ``bias``);
    no buffers; paper MACs = 0; FlopCounterMode counts none.
    fvcore MACs = 5 per input element with γ, 4 without (``norm_flop_counter``: "a rough estimate").
    """

    kind: ClassVar[str] = "layernorm"
    latency_kind = "batchnorm"
    shape: tuple[int, ...]
    affine: bool = True
    bias: bool = True

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (x,) = inputs
        n = len(self.shape)
        if len(x) < n or tuple(x[len(x) - n :]) != self.shape:
            raise ArchcalcError(f"layer norm over {fmt_shape(self.shape)} got a {fmt_shape(x)} tensor")
        return x

    def norm_params(self) -> int:
        return prod(self.shape) * ((1 if self.affine else 0) + (1 if self.affine and self.bias else 0))

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return prod(inputs[0]) * (5 if self.affine else 4)

    def category(self) -> str:
        return "LayerNorm"

    def describe(self) -> str:
        return fmt_shape(self.shape)

    def torch_module(self) -> Any:
        from torch import nn

        return nn.LayerNorm(self.shape, elementwise_affine=self.affine, bias=self.bias)
