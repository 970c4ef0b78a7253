"""ShuffleNet units: V1 (Zhang et al. 2017, arXiv:1707.01083) and V2 (Ma et al. 2018, arXiv:1807.11164).

``shuffle_v1`` is one ShuffleNet unit (Fig. 2 b, c), laid out as the megvii reference
(megvii-model/ShuffleNet-Series, ShuffleNetV1/blocks.py ``ShuffleV1Block``). With input c channels,
output N, bottleneck m = N/4 and g groups::

    pw1   1×1 group conv c → m (g groups; dense for stage 2's first unit)  + BN + ReLU
    shuffle (g groups; none when g = 1)
    dw    3×3 depthwise m, stride s                                         + BN
    pw2   1×1 group conv m → N' (g groups)                                  + BN
    s = 1:  N' = N = c,  add the input, then ReLU
    s = 2:  N' = N − c,  ReLU, then concat [3×3/2 avg pool (pad 1) of the input, main]  → N channels

megvii's shuffle views the channels as (m/g, g) before transposing, torchvision's as (g, m/g): a
different permutation with the same shape and no cost; the graph uses the ChannelShuffle primitive.
No conv has a bias. At output side h×w, a stride-1 unit costs (§3.2 of the paper, c = N)

    MACs   = hw·(c·m/g + 9m + m·c/g) = hw·(2cm/g + 9m)
    params = 2cm/g + 9m (convs) + 2·(m + m + c) (BN γ, β)

and a stride-2 unit with input side 2h×2w costs 4hw·c·m/g₁ + hw·(9m + m·(N − c)/g) MACs, where g₁ is
1 for stage 2's first unit (Table 1 caption) and g otherwise. Every group conv and the shuffle need
their channels divisible by g; a width or groups setting that breaks this is refused, naming the unit.

``shuffle_v1_stem`` is Conv1 (3×3/2 + BN + ReLU) with the reference's width rule: 24 channels at
1× and 1.5×, 48 at 2×, 12 at 0.5× (16 for g = 8), i.e. max(min_out, out·⌊α⌋) raised to a multiple of
``multiple_of`` (g), so that stage 2's first unit can output N − c channels in g groups.

``shuffle_v2`` is one ShuffleNet V2 unit (Fig. 3 c, d), laid out as torchvision's
``shufflenetv2.InvertedResidual``. With output N and b = N/2 branch channels::

    s = 1:  split the input (N channels) into halves x₁, x₂ (Slice);
            branch2(x₂) = 1×1 b→b + BN + ReLU → dw 3×3 b + BN → 1×1 b→b + BN + ReLU
            concat [x₁, branch2(x₂)], channel shuffle (2 groups)
    s = 2:  branch1(x) = dw 3×3/2 c + BN → 1×1 c→b + BN + ReLU
            branch2(x) = 1×1 c→b + BN + ReLU → dw 3×3/2 b + BN → 1×1 b→b + BN + ReLU
            concat [branch1, branch2], channel shuffle (2 groups)

At output side h×w a stride-1 unit costs hw·(2b² + 9b) MACs and 2b² + 9b (+ 6b BN) params; a
stride-2 unit with input c at 2h×2w costs hw·(9c + cb) + 4hw·cb + hw·(9b + b²) MACs.

Names: a ``shuffle_v1`` unit ``name`` expands to ``name.pw1.{conv,bn,act}``, ``name.shuffle``,
``name.dw.{conv,bn}``, ``name.pw2.{conv,bn}``, then ``name.add`` + ``name.act`` (s = 1) or
``name.act``, ``name.shortcut``, ``name.concat`` (s = 2). A ``shuffle_v2`` unit expands to
``name.split1``, ``name.split2`` (s = 1) or ``name.branch1.{dw,pw}.*`` (s = 2),
``name.branch2.{pw1,dw,pw2}.*``, ``name.concat``, ``name.shuffle``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import Field, StrictBool

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import block
from archcalc.model.blocks.basic import conv_bn_act
from archcalc.model.context import Context
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import Activation, Add, ChannelShuffle, Concat, Pool2d, Slice
from archcalc.model.width import truncate
from archcalc.spec.fields import Entry, IntArg, PosInt, WidthMode


class ShuffleV1StemEntry(Entry):
    """ShuffleNet V1's Conv1: 3×3 conv (stride 2) + BN + ReLU, widened only in whole steps of α."""

    kind: Literal["shuffle_v1_stem"]
    out: PosInt = Field(24, description="channels at α = 1 (Table 1: 24)")
    min_out: PosInt = Field(12, description="fewest channels, used for every α < 1 (megvii 0.5×: 12)")
    multiple_of: IntArg = Field(1, description="round the width up to a multiple of this (set to $groups)")
    k: PosInt = 3
    stride: IntArg = 2


