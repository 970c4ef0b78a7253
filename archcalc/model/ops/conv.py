"""2-D convolution with groups: standard, depthwise, pointwise and group convolutions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import prod
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError, CollapseError
from archcalc.model.ops.base import LayerRow, OnnxSink, Op, Shape, fmt_shape
from archcalc.model.ops.counting import MAC_COUNTERS, Tally, rule

CONV_MACS = rule("conv multiply-add", **MAC_COUNTERS, tf=2)
"""Conv2D / DepthwiseConv2dNative: 2 FLOPs per multiply-add in TF's profiler."""
CONV_BIAS = rule("conv bias add (1 per output element)", ptflops=1, torchinfo=1, tf=1)
"""ptflops' conv hook and torchinfo (bias params × output positions) count it; so does TF's BiasAdd."""
CONV_T_MACS = rule("transposed conv multiply-add", paper=1, fvcore=1, torch=1, ptflops=1, tf=2)
"""C_in·H_in·W_in·(C_out/G)·k²: ptflops' conv hook (transpose), fvcore, FlopCounterMode; TF's
Conv2DBackpropInput counts 2 per multiply-add."""
CONV_T_THOP = rule("transposed conv, thop's output-side count (C_out·H_out·W_out·C_in/G·k²)", thop=1)
CONV_T_TORCHINFO = rule("transposed conv weights × output positions (torchinfo)", torchinfo=1)
CONV_T_TORCHPROFILE = rule("transposed conv, torchprofile's output-side count", torchprofile=1)


def conv_out_size(size: int, k: int, stride: int, padding: int, dilation: int) -> int:
    """Output side of a convolution or pooling window: ⌊(D + 2p − d(k−1) − 1)/s⌋ + 1."""
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


