"""The inverted residual with linear bottleneck (MobileNet V2 §3.3, Table 1) and its descendants:
MobileNet V3's ``bneck`` (with squeeze-and-excite and h-swish), MnasNet's MBConv and EfficientNet's
MBConv, laid out as torchvision's ``InvertedResidual`` / ``_InvertedResidual`` / ``MBConv``.

An ``inverted_residual`` row from d′ input channels to d″ output channels, expanded width e (= t·d′, or
the absolute ``exp``), kernel k and stride s builds::

    x ─ expand 1×1 (d′→e) + BN + act ─ depthwise k×k (e, stride s) + BN + act ─ [SE] ─
        project 1×1 (e→d″) + BN (linear: no activation) ─ [+ x]

* The expand conv is left out when e = d′ (t = 1: MobileNet V2's first block, MnasNet's stem
  separable conv, MobileNet V3's 16→16 blocks), as every torchvision implementation does.
* The residual add is there when s = 1 and d′ = d″ (``residual: false`` turns it off).
* Squeeze-and-excite (``se: true``) on the depthwise output, as torchvision's ``SqueezeExcitation``::

      global avg pool ─ 1×1 conv e→q (bias) ─ se_act ─ 1×1 conv q→e (bias) ─ se_gate ─ × (broadcast)

  with q = ⌊w / se_ratio⌋ rounded by ``_make_divisible(·, se_divisor)``, or max(1, ⌊w / se_ratio⌋)
  when ``se_divisor`` is null, and w the expanded width e (``se_from: expanded``, MobileNet V3:
  _make_divisible(e // 4, 8), ReLU, h-sigmoid) or the block's input width d′ (``se_from: input``,
  EfficientNet: max(1, d′ // 4), SiLU, sigmoid).

No conv but the SE's has a bias. At stride 1 on an h×w map the block costs (the paper's formula,
MobileNet V2 §3.3, "h·w·d′·t(d′ + k² + d″)")::

    MACs   = h·w·d′·t·(d′ + k² + d″)              (expand + depthwise + project)
           + 2·e·q                                 (SE, on the pooled 1×1 map)
    params = d′·e + k²·e + e·d″ + 2·(e + e + d″)   (convs + BN γ, β; drop d′·e and 2e without expand)
           + (e·q + q) + (q·e + e)                 (SE convs with biases)

With stride s the depthwise and the projection run at ⌈h/s⌉×⌈w/s⌉: h·w·d′·e + (h/s)(w/s)·e·(k² + d″).

α scales ``out`` and ``exp`` by the spec's width rule (torchvision's ``_make_divisible(c·α, 8)``,
``adjust_channels`` in MobileNet V3); ``t`` multiplies the (already scaled) input width, as in
torchvision's V2 (``int(round(inp·t))``), MnasNet (``in_ch·t``) and EfficientNet
(``_make_divisible(in·t, 8)``), which agree for the integer t and multiple-of-8 widths of these nets.

A ``widen`` row is a 1×1 conv + BN + activation whose width is ``factor`` × its input width: the last
conv of torchvision's MobileNet V3 (6 × the last bottleneck, 960 / 576) and EfficientNet (4 ×, 1280),
which therefore follows α through the block before it rather than by its own rounding.

Names: a row ``name`` expands to ``name.expand.{conv,bn,act}``, ``name.dw.{conv,bn,act}``,
``name.se.{pool,fc1,act,fc2,gate,scale}``, ``name.project.{conv,bn}`` and ``name.add``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field, model_validator

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.blocks.basic import conv_bn_act, scoped
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import Activation, AdaptivePool2d, Add, Conv2d, Mul
from archcalc.model.width import make_divisible
from archcalc.spec.fields import Act, ActArg, BoolArg, Entry, IntArg, KnobRef, OddKernelArg, PosInt, WidthMode


class InvertedResidualEntry(Entry):
    """Inverted residual: expand 1×1 → depthwise k×k (stride) → [SE] → linear 1×1 projection,
    plus the input when stride = 1 and the widths match. MACs at stride 1: h·w·d′·t(d′ + k² + d″)."""

    kind: Literal["inverted_residual"]
    out: IntArg = Field(description="d″ (the paper's c): output channels before the width multiplier")
    t: IntArg | None = Field(
        None, description="expansion ratio: expanded width = t × the block's input width (V2, MnasNet, B0)"
    )
    exp: IntArg | None = Field(
        None, description="absolute expanded width before the width multiplier (MobileNet V3's 'exp size')"
    )
    exp_from: Literal["scaled", "input"] | KnobRef = Field(
        "scaled",
        description="scaled: the expanded width is exp scaled by α (torchvision); input: "
        "_make_divisible(d′ · exp / c′), c′ the input width before α (Keras's MobileNetV3)",
    )
    k: OddKernelArg = Field(3, description="depthwise kernel size ('same' padding, so odd)")
    stride: IntArg = Field(1, description="stride of the depthwise conv, first repeat only")
    act: ActArg = Field("relu6", description="activation after the expand and the depthwise conv")
    residual: BoolArg = Field(True, description="add the input when stride = 1 and input width = out")
    se: BoolArg = Field(False, description="squeeze-and-excite on the depthwise output")
    se_from: Literal["expanded", "input"] = Field(
        "expanded", description="squeeze from the expanded width (V3) or the block input width (EfficientNet)"
    )
    se_ratio: PosInt = Field(4, description="squeeze width = that width // se_ratio, then rounded")
    se_divisor: PosInt | None = Field(
        8, description="round the squeeze width by _make_divisible(·, se_divisor); null: max(1, ·)"
    )
    se_act: Act = Field("relu", description="activation between the two SE 1×1 convs")
    se_gate: Act = Field("hsigmoid", description="the SE gate: hsigmoid (V3) or sigmoid (EfficientNet)")
    width: WidthMode = "scaled"

    @model_validator(mode="after")
    def _one_expansion(self) -> InvertedResidualEntry:
        if (self.t is None) == (self.exp is None):
            raise ValueError("give exactly one of t (expansion ratio) and exp (absolute expanded width)")
        if self.t is not None and self.exp_from != "scaled":
            raise ValueError("exp_from applies to exp (an absolute expanded width), not to t")
        return self


class WidenEntry(Entry):
    """1×1 conv + BN + activation to ``factor`` × the input width (MobileNet V3's 6×, EfficientNet's 4×)."""

    kind: Literal["widen"]
    factor: PosInt = Field(description="output channels = factor × input channels (α enters via the input)")
    act: ActArg = "relu"


def squeeze_width(width: int, ratio: int, divisor: int | None) -> int:
    """SE squeeze channels: _make_divisible(width // ratio, divisor), or max(1, width // ratio)."""
    q = width // ratio
    return max(1, q) if divisor is None else make_divisible(q, divisor)


def squeeze_excite(b: GraphBuilder, name: str, squeeze: int, act: str, gate: str) -> str:
    """Squeeze-and-excite on the current C×H×W tensor: pool → 1×1 C→q → act → 1×1 q→C → gate → scale."""
    x = b.current
    c = b.shape()[0]
    b.op(f"{name}.pool", AdaptivePool2d, op="avg", output=1)
    b.op(f"{name}.fc1", Conv2d, in_channels=c, out_channels=squeeze, kernel=(1, 1), bias=True)
    if act != "none":
        b.op(f"{name}.act", Activation, fn=act)
    b.op(f"{name}.fc2", Conv2d, in_channels=squeeze, out_channels=c, kernel=(1, 1), bias=True)
    gated = b.op(f"{name}.gate", Activation, fn=gate) if gate != "none" else b.current
    return b.op(f"{name}.scale", Mul, inputs=[x, gated])


def inverted_residual(
    b: GraphBuilder,
    name: str,
    hidden: int,
    out: int,
    k: int = 3,
    stride: int = 1,
    act: str = "relu6",
    *,
    se: Callable[[GraphBuilder], object] | None = None,
    residual: bool = True,
    bn: bool = True,
    bias: bool | None = None,
    expand_always: bool = False,
) -> str:
    """Expand 1×1 (d′ → hidden; left out when hidden = d′ unless ``expand_always``) → depthwise k×k
    (stride) → ``se`` (appends its layers to ``b``) → linear 1×1 projection (hidden → out), each conv
    followed by optional BN, the first two by ``act``; plus the input when ``residual``, the stride is 1
    and d′ = out. Returns the last tensor (see the module docstring for the costs)."""
    x = b.current
    d_in = b.shape()[0]
    if hidden != d_in or expand_always:
        conv_bn_act(b, scoped(name, "expand"), hidden, 1, act=act, bn=bn, bias=bias)
    conv_bn_act(b, scoped(name, "dw"), hidden, k, stride, groups=hidden, act=act, bn=bn, bias=bias)
    if se is not None:
        se(b)
    main = conv_bn_act(b, scoped(name, "project"), out, 1, act="none", bn=bn, bias=bias)
    if residual and stride == 1 and d_in == out:
        return b.op(scoped(name, "add"), Add, inputs=[main, x])
    return main


@block(InvertedResidualEntry)
def _inverted_residual(
    e: InvertedResidualEntry, ctx: Context, b: GraphBuilder, name: str, first: bool
) -> None:
    """h·w·d′·e + (h/s)(w/s)·e·(k² + d″) MACs (+ 2·e·q for SE); see the module docstring."""
    shape = b.shape()
    if len(shape) != 3:
        raise ArchcalcError(f"layer {name} (inverted_residual): needs a C×H×W map, gets a vector")
    d_in = shape[0]
    out = ctx.channels(e.out, e.width, f"{name}.out")
    if e.t is not None:
        hidden = ctx.int(e.t, f"{name}.t") * d_in
    elif ctx.value(e.exp_from) == "input":
        hidden = _keras_expansion(ctx, b, name, ctx.int(e.exp, f"{name}.exp"), d_in)
    else:
        hidden = ctx.channels(e.exp, e.width, f"{name}.exp")
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    se = None
    if ctx.bool(e.se, f"{name}.se"):
        q = squeeze_width(hidden if e.se_from == "expanded" else d_in, e.se_ratio, e.se_divisor)

        def se(b: GraphBuilder) -> str:
            return squeeze_excite(b, f"{name}.se", q, e.se_act, e.se_gate)

    residual = ctx.bool(e.residual, f"{name}.residual")
    k = ctx.odd_kernel(e.k, f"{name}.k")
    inverted_residual(
        b, name, hidden, out, k, stride, ctx.act(e.act, f"{name}.act"), se=se, residual=residual
    )


def _keras_expansion(ctx: Context, b: GraphBuilder, name: str, exp: int, d_in: int) -> int:
    """Keras's MobileNetV3 ``_depth(infilters * expansion)``: expansion = exp / c′ (the paper table's
    ratio, e.g. 72 / 16 = 4.5), times the block's actual input width d′, rounded to the divisor."""
    if b.nominal is None:
        raise ArchcalcError(
            f"layer {name} (inverted_residual): exp_from input needs the input width before α, "
            "and the row before has no `out`"
        )
    divisor = ctx.spec.width.divisor
    return make_divisible(d_in * (exp / b.nominal), divisor)


@block(WidenEntry)
def _widen(e: WidenEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """factor·M·M·H·W MACs for an M×H×W input (a 1×1 conv M → factor·M)."""
    shape = b.shape()
    if len(shape) != 3:
        raise ArchcalcError(f"layer {name} (widen): needs a C×H×W map, gets a vector")
    conv_bn_act(b, name, e.factor * shape[0], 1, act=ctx.act(e.act, f"{name}.act"))
