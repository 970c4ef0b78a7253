"""ShuffleNet V1 (Zhang et al. 2017, arXiv:1707.01083) and V2 (torchvision ``shufflenetv2.py``).

The oracles: the paper's Table 1 (channels per g, output sizes, complexities) and §3.2 unit cost,
the megvii reference's ``network.py`` (its per-size channel lists), torchvision's weights metadata
(``num_params``, ``_ops``), and counts worked by hand below from the unit formulas, independent of
the specs and the graph. The figures themselves are checked in tests/test_published.py; here the
tests pin down why each one does or does not reproduce.
"""

from __future__ import annotations

import math

import pytest

from archcalc.count.closed_form import Report, report
from archcalc.errors import ArchcalcError
from archcalc.model.graph import Graph
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec
from archcalc.spec.schema import NetworkSpec

M = 1e6

# Table 1: stage 2 output channels per g (stages 3 and 4 double), and the printed complexities.
TABLE_1 = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
TABLE_1_COMPLEXITY = {1: 143, 2: 140, 3: 137, 4: 133, 8: 137}
REPEATS = [4, 8, 4]


def v1_graph(alpha: float = 1.0, groups: int = 3, res: int | None = None) -> Graph:
    return resolve(load_spec("shufflenet_v1"), alpha, res, knobs={"groups": groups}).graph


def v1(alpha: float = 1.0, groups: int = 3, res: int | None = None, convention: str = "paper") -> Report:
    return report(resolve(load_spec("shufflenet_v1"), alpha, res, knobs={"groups": groups}), convention)


def conv_side(d: int, stride: int = 2) -> int:
    """3×3 window, padding 1: ⌊(d − 1)/s⌋ + 1."""
    return (d - 1) // stride + 1


def v1_hand(g: int, s: float, c1: int, res: int = 224) -> tuple[int, int, int]:
    """(conv + FC MACs, conv + FC weights, BN channels) of the megvii layout, by hand.

    Unit with input c, output N, m = N // 4: pw1 c·m/g₁ at the input side, dw 9m and pw2 m·N'/g at
    the output side, N' = N (stride 1) or N − c (stride 2); g₁ = 1 for stage 2's first unit.
    """
    d = conv_side(res)
    macs, weights, bn = 27 * c1 * d * d, 27 * c1, c1
    d = conv_side(d)  # max pool 3×3/2, padding 1
    c = c1
    for stage, repeat in enumerate(REPEATS):
        n = math.floor(TABLE_1[g] * s * 2**stage + 1e-9)
        m = n // 4
        for i in range(repeat):
            g1 = 1 if stage == 0 and i == 0 else g
            out_side = conv_side(d) if i == 0 else d
            n_main = n - c if i == 0 else n
            macs += c * m // g1 * d * d + (9 * m + m * n_main // g) * out_side**2
            weights += c * m // g1 + 9 * m + m * n_main // g
            bn += 2 * m + n_main
            c, d = n, out_side
    return macs + c * 1000, weights + c * 1000, bn


# ---------------------------------------------------------------------------------------------
# Table 1 — the architecture, column by column.
@pytest.mark.parametrize("g", list(TABLE_1))
def test_table_1_channels_and_output_sizes(g: int) -> None:
    graph = v1_graph(groups=g)
    assert graph.node("conv1.conv").out_shape == (24, 112, 112)  # Conv1 112×112, 3×3, stride 2, 24
    assert graph.node("maxpool").out_shape == (24, 56, 56)  # MaxPool 56×56, 3×3, stride 2
    for stage, (repeat, side) in enumerate(zip(REPEATS, [28, 14, 7], strict=True)):
        name = f"stage{stage + 2}"
        out = TABLE_1[g] * 2**stage
        units = [n for n in graph if n.row == name and n.name.endswith((".concat", ".add"))]
        assert len(units) == repeat  # Repeat 1 (stride 2) + 3 / 7 / 3 (stride 1)
        assert [u.kind for u in units] == ["concat"] + ["add"] * (repeat - 1)
        assert all(u.out_shape == (out, side, side) for u in units), name
        dw = graph.node(f"{name}.0.dw.conv").op
        assert dw.stride == (2, 2) and dw.groups == dw.in_channels == out // 4  # bottleneck = out / 4
    assert graph.node("globalpool").out_shape == (TABLE_1[g] * 4, 1, 1)
    assert graph.output.out_shape == (1000,)


