"""Xception's separable convolution and residual module (Chollet 2016; Keras ``xception.py``).

``sepconv`` is a Keras ``SeparableConv2D`` (depth multiplier 1, no bias) followed by BN, with an
optional activation before it and after the BN. From M to N channels with a k×k kernel, output H×W::

    [pre-act] ─ depthwise k×k (M groups) ─ pointwise 1×1 (M→N) ─ BN ─ [act]
    params = k²·M + M·N (+ 2N for BN γ, β)      MACs = H·W·(k²·M + M·N)

There is no nonlinearity and no BN between the depthwise and the pointwise conv (§4.7 of the paper).

``xception`` is one residual module of the entry, middle or exit flow: a chain of sepconvs, each
preceded by the activation (ReLU), except the module's first one when ``first_act`` is false (the
first entry-flow module, whose input is already ReLU'd). Then either

* ``stride: 2``: max pool 3×3 / 2 (padding 1) on the chain, plus a 1×1 / 2 conv + BN shortcut
  (M·N + 2N params, MACs = H_out·W_out·M·N), or
* ``stride: 1``: an identity shortcut (the middle flow), which needs equal input and output widths,

and the two are added. As in Keras, the shortcut reads the module input *before* the ReLU that
opens the chain (Keras's activations are separate layers, so the residual is the pre-ReLU sum).

Keras pools with ``padding='same'``, i.e. asymmetrically (0 before, 1 after) on even maps. The torch
model pads 1 on both sides: for a 3×3 / 2 window both give ⌈D/2⌉ outputs for every D, so shapes and
costs agree (max pooling has no MACs), though the windows of an even map are shifted by one pixel.

Names: a ``sepconv`` row ``name`` expands to ``name.pre_act``, ``name.dw``, ``name.pw``, ``name.bn``,
``name.act``; an ``xception`` row to ``name.shortcut.*``, ``name.sep1.*`` … ``name.pool``, ``name.add``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.blocks.basic import conv_bn_act
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import Activation, Add, BatchNorm2d, Conv2d, Pool2d
from archcalc.spec.fields import Act, BoolArg, Entry, IntArg, OddKernel, WidthMode

POOL_K = 3
"""The window of Xception's downsampling max pool (Keras ``MaxPooling2D((3, 3), strides=(2, 2))``)."""


class SepConvEntry(Entry):
    """Keras SeparableConv2D (depthwise k×k, pointwise 1×1, no bias) + BN, optional activations."""

    kind: Literal["sepconv"]
    out: IntArg = Field(description="output channels before the width multiplier")
    k: OddKernel = Field(3, description="depthwise kernel size ('same' padding, so odd)")
    stride: IntArg = Field(1, description="stride of the depthwise conv")
    pre_act: Act = Field("none", description="activation before the depthwise conv")
    bn: StrictBool = True
    act: Act = Field("none", description="activation after the BN")
    width: WidthMode = "scaled"


class XceptionEntry(Entry):
    """One Xception residual module: [act, sepconv, BN] × len(widths), then pool + conv shortcut
    (stride 2) or identity shortcut (stride 1), added."""

    kind: Literal["xception"]
    widths: list[IntArg] = Field(min_length=1, description="output channels of each sepconv, in order")
    k: OddKernel = Field(3, description="depthwise kernel size of the sepconvs")
    stride: Literal[1, 2] = Field(
        1, description="2: 3×3/2 max pool on the chain and a 1×1/2 conv + BN shortcut; 1: identity shortcut"
    )
    first_act: BoolArg = Field(True, description="activation before the first sepconv too")
    act: Act = Field("relu", description="the activation before each sepconv")
    width: WidthMode = "scaled"


def separable_conv(
    b: GraphBuilder,
    name: str,
    out: int,
    k: int = 3,
    stride: int = 1,
    pre_act: str = "none",
    bn: bool = True,
    act: str = "none",
) -> str:
    """[pre_act] → depthwise k×k (pad (k−1)/2) → pointwise 1×1 → [BN] → [act]; no conv biases.

    Returns the name of the last node appended.
    """
    m = b.shape()[0]
    if pre_act != "none":
        b.op(f"{name}.pre_act", Activation, fn=pre_act)
    pad = (k - 1) // 2
    b.op(
        f"{name}.dw",
        Conv2d,
        in_channels=m,
        out_channels=m,
        kernel=(k, k),
        stride=(stride, stride),
        padding=(pad, pad),
        groups=m,
    )
    b.op(f"{name}.pw", Conv2d, in_channels=m, out_channels=out, kernel=(1, 1))
    if bn:
        b.op(f"{name}.bn", BatchNorm2d, channels=out)
    if act != "none":
        b.op(f"{name}.act", Activation, fn=act)
    return b.current


@block(SepConvEntry)
def _sepconv(e: SepConvEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    out = ctx.channels(e.out, e.width, f"{name}.out")
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    separable_conv(b, name, out, e.k, stride, e.pre_act, e.bn, e.act)


@block(XceptionEntry)
def _xception(e: XceptionEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    widths = [ctx.channels(w, e.width, f"{name}.widths[{i}]") for i, w in enumerate(e.widths)]
    first_act = ctx.bool(e.first_act, f"{name}.first_act")
    stride = e.stride if first else 1
    module_in = b.current
    in_ch = b.shape()[0]

    shortcut = module_in
    if stride != 1:
        # Keras: Conv2D(N, 1×1, strides=2, padding='same', use_bias=False) + BN; 'same' pads 0 for 1×1.
        shortcut = conv_bn_act(b, f"{name}.shortcut", widths[-1], 1, stride, act="none", padding=0)
    elif in_ch != widths[-1]:
        raise ArchcalcError(
            f"layer {name} (xception): an identity shortcut needs as many output channels as input "
            f"channels, got {in_ch} in and {widths[-1]} out; give the module stride 2 for a conv shortcut"
        )

    b.current = module_in
    for i, w in enumerate(widths, start=1):
        pre = e.act if (i > 1 or first_act) else "none"
        separable_conv(b, f"{name}.sep{i}", w, e.k, pre_act=pre)
    if stride != 1:
        b.op(f"{name}.pool", Pool2d, op="max", kernel=POOL_K, stride=stride, padding=POOL_K // 2)
    b.op(f"{name}.add", Add, inputs=[b.current, shortcut])
