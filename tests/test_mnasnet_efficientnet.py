"""MnasNet 1.0 (Tan et al. 2019) and EfficientNet-B0 (Tan & Le 2019) in torchvision's layouts.

The oracles: torchvision's mnasnet.py / efficientnet.py (layers, widths, rounding, SE rule) worked
by hand below into whole-network counts, independent of the spec and the graph; EfficientNet's
Table 1 (stages, resolutions, channels, layers); the MBConv cost formula for single blocks; and
torchvision's weights metadata (``num_params``, ``_ops``), which tests/test_published.py also checks
through the specs' ``published`` lists.
"""

from __future__ import annotations

import pytest

from archcalc.count.closed_form import Report, report
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec


def _round_to_multiple_of(val: float, divisor: int = 8, round_up_bias: float = 0.9) -> int:
    """torchvision mnasnet.py ``_round_to_multiple_of`` (= ``_make_divisible``), transcribed."""
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def side(d: int, stride: int) -> int:
    return -(-d // stride)


def net(name: str, alpha: float = 1.0, res: int | None = None) -> Report:
    return report(resolve(load_spec(name), alpha, res))


# =============================================================================================
# MnasNet: torchvision MNASNet.__init__ — _stack(in, out, kernel, stride, exp_factor, repeats).
MNAS_STACKS = [(24, 3, 2, 3, 3), (40, 5, 2, 3, 3), (80, 5, 2, 6, 3), (96, 3, 1, 6, 2), (192, 5, 2, 6, 4)]
MNAS_STACKS += [(320, 3, 1, 6, 1)]


def mnasnet_hand(alpha: float = 1.0, res: int = 224) -> tuple[int, int]:
    """(conv + linear MACs, all params) of torchvision's MNASNet(alpha) (model version 2).

    depths = _round_to_multiple_of(α·[32, 16, 24, 40, 80, 96, 192, 320], 8); conv 3×3/2 3→d0; dw 3×3
    d0 + pw d0→d1 (BN, no ReLU after the pw); stacks of expand (mid = in·t) / dw k×k / project; conv
    1×1 → 1280 (never scaled); FC 1280 → 1000 with a bias. No conv bias; BN γ, β everywhere.
    """
    dep = [_round_to_multiple_of(c * alpha) for c in (32, 16, 24, 40, 80, 96, 192, 320)]
    d = side(res, 2)
    macs, weights, bn = 27 * dep[0] * d * d, 27 * dep[0], dep[0]
    macs += d * d * (9 * dep[0] + dep[0] * dep[1])
    weights += 9 * dep[0] + dep[0] * dep[1]
    bn += dep[0] + dep[1]
    m = dep[1]
    for (_, k, s, t, n), out in zip(MNAS_STACKS, dep[2:], strict=True):
        for i in range(n):
            mid, do = m * t, side(d, s if i == 0 else 1)
            macs += d * d * m * mid + do * do * mid * (k * k + out)
            weights += m * mid + mid * (k * k + out)
            bn += mid + mid + out
            m, d = out, do
    macs += d * d * m * 1280 + 1280 * 1000
    weights += m * 1280 + 1280 * 1000 + 1000
    return macs, weights + 2 * (bn + 1280)


# torchvision MNASNet{0_5,0_75,1_0,1_3}_Weights meta: (num_params, _ops GMACs)
MNAS_TORCHVISION = {0.5: (2_218_512, 0.104), 0.75: (3_170_208, 0.215), 1.0: (4_383_312, 0.314)}
MNAS_TORCHVISION[1.3] = (6_282_256, 0.526)


@pytest.mark.parametrize("alpha", list(MNAS_TORCHVISION))
def test_mnasnet_hand_count_is_torchvisions_and_the_closed_form(alpha: float) -> None:
    macs, params = mnasnet_hand(alpha)
    assert (params, round(macs / 1e9, 3)) == MNAS_TORCHVISION[alpha]
    t = net("mnasnet1_0", alpha).totals
    assert (t.macs, t.params_with_bn) == (macs, params)


def test_mnasnet_closed_form_at_other_resolutions() -> None:
    for res in (160, 96):
        t = net("mnasnet1_0", 0.5, res).totals
        assert (t.macs, t.params_with_bn) == mnasnet_hand(0.5, res)


def test_mnasnet_layout() -> None:
    g = resolve(load_spec("mnasnet1_0")).graph
    # stem: conv 3×3/2, then a depthwise-separable conv with no skip and no ReLU after its pw
    assert g.node("sepconv.dw.conv").op.describe() == "3×3×32 dw"
    assert g.node("sepconv.project.conv").out_shape == (16, 112, 112)
    assert "sepconv.project.act" not in {n.name for n in g} and "sepconv.add" not in {n.name for n in g}
    # stack outputs (channels × side) at 224, and the expansion t × block input
    outs = {f"stack{i}": n.out_shape for i in range(1, 7) for n in g if n.row == f"stack{i}"}
    assert outs == {
        "stack1": (24, 56, 56),
        "stack2": (40, 28, 28),
        "stack3": (80, 14, 14),
        "stack4": (96, 14, 14),
        "stack5": (192, 7, 7),
        "stack6": (320, 7, 7),
    }
    assert g.node("stack1.0.expand.conv").op.out_channels == 16 * 3
    assert g.node("stack5.0.expand.conv").op.out_channels == 96 * 6  # stack4 ends at 96
    assert g.node("stack2.0.dw.conv").op.kernel == (5, 5)
    # "First one has no skip": adds on every later block of a stack = Σ(n − 1) = 10
    assert len([n for n in g if n.kind == "add"]) == sum(n - 1 for *_, n in MNAS_STACKS) == 10
    assert not any(n.kind == "conv2d" and n.op.bias for n in g)
    # the 1280 conv does not scale with α (torchvision: nn.Conv2d(depths[7], 1280, 1))
    small = resolve(load_spec("mnasnet1_0"), alpha=0.5).graph
    assert small.node("conv_last.conv").op.out_channels == 1280
    assert small.node("conv1.conv").op.out_channels == 16  # model version 2 scales the stem


def test_mnasnet_block_cost_by_hand() -> None:
    """stack3.1: 14×14, t = 6, k = 5, d′ = d″ = 80: h·w·d′·t(d′ + k² + d″) MACs."""
    rows = [r for r in net("mnasnet1_0").layers if r.name.startswith("stack3.1.")]
    assert sum(r.macs for r in rows) == 14 * 14 * 80 * 6 * (80 + 25 + 80) == 17_404_800


# =============================================================================================
# EfficientNet-B0: Table 1 — (stage, operator, input resolution, output channels, layers).
B0_TABLE_1 = [
    (1, "Conv3x3", 224, 32, 1),
    (2, "MBConv1, k3x3", 112, 16, 1),
    (3, "MBConv6, k3x3", 112, 24, 2),
    (4, "MBConv6, k5x5", 56, 40, 2),
    (5, "MBConv6, k3x3", 28, 80, 3),
    (6, "MBConv6, k5x5", 14, 112, 3),
    (7, "MBConv6, k5x5", 14, 192, 4),
    (8, "MBConv6, k3x3", 7, 320, 1),
    (9, "Conv1x1 & Pooling & FC", 7, 1280, 1),
]
B0_STRIDES = [1, 2, 2, 2, 1, 2, 1]  # torchvision bneck_conf strides of stages 2–8


def b0_hand(alpha: float = 1.0, res: int = 224) -> tuple[int, int]:
    """(conv + linear MACs, all params) of torchvision's EfficientNet with width_mult α, depth 1.0.

    MBConv: expanded = _make_divisible(in·t, 8); expand (t ≠ 1), dw k×k, SE with squeeze
    max(1, in // 4) (two 1×1 convs with biases on the pooled map), project; conv 1×1 → 4 × 320α;
    FC → 1000 with a bias.
    """
    d, m = side(res, 2), _round_to_multiple_of(32 * alpha)
    macs, weights, bn = 27 * m * d * d, 27 * m, m
    for (_, op, _, c, n), s in zip(B0_TABLE_1[1:8], B0_STRIDES, strict=True):
        t, k = int(op[6]), int(op[-1])
        out = _round_to_multiple_of(c * alpha)
        for i in range(n):
            e, q, do = _round_to_multiple_of(m * t), max(1, m // 4), side(d, s if i == 0 else 1)
            if e != m:
                macs, weights, bn = macs + d * d * m * e, weights + m * e, bn + e
            macs += do * do * e * (k * k + out) + 2 * e * q
            weights += e * (k * k + out) + 2 * e * q + q + e
            bn += e + out
            m, d = out, do
    last = 4 * m
    macs += d * d * m * last + last * 1000
    weights += m * last + last * 1000 + 1000
    return macs, weights + 2 * (bn + last)


def test_b0_hand_count_is_torchvisions_and_the_closed_form() -> None:
    # EfficientNet_B0_Weights.IMAGENET1K_V1 meta: num_params 5288548, _ops 0.386
    macs, params = b0_hand()
    assert (params, round(macs / 1e9, 3)) == (5_288_548, 0.386)
    for alpha, res in [(1.0, 224), (0.5, 160), (0.75, 96), (1.3, 224)]:
        t = net("efficientnet_b0", alpha, res).totals
        assert (t.macs, t.params_with_bn) == b0_hand(alpha, res), (alpha, res)


def test_b0_table_1() -> None:
    g = resolve(load_spec("efficientnet_b0")).graph
    rows = [f"stage{i}" for i in range(2, 9)]
    for (stage, op, res, c, n), row in zip(B0_TABLE_1[1:8], rows, strict=True):
        nodes = [x for x in g if x.row == row]
        assert nodes[0].in_shapes[0][1:] == (res, res), stage  # the "Resolution" column
        assert nodes[-1].out_shape[0] == c, stage  # "#Channels"
        dws = [x for x in nodes if x.kind == "conv2d" and x.op.is_depthwise]
        assert len(dws) == n, stage  # "#Layers"
        k = int(op[-1])
        assert {x.op.kernel for x in dws} == {(k, k)}, stage
        # MBConv1 has no expansion; MBConv6 expands 6 × the block input
        expands = [x for x in nodes if x.name.endswith("expand.conv")]
        assert all(x.op.out_channels == 6 * x.op.in_channels for x in expands) and len(expands) == (
            0 if op.startswith("MBConv1") else n
        )
    assert g.node("stem.conv").out_shape == (32, 112, 112) and g.node("stem.act").op.fn == "swish"
    assert g.node("conv_last.conv").in_shapes[0] == (320, 7, 7)
    assert g.node("conv_last.conv").out_shape == (1280, 7, 7)
    assert g.output.out_shape == (1000,)


def test_b0_squeeze_excite() -> None:
    """torchvision MBConv: squeeze = max(1, input_channels // 4), SiLU, sigmoid gate, on every block."""
    g = resolve(load_spec("efficientnet_b0")).graph
    fc1 = {n.name.removesuffix(".se.fc1"): n.op for n in g if n.name.endswith(".se.fc1")}
    assert len(fc1) == 16
    assert fc1["stage2"].in_channels == 32 and fc1["stage2"].out_channels == 8
    assert (fc1["stage3.0"].in_channels, fc1["stage3.0"].out_channels) == (96, 4)  # in 16 → 4
    assert (fc1["stage6.1"].in_channels, fc1["stage6.1"].out_channels) == (672, 28)  # in 112 → 28
    assert (fc1["stage8"].in_channels, fc1["stage8"].out_channels) == (1152, 48)  # in 192 → 48
    assert {g.node(f"{b}.se.act").op.fn for b in fc1} == {"swish"}
    assert {g.node(f"{b}.se.gate").op.fn for b in fc1} == {"sigmoid"}
    assert len([n for n in g if n.kind == "add"]) == 9  # Σ(n − 1) over stages 2–8


def test_b0_block_cost_by_hand() -> None:
    """stage6.1: 14×14, t = 6, k = 5, d′ = d″ = 112, SE squeeze 28:
    h·w·d′·t(d′ + k² + d″) + 2·(6d′)·28 MACs."""
    rows = [r for r in net("efficientnet_b0").layers if r.name.startswith("stage6.1.")]
    conv_macs = sum(r.macs for r in rows)
    assert conv_macs == 14 * 14 * 112 * 6 * (112 + 25 + 112) + 2 * 672 * 28 == 32_833_920
    params = sum(r.params_with_bn for r in rows)
    convs = 112 * 672 + 25 * 672 + 672 * 112  # expand, depthwise, project (no biases)
    se = (672 * 28 + 28) + (28 * 672 + 672)  # two 1×1 convs with biases
    assert params == convs + se + 2 * (672 + 672 + 112)  # + BN γ, β