def test_table_1_only_stage_2s_first_pointwise_is_dense() -> None:
    # "for Stage 2, we do not apply group convolution on the first pointwise layer"
    graph = v1_graph(groups=8)
    pws = [n for n in graph if n.kind == "conv2d" and n.op.kernel == (1, 1)]
    assert len(pws) == 2 * sum(REPEATS)
    assert [n.name for n in pws if n.op.groups == 1] == ["stage2.0.pw1.conv"]
    assert all(n.op.groups == 8 for n in pws[1:])
    assert len([n for n in graph if n.kind == "shuffle"]) == sum(REPEATS)
    assert not [n for n in v1_graph(groups=1) if n.kind == "shuffle"]  # g = 1: nothing to shuffle


def test_table_1_complexities_leave_out_the_classifier() -> None:
    # Counted with the FC, only g = 1 and g = 3 print as Table 1's figures; without the 1000-way FC
    # (N₄·1000 MACs) all five do. That is the erratum recorded in the spec for g = 2, 4, 8.
    with_fc, without_fc = {}, {}
    for g in TABLE_1:
        macs = v1(groups=g).totals.macs
        fc = TABLE_1[g] * 4 * 1000
        with_fc[g], without_fc[g] = round(macs / M), round(macs / M - fc / M)
    assert without_fc == TABLE_1_COMPLEXITY
    assert with_fc == {1: 143, 2: 141, 3: 137, 4: 134, 8: 138}


# ---------------------------------------------------------------------------------------------
# The closed form equals the hand count (megvii layout) across g, s and resolution.
@pytest.mark.parametrize(
    "g,s,c1",
    [
        *[(g, 1.0, 24) for g in TABLE_1],
        *[(3, 0.5, 12), (8, 0.5, 16), (3, 1.5, 24), (8, 1.5, 24), (3, 2.0, 48), (8, 2.0, 48)],
        *[(1, 0.25, 12), (3, 0.25, 12), (8, 0.25, 16), (1, 0.5, 12), (2, 2.0, 48), (4, 2.0, 48)],
    ],
)
@pytest.mark.parametrize("res", [224, 160])
def test_closed_form_equals_hand_count(g: int, s: float, c1: int, res: int) -> None:
    macs, weights, bn = v1_hand(g, s, c1, res)
    paper, torch_ = v1(s, g, res), v1(s, g, res, "torch")
    assert (paper.totals.macs, paper.totals.params) == (macs, weights)
    assert torch_.totals.params == weights + 2 * bn  # BN γ and β


def test_conv1_width_follows_the_megvii_reference() -> None:
    # megvii network.py stage_out_channels[1]: g=3 → 12 / 24 / 24 / 48 for 0.5x / 1.0x / 1.5x / 2.0x;
    # g=8 → 16 / 24 / 24 / 48. Stage 2 widths: g=3 → 120 / 240 / 360 / 480, g=8 → 192 / 384 / 576 / 768.
    megvii = {3: ([12, 24, 24, 48], [120, 240, 360, 480]), 8: ([16, 24, 24, 48], [192, 384, 576, 768])}
    for g, (conv1, stage2) in megvii.items():
        for s, c1, n2 in zip([0.5, 1.0, 1.5, 2.0], conv1, stage2, strict=True):
            graph = v1_graph(s, g)
            assert graph.node("conv1.conv").out_shape[0] == c1, (g, s)
            assert graph.node("stage2.0.concat").out_shape[0] == n2, (g, s)
            # the stride-2 unit's main branch gives N − c₁ channels, concatenated with the pooled input
            assert graph.node("stage2.0.pw2.conv").out_shape[0] == n2 - c1


