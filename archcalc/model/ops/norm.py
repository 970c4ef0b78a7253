"""Batch normalisation (inference mode)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import Op, Shape


@dataclass(slots=True, unsafe_hash=True)
class BatchNorm2d(Op):
    """Batch norm over C channels, eval mode.

    params (torch) = 2C (γ, β); buffers = 2C (running mean, variance); paper MACs = 0.
    fvcore MACs = 2 per input element with affine (γ, β), 1 without (``batchnorm_flop_jit``).
    """

    kind: ClassVar[str] = "batchnorm2d"
    folds_into_previous = True
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

    def fold_label(self) -> str:
        return "BN"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.BatchNorm2d(self.channels, affine=self.affine)
