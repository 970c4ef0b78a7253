"""Primitive row kinds: one row is one layer of one primitive op (``archcalc.model.ops``).

With ``from`` (see :class:`archcalc.spec.fields.Entry`) these rows write any graph without a
built-in block: skip connections (``add``), U-Net concatenations (``concat`` of a decoder map
and an encoder map), squeeze-and-excite gates (``mul``), attention (``matmul``, ``softmax``,
``reshape``, ``transpose``). The row's name is its layer's name (``name.0``, ``name.1`` … for a
``split``'s parts and for repeats).

Channel counts written here (``out``, ``sizes``) follow the width multiplier α by the row's
``width`` mode, as every other row's do; the input channels of a layer are always its input's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, model_validator

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import (
    Activation,
    Add,
    BatchNorm2d,
    ChannelShuffle,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Identity,
    LayerNorm,
    MatMul,
    Mean,
    Mul,
    Parameter,
    Reshape,
    Scalar,
    Shape,
    Slice,
    Softmax,
    Transpose,
    Upsample,
    fmt_shape,
)
from archcalc.spec.fields import Entry, IntArg, LayerRef, NonNegInt, PosInt, WidthMode

Pair = Annotated[list[PosInt], Field(min_length=2, max_length=2)]
NonNegPair = Annotated[list[NonNegInt], Field(min_length=2, max_length=2)]
Side = PosInt | Pair
"""A kernel side, stride or dilation: one number (square) or [height, width]."""
Dim = StrictInt
"""A dimension of the sample's tensor, batch excluded: 0 is the channels of a C×H×W map."""
Scale = Annotated[float, Field(gt=0, allow_inf_nan=False)]
ActFn = Literal["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "gelu", "gelu_tanh", "tanh"]


def _pair(v: int | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


class Conv2dEntry(Entry):
    """One convolution layer (no BN, no activation): groups, dilation, bias, and kernel, stride or
    padding given as one number or as [height, width]."""

    kind: Literal["conv2d"]
    out: IntArg = Field(description="output channels before the width multiplier")
    k: Side = Field(description="kernel side, or [height, width]")
    stride: Side = 1
    padding: Literal["same"] | NonNegInt | NonNegPair = Field(
        0, description="pixels per side, [height, width], or 'same' (d·(k−1)/2, odd kernels)"
    )
    dilation: Side = 1
    groups: PosInt | Literal["depthwise"] = Field(1, description="'depthwise': one group per input channel")
    bias: StrictBool = True
    width: WidthMode = "scaled"

    @model_validator(mode="after")
    def _same_needs_odd_kernel(self) -> Conv2dEntry:
        if self.padding == "same" and any(k % 2 == 0 for k in _pair(self.k)):
            raise ValueError(f"padding 'same' needs an odd kernel, k is {self.k}; give padding as a number")
        return self

    @classmethod
    def channel_links(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> tuple[int, ...]:
        """A depthwise conv has its input's channels; any other conv its own ``out``."""
        return (0,) if data.get("groups") == "depthwise" and in_shapes else ()


@block(Conv2dEntry)
def _conv2d(e: Conv2dEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    in_ch = b.shape()[0]
    out = ctx.channels(e.out, e.width, f"{name}.out")
    k, d = _pair(e.k), _pair(e.dilation)
    same = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
    pad = same if e.padding == "same" else _pair(e.padding)
    groups = in_ch if e.groups == "depthwise" else e.groups
    b.op(name, Conv2d, in_ch, out, k, _pair(e.stride) if first else (1, 1), pad, d, groups, e.bias)


class ConvTranspose2dEntry(Entry):
    """A transposed convolution (decoder upsampling): output side (D−1)·s − 2p + d(k−1) +
    output_padding + 1."""

    kind: Literal["conv_transpose2d"]
    out: IntArg = Field(description="output channels before the width multiplier")
    k: Side
    stride: Side = 1
    padding: NonNegInt | NonNegPair = 0
    output_padding: NonNegInt | NonNegPair = 0
    dilation: Side = 1
    groups: PosInt = 1
    bias: StrictBool = True
    width: WidthMode = "scaled"


@block(ConvTranspose2dEntry)
def _conv_transpose2d(e: ConvTranspose2dEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    out = ctx.channels(e.out, e.width, f"{name}.out")
    b.op(
        name,
        ConvTranspose2d,
        b.shape()[0],
        out,
        _pair(e.k),
        _pair(e.stride),
        _pair(e.padding),
        _pair(e.output_padding),
        _pair(e.dilation),
        e.groups,
        e.bias,
    )


class BatchNorm2dEntry(Entry):
    """Batch norm over the channels of a map (eval mode)."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["batchnorm2d"]
    affine: StrictBool = True


@block(BatchNorm2dEntry)
def _batchnorm2d(e: BatchNorm2dEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, BatchNorm2d, b.shape()[0], e.affine)


class LayerNormEntry(Entry):
    """Layer norm over the last ``dims`` dimensions (torch's ``normalized_shape``)."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["layernorm"]
    dims: PosInt = Field(1, description="how many trailing dimensions are normalised together")
    affine: StrictBool = Field(True, description="a learnt scale γ (torch's elementwise_affine)")
    bias: StrictBool = Field(True, description="a learnt shift β (with affine)")


@block(LayerNormEntry)
def _layernorm(e: LayerNormEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    shape = b.shape()
    if e.dims > len(shape):
        raise ArchcalcError(f"layer {name} (layernorm): {e.dims} dims of a {fmt_shape(shape)} tensor")
    b.op(name, LayerNorm, tuple(shape[len(shape) - e.dims :]), e.affine, e.bias)


class ActivationEntry(Entry):
    """One activation layer."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["activation"]
    fn: ActFn


@block(ActivationEntry)
def _activation(e: ActivationEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, Activation, e.fn)


class SoftmaxEntry(Entry):
    """Softmax along one dimension (batch excluded; −1: the last)."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["softmax"]
    dim: Dim = -1


@block(SoftmaxEntry)
def _softmax(e: SoftmaxEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, Softmax, e.dim)


class MeanEntry(Entry):
    """Mean over dimensions (batch excluded: [1, 2] is H and W of a C×H×W map), e.g. a global
    average pool written ``x.mean((2, 3), keepdim=True)``."""

    kind: Literal["mean"]
    dims: Annotated[list[Dim], Field(min_length=1)]
    keepdim: StrictBool = False

    @classmethod
    def channel_links(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> tuple[int, ...]:
        """A mean over other dimensions than the channels keeps them."""
        return (0,) if 0 not in [d % len(in_shapes[0]) for d in data["dims"]] else ()


@block(MeanEntry)
def _mean(e: MeanEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, Mean, tuple(e.dims), e.keepdim)


class UpsampleEntry(Entry):
    """Resize a map by a scale factor (side' = ⌊side·scale⌋) or to a fixed size."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["upsample"]
    mode: Literal["nearest", "bilinear", "bicubic"] = "nearest"
    scale: (
        Annotated[float, Field(gt=0)]
        | Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=2, max_length=2)]
        | None
    ) = None
    size: PosInt | Pair | None = Field(None, description="output side, or [height, width]")
    like: LayerRef | None = Field(
        None, description="the output size of this earlier layer's map (size=skip.shape[-2:] in torch)"
    )
    align_corners: StrictBool | None = None

    @model_validator(mode="after")
    def _scale_or_size(self) -> UpsampleEntry:
        if sum(v is not None for v in (self.scale, self.size, self.like)) != 1:
            raise ValueError("give one of scale, size or like")
        return self


@block(UpsampleEntry)
def _upsample(e: UpsampleEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    scale = None
    if e.scale is not None:
        scale = (
            (float(e.scale), float(e.scale)) if not isinstance(e.scale, list) else (e.scale[0], e.scale[1])
        )
    size = None if e.size is None else _pair(e.size)
    if e.like is not None:
        ref = b.shape(b.tensor_of(e.like, f"{name}.like"))
        if len(ref) != 3:
            raise ArchcalcError(f"layer {name} (upsample): like: {e.like} is not a map ({fmt_shape(ref)})")
        size = (ref[1], ref[2])
    b.op(name, Upsample, e.mode, scale, size, e.align_corners)


class _Combine(Entry):
    max_from: ClassVar[int | None] = None


class _Elementwise(_Combine):
    @classmethod
    def channel_links(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> tuple[int, ...]:
        """Every operand of the output's rank and channel count (not a broadcast 1×… or vector)."""
        return tuple(i for i, s in enumerate(in_shapes) if len(s) == len(out_shape) and s[0] == out_shape[0])


class AddEntry(_Elementwise):
    """Element-wise sum of the tensors ``from`` names (a residual connection)."""

    kind: Literal["add"]


@block(AddEntry)
def _add(e: AddEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.add(name, Add(), b.sources)


class MulEntry(_Elementwise):
    """Element-wise product of two tensors, broadcasting (a C×1×1 gate onto a C×H×W map)."""

    max_from: ClassVar[int | None] = 2
    kind: Literal["mul"]


@block(MulEntry)
def _mul(e: MulEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.add(name, Mul(), b.sources)


class ConcatEntry(_Combine):
    """Concatenation of the tensors ``from`` names along ``dim`` (0: channels)."""

    kind: Literal["concat"]
    dim: Dim = 0


@block(ConcatEntry)
def _concat(e: ConcatEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.add(name, Concat(e.dim), b.sources)


class MatMulEntry(_Combine):
    """Product of two activations, a @ b (attention's Q·Kᵀ and A·V)."""

    max_from: ClassVar[int | None] = 2
    kind: Literal["matmul"]


@block(MatMulEntry)
def _matmul(e: MatMulEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.add(name, MatMul(), b.sources)


class SplitEntry(Entry):
    """A tensor cut along ``dim`` into ``chunks`` equal parts or parts of ``sizes``: layers
    ``name.0``, ``name.1`` … (torch's ``chunk`` / ``split``). Channel sizes follow α."""

    kind: Literal["split"]
    chunks: PosInt | None = None
    sizes: Annotated[list[IntArg], Field(min_length=1)] | None = None
    dim: Dim = 0
    width: WidthMode = "scaled"

    @model_validator(mode="after")
    def _chunks_or_sizes(self) -> SplitEntry:
        if (self.chunks is None) == (self.sizes is None):
            raise ValueError("give chunks or sizes (one of them)")
        return self


@block(SplitEntry)
def _split(e: SplitEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    src = b.current
    shape = b.shape()
    if not -len(shape) <= e.dim < len(shape):
        raise ArchcalcError(f"layer {name} (split): dim {e.dim} of a {fmt_shape(shape)} tensor")
    total = shape[e.dim]
    if e.chunks is not None:
        step = -(-total // e.chunks)  # torch.chunk: parts of ⌈n/chunks⌉, the last one smaller
        sizes = [min(step, total - i) for i in range(0, total, step)]
    else:
        assert e.sizes is not None
        mode = e.width if e.dim == 0 else "fixed"
        sizes = [ctx.channels(s, mode, f"{name}.sizes") for s in e.sizes]
        if sum(sizes) != total:
            raise ArchcalcError(
                f"layer {name} (split): parts {sizes} add up to {sum(sizes)}, the input has {total} "
                f"along dim {e.dim}" + (f" (at α={ctx.alpha:g})" if ctx.alpha != 1 else "")
            )
    start = 0
    for i, size in enumerate(sizes):
        b.add(f"{name}.{i}", Slice(start, start + size, e.dim), [src])
        start += size


class ShuffleEntry(Entry):
    """ShuffleNet's channel shuffle with ``groups`` groups."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["shuffle"]
    groups: PosInt


@block(ShuffleEntry)
def _shuffle(e: ShuffleEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, ChannelShuffle, e.groups)


class ReshapeEntry(Entry):
    """The tensor viewed with another shape (batch excluded; one side may be −1). The sizes are
    fixed, so a reshape that holds channel counts or map sides refuses another α or resolution."""

    kind: Literal["reshape"]
    shape: Annotated[list[Annotated[int, Field(ge=-1)]], Field(min_length=1)]

    @classmethod
    def channel_links(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> tuple[int, ...]:
        """An imported reshape keeps its input's channels when the importer saw it follow them
        (``alpha_safe``: a flatten written as a reshape)."""
        return (0,) if data.get("alpha_safe") else ()

    @classmethod
    def shuffle_step(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> Literal["split", "swap", "merge"] | None:
        """``split`` when C×H×W becomes g×(C/g)×H×W; else ``merge`` (any reshape may view the
        shuffled groups back as the map)."""
        src = in_shapes[0]
        if len(src) == 3 and len(out_shape) == 4:
            split = out_shape[0] * out_shape[1] == src[0] and out_shape[2:] == src[1:]
            return "split" if split else None
        return "merge"


@block(ReshapeEntry)
def _reshape(e: ReshapeEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    if ctx.alpha != 1 and sorted(e.shape) != [-1] + [1] * (len(e.shape) - 1):
        raise ArchcalcError(
            f"layer {name} (reshape): its sizes {e.shape} are fixed numbers, which α does not scale; "
            "α applies to graphs whose reshapes are flattens (attention blocks refuse it)"
        )
    b.op(name, Reshape, tuple(e.shape))


class TransposeEntry(Entry):
    """Dimensions permuted (batch excluded: [1, 0] swaps the two sides of a matrix)."""

    kind: Literal["transpose"]
    perm: Annotated[list[NonNegInt], Field(min_length=1)]

    @classmethod
    def shuffle_step(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> Literal["split", "swap", "merge"] | None:
        """``swap`` for the permutation [1, 0, 2, 3] (the groups and the channels per group)."""
        return "swap" if data.get("perm") == [1, 0, 2, 3] else None


@block(TransposeEntry)
def _transpose(e: TransposeEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, Transpose, tuple(e.perm))


class ScalarEntry(Entry):
    """A tensor and a constant: x·c, x/c, x+c or x−c (attention's 1/√d scale)."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["scalar"]
    op: Literal["mul", "div", "add", "sub"]
    value: StrictFloat | StrictInt


@block(ScalarEntry)
def _scalar(e: ScalarEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, Scalar, e.op, float(e.value))


class IdentityEntry(Entry):
    """A layer that passes its input through at inference (identity, dropout): free, listed."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["identity"]
    what: Literal["identity", "dropout"] = "identity"


@block(IdentityEntry)
def _identity(e: IdentityEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, Identity, e.what)


class ParameterEntry(Entry):
    """A learnt tensor read as data (a layer scale, a position embedding): no input; its sides
    are fixed, so α ≠ 1 is refused. Counted by the torch and fvcore conventions."""

    max_from: ClassVar[int | None] = 0
    kind: Literal["parameter"]
    shape: Annotated[list[PosInt], Field(min_length=1)]


@block(ParameterEntry)
def _parameter(e: ParameterEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    shape = list(e.shape)
    if ctx.alpha != 1:  # a per-channel tensor (C, C×1×1, 1×…×C) scales; anything else is refused
        sides = [i for i, d in enumerate(shape) if d != 1]
        if len(sides) != 1:
            raise ArchcalcError(
                f"layer {name} (parameter): its sides {e.shape} are fixed numbers, which α does not scale"
            )
        shape[sides[0]] = ctx.channels(shape[sides[0]], "scaled", f"{name}.shape")
    b.op(name, Parameter, tuple(shape))