class ShuffleV1Entry(Entry):
    """A ShuffleNet V1 unit: group 1×1 → shuffle → dw 3×3 → group 1×1, residual add (s = 1) or
    avg-pool shortcut concat (s = 2)."""

    kind: Literal["shuffle_v1"]
    out: IntArg | dict[int, PosInt] = Field(
        description="unit output channels before α; or one count per group number (a Table 1 row)"
    )
    groups: IntArg = Field(description="g, the groups of both pointwise convs and of the shuffle")
    stride: IntArg = Field(1, description="stride of the first repeat (on the depthwise conv)")
    bottleneck_ratio: PosInt = Field(4, description="m = out // bottleneck_ratio (§3.3: a quarter)")
    first_pw_grouped: StrictBool = Field(
        True, description="false: the first repeat's first 1×1 is dense (stage 2, Table 1 caption)"
    )
    width: WidthMode = "scaled"


class ShuffleV2Entry(Entry):
    """A ShuffleNet V2 unit: channel split (s = 1) or two strided branches (s = 2), concat, shuffle."""

    kind: Literal["shuffle_v2"]
    out: IntArg = Field(description="unit output channels before α (even: two equal branches)")
    stride: IntArg = Field(1, description="stride of the first repeat (on both depthwise convs)")
    width: WidthMode = "scaled"


