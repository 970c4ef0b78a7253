"""Normalisation layers: batch norm (inference mode) and layer norm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import LayerRow, OnnxSink, Op, Shape, fmt_shape
from archcalc.model.ops.counting import Tally, rule

BN_ELEMENT = rule("batch norm output element", fvcore=2, ptflops=2, thop=4, torchprofile=1, tf=2)
"""fvcore and ptflops: 2 with γ, β; thop 0.1.1: 2 × 2 (``calculate_norm`` is 2 per element, then
doubled for affine); torchprofile: 1 (``aten::batch_norm`` output); TF: Keras 3 runs BN unfused at
inference, ``x·inv + (β − mean·inv)``, a Mul and an AddV2 per element."""
BN_CHANNEL = rule("batch norm channel", torchinfo=2, tf=6)
"""torchinfo counts a non-conv layer's mult-adds as batch × its params (γ, β); TF's per-channel
ops are var + ε (1), Rsqrt (2), × γ (1), mean × inv (1) and β − … (1)."""
LN_ELEMENT = rule("layer norm element", fvcore=5, ptflops=1, thop=4, torchprofile=1, tf=9)
"""fvcore's norm handle: 5 with γ; ptflops' norm hook: 1 (nn.LayerNorm has no ``affine``, so it is
not doubled); thop 0.1.1: 2, doubled with ``elementwise_affine``; torchprofile: aten::layer_norm's
output; TF's profiler on Keras's LayerNormalization: 9 per element and 4 per row."""
LN_ROW = rule("layer norm row (TF: the moments' per-row ops)", tf=4)
LN_PARAMS = rule("layer norm γ or β (torchinfo: batch × params)", torchinfo=1)
LN_PLAIN_ELEMENT = rule("layer norm element (no γ, β)", fvcore=4, ptflops=1, thop=2, tf=6)
LN_PLAIN_ROW = rule("layer norm row (no γ, β; TF)", tf=5)
BN_PLAIN_ELEMENT = rule("batch norm output element (no γ, β)", fvcore=1, ptflops=1, thop=2, tf=2)
BN_PLAIN_CHANNEL = rule("batch norm channel (no γ, β)", tf=5)
"""Without γ, β: var + ε, Rsqrt (2), −mean (Neg), × inv; read from ``tf.nn.batch_normalization``
(no Keras application has such a layer to measure)."""


@dataclass(slots=True, unsafe_hash=True, repr=False)
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

    @classmethod
    def joins_kernel(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """onnxruntime folds inference batch norm into the convolution right before it (its
        ``ConvBNFusion``: W' = γ·W/σ, b' = γ·(b − μ)/σ + β)."""
        return backend == "onnxruntime" and len(kernel) == 1 and kernel[0].kind == "conv2d"

    @classmethod
    def row_tail_feature(cls, row: LayerRow) -> tuple[str, float]:
        return "fused_bn", 1.0

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """On a blocked input, onnxruntime runs a batch norm as a blocked depthwise 1×1 conv."""
        return all(inputs_blocked)

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

    def fold_label(self) -> str:
        return "BN"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.BatchNorm2d(self.channels, affine=self.affine)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``BatchNormalization`` (inference): scale γ, bias β, running mean and variance, C each.
        Without ``affine``, γ = 1 and β = 0 as constants."""
        c = self.channels
        if self.affine:
            scale, bias = (
                sink.weight(f"{name}.weight", (c,), "scale"),
                sink.weight(f"{name}.bias", (c,), "bias"),
            )
        else:
            scale, bias = sink.floats(f"{name}.ones", [1.0] * c), sink.floats(f"{name}.zeros", [0.0] * c)
        mean = sink.weight(f"{name}.running_mean", (c,), "mean")
        var = sink.weight(f"{name}.running_var", (c,), "var")
        sink.node("BatchNormalization", [inputs[0], scale, bias, mean, var], name, name, epsilon=1e-5)


@dataclass(slots=True, unsafe_hash=True, repr=False)
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

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """Elements, rows (elements ÷ the normalised shape) and γ, β, as each counter charges them."""
        n = prod(inputs[0])
        rows = n // prod(self.shape)
        if self.affine:
            return ((LN_ELEMENT, n), (LN_ROW, rows), (LN_PARAMS, self.norm_params()))
        return ((LN_PLAIN_ELEMENT, n), (LN_PLAIN_ROW, rows))

    def category(self) -> str:
        return "LayerNorm"

    def describe(self) -> str:
        return fmt_shape(self.shape)

    def torch_module(self) -> Any:
        from torch import nn

        return nn.LayerNorm(self.shape, elementwise_affine=self.affine, bias=self.bias)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``LayerNormalization`` over the last ``len(shape)`` axes (γ = 1, β = 0 as constants
        where torch has none)."""
        n = prod(self.shape)
        scale = (
            sink.weight(f"{name}.weight", self.shape, "scale")
            if self.affine
            else sink.floats(f"{name}.ones", [1.0] * n)
        )
        ins = [inputs[0], scale]
        if self.affine and self.bias:
            ins.append(sink.weight(f"{name}.bias", self.shape, "bias"))
        sink.node("LayerNormalization", ins, name, name, axis=-len(self.shape), epsilon=1e-5)
