"""ResNet's bottleneck block (He et al. 2016, Fig. 5 right), laid out as torchvision's ``Bottleneck``.

A ``bottleneck`` row with ``planes`` = p, expansion e (4) and input channels c builds::

    conv1  1×1, c → p           + BN + ReLU
    conv2  3×3, p → p, stride s + BN + ReLU      (ResNet v1.5: the stride sits on the 3×3)
    conv3  1×1, p → e·p         + BN
    downsample 1×1, c → e·p, stride s + BN       (only when s ≠ 1 or c ≠ e·p, as torchvision)
    add    conv3 + (downsample or the input), then ReLU

No conv has a bias (``bias: true`` puts one on every conv, as Keras's ResNet50 does: + p + p + e·p
[+ e·p] params, and TF's BiasAdd per output element). At output side H×W (input side s·H×s·W):

    MACs   = c·p·(sH)(sW) + 9·p²·H·W + e·p²·H·W  [+ c·e·p·H·W with the downsample]
    params = c·p + 9·p² + e·p² [+ c·e·p] (convs) + 2·(p + p + e·p [+ e·p]) (BN γ, β)

``stride_on: conv1`` puts the stride on the first 1×1 instead (the original ResNet v1 of the
paper and of Caffe), so conv1 runs at H×W and the 3×3 too: c·p·H·W + 9·p²·H·W + ….
α scales p (by the spec's width rule); the block output is then e·p.

Names: a row ``name`` expands to ``name.conv1.{conv,bn,act}``, ``name.conv2.*``, ``name.conv3.*``,
``name.downsample.{conv,bn}``, ``name.add`` and ``name.act``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.blocks.basic import conv_bn_act
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import Activation, Add
from archcalc.spec.fields import BoolArg, Entry, IntArg, KnobRef, PosInt, WidthMode


class BottleneckEntry(Entry):
    """ResNet bottleneck: 1×1 reduce → 3×3 (stride) → 1×1 expand ×``expansion``, residual add."""

    kind: Literal["bottleneck"]
    planes: IntArg = Field(description="bottleneck width p before the width multiplier (64, 128, 256, 512)")
    expansion: PosInt = Field(4, description="output channels = expansion · planes")
    stride: IntArg = Field(1, description="stride of the first repeat (on the 3×3, or see stride_on)")
    stride_on: Literal["conv2", "conv1"] | KnobRef = Field(
        "conv2",
        description="conv2: stride on the 3×3 (torchvision, ResNet v1.5); conv1: on the first 1×1 "
        "(the paper's ResNet v1); may name a knob ($name)",
    )
    bias: BoolArg = Field(False, description="a bias on every conv (Keras's ResNet50), beside the BN")
    width: WidthMode = "scaled"


@block(BottleneckEntry)
def _bottleneck(e: BottleneckEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """c·p·H₁W₁ + 9·p²·H₂W₂ + e·p²·H₂W₂ (+ c·e·p·H₂W₂ downsample) MACs; see the module docstring."""
    x = b.current
    in_ch = b.shape()[0]
    planes = ctx.channels(e.planes, e.width, f"{name}.planes")
    out = e.expansion * planes
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    where = ctx.value(e.stride_on)
    if where not in ("conv1", "conv2"):
        raise ArchcalcError(f"{name}.stride_on: expected conv1 or conv2, got {where!r} (from {e.stride_on})")
    s1, s2 = (stride, 1) if where == "conv1" else (1, stride)
    bias = ctx.bool(e.bias, f"{name}.bias")
    conv_bn_act(b, f"{name}.conv1", planes, 1, s1, bias=bias)
    conv_bn_act(b, f"{name}.conv2", planes, 3, s2, bias=bias)
    main = conv_bn_act(b, f"{name}.conv3", out, 1, act="none", bias=bias)
    identity = x
    if stride != 1 or in_ch != out:
        b.current = x
        identity = conv_bn_act(b, f"{name}.downsample", out, 1, stride, act="none", bias=bias)
    b.op(f"{name}.add", Add, inputs=[main, identity])
    b.op(f"{name}.act", Activation, fn="relu")
