"""MobileNet V2 (Sandler et al. 2018) and V3 (Howard et al. 2019) in torchvision's layouts.

The oracles: the papers' architecture tables (V2 Table 2, V3 Tables 1 and 2) row by row, the
bottleneck cost formula of V2 §3.3 worked by hand for single blocks, whole-network counts worked by
hand below from those tables and torchvision's rules (independent of the spec and the graph), and
the figures of the papers, TF-Slim's README and torchvision's weights metadata (every one of those
is also checked through the specs' ``published`` lists by tests/test_published.py). Where a printed
figure is not the count, the tests here pin down what explains it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from archcalc.count.closed_form import Report, report
from archcalc.errors import ArchcalcError
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec
from archcalc.spec.schema import NetworkSpec

M = 1e6


def _make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision models/_utils.py ``_make_divisible`` (min_value = divisor), transcribed."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def side(d: int, stride: int) -> int:
    """Output side of a 'same'-padded odd-kernel conv: ⌈d / stride⌉."""
    return -(-d // stride)


def net(name: str, alpha: float = 1.0, res: int | None = None, **knobs: object) -> Report:
    return report(resolve(load_spec(name), alpha, res, knobs=knobs))


def floor_to(x: float, decimals: int) -> float:
    """x truncated (not rounded) to ``decimals`` places."""
    return math.floor(x * 10**decimals + 1e-9) / 10**decimals


# =============================================================================================
# MobileNet V2
# Table 2: (t, c, n, s) of the seven bottleneck rows.
V2_TABLE_2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2)]
V2_TABLE_2 += [(6, 320, 1, 1)]


def v2_hand(
    alpha: float = 1.0, res: int = 224, classes: int = 1000, width: Callable[[float], float] = _make_divisible
) -> tuple[int, int, int]:
    """(MACs, params without BN, params with BN γ, β) of torchvision's MobileNetV2, from Table 2.

    conv 3×3/2 3→32α; per block d′ → d″ with e = t·d′: expand d′·e (skipped for t = 1), depthwise
    9·e, project e·d″ (no conv biases); conv 1×1 → 1280·max(α, 1); FC 1280 → classes with a bias.
    ``width`` rounds α·c (torchvision: _make_divisible(·, 8)).
    """
    d, m = side(res, 2), width(32 * alpha)
    macs, weights, bn = 27 * m * d * d, 27 * m, m
    for t, c, n, s in V2_TABLE_2:
        out = width(c * alpha)
        for i in range(n):
            e, do = t * m, side(d, s if i == 0 else 1)
            if t != 1:
                macs, weights, bn = macs + d * d * m * e, weights + m * e, bn + e
            macs += do * do * e * (9 + out)
            weights += e * (9 + out)
            bn += e + out
            m, d = out, do
    last = width(1280 * max(alpha, 1.0))
    macs += d * d * m * last + last * classes
    weights += m * last + last * classes + classes
    return macs, weights, weights + 2 * (bn + last)


@pytest.mark.parametrize("alpha", [0.35, 0.5, 0.75, 1.0, 1.3, 1.4])
@pytest.mark.parametrize("res", [224, 160, 96])
def test_v2_closed_form_equals_hand_count(alpha: float, res: int) -> None:
    t = net("mobilenet_v2", alpha, res).totals
    assert (t.macs, t.params_without_bn, t.params_with_bn) == v2_hand(alpha, res)


def test_v2_hand_count_is_torchvisions_num_params() -> None:
    # MobileNet_V2_Weights meta: num_params 3504872, _ops 0.301 (GMACs of conv + linear).
    macs, _, with_bn = v2_hand()
    assert with_bn == 3_504_872
    assert round(macs / 1e9, 3) == 0.301


# Table 2, "Input" column: h²×c fed to each row (and the head), at 224.
V2_INPUTS = {
    "conv1": (3, 224, 224),
    "bottleneck1": (32, 112, 112),
    "bottleneck2": (16, 112, 112),
    "bottleneck3": (24, 56, 56),
    "bottleneck4": (32, 28, 28),
    "bottleneck5": (64, 14, 14),
    "bottleneck6": (96, 14, 14),
    "bottleneck7": (160, 7, 7),
    "conv_last": (320, 7, 7),
    "pool": (1280, 7, 7),
    "classifier": (1280,),
}


def test_v2_table_2_input_sizes_and_repeats() -> None:
    g = resolve(load_spec("mobilenet_v2")).graph
    first = {}
    for node in g:
        first.setdefault(node.row, node)
    assert {row: n.in_shapes[0] for row, n in first.items() if row in V2_INPUTS} == V2_INPUTS
    # n column: blocks per row = depthwise convs per row; all spatial convolutions are 3×3.
    dws = [n for n in g if n.kind == "conv2d" and n.op.is_depthwise]
    assert [sum(1 for n in dws if n.row == f"bottleneck{i}") for i in range(1, 8)] == [1, 2, 3, 4, 3, 3, 1]
    assert {n.op.kernel for n in dws} == {(3, 3)}
    # s column: the first block of a row strides, the others do not.
    strides = [n.op.stride[0] for n in dws]
    assert strides == [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]
    # §4 says "followed by 19 residual bottleneck layers"; Table 2 has 17 (Σn), which with the first
    # conv and the 1×1 conv before the pool make 19 convolutional stages.
    assert len(dws) == 17
    # t column: expansion is t × the block input; t = 1 has no expand conv.
    assert g.node("bottleneck1.dw.conv").op.in_channels == 32
    assert "bottleneck1.expand.conv" not in {n.name for n in g}
    assert g.node("bottleneck4.0.expand.conv").op.out_channels == 6 * 32
    assert g.node("bottleneck4.1.expand.conv").op.out_channels == 6 * 64
    # Residual adds exactly on stride-1 blocks with equal widths (torchvision use_res_connect): 10.
    adds = [n.name for n in g if n.kind == "add"]
    assert len(adds) == sum(n - 1 for _, _, n, _ in V2_TABLE_2) == 10
    assert g.output.out_shape == (1000,)


def test_v2_bottleneck_cost_formula_by_hand() -> None:
    """§3.3: a block of size h×w, expansion t, kernel k, d′ in and d″ out costs h·w·d′·t(d′ + k² + d″)."""
    rows = {r.name: r for r in net("mobilenet_v2").layers}

    def block(prefix: str) -> tuple[int, int]:
        layers = [r for r in rows.values() if r.name.startswith(prefix + ".")]
        return sum(r.macs for r in layers), sum(r.params_with_bn for r in layers)

    # bottleneck5.1: 14×14, t = 6, k = 3, d′ = d″ = 96, stride 1.
    macs, params = block("bottleneck5.1")
    assert macs == 14 * 14 * 96 * 6 * (96 + 9 + 96) == 22_692_096
    # params: 96·576 + 9·576 + 576·96 weights, BN γ, β on 576 + 576 + 96 channels.
    assert params == 96 * 576 + 9 * 576 + 576 * 96 + 2 * (576 + 576 + 96) == 118_272
    # bottleneck2.0 strides: the expansion runs at 112², the depthwise and projection at 56².
    macs, _ = block("bottleneck2.0")
    assert macs == 112 * 112 * 16 * 96 + 56 * 56 * 96 * (9 + 24)


def test_v2_width_rule() -> None:
    g = resolve(load_spec("mobilenet_v2"), alpha=0.35).graph
    # _make_divisible(32·0.35 = 11.2) = 16; (16·0.35 = 5.6) → 8; 24·0.35 = 8.4 → 8; 320·0.35 = 112
    assert g.node("conv1.conv").op.out_channels == 16
    assert g.node("bottleneck1.project.conv").op.out_channels == 8
    assert g.node("bottleneck2.0.project.conv").op.out_channels == 8
    assert g.node("bottleneck7.project.conv").op.out_channels == 112
    # "for multipliers less than one, we apply width multiplier to all layers except the very last
    # convolutional layer"; above one it grows (torchvision: 1280 · max(1.0, α)).
    assert g.node("conv_last.conv").op.out_channels == 1280
    big = resolve(load_spec("mobilenet_v2"), alpha=1.4).graph
    assert big.node("conv_last.conv").op.out_channels == 1792
    assert g.output.out_shape == big.output.out_shape == (1000,)


# TF-Slim README, "Mobilenet V2 Imagenet Checkpoints": (α, res) → (M MACs, M params).
SLIM_V2 = {
    (1.4, 224): (582, 6.06), (1.3, 224): (509, 5.34),
    **{(1.0, r): (m, 3.47) for r, m in [(224, 300), (192, 221), (160, 154), (128, 99), (96, 56)]},
    **{(0.75, r): (m, 2.61) for r, m in [(224, 209), (192, 153), (160, 107), (128, 69), (96, 39)]},
    **{(0.5, r): (m, 1.95) for r, m in [(224, 97), (192, 71), (160, 50), (128, 32), (96, 18)]},
    **{(0.35, r): (m, 1.66) for r, m in [(224, 59), (192, 43), (160, 30), (128, 20), (96, 11)]},
}  # fmt: skip


def test_v2_slim_grid_macs_are_truncated_counts() -> None:
    """Every MACs cell of TF-Slim's grid is ⌊count⌋ (1001 classes, no BN), and eight of them are not
    the rounded count; every params cell is the count rounded to 0.01 M. Hence the MACs errata."""
    not_rounded = []
    for (alpha, res), (macs_m, params_m) in SLIM_V2.items():
        macs, weights, _ = v2_hand(alpha, res, classes=1001)
        assert math.floor(macs / M) == macs_m, (alpha, res)
        assert round(weights / M, 2) == params_m, (alpha, res)
        if round(macs / M) != macs_m:
            not_rounded.append((alpha, res))
    assert not_rounded == [
        (1.0, 224), (0.75, 192), (0.5, 192), (0.5, 128), (0.5, 96), (0.35, 192), (0.35, 160), (0.35, 96)
    ]  # fmt: skip


def test_v2_table_4_errata() -> None:
    macs, weights, with_bn = v2_hand()
    # Table 4 prints 300 M and 3.4 M: the count (300.77 M, 3.471 M; 3.505 M with BN) truncated.
    assert (math.floor(macs / M), floor_to(weights / M, 1)) == (300, 3.4)
    assert (round(macs / M), round(weights / M, 1), round(with_bn / M, 1)) == (301, 3.5, 3.5)
    # "MobileNetV2 (1.4)": 585 M / 6.9 M printed; the count is TF-Slim's 582 / 6.06.
    macs, weights, with_bn = v2_hand(1.4)
    assert (round(macs / M), round(weights / M, 2), round(with_bn / M, 2)) == (582, 6.06, 6.11)
    # Other roundings of α·c do not give 585 M either: none, ⌊α·c⌋, the nearest multiple of 8.
    others = [v2_hand(1.4, width=lambda x: x)[0], v2_hand(1.4, width=math.floor)[0]]
    others.append(v2_hand(1.4, width=lambda x: max(8, round(x / 8) * 8))[0])
    assert [round(x / M, 1) for x in others] == [571.1, 562.2, 582.2]


# =============================================================================================
# MobileNet V3. Table 1 / Table 2 rows: (input h, input c, k, exp, out, SE, NL, s).
V3_LARGE = [
    (112, 16, 3, 16, 16, False, "relu", 1),
    (112, 16, 3, 64, 24, False, "relu", 2),
    (56, 24, 3, 72, 24, False, "relu", 1),
    (56, 24, 5, 72, 40, True, "relu", 2),
    (28, 40, 5, 120, 40, True, "relu", 1),
    (28, 40, 5, 120, 40, True, "relu", 1),
    (28, 40, 3, 240, 80, False, "hswish", 2),
    (14, 80, 3, 200, 80, False, "hswish", 1),
    (14, 80, 3, 184, 80, False, "hswish", 1),
    (14, 80, 3, 184, 80, False, "hswish", 1),
    (14, 80, 3, 480, 112, True, "hswish", 1),
    (14, 112, 3, 672, 112, True, "hswish", 1),
    (14, 112, 5, 672, 160, True, "hswish", 2),
    (7, 160, 5, 960, 160, True, "hswish", 1),
    (7, 160, 5, 960, 160, True, "hswish", 1),
]
V3_SMALL = [
    (112, 16, 3, 16, 16, True, "relu", 2),
    (56, 16, 3, 72, 24, False, "relu", 2),
    (28, 24, 3, 88, 24, False, "relu", 1),
    (28, 24, 5, 96, 40, True, "hswish", 2),
    (14, 40, 5, 240, 40, True, "hswish", 1),
    (14, 40, 5, 240, 40, True, "hswish", 1),
    (14, 40, 5, 120, 48, True, "hswish", 1),
    (14, 48, 5, 144, 48, True, "hswish", 1),
    (14, 48, 5, 288, 96, True, "hswish", 2),
    (7, 96, 5, 576, 96, True, "hswish", 1),
    (7, 96, 5, 576, 96, True, "hswish", 1),
]
V3 = {"mobilenet_v3_large": (V3_LARGE, 960, 1280), "mobilenet_v3_small": (V3_SMALL, 576, 1024)}


@pytest.mark.parametrize("name", list(V3))
def test_v3_tables_1_and_2_row_by_row(name: str) -> None:
    rows, last_conv, head = V3[name]
    g = resolve(load_spec(name)).graph
    names = {n.name for n in g}
    assert g.node("conv1.conv").op.describe() == "3×3×3×16 s2" and g.node("conv1.act").op.fn == "hswish"
    for i, (h, c, k, exp, out, se, nl, s) in enumerate(rows, start=1):
        dw = g.node(f"bneck{i}.dw.conv")
        first = g.node(f"bneck{i}.expand.conv" if exp != c else f"bneck{i}.dw.conv")
        assert first.in_shapes[0] == (c, h, h), i  # the "Input" column
        assert (dw.op.kernel, dw.op.out_channels, dw.op.stride) == ((k, k), exp, (s, s)), i
        assert g.node(f"bneck{i}.project.conv").op.out_channels == out, i
        assert g.node(f"bneck{i}.dw.act").op.fn == nl, i
        assert (f"bneck{i}.se.scale" in names) == se, i
        # no expansion conv where exp = in (torchvision: expanded_channels != input_channels)
        assert (f"bneck{i}.expand.conv" in names) == (exp != c), i
        assert (f"bneck{i}.add" in names) == (s == 1 and c == out), i
    conv_last = g.node("conv_last.conv")
    assert conv_last.in_shapes[0][1:] == (7, 7) and conv_last.op.out_channels == last_conv
    assert g.node("pool").in_shapes[0] == (last_conv, 7, 7)
    # the two "conv2d 1×1, NBN" rows on the pooled vector: h-swish after the first, none after k
    assert g.node("fc1.fc").op.out_features == head and g.node("fc1.act").op.fn == "hswish"
    assert g.node("classifier").in_shapes[0] == (head,) and g.output.out_shape == (1000,)
    assert not any(n.kind == "batchnorm2d" and n.name.startswith(("fc1", "classifier")) for n in g)


def test_v3_squeeze_widths() -> None:
    """§5.3: squeeze "fixed to be 1/4 of the number of channels in expansion layer", rounded by
    torchvision's _make_divisible(exp // 4, 8): 72 → 18 → 24 (16 would be > 10 % below 18)."""
    want = {"mobilenet_v3_large": {4: 24, 5: 32, 11: 120, 12: 168, 13: 168, 14: 240}}
    want["mobilenet_v3_small"] = {1: 8, 4: 24, 5: 64, 7: 32, 8: 40, 9: 72, 10: 144}
    for name, widths in want.items():
        g = resolve(load_spec(name)).graph
        for i, q in widths.items():
            fc1 = g.node(f"bneck{i}.se.fc1")
            assert (fc1.op.out_channels, fc1.op.bias) == (q, True), (name, i)
            assert g.node(f"bneck{i}.se.act").op.fn == "relu"
            assert g.node(f"bneck{i}.se.gate").op.fn == "hsigmoid"