def _stem_channels(out: int, min_out: int, multiple: int, alpha: Fraction) -> int:
    """max(min_out, out·⌊α⌋), rounded up to a multiple of ``multiple`` (⌊α⌋ exact: :func:`truncate`)."""
    c = max(min_out, out * truncate(1, alpha))
    return -(-c // multiple) * multiple


@block(ShuffleV1StemEntry)
def _shuffle_v1_stem(e: ShuffleV1StemEntry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """Conv1: 3·k²·c₁·H·W MACs at output side H×W (3×3×3×24 at 112² for 1×)."""
    multiple = ctx.int(e.multiple_of, f"{name}.multiple_of")
    out = _stem_channels(e.out, e.min_out, multiple, ctx.alpha_exact)
    conv_bn_act(b, name, out, e.k, ctx.int(e.stride, f"{name}.stride") if first else 1)


def _refuse(name: str, ctx: Context, g: int, what: str) -> ArchcalcError:
    return ArchcalcError(
        f"layer {name} (shuffle_v1): groups={g} does not divide {what} at α={ctx.alpha:g}; "
        "choose another --alpha or --param groups"
    )


@block(ShuffleV1Entry)
def _shuffle_v1(e: ShuffleV1Entry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """hw·(2cm/g + 9m) MACs for a stride-1 unit (§3.2); see the module docstring for stride 2."""
    x = b.current
    c = b.shape()[0]
    g = ctx.int(e.groups, f"{name}.groups")
    if isinstance(e.out, dict):
        if g not in e.out:
            known = ", ".join(str(k) for k in e.out)
            raise ArchcalcError(f"{name}.out: no channel count for groups={g} (given for {known})")
        base = e.out[g]
    else:
        base = e.out
    out = ctx.channels(base, e.width, f"{name}.out")
    mid = out // e.bottleneck_ratio
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    main_out = out - c if stride != 1 else out
    if stride == 1 and c != out:
        raise ArchcalcError(
            f"layer {name} (shuffle_v1): a stride-1 unit adds its input, so it needs {out} input "
            f"channels, got {c}"
        )
    if main_out < 1:
        raise ArchcalcError(
            f"layer {name} (shuffle_v1): a stride-2 unit concatenates its {c}-channel input, so it needs "
            f"more than {c} output channels, got {out}"
        )
    if mid < 1:
        raise ArchcalcError(f"layer {name} (shuffle_v1): α={ctx.alpha:g} leaves a 0-channel bottleneck")
    g1 = 1 if first and not e.first_pw_grouped else g
    if c % g1:
        raise _refuse(name, ctx, g, f"the {c} input channels")
    if mid % g:
        raise _refuse(name, ctx, g, f"the {mid}-channel bottleneck ({out} // {e.bottleneck_ratio})")
    if main_out % g:
        raise _refuse(name, ctx, g, f"the {main_out} output channels of the main branch ({out} − {c})")
    conv_bn_act(b, f"{name}.pw1", mid, 1, groups=g1)
    if g > 1:
        b.op(f"{name}.shuffle", ChannelShuffle, groups=g)
    conv_bn_act(b, f"{name}.dw", mid, 3, stride, groups=mid, act="none")
    main = conv_bn_act(b, f"{name}.pw2", main_out, 1, groups=g, act="none")
    if stride == 1:
        b.op(f"{name}.add", Add, inputs=[main, x])
        b.op(f"{name}.act", Activation, fn="relu")
    else:
        main = b.op(f"{name}.act", Activation, fn="relu")
        short = b.op(f"{name}.shortcut", Pool2d, inputs=[x], op="avg", kernel=3, stride=stride, padding=1)
        b.op(f"{name}.concat", Concat, inputs=[short, main])


def shuffle_v2_unit(b: GraphBuilder, name: str, out: int, stride: int, split: bool, act: str = "relu") -> str:
    """A ShuffleNet V2 unit (see the module docstring) to ``out`` channels: with ``split``, the input's
    halves, one kept and one through branch2 (the input must have ``out`` channels); else branch1
    (dw + 1×1 to ⌊out/2⌋) and branch2 (to the rest) both read the input. Then concat and, for an even
    ``out``, the 2-group shuffle. Returns the last tensor."""
    x = b.current
    c = b.shape()[0]
    half = out // 2
    if split:
        left = b.op(f"{name}.split1", Slice, inputs=[x], start=0, stop=half)
        b.op(f"{name}.split2", Slice, inputs=[x], start=half, stop=c)
    else:
        conv_bn_act(b, f"{name}.branch1.dw", c, 3, stride, groups=c, act="none")
        left = conv_bn_act(b, f"{name}.branch1.pw", half, 1, act=act)
        b.current = x
    rest = out - half
    conv_bn_act(b, f"{name}.branch2.pw1", rest, 1, act=act)
    conv_bn_act(b, f"{name}.branch2.dw", rest, 3, stride, groups=rest, act="none")
    right = conv_bn_act(b, f"{name}.branch2.pw2", rest, 1, act=act)
    cat = b.op(f"{name}.concat", Concat, inputs=[left, right])
    return b.op(f"{name}.shuffle", ChannelShuffle, groups=2) if out % 2 == 0 else cat


@block(ShuffleV2Entry)
def _shuffle_v2(e: ShuffleV2Entry, ctx: Context, b: GraphBuilder, name: str, first: bool) -> None:
    """hw·(2b² + 9b) MACs for a stride-1 unit (b = out/2); see the module docstring for stride 2."""
    c = b.shape()[0]
    out = ctx.channels(e.out, e.width, f"{name}.out")
    if out % 2:
        raise ArchcalcError(
            f"layer {name} (shuffle_v2): {out} output channels cannot be split into two equal branches"
        )
    stride = ctx.int(e.stride, f"{name}.stride") if first else 1
    if stride == 1 and c != out:
        raise ArchcalcError(
            f"layer {name} (shuffle_v2): a stride-1 unit splits its input in two, so it needs {out} "
            f"input channels, got {c}"
        )
    shuffle_v2_unit(b, name, out, stride, split=stride == 1)
