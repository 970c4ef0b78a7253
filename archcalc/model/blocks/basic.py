"""Basic row kinds: conv, depthwise-separable pair, pooling, flatten, linear.

Names: a row ``name`` expands to ``name.conv``, ``name.bn``, ``name.act``; a depthwise-separable
row to ``name.dw.*`` and ``name.pw.*``; repeated rows get ``name.0``, ``name.1`` …
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field, StrictBool, model_validator

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import (
    Activation,
    AdaptivePool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    Linear,
    Pool2d,
    Shape,
    fmt_shape,
)
from archcalc.spec.fields import (
    Act,
    ActArg,
    BoolArg,
    Entry,
    IntArg,
    KnobRef,
    NonNegInt,
    OddKernel,
    PosInt,
    WidthArg,
    WidthMode,
)

_PLAIN_ACTS = frozenset(get_args(Act))


class ConvEntry(Entry):
    """Convolution + batch norm + activation (a "Conv" row)."""

    kind: Literal["conv"]
    out: IntArg = Field(description="output channels before the width multiplier")
    k: PosInt = Field(3, description="square kernel size D_K")
    stride: IntArg = 1
    padding: Literal["same"] | NonNegInt = Field(
        "same", description="'same' pads d·(k−1)/2 on each side (output = ⌈input/stride⌉ for odd k)"
    )
    dilation: PosInt = 1
    groups: PosInt | Literal["depthwise"] = 1
    bn: StrictBool = True
    act: ActArg = "relu"
    bias: StrictBool | KnobRef | None = Field(None, description="default: a bias only when there is no BN")
    width: WidthArg = "scaled"

    @model_validator(mode="after")
    def _same_needs_odd_kernel(self) -> ConvEntry:
        if self.padding == "same" and self.k % 2 == 0:
            raise ValueError(f"padding 'same' needs an odd kernel, k is {self.k}; give padding as a number")
        return self


class DwSepEntry(Entry):
    """Depthwise-separable pair: D_K×D_K depthwise conv (stride here) then 1×1 pointwise conv,
    each followed by BN and the activation. ``separable: false`` replaces the pair by one full
    D_K×D_K convolution (MobileNet V1 Table 4's "Conv MobileNet")."""

    kind: Literal["dwsep"]
    out: IntArg
    k: OddKernel = 3
    stride: IntArg = 1
    act: Act = "relu"
    separable: BoolArg = True
    width: WidthMode = "scaled"


class PoolEntry(Entry):
    """Windowed max or average pooling."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["pool"]
    op: Literal["max", "avg"]
    k: PosInt
    stride: PosInt | None = Field(None, description="default: the window size")
    padding: NonNegInt = 0
    ceil_mode: StrictBool = False


class GlobalPoolEntry(Entry):
    """Global (adaptive 1×1) pooling over the whole map."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["global_pool"]
    op: Literal["avg", "max"] = "avg"


class AdaptivePoolEntry(Entry):
    """Adaptive pooling to a fixed output×output map (torchvision VGG: 7, AlexNet: 6)."""

    passes_channels: ClassVar[bool] = True
    kind: Literal["adaptive_pool"]
    op: Literal["avg", "max"] = "avg"
    output: PosInt


class FlattenEntry(Entry):
    """C×H×W → C·H·W vector (or dims ``start`` … ``end`` merged, batch excluded: ``start: 1``
    turns a C×H×W map into C×(H·W) tokens).

    ``spatial: [H, W]`` pins the map size the flatten was written for: a flatten of a map whose
    size depends on the input resolution feeds layers (a linear, a reshape) whose size then
    depends on it too, so another resolution is refused naming this layer (imported specs write it).
    """

    kind: Literal["flatten"]
    start: NonNegInt = 0
    end: int = -1
    spatial: Annotated[list[PosInt], Field(min_length=2, max_length=2)] | None = None

    @classmethod
    def channel_links(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> tuple[int, ...]:
        """A C×1×1 map flattened keeps its C channels; any other flatten mixes them with the sides."""
        return (0,) if len(in_shapes[0]) == 3 and in_shapes[0][1:] == (1, 1) else ()

    @classmethod
    def shuffle_step(
        cls, data: Mapping[str, Any], in_shapes: Sequence[Shape], out_shape: Shape
    ) -> Literal["split", "swap", "merge"] | None:
        """``merge``: a flatten may view the shuffled groups back as the map."""
        return "merge"


class LinearEntry(Entry):
    """Fully connected layer (optionally followed by an activation)."""

    kind: Literal["linear"]
    out: IntArg
    bias: StrictBool = True
    act: ActArg = "none"
    width: WidthArg = "scaled"
    tokens: StrictBool = Field(
        False,
        description="apply to the last dimension of any tensor (a token sequence, a channels-last "
        "map), as torch's nn.Linear does; default: a vector input only",
    )


def conv_bn_act(
    b: GraphBuilder,
    name: str,
    out: int,
    k: int,
    stride: int = 1,
    groups: int = 1,
    act: str = "relu",
    bn: bool = True,
    bias: bool | None = None,
    padding: int | None = None,
    dilation: int = 1,
) -> str:
    """Conv (k×k, 'same' padding unless given) → optional BN → optional activation."""
    in_ch = b.shape()[0]
    pad = dilation * (k - 1) // 2 if padding is None else padding
    # nn.Conv2d's positional order (in, out, kernel, stride, padding, dilation, groups, bias): keywords
    # cost more than the rest of building the op, and this is the hottest call in resolve.
    b.op(
        f"{name}.conv",
        Conv2d,
        in_ch,
        out,
        (k, k),
        (stride, stride),
        (pad, pad),
        (dilation, dilation),
        groups,
        (not bn) if bias is None else bias,
    )
    if bn:
        b.add(f"{name}.bn", BatchNorm2d(out))
    if act != "none":
        b.add(f"{name}.act", Activation(act))
    return b.current


def scoped(name: str, part: str) -> str:
    """``name.part``: a block's layer names; just ``part`` for a block built alone (``compare``)."""
    return f"{name}.{part}" if name else part


def dwsep(
    b: GraphBuilder,
    name: str,
    out: int,
    k: int,
    stride: int = 1,
    act: str = "relu",
    bn: bool = True,
    bias: bool | None = None,
) -> str:
    """Depthwise k×k (stride) on the current M channels, then pointwise 1×1 M → out, each followed by
    optional BN and the activation: D_K·D_K·M·D_F² + M·N·D_F² MACs (MobileNet eq. 5)."""
    m = b.shape()[0]
    conv_bn_act(b, scoped(name, "dw"), m, k, stride, groups=m, act=act, bn=bn, bias=bias)
    return conv_bn_act(b, scoped(name, "pw"), out, 1, 1, act=act, bn=bn, bias=bias)


@block(ConvEntry)
def _conv(e: ConvEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    in_ch = b.shape()[0]
    out = ctx.channels(e.out, e.width, f"{name}.out")
    groups = in_ch if e.groups == "depthwise" else e.groups
    conv_bn_act(
        b,
        name,
        out,
        e.k,
        ctx.int(e.stride, f"{name}.stride") if first else 1,
        groups,
        e.act if e.act in _PLAIN_ACTS else ctx.act(e.act, f"{name}.act"),
        e.bn,
        e.bias if e.bias is None or isinstance(e.bias, bool) else ctx.bool(e.bias, f"{name}.bias"),
        None if e.padding == "same" else e.padding,
        e.dilation,
    )


@block(DwSepEntry)
def _dwsep(e: DwSepEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """D_K·D_K·M·D_F² (depthwise) + M·N·D_F² (pointwise), eq. 5 of the MobileNet paper."""
    out = ctx.channels(e.out, e.width, f"{name}.out")
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    if ctx.bool(e.separable, f"{name}.separable"):
        dwsep(b, name, out, e.k, stride, e.act)
    else:
        conv_bn_act(b, name, out, e.k, stride, act=e.act)


@block(PoolEntry)
def _pool(e: PoolEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(
        name,
        Pool2d,
        op=e.op,
        kernel=e.k,
        stride=e.stride or e.k,
        padding=e.padding,
        ceil_mode=e.ceil_mode,
    )


@block(GlobalPoolEntry)
def _global_pool(e: GlobalPoolEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, AdaptivePool2d, op=e.op, output=1)


@block(AdaptivePoolEntry)
def _adaptive_pool(e: AdaptivePoolEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, AdaptivePool2d, op=e.op, output=e.output)


@block(FlattenEntry)
def _flatten(e: FlattenEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    shape = b.shape()
    if e.spatial is not None and (len(shape) != 3 or list(shape[1:]) != e.spatial):
        raise ArchcalcError(
            f"layer {name} (flatten): flattens a {e.spatial[0]}×{e.spatial[1]} map, here "
            f"{fmt_shape(shape[1:]) if len(shape) == 3 else fmt_shape(shape)}: the layers after it depend "
            "on the input resolution, so only the resolution it was written for is accepted"
        )
    b.op(name, Flatten, e.start, e.end)


@block(LinearEntry)
def _linear(e: LinearEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    out = ctx.channels(e.out, e.width, f"{name}.out")
    in_shape = b.shape()
    if len(in_shape) != 1 and not e.tokens:
        raise ArchcalcError(
            f"layer {name} (linear): needs a vector input but gets a "
            f"{fmt_shape(in_shape)} map; add a global_pool or flatten row before it"
        )
    act = e.act if e.act in _PLAIN_ACTS else ctx.act(e.act, f"{name}.act")
    fc = f"{name}.fc" if act != "none" else name
    b.op(fc, Linear, in_features=in_shape[-1], out_features=out, bias=e.bias)
    if act != "none":
        b.op(f"{name}.act", Activation, fn=act)