def test_v3_se_block_cost_by_hand() -> None:
    """Small bneck4: 28²×24 → exp 96, 5×5 stride 2 → 14², SE (q = 24), → 40."""
    rows = [r for r in net("mobilenet_v3_small").layers if r.name.startswith("bneck4.")]
    macs = sum(r.macs for r in rows)
    expand, dw, project = 28 * 28 * 24 * 96, 14 * 14 * 25 * 96, 14 * 14 * 96 * 40
    se = 96 * 24 + 24 * 96  # two 1×1 convs on the pooled 1×1 map
    assert macs == expand + dw + se + project == 3_033_984
    params = sum(r.params_with_bn for r in rows)
    convs = 24 * 96 + 25 * 96 + 96 * 40 + (96 * 24 + 24) + (24 * 96 + 96)
    assert params == convs + 2 * (96 + 96 + 40)


# ---------------------------------------------------------------------------------------------
# Whole-network hand counts, from the tables above. ``layout="torchvision"``: every printed exp size
# is scaled like the widths, the last conv is 6 × the last bneck width, the 1280 / 1024 layer is scaled.
# ``layout="slim"``: TF-Slim's mobilenet_v3.py, where a bneck's expansion is the factor exp/in of the
# table times the block's *scaled* input width, _make_divisible(·, 8) (mbv3_op(ef=…)); the squeeze is
# _make_divisible(exp / 4, 8); the last conv is _make_divisible(960α or 576α, 8); ``keep_head`` keeps
# the 1280 / 1024 layer at its width (TF-Slim's finegrain_classification_mode).
def v3_hand(
    name: str,
    alpha: float = 1.0,
    res: int = 224,
    classes: int = 1000,
    layout: str = "torchvision",
    keep_head: bool = False,
    head: int | None = None,
) -> tuple[int, int, int]:
    """(MACs, params without BN, params with BN γ, β)."""
    rows, last_conv, default_head = V3[name]
    d, m = side(res, 2), _make_divisible(16 * alpha)
    macs, weights, bn = 27 * m * d * d, 27 * m, m
    for _, c, k, exp, out, se, _, s in rows:
        o = _make_divisible(out * alpha)
        e = _make_divisible(exp * alpha) if layout == "torchvision" else _make_divisible(exp / c * m)
        do = side(d, s)
        if e != m:
            macs, weights, bn = macs + d * d * m * e, weights + m * e, bn + e
        macs, weights, bn = macs + do * do * k * k * e, weights + k * k * e, bn + e
        if se:
            q = _make_divisible(e // 4 if layout == "torchvision" else e / 4)
            macs, weights = macs + 2 * e * q, weights + 2 * e * q + q + e
        macs, weights, bn = macs + do * do * e * o, weights + e * o, bn + o
        m, d = o, do
    lc = 6 * m if layout == "torchvision" else _make_divisible(last_conv * alpha)
    macs, weights, bn = macs + d * d * m * lc, weights + m * lc, bn + lc
    h = head or default_head
    h = h if keep_head else _make_divisible(h * alpha)
    macs += lc * h + h * classes
    weights += lc * h + h + h * classes + classes
    return macs, weights, weights + 2 * bn


V3_SETTINGS = [(1.0, 224), (1.25, 224), (0.75, 224), (0.35, 224), (1.0, 160), (0.5, 96)]


@pytest.mark.parametrize("name", list(V3))
@pytest.mark.parametrize("alpha,res", V3_SETTINGS)
def test_v3_closed_form_equals_hand_count(name: str, alpha: float, res: int) -> None:
    t = net(name, alpha, res).totals
    assert (t.macs, t.params_without_bn, t.params_with_bn) == v3_hand(name, alpha, res)


def test_v3_hand_counts_are_torchvisions() -> None:
    # MobileNet_V3_{Large,Small}_Weights meta: num_params 5483032 / 2542856, _ops 0.217 / 0.057.
    large, small = v3_hand("mobilenet_v3_large"), v3_hand("mobilenet_v3_small")
    assert (large[2], round(large[0] / 1e9, 3)) == (5_483_032, 0.217)
    assert (small[2], round(small[0] / 1e9, 3)) == (2_542_856, 0.057)


def test_v3_last_conv_is_six_times_the_last_bneck() -> None:
    # α = 0.35 Small: last bneck _make_divisible(33.6) = 32 → 192, where scaling 576 would give 200.
    g = resolve(load_spec("mobilenet_v3_small"), alpha=0.35).graph
    assert g.node("conv_last.conv").op.out_channels == 6 * 32 == 192 != _make_divisible(576 * 0.35)


def test_v3_tables_3_and_9_at_alpha_1() -> None:
    """At α = 1 the two layouts are the same network; the paper's α = 1 figures are checked here."""
    for name in V3:
        assert v3_hand(name) == v3_hand(name, layout="slim")
    large, small = v3_hand("mobilenet_v3_large"), v3_hand("mobilenet_v3_small")
    # "MAdds include SE 1×1 convs": 216.59 M → Table 9's 217; Table 3 prints 219, which no count gives.
    assert round(large[0] / M, 2) == 216.59 and round(large[0] / M) == 217
    # Params 5.459 M (5.460 M with 1001 classes) print as 5.5; the printed 5.4 is it truncated.
    slim_classes = v3_hand("mobilenet_v3_large", classes=1001)
    assert round(large[1] / M, 3) == 5.459 and round(slim_classes[1] / M, 3) == 5.46
    assert floor_to(large[1] / M, 1) == 5.4 and round(large[1] / M, 1) == 5.5
    # Small: 56.51 M → Table 9's 57; Table 3 (latest arXiv) prints 56, the count truncated. 2.5 M.
    assert round(small[0] / M, 2) == 56.51 and math.floor(small[0] / M) == 56
    assert round(small[1] / M, 1) == 2.5
    # The earlier arXiv version's 1280-wide layer (Table 2) gives its 2.9 M, but 56.91 M, not 66 M.
    alt = v3_hand("mobilenet_v3_small", head=1280)
    assert round(alt[1] / M, 1) == 2.9 and round(alt[0] / M, 2) == 56.91


# (name, α, head kept?, printed M MACs or None, printed M params or None): the Table 3 / 9 cells
# that TF-Slim's layout, worked by hand, reproduces where torchvision's does not.
SLIM_REPRODUCES = [
    ("mobilenet_v3_large", 0.75, True, 155, 4.0, None),
    ("mobilenet_v3_large", 0.5, True, 69, None, None),
    ("mobilenet_v3_large", 1.25, False, 356, None, None),
    ("mobilenet_v3_large", 1.25, True, None, 7.5, None),
    ("mobilenet_v3_small", 1.25, False, 91, 3.6, None),
    ("mobilenet_v3_small", 0.75, True, None, 2.0, None),
    ("mobilenet_v3_small", 0.75, True, 44, 2.4, 1280),  # the earlier version's 1280-wide layer
    ("mobilenet_v3_small", 0.5, True, 21, 1.6, None),
    ("mobilenet_v3_small", 0.35, True, None, 1.4, None),
]


@pytest.mark.parametrize("name,alpha,keep,macs_m,params_m,head", SLIM_REPRODUCES)
def test_v3_alpha_rows_are_tf_slim_layout(
    name: str, alpha: float, keep: bool, macs_m: int | None, params_m: float | None, head: int | None
) -> None:
    slim = v3_hand(name, alpha, classes=1001, layout="slim", keep_head=keep, head=head)
    ours = v3_hand(name, alpha, head=head)
    if macs_m is not None:
        assert round(slim[0] / M) == macs_m and round(ours[0] / M) != macs_m
    if params_m is not None:
        assert round(slim[1] / M, 1) == params_m
    if params_m is not None and not (name.endswith("small") and alpha == 1.25):
        assert round(ours[1] / M, 1) != params_m


def test_v3_erratum_numbers_in_the_notes() -> None:
    """The counts the specs' erratum notes quote, from the hand counts (1001 classes for TF-Slim)."""

    def slim(name: str, alpha: float, keep: bool, head: int | None = None) -> tuple[float, float]:
        macs, weights, _ = v3_hand(name, alpha, classes=1001, layout="slim", keep_head=keep, head=head)
        return round(macs / M, 2), round(weights / M, 3)

    assert slim("mobilenet_v3_large", 0.75, True) == (154.56, 3.976)
    assert slim("mobilenet_v3_large", 0.5, True) == (69.25, 2.678)
    assert slim("mobilenet_v3_large", 0.35, True) == (39.47, 2.124)
    assert slim("mobilenet_v3_large", 1.25, False) == (355.93, 8.227)
    assert slim("mobilenet_v3_large", 1.25, True) == (355.22, 7.522)
    assert slim("mobilenet_v3_small", 1.25, False) == (91.24, 3.632)
    assert slim("mobilenet_v3_small", 0.75, True) == (43.4, 2.033)
    assert slim("mobilenet_v3_small", 0.75, True, 1280) == (43.77, 2.4)
    assert slim("mobilenet_v3_small", 0.5, True) == (21.05, 1.587)
    assert slim("mobilenet_v3_small", 0.35, True) == (12.82, 1.355)
    # Small at 256 is 73.18 M in either layout (α = 1), where Table 9 prints 74.
    assert round(v3_hand("mobilenet_v3_small", res=256)[0] / M, 2) == 73.18


# =============================================================================================
# The row kind itself: bad rows and bad settings are refused with one line naming the problem.
def _one_row(**row: object) -> dict:
    return {
        "name": "tiny",
        "title": "tiny",
        "source": "test",
        "width": {"rule": "round_divisible"},
        "stem": [{"kind": "conv", "out": 16, "stride": 2}],
        "body": [{"kind": "inverted_residual", "out": 16, **row}],
    }


@pytest.mark.parametrize(
    "row,fragment",
    [
        ({}, "exactly one of t"),
        ({"t": 6, "exp": 96}, "exactly one of t"),
        ({"t": 6, "k": 4}, "odd kernel"),
        ({"t": 6, "se_from": "output"}, "se_from"),
    ],
)
def test_bad_rows_are_refused(row: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        NetworkSpec.model_validate(_one_row(**row))


def test_inverted_residual_needs_a_map() -> None:
    spec = NetworkSpec.model_validate(
        {**_one_row(t=6), "stem": [{"kind": "conv", "out": 16}, {"kind": "global_pool"}, {"kind": "flatten"}]}
    )
    with pytest.raises(ArchcalcError, match=r"body\.0 \(inverted_residual\): needs a C×H×W map"):
        resolve(spec)


def test_tiny_alpha_stays_valid() -> None:
    # _make_divisible never goes below 8 channels, so even α = 0.01 is a (silly) valid network.
    g = resolve(load_spec("mobilenet_v3_large"), alpha=0.01).graph
    assert g.node("bneck1.project.conv").op.out_channels == 8
