"""Batch normalisation (inference mode)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import Op, Shape
from archcalc.model.ops.counting import Tally, rule

BN_ELEMENT = rule("batch norm output element", fvcore=2, ptflops=2, thop=4, torchprofile=1, tf=2)
"""fvcore and ptflops: 2 with γ, β; thop 0.1.1: 2 × 2 (``calculate_norm`` is 2 per element, then
doubled for affine); torchprofile: 1 (``aten::batch_norm`` output); TF: Keras 3 runs BN unfused at
inference, ``x·inv + (β − mean·inv)``, a Mul and an AddV2 per element."""
BN_CHANNEL = rule("batch norm channel", torchinfo=2, tf=6)
"""torchinfo counts a non-conv layer's mult-adds as batch × its params (γ, β); TF's per-channel
ops are var + ε (1), Rsqrt (2), × γ (1), mean × inv (1) and β − … (1)."""
BN_PLAIN_ELEMENT = rule("batch norm output element (no γ, β)", fvcore=1, ptflops=1, thop=2, tf=2)
BN_PLAIN_CHANNEL = rule("batch norm channel (no γ, β)", tf=5)
"""Without γ, β: var + ε, Rsqrt (2), −mean (Neg), × inv; read from ``tf.nn.batch_normalization``
(no Keras application has such a layer to measure)."""


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

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """C·H·W output elements and C channels, charged as :data:`BN_ELEMENT` / :data:`BN_CHANNEL`."""
        if self.affine:
            return ((BN_ELEMENT, prod(inputs[0])), (BN_CHANNEL, self.channels))
        return ((BN_PLAIN_ELEMENT, prod(inputs[0])), (BN_PLAIN_CHANNEL, self.channels))

    def category(self) -> str:
        return "BatchNorm"

    def describe(self) -> str:
        return f"{self.channels}"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.BatchNorm2d(self.channels, affine=self.affine)
