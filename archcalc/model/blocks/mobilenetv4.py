"""MobileNetV4's blocks (Qin et al. 2024, arXiv:2404.10518, §3–4), laid out as timm's
``timm/models/_efficientnet_blocks.py`` (``UniversalInvertedResidual``, ``EdgeResidual``,
``MobileAttention``) and ``timm/layers/attention2d.py`` (``MultiQueryAttention2d``) build them.

``uib`` — the universal inverted bottleneck, from d′ input to d″ output channels, expanded width
e = make_divisible(d′·t, 8) (timm's ``mid_chs``)::

    x ─ [start depthwise a×a (d′) + BN] ─ expand 1×1 (d′→e) + BN + act ─
        [middle depthwise k×k (e) + BN + act] ─ project 1×1 (e→d″) + BN ─ [× γ] ─ [+ x]

The paper's four instances are the two optional depthwise convs present or not: ExtraDW (a, k),
IB (k only), ConvNext-like (a only), FFN (neither). The stride sits on the middle depthwise conv
when there is one, else on the start one (timm: ``dw_start_stride = stride if not
dw_kernel_size_mid else 1``). γ is timm's ``LayerScale2d`` (d″ learnt scales; the hybrid models'
``layer_scale_init_value``), the residual add is there when the stride is 1 and d′ = d″. With
the stride on the middle conv, on an h×w map (h′ = h/s)::

    MACs   = h·w·d′·a² + h·w·d′·e + h′·w′·e·(k² + d″)
    params = a²·d′ + d′·e + k²·e + e·d″ + 2·(d′ + e + e + d″) [+ d″ for γ]   (BN γ, β counted)

``fused_ib`` — the fused inverted bottleneck (timm's ``EdgeResidual``, 'er' in its arch strings):
k×k conv d′→e (stride) + BN + act, then 1×1 e→d″ + BN, plus x when the stride is 1 and d′ = d″.
MACs = h′·w′·(k²·d′·e + e·d″).

``mobile_mqa`` — Mobile MQA (§4.2), timm's ``MobileAttention`` with ``MultiQueryAttention2d``: h
query heads of key dimension d_k share one key and one value head (d_v)::

    x ─ BN ─┬─ query 1×1 (C→h·d_k) ─ reshape h×d_k×N ─ transpose h×N×d_k ─ × d_k^−½ ─┐
            ├─ [dw k×k stride s + BN] ─ key 1×1 (C→d_k) ─ reshape 1×d_k×M ───────────── Q·Kᵀ (h×N×M)
            └─ [dw k×k stride s + BN] ─ value 1×1 (C→d_v) ─ reshape, transpose 1×M×d_v ┐   softmax
                                                                                       A·V (h×N×d_v)
        ─ transpose h×d_v×N ─ reshape h·d_v×H×W ─ output 1×1 (h·d_v→C″) ─ [× γ] ─ [+ x]

with N = H·W query positions and M = ⌈H/s⌉·⌈W/s⌉ key/value positions (s = ``kv_stride``, the
"spatial reduction" of keys and values). No conv has a bias. MACs::

    C·h·d_k·N + 2·(C·k²·M) + C·(d_k + d_v)·M + h·N·M·(d_k + d_v) + h·d_v·C″·N

(the attention's two products are the only term quadratic in the resolution). The reshapes hold
the map's sides, computed when the row is expanded, so every α and resolution resolves anew.

α: ``out`` scales by the spec's width rule (timm's ``round_chs_fn``); the expanded width follows
the (scaled) input width; heads and key/value dims are fixed, as in timm's ``_075`` variants.

Names: ``name.dw_start.{conv,bn}``, ``name.pw_exp.{conv,bn,act}``, ``name.dw_mid.{conv,bn,act}``,
``name.pw_proj.{conv,bn}``, ``name.layer_scale.{gamma,mul}``, ``name.add`` (uib);
``name.conv_exp.*``, ``name.conv_pwl.*``, ``name.add`` (fused_ib); ``name.norm``,
``name.query.*``, ``name.key.*``, ``name.value.*``, ``name.attn.*``, ``name.output.*`` (mobile_mqa).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.blocks.basic import conv_bn_act, scoped
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import (
    Add,
    BatchNorm2d,
    Conv2d,
    MatMul,
    Mul,
    Parameter,
    Reshape,
    Scalar,
    Softmax,
    Transpose,
)
from archcalc.model.width import make_divisible
from archcalc.spec.fields import ActArg, BoolArg, Entry, IntArg, NonNegInt, OddKernel, PosInt, WidthMode

Ratio = Annotated[float, Field(gt=0, le=64, allow_inf_nan=False)]
"""An expansion ratio t (timm's ``exp_ratio``): the expanded width is make_divisible(d′·t, 8)."""
DwKernel = Annotated[NonNegInt, Field(le=15)]
"""A depthwise kernel side, or 0 for no depthwise conv there."""


class UIBEntry(Entry):
    """Universal inverted bottleneck: [dw a×a] → expand 1×1 → [dw k×k] → project 1×1 (+ x).
    ExtraDW: a, k > 0; IB: a = 0; ConvNext-like: k = 0; FFN: a = k = 0."""

    kind: Literal["uib"]
    out: IntArg = Field(description="d″: output channels before the width multiplier")
    t: Ratio = Field(description="expansion ratio: expanded width = make_divisible(t × input width, 8)")
    start_k: DwKernel = Field(0, description="start depthwise kernel (timm's 'a'); 0: none")
    mid_k: DwKernel = Field(3, description="middle depthwise kernel (timm's 'k'); 0: none")
    stride: IntArg = Field(
        1, description="on the middle depthwise conv, else the start one; first repeat only"
    )
    act: ActArg = Field("relu", description="after the expand and the middle depthwise conv")
    layer_scale: BoolArg = Field(False, description="multiply the output by d″ learnt scales (LayerScale2d)")
    residual: BoolArg = Field(True, description="add the input when stride = 1 and input width = out")
    exp_divisor: PosInt = Field(8, description="the expanded width is rounded to a multiple of this")
    width: WidthMode = "scaled"


class FusedIBEntry(Entry):
    """Fused inverted bottleneck (timm's EdgeResidual): k×k conv d′→e (stride) + BN + act, then
    1×1 e→d″ + BN, plus x when stride = 1 and d′ = d″."""

    kind: Literal["fused_ib"]
    out: IntArg = Field(description="d″: output channels before the width multiplier")
    t: Ratio = Field(description="expansion ratio: e = make_divisible(t × input width, 8)")
    k: OddKernel = Field(3, description="kernel of the expanding conv")
    stride: IntArg = Field(1, description="stride of the expanding conv, first repeat only")
    act: ActArg = "relu"
    residual: BoolArg = Field(True, description="add the input when stride = 1 and input width = out")
    exp_divisor: PosInt = Field(8, description="the expanded width is rounded to a multiple of this")
    width: WidthMode = "scaled"


class MobileMQAEntry(Entry):
    """Mobile MQA: BN, then multi-query attention (h query heads, one shared key and value head,
    keys and values optionally downsampled by a stride-s depthwise conv), output 1×1 (+ x)."""

    kind: Literal["mobile_mqa"]
    out: IntArg = Field(description="output channels before the width multiplier")
    heads: PosInt = Field(description="query heads h (α does not scale it)")
    key_dim: PosInt = Field(description="d_k, per head (α does not scale it)")
    value_dim: PosInt | None = Field(None, description="d_v (default: key_dim)")
    kv_stride: PosInt = Field(1, description="stride of the depthwise conv on keys and values; 1: none")
    k: OddKernel = Field(3, description="kernel of that depthwise conv")
    layer_scale: BoolArg = Field(False, description="multiply the output by learnt per-channel scales")
    residual: BoolArg = Field(True, description="add the input when the input width = out")
    width: WidthMode = "scaled"


def _needs_map(b: GraphBuilder, name: str, kind: str) -> int:
    shape = b.shape()
    if len(shape) != 3:
        raise ArchcalcError(f"layer {name} ({kind}): needs a C×H×W map, gets a vector")
    return shape[0]


def layer_scale(b: GraphBuilder, name: str) -> str:
    """timm's ``LayerScale2d``: the current C×H×W tensor times C learnt scales γ (a C×1×1 parameter).
    C parameters (torch, fvcore), 0 MACs."""
    x = b.current
    c = b.shape()[0]
    gamma = b.op(scoped(name, "gamma"), Parameter, (c, 1, 1))
    return b.op(scoped(name, "mul"), Mul, inputs=[x, gamma])


def uib(
    b: GraphBuilder,
    name: str,
    hidden: int,
    out: int,
    start_k: int,
    mid_k: int,
    stride: int,
    act: str,
    *,
    scale: bool = False,
    residual: bool = True,
) -> str:
    """The universal inverted bottleneck on the current tensor (see the module docstring)."""
    x = b.current
    d_in = b.shape()[0]
    if stride > 1 and not (start_k or mid_k):
        raise ArchcalcError(f"layer {name} (uib): stride {stride} needs a depthwise conv (start_k or mid_k)")
    if start_k:
        s = 1 if mid_k else stride
        conv_bn_act(b, scoped(name, "dw_start"), d_in, start_k, s, groups=d_in, act="none")
    conv_bn_act(b, scoped(name, "pw_exp"), hidden, 1, act=act)
    if mid_k:
        conv_bn_act(b, scoped(name, "dw_mid"), hidden, mid_k, stride, groups=hidden, act=act)
    main = conv_bn_act(b, scoped(name, "pw_proj"), out, 1, act="none")
    if scale:
        main = layer_scale(b, scoped(name, "layer_scale"))
    if residual and stride == 1 and d_in == out:
        return b.op(scoped(name, "add"), Add, inputs=[main, x])
    return main


@block(UIBEntry)
def _uib(e: UIBEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """h·w·d′·a² + h·w·d′·e + h′·w′·e·(k² + d″) MACs; see the module docstring."""
    d_in = _needs_map(b, name, "uib")
    out = ctx.channels(e.out, e.width, f"{name}.out")
    hidden = make_divisible(d_in * e.t, e.exp_divisor)
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    for side in (e.start_k, e.mid_k):
        if side and side % 2 == 0:
            raise ArchcalcError(f"layer {name} (uib): depthwise kernel {side} must be odd ('same' padding)")
    uib(
        b,
        name,
        hidden,
        out,
        e.start_k,
        e.mid_k,
        stride,
        ctx.act(e.act, f"{name}.act"),
        scale=ctx.bool(e.layer_scale, f"{name}.layer_scale"),
        residual=ctx.bool(e.residual, f"{name}.residual"),
    )


@block(FusedIBEntry)
def _fused_ib(e: FusedIBEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """h′·w′·(k²·d′·e + e·d″) MACs."""
    d_in = _needs_map(b, name, "fused_ib")
    x = b.current
    out = ctx.channels(e.out, e.width, f"{name}.out")
    hidden = make_divisible(d_in * e.t, e.exp_divisor)
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    conv_bn_act(b, scoped(name, "conv_exp"), hidden, e.k, stride, act=ctx.act(e.act, f"{name}.act"))
    main = conv_bn_act(b, scoped(name, "conv_pwl"), out, 1, act="none")
    if ctx.bool(e.residual, f"{name}.residual") and stride == 1 and d_in == out:
        b.op(scoped(name, "add"), Add, inputs=[main, x])


def _kv_branch(b: GraphBuilder, name: str, src: str, dim: int, stride: int, k: int) -> str:
    """Key or value: [depthwise k×k (stride) + BN] then 1×1 C→dim, from ``src``; returns the map."""
    b.current = src
    c = b.shape()[0]
    if stride > 1:
        pad = (k - 1) // 2
        b.op(f"{name}.down_conv", Conv2d, c, c, (k, k), (stride, stride), (pad, pad), (1, 1), c, False)
        b.add(f"{name}.norm", BatchNorm2d(c))
    return b.op(f"{name}.proj", Conv2d, b.shape()[0], dim, (1, 1), bias=False)


def mobile_mqa(
    b: GraphBuilder,
    name: str,
    out: int,
    heads: int,
    key_dim: int,
    value_dim: int,
    kv_stride: int,
    k: int,
    *,
    scale: bool = False,
    residual: bool = True,
) -> str:
    """Mobile MQA on the current C×H×W tensor (see the module docstring for the layout and costs)."""
    x = b.current
    c, h, w = b.shape()
    xn = b.add(f"{name}.norm", BatchNorm2d(c))
    n = h * w
    b.op(f"{name}.query.proj", Conv2d, c, heads * key_dim, (1, 1), bias=False)
    b.op(f"{name}.query.reshape", Reshape, (heads, key_dim, n))
    b.op(f"{name}.query.transpose", Transpose, (0, 2, 1))
    q = b.op(f"{name}.query.scale", Scalar, "mul", key_dim**-0.5)
    key = _kv_branch(b, f"{name}.key", xn, key_dim, kv_stride, k)
    m = b.shape(key)[1] * b.shape(key)[2]
    kt = b.op(f"{name}.key.reshape", Reshape, (1, key_dim, m))
    _kv_branch(b, f"{name}.value", xn, value_dim, kv_stride, k)
    b.op(f"{name}.value.reshape", Reshape, (1, value_dim, m))
    v = b.op(f"{name}.value.transpose", Transpose, (0, 2, 1))
    b.op(f"{name}.attn.qk", MatMul, inputs=[q, kt])
    a = b.op(f"{name}.attn.softmax", Softmax, -1)
    b.op(f"{name}.attn.av", MatMul, inputs=[a, v])
    b.op(f"{name}.output.transpose", Transpose, (0, 2, 1))
    b.op(f"{name}.output.reshape", Reshape, (heads * value_dim, h, w))
    main = b.op(f"{name}.output.proj", Conv2d, heads * value_dim, out, (1, 1), bias=False)
    if scale:
        main = layer_scale(b, f"{name}.layer_scale")
    if residual and c == out:
        return b.op(f"{name}.add", Add, inputs=[main, x])
    return main


@block(MobileMQAEntry)
def _mobile_mqa(e: MobileMQAEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """C·h·d_k·N + (2·C·k² + C·(d_k + d_v))·M + h·N·M·(d_k + d_v) + h·d_v·C″·N MACs."""
    _needs_map(b, name, "mobile_mqa")
    mobile_mqa(
        b,
        name,
        ctx.channels(e.out, e.width, f"{name}.out"),
        e.heads,
        e.key_dim,
        e.value_dim or e.key_dim,
        e.kv_stride,
        e.k,
        scale=ctx.bool(e.layer_scale, f"{name}.layer_scale"),
        residual=ctx.bool(e.residual, f"{name}.residual"),
    )
