"""Pooling: windowed max / average and global (adaptive) pooling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError, CollapseError
from archcalc.model.ops.base import LayerRow, OnnxSink, Op, Shape, numel
from archcalc.model.ops.conv import conv_out_size
from archcalc.model.ops.counting import Tally, rule

MAX_POOL_INPUT = rule("max pool input element", ptflops=2)
AVG_POOL_INPUT = rule("avg pool input element", ptflops=2)
"""ptflops hooks the pooling module and also patches F.max_pool2d / F.avg_pool2d: twice per input."""
AVG_POOL_OUTPUT = rule("avg pool output element", thop=1, torchprofile=1)
POOL_WINDOW = rule("pool window element (k² per output element)", tf=1)
"""TF's MaxPool / AvgPool: kernel area × output elements."""
ADAPTIVE_AVG_INPUT = rule("adaptive avg pool input element", fvcore=1, ptflops=2, tf=1)
"""fvcore: 1 per input element; ptflops: twice (hook + F.adaptive_avg_pool2d); TF: Mean is 1 per input
element (an adaptive pool to o×o of a map whose sides o divides is an AvgPool, k²·o² = the input)."""
ADAPTIVE_AVG_IDENTITY = rule("adaptive avg pool input element, output the same size", fvcore=1, ptflops=2)
"""An adaptive pool to o×o > 1×1 that keeps the size is an identity; the Keras model has no such layer
(torchvision's VGG16 pools to 7×7, Keras's flattens the 7×7 map). A global pool stays a Mean."""
ADAPTIVE_AVG_OUTPUT = rule("adaptive avg pool output element", torchprofile=1)
ADAPTIVE_AVG_THOP = rule("adaptive avg pool, thop's ((H/o)·(W/o) + 1) per output element", thop=1)
"""thop 0.1.1 ``count_adap_avgpool``: (H/o · W/o + 1) · output elements, in float64, truncated."""
ADAPTIVE_MAX_INPUT = rule("adaptive max pool input element", ptflops=2)
MEAN_INPUT = rule("mean input element (TF's Mean)", tf=1)
MEAN_OUTPUT = rule("mean output element (torchprofile's aten::mean)", torchprofile=1)
"""``x.mean(dims)``: ptflops does not patch ``Tensor.mean``, thop and torchinfo see no rule."""