def test_unit_cost_formula_section_3_2() -> None:
    # A stride-1 unit with c = N channels, bottleneck m, g groups on h×w: hw(2cm/g + 9m) MACs.
    for g in TABLE_1:
        rep = v1(groups=g)
        c, m, hw = TABLE_1[g] * 2, TABLE_1[g] * 2 // 4, 14 * 14
        unit = sum(r.macs for r in rep.layers if r.name.startswith("stage3.3."))
        assert unit == hw * (2 * c * m // g + 9 * m)
    # The stride-2 unit: pw1 at the input side, the rest at the output side, main branch N − c.
    rep = v1(groups=3)
    unit = sum(r.macs for r in rep.layers if r.name.startswith("stage3.0."))
    assert unit == 28 * 28 * 240 * 120 // 3 + 14 * 14 * (9 * 120 + 120 * (480 - 240) // 3)


def test_published_parameter_counts_by_hand() -> None:
    # MobileNetV2 paper Table 4: ShuffleNet (1.5) 3.4M / 292M, (x2) 5.4M / 524M; conv + FC weights.
    for s, c1, params, macs in [(1.5, 24, 3.4, 292), (2.0, 48, 5.4, 524)]:
        m, w, _ = v1_hand(3, s, c1)
        assert (round(w / M, 1), round(m / M)) == (params, macs)
    # With Conv1 kept at 24 for 2×, the count would be 508 M, not 524: the reference's 48 is needed.
    assert round(v1_hand(3, 2.0, 24)[0] / M) == 508


def test_table_2_half_and_quarter_width() -> None:
    # 0.25× g=1 and g=3 reproduce "13"; 0.5× g=3 reproduces "38" (Tables 2, 8).
    assert round(v1(0.25, 1).totals.macs / M) == 13
    assert round(v1(0.25, 3).totals.macs / M) == 13
    assert round(v1(0.5, 3).totals.macs / M) == 38
    # With Conv1 scaled as the stages (⌊24·s⌋ = 6 at 0.25×) the 0.25× counts would be 11 M.
    assert round(v1_hand(3, 0.25, 6)[0] / M) == 11


# ---------------------------------------------------------------------------------------------
# Refusals: widths that no group count divides.
@pytest.mark.parametrize(
    "s,g,layer,what",
    [
        (0.5, 4, "stage2.0", "34-channel bottleneck"),  # Tables 5, 6: "ShuffleNet 0.5× (g=4)"
        (0.5, 2, "stage2.0", "25-channel bottleneck"),  # ⌊0.5·200⌋ // 4
        (0.25, 2, "stage3.0", "25-channel bottleneck"),  # ⌊0.25·400⌋ // 4
        (0.25, 4, "stage2.0", "17-channel bottleneck"),  # ⌊0.25·272⌋ // 4
        (1.5, 2, "stage2.0", "75-channel bottleneck"),
        (1.5, 4, "stage2.0", "102-channel bottleneck"),
    ],
)
def test_indivisible_settings_are_refused(s: float, g: int, layer: str, what: str) -> None:
    with pytest.raises(ArchcalcError) as e:
        v1(s, g)
    msg = str(e.value)
    assert f"layer {layer} (shuffle_v1)" in msg and f"groups={g}" in msg and what in msg
    assert "\n" not in msg


def test_bad_groups_knob_and_cli_errors(cli) -> None:
    with pytest.raises(ArchcalcError, match="groups=5: must be one of 1, 2, 3, 4, 8"):
        v1(groups=5)
    r = cli("table", "shufflenet_v1", "--alpha", "0.5", "--param", "groups=4")
    assert r.code == 2 and r.err.count("\n") == 1
    assert "layer stage2.0 (shuffle_v1): groups=4 does not divide" in r.err


def test_v1_unit_refuses_a_mismatched_residual() -> None:
    spec = NetworkSpec.model_validate(
        {
            "name": "bad",
            "title": "bad",
            "source": "test",
            "width": {"rule": "truncate"},
            "stem": [{"kind": "conv", "out": 24, "k": 3, "stride": 2}],
            "body": [{"name": "u", "kind": "shuffle_v1", "out": 48, "groups": 3}],
        }
    )
    with pytest.raises(ArchcalcError, match="stride-1 unit adds its input, so it needs 48 input channels"):
        resolve(spec)


# ---------------------------------------------------------------------------------------------
# ShuffleNet V2 (torchvision).
V2 = {
    # stages_out_channels, then torchvision's num_params and _ops (GFLOPS = conv + linear MACs)
    "shufflenet_v2_x0_5": ([24, 48, 96, 192, 1024], 1_366_792, 0.04),
    "shufflenet_v2_x1_0": ([24, 116, 232, 464, 1024], 2_278_604, 0.145),
    "shufflenet_v2_x1_5": ([24, 176, 352, 704, 1024], 3_503_624, 0.296),
    "shufflenet_v2_x2_0": ([24, 244, 488, 976, 2048], 7_393_996, 0.583),
}


def v2_hand(ch: list[int], res: int = 224) -> tuple[int, int]:
    """(conv + linear MACs, every parameter) of torchvision's ShuffleNetV2, by hand.

    Stride-2 unit, input c, b = N/2 branch channels, output side d: branch1 9c + cb at d²; branch2
    cb at (2d)², then 9b + b² at d². Stride-1 unit: 2b² + 9b at d². BN after every conv (2 per channel).
    """
    d = conv_side(conv_side(res))
    macs, params = 27 * ch[0] * conv_side(res) ** 2, 27 * ch[0] + 2 * ch[0]
    c = ch[0]
    for n, repeat in zip(ch[1:4], REPEATS, strict=True):
        b = n // 2
        out = conv_side(d)
        macs += (9 * c + c * b) * out**2 + c * b * d * d + (9 * b + b * b) * out**2
        params += 9 * c + c * b + c * b + 9 * b + b * b + 2 * (c + 4 * b)
        macs += (repeat - 1) * (2 * b * b + 9 * b) * out**2
        params += (repeat - 1) * (2 * b * b + 9 * b + 2 * 3 * b)
        c, d = n, out
    macs += c * ch[4] * d * d + ch[4] * 1000
    params += c * ch[4] + 2 * ch[4] + ch[4] * 1000 + 1000
    return macs, params


@pytest.mark.parametrize("net", list(V2))
def test_v2_torchvision_figures_by_hand_and_closed_form(net: str) -> None:
    ch, num_params, ops = V2[net]
    macs, params = v2_hand(ch)
    assert params == num_params
    assert round(macs / 1e9, 3 if ops >= 0.1 else 2) == ops
    rep = report(resolve(load_spec(net)), "torch")
    assert (rep.totals.macs, rep.totals.params) == (macs, params)


@pytest.mark.parametrize("net", list(V2))
def test_v2_layout(net: str) -> None:
    ch = V2[net][0]
    graph = resolve(load_spec(net)).graph
    for stage, (n, repeat, side) in enumerate(zip(ch[1:4], REPEATS, [28, 14, 7], strict=True), start=2):
        shuffles = [x for x in graph if x.row == f"stage{stage}" and x.kind == "shuffle"]
        assert len(shuffles) == repeat and all(x.op.groups == 2 for x in shuffles)
        assert all(x.out_shape == (n, side, side) for x in shuffles)
        # stride-1 units split into halves; the stride-2 unit has two branches on the whole input
        assert graph.node(f"stage{stage}.1.split1").out_shape[0] == n // 2
        assert graph.node(f"stage{stage}.0.branch1.dw.conv").op.stride == (2, 2)
        assert graph.node(f"stage{stage}.0.branch2.dw.conv").op.stride == (2, 2)
    assert graph.node("conv5.conv").out_shape == (ch[4], 7, 7)


def test_v2_stride_1_unit_cost() -> None:
    # hw·(2b² + 9b) MACs for a stride-1 unit with b = N/2 (x1_0, stage3: N = 232, 14×14).
    rep = report(resolve(load_spec("shufflenet_v2_x1_0")))
    unit = sum(r.macs for r in rep.layers if r.name.startswith("stage3.5."))
    assert unit == 14 * 14 * (2 * 116 * 116 + 9 * 116)


@pytest.mark.parametrize("net", list(V2))
@pytest.mark.parametrize("alpha", [0.5, 0.75, 0.3])
def test_v2_alpha_gives_even_stage_widths(net: str, alpha: float) -> None:
    graph = resolve(load_spec(net), alpha).graph
    for stage, n in zip([2, 3, 4], V2[net][0][1:4], strict=True):
        width = graph.node(f"stage{stage}.0.shuffle").out_shape[0]
        assert width % 2 == 0 and abs(width - alpha * n) <= 1  # nearest even count
    assert graph.node("conv1.conv").out_shape[0] == 24  # fixed
    assert graph.node("conv5.conv").out_shape[0] == V2[net][0][4]  # fixed


def test_v2_refuses_odd_widths() -> None:
    spec = NetworkSpec.model_validate(
        {
            "name": "odd",
            "title": "odd",
            "source": "test",
            "width": {"rule": "truncate"},
            "stem": [{"kind": "conv", "out": 24, "k": 3, "stride": 2}],
            "body": [{"name": "u", "kind": "shuffle_v2", "out": 117, "stride": 2}],
        }
    )
    with pytest.raises(ArchcalcError, match="layer u \\(shuffle_v2\\): 117 output channels cannot be split"):
        resolve(spec)
