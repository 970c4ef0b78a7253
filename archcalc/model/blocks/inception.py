"""GoogLeNet's Inception module (Szegedy et al. 2015, Fig. 2b and Table 1), laid out as torchvision's
``Inception``: four parallel branches on the same input, concatenated along channels.

For an input c×H×W (every branch keeps H×W; each conv is torchvision's ``BasicConv2d``: conv without
bias + BN + ReLU)::

    b1x1         1×1, c → n1
    b3x3_reduce  1×1, c → r3        then  b3x3  3×3, r3 → n3
    b5x5_reduce  1×1, c → r5        then  b5x5  k5×k5, r5 → n5
    pool         3×3 max, stride 1, padding 1 (ceil mode)  then  pool_proj  1×1, c → np
    concat       n1 + n3 + n5 + np channels

    MACs   = H·W·(c·n1 + c·r3 + 9·r3·n3 + c·r5 + k5²·r5·n5 + c·np)
    params = the same sum without H·W, plus 2·(n1 + r3 + n3 + r5 + n5 + np) BN γ, β

``k5`` is the kernel of the "5×5" branch. torchvision builds it with a 3×3 kernel (a known bug,
pytorch/vision issue #906, kept so that its pretrained weights load), so ``k5`` defaults to 3;
``k5: 5`` gives the paper's module. Column names in the paper's Table 1: #1×1, #3×3 reduce, #3×3,
#5×5 reduce, #5×5, pool proj. α scales every branch width (by the spec's width rule).

Names: a row ``name`` expands to ``name.b1x1.{conv,bn,act}``, ``name.b3x3_reduce.*``,
``name.b3x3.*``, ``name.b5x5_reduce.*``, ``name.b5x5.*``, ``name.pool``, ``name.pool_proj.*`` and
``name.concat``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.blocks.basic import conv_bn_act
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import Concat, Pool2d
from archcalc.spec.fields import Act, Entry, IntArg, WidthMode


class InceptionEntry(Entry):
    """Inception module: 1×1 ‖ 1×1→3×3 ‖ 1×1→"5×5" ‖ 3×3 max pool→1×1, concatenated."""

    kind: Literal["inception"]
    ch1x1: IntArg = Field(description="#1×1: output channels of the 1×1 branch")
    ch3x3_reduce: IntArg = Field(description="#3×3 reduce: the 1×1 before the 3×3")
    ch3x3: IntArg = Field(description="#3×3: output channels of the 3×3 branch")
    ch5x5_reduce: IntArg = Field(description="#5×5 reduce: the 1×1 before the '5×5'")
    ch5x5: IntArg = Field(description="#5×5: output channels of the '5×5' branch")
    pool_proj: IntArg = Field(description="pool proj: the 1×1 after the 3×3 max pool")
    k5: IntArg = Field(3, description="kernel of the '5×5' branch: torchvision's 3 (sic), the paper's 5")
    bn: StrictBool = Field(
        True, description="BN after every conv (torchvision's BasicConv2d); no conv bias then"
    )
    act: Act = "relu"
    width: WidthMode = "scaled"


@block(InceptionEntry)
def _inception(e: InceptionEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """H·W·(c·n1 + c·r3 + 9·r3·n3 + c·r5 + k5²·r5·n5 + c·np) MACs; see the module docstring."""
    x = b.current

    def ch(field: str) -> int:
        return ctx.channels(getattr(e, field), e.width, f"{name}.{field}")

    k5 = ctx.int(e.k5, f"{name}.k5")
    if k5 % 2 == 0:
        raise ArchcalcError(
            f"{name}.k5: the '5×5' branch pads 'same' (k5//2), which needs an odd kernel; k5 is {k5}"
        )
    outputs: list[str] = []
    outputs.append(conv_bn_act(b, f"{name}.b1x1", ch("ch1x1"), 1, act=e.act, bn=e.bn))
    for reduce, conv, k in (("ch3x3_reduce", "ch3x3", 3), ("ch5x5_reduce", "ch5x5", k5)):
        b.current = x
        branch = conv.removeprefix("ch")
        conv_bn_act(b, f"{name}.b{branch}_reduce", ch(reduce), 1, act=e.act, bn=e.bn)
        outputs.append(conv_bn_act(b, f"{name}.b{branch}", ch(conv), k, act=e.act, bn=e.bn))
    b.op(f"{name}.pool", Pool2d, inputs=[x], op="max", kernel=3, stride=1, padding=1, ceil_mode=True)
    outputs.append(conv_bn_act(b, f"{name}.pool_proj", ch("pool_proj"), 1, act=e.act, bn=e.bn))
    b.op(f"{name}.concat", Concat, inputs=outputs)
