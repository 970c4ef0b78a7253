"""Block kinds: each spec entry kind expands into primitive layers (registry keyed by kind).

Names: a row ``name`` expands to ``name.conv``, ``name.bn``, ``name.act``; a depthwise-separable
row to ``name.dw.*`` and ``name.pw.*``; repeated rows get ``name.0``, ``name.1`` …
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archcalc.errors import ArchcalcError
from archcalc.graph import GraphBuilder
from archcalc.ops import (
    Activation,
    BatchNorm2d,
    Conv2d,
    Flatten,
    GlobalPool,
    Linear,
    Pool2d,
)
from archcalc.resolve_context import Context
from archcalc.spec import (
    ConvEntry,
    DwSepEntry,
    FlattenEntry,
    GlobalPoolEntry,
    LinearEntry,
    PoolEntry,
)

Expander = Callable[[Any, Context, GraphBuilder, str, bool], None]
"""(entry, context, builder, name, first_repeat) → appends the block's primitives."""


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
    b.op(
        f"{name}.conv",
        Conv2d,
        in_channels=in_ch,
        out_channels=out,
        kernel=(k, k),
        stride=(stride, stride),
        padding=(pad, pad),
        dilation=(dilation, dilation),
        groups=groups,
        bias=(not bn) if bias is None else bias,
    )
    if bn:
        b.op(f"{name}.bn", BatchNorm2d, channels=out)
    if act != "none":
        b.op(f"{name}.act", Activation, fn=act)
    return b.current


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
        e.act,
        e.bn,
        e.bias,
        None if e.padding == "same" else e.padding,
        e.dilation,
    )


def _dwsep(e: DwSepEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """D_K·D_K·M·D_F² (depthwise) + M·N·D_F² (pointwise), eq. 5 of the MobileNet paper."""
    out = ctx.channels(e.out, e.width, f"{name}.out")
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    if ctx.bool(e.separable, f"{name}.separable"):
        m = b.shape()[0]
        conv_bn_act(b, f"{name}.dw", m, e.k, stride, groups=m, act=e.act)
        conv_bn_act(b, f"{name}.pw", out, 1, 1, act=e.act)
    else:
        conv_bn_act(b, name, out, e.k, stride, act=e.act)


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


def _global_pool(e: GlobalPoolEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, GlobalPool, op=e.op)


def _flatten(e: FlattenEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    b.op(name, Flatten)


def _linear(e: LinearEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    out = ctx.channels(e.out, e.width, f"{name}.out")
    in_shape = b.shape()
    if len(in_shape) != 1:
        raise ArchcalcError(
            f"layer {name} (linear): needs a vector input but gets a "
            f"{'×'.join(map(str, in_shape))} map; add a global_pool or flatten row before it"
        )
    fc = f"{name}.fc" if e.act != "none" else name
    b.op(fc, Linear, in_features=in_shape[0], out_features=out, bias=e.bias)
    if e.act != "none":
        b.op(f"{name}.act", Activation, fn=e.act)


BLOCKS: dict[str, Expander] = {
    "conv": _conv,
    "dwsep": _dwsep,
    "pool": _pool,
    "global_pool": _global_pool,
    "flatten": _flatten,
    "linear": _linear,
}