@lru_cache(maxsize=256)
def _category(kernel: tuple[int, int], grouping: str) -> str:
    """``Conv 3×3``, ``Conv DW 3×3`` or ``Conv group 3×3`` (memoised: asked once per layer per report)."""
    return f"Conv {grouping + ' ' if grouping else ''}{kernel[0]}×{kernel[1]}"


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Conv2d(Op):
    """Convolution M → N channels with a K_h×K_w kernel and G groups.

    params = N·(M/G)·K_h·K_w (+ N with bias)
    MACs   = N·(M/G)·K_h·K_w · H_out·W_out   (bias additions are not counted, as in fvcore)

    Depthwise (G = M = N) gives the MobileNet paper's D_K·D_K·M·D_F·D_F (eq. 4); pointwise
    (K = 1, G = 1) gives M·N·D_F·D_F; standard gives D_K·D_K·M·N·D_F·D_F (eq. 2).
    """

    kind: ClassVar[str] = "conv2d"
    level_rule = "window"
    in_channels: int
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = False

    def __post_init__(self) -> None:
        if self.in_channels < 1 or self.out_channels < 1:
            raise ArchcalcError(
                f"conv has {self.in_channels} input and {self.out_channels} output channels; "
                "both must be at least 1"
            )
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ArchcalcError(
                f"groups={self.groups} does not divide the channels "
                f"({self.in_channels} in, {self.out_channels} out)"
            )

    @property
    def is_depthwise(self) -> bool:  # type: ignore[override]
        """G = M > 1: one K_h×K_w filter per input channel."""
        return self.groups > 1 and self.groups == self.in_channels

    @property
    def per_channel(self) -> bool:  # type: ignore[override]
        """Only a depthwise conv keeps channels apart."""
        return self.is_depthwise

    @property
    def streams_channels(self) -> bool:  # type: ignore[override]
        """Every conv that is not depthwise computes each output channel from its whole input."""
        return not self.is_depthwise

    @classmethod
    def row_latency_kind(cls, row: LayerRow) -> str:
        """``depthwise``, ``grouped``, ``pointwise`` (1×1, G = 1) or ``dense``, read from the
        category :meth:`category` wrote: ``Conv DW k×k``, ``Conv group k×k`` or ``Conv k×k``; but
        ``linear`` for a 1×1 convolution (G = 1) from a 1×1 map to a 1×1 map (a squeeze-and-excite
        convolution, a head after a global pool): that is the matrix-vector product of a fully
        connected layer, bound by its weights, and priced as one. Priced as a pointwise convolution,
        whose samples run on maps, MobileNetV4-Conv-S's 960 → 1280 head was extrapolated to 823 µs
        on torch (it ran in 76 µs)."""
        if row.category.startswith("Conv DW"):
            return "depthwise"
        if row.category.startswith("Conv group"):
            return "grouped"
        if row.category != "Conv 1×1":
            return "dense"
        one_pixel = all(prod(s[1:]) == 1 for s in (row.output_shape, *row.input_shapes[:1]))
        return "linear" if one_pixel else "pointwise"

    @classmethod
    def _row_groups(cls, row: LayerRow) -> int:
        """The groups, read from the row's ``args`` (:meth:`describe`: ``… dw``, ``… g4``)."""
        if row.args.split(" ")[1:2] == ["dw"]:
            return int(row.input_shapes[0][0])
        found = [t for t in row.args.split(" ") if t[:1] == "g" and t[1:].isdigit()]
        return int(found[0][1:]) if found else 1

    @classmethod
    def row_groups(cls, row: LayerRow) -> int:
        return cls._row_groups(row)

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """onnxruntime's ``NchwcTransformerImpl::TransformConv``, as onnxruntime 1.32 does it (probed
        on small models, ``tests/test_ort_backend.py``): with groups = 1, when the input channels are
        fewer than ``block`` or a multiple of 4 (channels are padded to a multiple of ``block``);
        depthwise, when the channels are a multiple of 4; grouped otherwise, when the output channels,
        and the input and output channels per group, are multiples of ``block``."""
        cin, cout, groups = int(row.input_shapes[0][0]), int(row.output_shape[0]), cls._row_groups(row)
        if groups == 1:
            return cin < block or cin % 4 == 0
        if cin == groups and cout == groups:
            return cin % 4 == 0
        if cout % block:
            return False
        return (cin // groups) % block == 0 and (cout // groups) % block == 0

    @classmethod
    def blocked_work_factor(cls, row: LayerRow, block: int) -> float:
        """Channels padded up to a multiple of ``block`` (``⌈c / block⌉·block``): with groups = 1,
        the output channels and, unless fewer than ``block`` (read unpadded in NCHW), the input
        channels, so the factor is their product's ratio; depthwise, the channels; grouped kernels
        run blocked only on multiples of the block (factor 1). onnxruntime's time follows the
        padded work: a 1×1 conv of 68, 72 or 80 channels to as many on a 28×28 map takes the same
        353 µs here, 1.66 times the 64-channel one's 213 µs (80² / 64² = 1.56)."""
        cin, cout, groups = int(row.input_shapes[0][0]), int(row.output_shape[0]), cls._row_groups(row)

        def pad(c: int) -> int:
            return -(-c // block) * block

        if groups == 1:
            fin = 1.0 if cin < block else pad(cin) / cin
            return fin * pad(cout) / cout
        if cin == groups and cout == groups:
            return pad(cin) / cin
        return 1.0

    @classmethod
    def reorders_input(cls, row: LayerRow, block: int) -> bool:
        """Fewer than ``block`` input channels (an RGB stem): the NCHW input is read as it is."""
        return not (cls._row_groups(row) == 1 and int(row.input_shapes[0][0]) < block)

    @classmethod
    def row_torch_native(cls, row: LayerRow, batch: int, threads: int) -> bool:
        """ATen's ``ConvParams::use_mkldnn`` for an fp32 CPU convolution, negated: torch runs oneDNN
        when (strided or dilated or B ≥ 16 or a window other than 1×1 or threads > 1) and (G > 1 or
        both window sides > 3 or B > 1 or B·M·H·W > 20480 input elements), else its own im2col +
        GEMM (``slow_conv2d``; NNPACK needs B ≥ 16). The two differ by up to 3×: one thread runs a
        3×3 of 96 → 192 channels at 42 GMAC/s on a 9×9 map (7,776 input elements, ATen) and 107
        on 18×18 (oneDNN); AlexNet's 3×3 convolutions at α = 0.5 on 160 px fall on ATen's side."""
        kh, kw = cls._row_kernel(row)
        args = row.args.split(" ")
        strided = any(t[:1] in ("s", "d") and t[1:].isdigit() for t in args[1:])  # describe(): s2, d2
        first = strided or batch >= 16 or (kh, kw) != (1, 1) or threads > 1
        elems = batch * prod(row.input_shapes[0])
        second = cls._row_groups(row) > 1 or (kh > 3 and kw > 3) or batch > 1 or elems > 20480
        return not (first and second)

    @classmethod
    def _row_kernel(cls, row: LayerRow) -> tuple[int, int]:
        """(K_h, K_w) from the category :meth:`category` wrote (``Conv 3×3``, ``Conv DW 1×7`` …);
        (1, 1) for a category without them."""
        sides = row.category.split()[-1].split("×") if "×" in row.category else []
        return (int(sides[0]), int(sides[-1])) if sides and all(t.isdigit() for t in sides) else (1, 1)

    @classmethod
    def row_window(cls, row: LayerRow) -> tuple[float, float]:
        """The kernel side K_h (:meth:`_row_kernel`); input channels per group = weight elements per
        output channel (fp32 weight bytes) / k²."""
        ksz = float(cls._row_kernel(row)[0])
        width = 0.0
        if row.weight_bytes:
            per_out = row.weight_bytes / 4 / max(row.output_shape[0], 1)
            width = per_out / max(ksz * ksz, 1.0)
        return ksz, width

    def side_key(self) -> tuple:
        return (self.kind, self.kernel, self.stride, self.padding, self.dilation, None)

    def keeps_side(self) -> bool:
        """Stride 1 and 2p = d(k − 1) on both axes."""
        k, s, p, d = self.kernel, self.stride, self.padding, self.dilation
        return all(s[i] == 1 and 2 * p[i] == d[i] * (k[i] - 1) for i in range(2))

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if len(shape) != 3 or shape[0] != self.in_channels:
            raise ArchcalcError(f"conv expects {self.in_channels}×H×W input, got {fmt_shape(shape)}")
        _, h, w = shape
        ho = conv_out_size(h, self.kernel[0], self.stride[0], self.padding[0], self.dilation[0])
        wo = conv_out_size(w, self.kernel[1], self.stride[1], self.padding[1], self.dilation[1])
        if ho < 1 or wo < 1:
            raise CollapseError(
                f"output collapses to zero size ({h}×{w} input, {self.kernel[0]}×{self.kernel[1]} "
                f"kernel, stride {self.stride[0]}, padding {self.padding[0]})"
            )
        return (self.out_channels, ho, wo)

    def _kernel_elems(self) -> int:
        return (self.in_channels // self.groups) * self.kernel[0] * self.kernel[1]

    def weight_params(self) -> int:
        return self.out_channels * self._kernel_elems() + self.bias_params()

    def bias_params(self) -> int:
        return self.out_channels if self.bias else 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return prod(out) * self._kernel_elems()

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """N·(M/G)·K_h·K_w·H_out·W_out multiply-adds, and N·H_out·W_out bias adds with a bias."""
        macs = prod(out) * self._kernel_elems()
        return ((CONV_MACS, macs), (CONV_BIAS, prod(out))) if self.bias else ((CONV_MACS, macs),)

    def category(self) -> str:
        return _category(self.kernel, "DW" if self.is_depthwise else "group" if self.groups > 1 else "")

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Conv2d(
            self.in_channels,
            self.out_channels,
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.bias,
        )

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Conv``: W of N × M/G × K_h × K_w (+ bias N), symmetric pads, strides, dilations, group."""
        w = sink.weight(f"{name}.weight", (self.out_channels, self.in_channels // self.groups, *self.kernel))
        ins = [inputs[0], w]
        if self.bias:
            ins.append(sink.weight(f"{name}.bias", (self.out_channels,), "bias"))
        sink.node(
            "Conv",
            ins,
            name,
            name,
            kernel_shape=list(self.kernel),
            strides=list(self.stride),
            pads=[*self.padding, *self.padding],
            dilations=list(self.dilation),
            group=self.groups,
        )

    def describe(self) -> str:
        k = f"{self.kernel[0]}×{self.kernel[1]}"
        if self.is_depthwise:
            shape = f"{k}×{self.in_channels} dw"
        else:
            shape = f"{k}×{self.in_channels // self.groups}×{self.out_channels}"
            if self.groups > 1:
                shape += f" g{self.groups}"
        extra = f" s{self.stride[0]}" if self.stride != (1, 1) else ""
        if self.dilation != (1, 1):
            extra += f" d{self.dilation[0]}"
        return shape + extra


def conv_transpose_out_size(
    size: int, k: int, stride: int, padding: int, output_padding: int, dilation: int
) -> int:
    """Output side of a transposed convolution: (D − 1)·s − 2p + d(k − 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1


@dataclass(slots=True, unsafe_hash=True, repr=False)
class ConvTranspose2d(Op):
    """Transposed convolution M → N channels, K_h×K_w kernel, G groups (U-Net / decoder upsampling).

    params = M·(N/G)·K_h·K_w (+ N with bias)
    MACs   = M·(N/G)·K_h·K_w · H_in·W_in

    Every input element is multiplied by each of the (N/G)·K_h·K_w weights it meets, so the MACs
    scale with the *input* map (fvcore's ``conv_flop_count`` with ``transposed=True`` and torch's
    FlopCounterMode use the input's spatial size for transposed convolutions, the output's
    otherwise). Bias additions are not counted.
    """

    kind: ClassVar[str] = "conv_transpose2d"
    latency_kind = "dense"
    in_channels: int
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    output_padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        if self.in_channels < 1 or self.out_channels < 1:
            raise ArchcalcError(
                f"transposed conv has {self.in_channels} input and {self.out_channels} output channels; "
                "both must be at least 1"
            )
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ArchcalcError(
                f"groups={self.groups} does not divide the channels "
                f"({self.in_channels} in, {self.out_channels} out)"
            )
        for i in range(2):
            if self.output_padding[i] >= max(self.stride[i], self.dilation[i]):
                raise ArchcalcError(
                    f"output_padding {self.output_padding[i]} must be smaller than the stride or the dilation"
                )

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if len(shape) != 3 or shape[0] != self.in_channels:
            raise ArchcalcError(
                f"transposed conv expects {self.in_channels}×H×W input, got {fmt_shape(shape)}"
            )
        _, h, w = shape
        ho, wo = (
            conv_transpose_out_size(
                (h, w)[i],
                self.kernel[i],
                self.stride[i],
                self.padding[i],
                self.output_padding[i],
                self.dilation[i],
            )
            for i in range(2)
        )
        if ho < 1 or wo < 1:
            raise CollapseError(f"output collapses to zero size ({h}×{w} input, padding {self.padding})")
        return (self.out_channels, ho, wo)

    def _kernel_elems(self) -> int:
        return (self.out_channels // self.groups) * self.kernel[0] * self.kernel[1]

    def weight_params(self) -> int:
        return self.in_channels * self._kernel_elems() + self.bias_params()

    def bias_params(self) -> int:
        return self.out_channels if self.bias else 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return prod(inputs[0]) * self._kernel_elems()

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """The multiply-adds (input side, as ptflops, fvcore, torch and TF's Conv2DBackpropInput count
        them), what thop, torchinfo and torchprofile count instead on the output side, and the bias."""
        k = self.kernel[0] * self.kernel[1]
        n_out = prod(out)
        positions = out[1] * out[2]
        # torchprofile reads the weight (C_in, C_out/G, k, k) as a conv's: its in-channels are
        # weight_shape[1] when C_out = C_in, else weight_shape[0]
        tp_in = (
            self.out_channels // self.groups if self.out_channels == self.in_channels else self.in_channels
        )
        items: list[Tally] = [
            (CONV_T_MACS, prod(inputs[0]) * self._kernel_elems()),
            (CONV_T_THOP, n_out * (self.in_channels // self.groups) * k),
            (CONV_T_TORCHINFO, self.in_channels * self._kernel_elems() * positions),
            (CONV_T_TORCHPROFILE, n_out * tp_in * k),
        ]
        if self.bias:
            items.append((CONV_BIAS, n_out))
        return tuple(items)

    def category(self) -> str:
        return f"ConvT {self.kernel[0]}×{self.kernel[1]}"

    def describe(self) -> str:
        k = f"{self.kernel[0]}×{self.kernel[1]}×{self.in_channels}×{self.out_channels // self.groups}"
        if self.groups > 1:
            k += f" g{self.groups}"
        return k + (f" s{self.stride[0]}" if self.stride != (1, 1) else "") + " transposed"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.ConvTranspose2d(
            self.in_channels,
            self.out_channels,
            self.kernel,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.bias,
            self.dilation,
        )

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``ConvTranspose`` with W of M × N/G × K_h × K_w (torch's layout)."""
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel)
        ins = [inputs[0], sink.weight(f"{name}.weight", shape)]
        if self.bias:
            ins.append(sink.weight(f"{name}.bias", (self.out_channels,), "bias"))
        pads = [self.padding[0], self.padding[1], self.padding[0], self.padding[1]]
        sink.node(
            "ConvTranspose",
            ins,
            name,
            name,
            kernel_shape=list(self.kernel),
            strides=list(self.stride),
            pads=pads,
            dilations=list(self.dilation),
            output_padding=list(self.output_padding),
            group=self.groups,
        )