def _ceil_out(size: int, k: int, stride: int, padding: int) -> int:
    """torch ceil_mode: ⌈(D + 2p − k)/s⌉ + 1, minus one if the last window starts in the padding."""
    out = -(-(size + 2 * padding - k) // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Pool2d(Op):
    """Max or average pooling with a k×k window.  0 MACs (papers and fvcore alike)."""

    kind: ClassVar[str] = "pool2d"
    level_rule = "window"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::max_pool2d": "max pool: 0 MACs",
        "aten::avg_pool2d": "windowed avg pool: 0 MACs (fvcore counts only the adaptive one)",
    }
    op: str  # "max" | "avg"
    kernel: int
    stride: int
    padding: int = 0
    ceil_mode: bool = False

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """onnxruntime's ``TransformPool``: max and average pooling run blocked when the channels are
        a multiple of ``block`` (an unblocked input is reordered)."""
        return int(row.output_shape[0]) % block == 0

    @classmethod
    def row_latency_kind(cls, row: LayerRow) -> str:
        """``maxpool`` or ``avgpool``: the row's ``args`` starts with the pooling op (:meth:`describe`)."""
        return "maxpool" if row.args.startswith("max") else "avgpool"

    @classmethod
    def row_window(cls, row: LayerRow) -> tuple[float, float]:
        """The window side from the args :meth:`describe` wrote (``max 3×3 s2``)."""
        args = row.args.split()
        return (float(args[1].split("×")[0]) if len(args) > 1 else 1.0), 0.0

    def side_key(self) -> tuple:
        return (self.kind, self.kernel, self.stride, self.padding, None, self.ceil_mode)

    def keeps_side(self) -> bool:
        """Stride 1 and 2p = k − 1 (any ceil mode)."""
        return self.stride == 1 and 2 * self.padding == self.kernel - 1

    def __post_init__(self) -> None:
        if self.padding > self.kernel // 2:
            raise ArchcalcError(
                f"pool padding {self.padding} is more than half the {self.kernel}×{self.kernel} window"
            )

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if len(shape) != 3:
            raise ArchcalcError(f"{self.op} pool expects a C×H×W map, got a vector")
        c, h, w = shape
        if self.ceil_mode:
            ho = _ceil_out(h, self.kernel, self.stride, self.padding)
            wo = _ceil_out(w, self.kernel, self.stride, self.padding)
        else:
            ho = conv_out_size(h, self.kernel, self.stride, self.padding, 1)
            wo = conv_out_size(w, self.kernel, self.stride, self.padding, 1)
        if ho < 1 or wo < 1:
            raise CollapseError(
                f"output collapses to zero size ({h}×{w} input, {self.kernel}×{self.kernel} "
                f"window, stride {self.stride}, padding {self.padding})"
            )
        return (c, ho, wo)

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """Input elements (ptflops), output elements (thop, torchprofile: avg only), k²·output (TF)."""
        window = (POOL_WINDOW, self.kernel * self.kernel * numel(out))
        if self.op == "max":
            return ((MAX_POOL_INPUT, numel(inputs[0])), window)
        return ((AVG_POOL_INPUT, numel(inputs[0])), (AVG_POOL_OUTPUT, numel(out)), window)

    def category(self) -> str:
        return "Pool"

    def describe(self) -> str:
        return f"{self.op} {self.kernel}×{self.kernel} s{self.stride}"

    def torch_module(self) -> Any:
        from torch import nn

        cls = nn.MaxPool2d if self.op == "max" else nn.AvgPool2d
        return cls(self.kernel, self.stride, self.padding, ceil_mode=self.ceil_mode)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``MaxPool`` / ``AveragePool`` with torch's defaults (average counts the padding)."""
        attrs: dict[str, Any] = {
            "kernel_shape": [self.kernel, self.kernel],
            "strides": [self.stride, self.stride],
            "pads": [self.padding] * 4,
            "ceil_mode": int(self.ceil_mode),
        }
        if self.op == "max":
            sink.node("MaxPool", [inputs[0]], name, name, **attrs)
        else:
            sink.node("AveragePool", [inputs[0]], name, name, count_include_pad=1, **attrs)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class AdaptivePool2d(Op):
    """Adaptive pooling of a C×H×W map to C×o×o (o = 1: global pooling).

    0 MACs for the papers; fvcore counts ``adaptive_avg_pool2d`` as 1 per input element (C·H·W),
    whatever the output size, and skips adaptive max pooling.
    """

    kind: ClassVar[str] = "adaptive_pool"
    level_rule = "fixed"
    latency_kind = "global_pool"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::adaptive_max_pool2d": "global max pool: 0 MACs"}
    op: str  # "avg" | "max"
    output: int = 1

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """Exported as a windowed pool (output > 1): as :meth:`Pool2d.runs_blocked`. As a global
        pool (output 1): only on a blocked input, with channels a multiple of ``block``."""
        if int(row.output_shape[0]) % block:
            return False
        return all(inputs_blocked) or int(row.output_shape[-1]) > 1

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if len(shape) != 3:
            raise ArchcalcError("adaptive pool expects a C×H×W map, got a vector")
        return (shape[0], self.output, self.output)

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return numel(inputs[0]) if self.op == "avg" else 0

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """Input and output elements, and thop's (H/o · W/o + 1) per output element (avg only)."""
        if self.op == "max":
            return ((ADAPTIVE_MAX_INPUT, numel(inputs[0])),)
        _, h, w = inputs[0]
        o = self.output
        n_out = numel(out)
        thop = int(((h / o) * (w / o) + 1) * n_out)
        same = o > 1 and (h, w) == (o, o)  # a global pool of a 1×1 map is still Keras's Mean
        return (
            (ADAPTIVE_AVG_IDENTITY if same else ADAPTIVE_AVG_INPUT, numel(inputs[0])),
            (ADAPTIVE_AVG_OUTPUT, n_out),
            (ADAPTIVE_AVG_THOP, thop),
        )

    def category(self) -> str:
        return "Pool"

    def describe(self) -> str:
        return (
            f"global {self.op}" if self.output == 1 else f"adaptive {self.op} → {self.output}×{self.output}"
        )

    def torch_module(self) -> Any:
        from torch import nn

        cls = nn.AdaptiveAvgPool2d if self.op == "avg" else nn.AdaptiveMaxPool2d
        return cls(self.output)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """Output 1: ``GlobalAveragePool`` / ``GlobalMaxPool``. Output o > 1 on a side divisible by o:
        a pool with window = stride = side / o (what adaptive pooling computes then); ONNX has no
        adaptive pooling for other sides, which is refused."""
        _, h, w = in_shapes[0]
        if self.output == 1:
            sink.node("GlobalAveragePool" if self.op == "avg" else "GlobalMaxPool", [inputs[0]], name, name)
            return
        if h % self.output or w % self.output:
            raise ArchcalcError(
                f"layer {name}: adaptive pooling of {h}×{w} to {self.output}×{self.output} has "
                "unequal windows, which ONNX cannot express"
            )
        k = [h // self.output, w // self.output]
        sink.node(
            "MaxPool" if self.op == "max" else "AveragePool",
            [inputs[0]],
            name,
            name,
            kernel_shape=k,
            strides=k,
        )


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Mean(Op):
    """Mean over ``dims`` (of the sample's tensor), ``x.mean((2, 3), keepdim=True)`` in torch terms
    with the batch dimension counted: dims here exclude it, so that is ``dims=(1, 2)``.

    0 MACs under every convention: fvcore skips ``aten::mean`` (unlike ``adaptive_avg_pool2d``,
    which it counts at 1 per input element, so the two ways of writing a global average pool
    count differently there) and FlopCounterMode counts none.
    """

    kind: ClassVar[str] = "mean"
    latency_kind = "global_pool"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::mean": "mean: 0 MACs (fvcore counts adaptive_avg_pool2d, not mean)"
    }
    dims: tuple[int, ...]
    keepdim: bool = False

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        dims = {d % len(shape) for d in self.dims if -len(shape) <= d < len(shape)}
        if len(dims) != len(self.dims):
            raise ArchcalcError(f"mean over dims {list(self.dims)} of a {len(shape)}-d tensor")
        if self.keepdim:
            return tuple(1 if i in dims else s for i, s in enumerate(shape))
        return tuple(s for i, s in enumerate(shape) if i not in dims)

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        return ((MEAN_INPUT, numel(inputs[0])), (MEAN_OUTPUT, numel(out)))

    def category(self) -> str:
        return "Pool"

    def describe(self) -> str:
        return f"mean dims {','.join(map(str, self.dims))}" + (" keepdim" if self.keepdim else "")

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Mean(tuple(d if d < 0 else d + 1 for d in self.dims), self.keepdim)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``ReduceMean`` over ``dims`` (+1 for the batch; opset 17 takes them as an attribute)."""
        axes = [d + 1 if d >= 0 else d for d in self.dims]
        sink.node("ReduceMean", [inputs[0]], name, name, axes=axes, keepdims=int(self.keepdim))
