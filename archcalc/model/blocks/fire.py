"""SqueezeNet's Fire module (Iandola et al. 2016, §3.2; torchvision ``squeezenet.py`` ``Fire``).

A Fire module with input M channels, squeeze s₁ₓ₁, expand e₁ₓ₁ and e₃ₓ₃ is::

    x ─ squeeze 1×1 (M→s) ─ ReLU ─┬─ expand 1×1 (s→e₁ₓ₁) ─ ReLU ─┐
                                  └─ expand 3×3 (s→e₃ₓ₃, pad 1) ─ ReLU ─┴─ concat → e₁ₓ₁ + e₃ₓ₃

Every conv has a bias and no batch norm (torchvision, like the Caffe original), so

    params = (M + 1)·s + (s + 1)·e₁ₓ₁ + (9s + 1)·e₃ₓ₃
    MACs   = H·W·(M·s + s·e₁ₓ₁ + 9·s·e₃ₓ₃)

at stride 1 (H×W is both the input and the output map). Names: a row ``name`` expands to
``name.squeeze.*``, ``name.expand1x1.*``, ``name.expand3x3.*`` and ``name.concat``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from archcalc.model.blocks import block
from archcalc.model.blocks.basic import conv_bn_act, scoped
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import Concat
from archcalc.spec.fields import Act, Entry, IntArg, WidthMode


class FireEntry(Entry):
    """A Fire module: squeeze 1×1, then expand 1×1 ‖ expand 3×3, concatenated along channels."""

    kind: Literal["fire"]
    squeeze: IntArg = Field(description="s₁ₓ₁: squeeze (1×1) channels before the width multiplier")
    expand1x1: IntArg = Field(description="e₁ₓ₁: expand 1×1 channels before the width multiplier")
    expand3x3: IntArg = Field(description="e₃ₓ₃: expand 3×3 channels before the width multiplier")
    act: Act = "relu"
    bn: StrictBool = Field(False, description="BN after each conv (then no conv bias); torchvision has none")
    width: WidthMode = "scaled"


def fire(
    b: GraphBuilder,
    name: str,
    squeeze: int,
    expand1x1: int,
    expand3x3: int,
    act: str = "relu",
    bn: bool = False,
    *,
    k: int = 3,
    stride: int = 1,
    bias: bool | None = None,
) -> str:
    """Append a Fire module reading the current tensor; returns the concat's name. ``k`` is the
    expand "3×3" kernel ('same' padding), ``stride`` the squeeze's; every conv has a bias unless
    ``bn`` (or ``bias``) says otherwise."""
    squeezed = conv_bn_act(b, scoped(name, "squeeze"), squeeze, 1, stride, act=act, bn=bn, bias=bias)
    left = conv_bn_act(b, scoped(name, "expand1x1"), expand1x1, 1, act=act, bn=bn, bias=bias)
    b.current = squeezed
    right = conv_bn_act(b, scoped(name, "expand3x3"), expand3x3, k, act=act, bn=bn, bias=bias)
    return b.op(scoped(name, "concat"), Concat, inputs=[left, right])


@block(FireEntry)
def _fire(e: FireEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    fire(
        b,
        name,
        ctx.channels(e.squeeze, e.width, f"{name}.squeeze"),
        ctx.channels(e.expand1x1, e.width, f"{name}.expand1x1"),
        ctx.channels(e.expand3x3, e.width, f"{name}.expand3x3"),
        e.act,
        e.bn,
    )
