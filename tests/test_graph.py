"""The resolved graph is a DAG of primitives; shapes and costs worked out by hand."""

from __future__ import annotations

import pytest

from archcalc.count.closed_form import layer_costs
from archcalc.errors import ArchcalcError, CollapseError
from archcalc.model.graph import INPUT, GraphBuilder
from archcalc.model.ops import AdaptivePool2d, Add, BatchNorm2d, Concat, Conv2d, Mul, Pool2d
from archcalc.model.width import make_divisible


def test_residual_and_concat_dag() -> None:
    """A Fire-like block (squeeze → expand 1×1 ‖ expand 3×3 → concat) plus a residual add."""
    b = GraphBuilder((16, 8, 8))
    sq = b.op("squeeze", Conv2d, in_channels=16, out_channels=4, kernel=(1, 1), bias=True)
    e1 = b.op("e1", Conv2d, inputs=[sq], in_channels=4, out_channels=8, kernel=(1, 1), bias=True)
    e3 = b.op(
        "e3", Conv2d, inputs=[sq], in_channels=4, out_channels=8, kernel=(3, 3), padding=(1, 1), bias=True
    )
    cat = b.add("cat", Concat(), [e1, e3])
    b.add("res", Add(), [cat, INPUT])
    g = b.graph
    assert g.node("cat").out_shape == (16, 8, 8)
    assert g.node("res").inputs == ("cat", "input")
    rows = {r.name: r for r in layer_costs(g)}
    assert rows["squeeze"].macs == 16 * 4 * 64 and rows["squeeze"].params == 16 * 4 + 4
    assert rows["e1"].macs == 4 * 8 * 64 and rows["e3"].macs == 9 * 4 * 8 * 64
    assert rows["e3"].params == 9 * 4 * 8 + 8
    assert rows["cat"].macs == rows["res"].macs == 0
    # traffic at fp32: the add reads both 16×8×8 inputs and writes one
    assert rows["res"].bytes_read == 2 * 16 * 64 * 4 and rows["res"].bytes_written == 16 * 64 * 4
    # 1×1 conv traffic is ShuffleNet V2's MAC: h·w·(c1 + c2) + c1·c2 (+ bias) elements
    assert rows["squeeze"].bytes_read + rows["squeeze"].bytes_written == 4 * (64 * (16 + 4) + 16 * 4 + 4)


def test_squeeze_excite_scale_and_fvcore_counts() -> None:
    b = GraphBuilder((32, 7, 7))
    b.op("bn", BatchNorm2d, channels=32)
    x = b.current
    b.op("pool", AdaptivePool2d, op="avg")
    b.op("fc1", Conv2d, in_channels=32, out_channels=8, kernel=(1, 1), bias=True)
    b.op("fc2", Conv2d, in_channels=8, out_channels=32, kernel=(1, 1), bias=True)
    b.add("scale", Mul(), [x, b.current])
    assert b.shape() == (32, 7, 7)
    fv = {r.name: r.macs for r in layer_costs(b.graph, "fvcore")}
    assert fv["bn"] == 2 * 32 * 49  # fvcore: 2 per element with affine
    assert fv["pool"] == 32 * 49  # fvcore: adaptive_avg_pool2d, 1 per input element
    assert fv["fc1"] == 32 * 8 and fv["scale"] == 0
    paper = {r.name: r.params for r in layer_costs(b.graph, "paper")}
    torch_ = {r.name: r.params for r in layer_costs(b.graph, "torch")}
    assert paper["bn"] == 0 and torch_["bn"] == 64


@pytest.mark.parametrize(
    "size,k,s,p,ceil,expected",
    [
        (224, 3, 2, 1, False, 112),
        (55, 3, 2, 0, True, 27),
        (13, 3, 2, 0, True, 6),
        (112, 3, 2, 0, True, 56),
        (112, 3, 2, 0, False, 55),
        (7, 7, 1, 0, False, 1),
    ],
)
def test_pool_output_sizes(size: int, k: int, s: int, p: int, ceil: bool, expected: int) -> None:
    # SqueezeNet's ceil-mode max pools: 111 → 55, 55 → 27, 27 → 13, 13 → 6 (torch's formula)
    assert Pool2d("max", k, s, p, ceil).out_shape([(1, size, size)]) == (1, expected, expected)


def test_errors_name_the_layer() -> None:
    b = GraphBuilder((3, 4, 4))
    with pytest.raises(CollapseError, match=r"layer big .*collapses"):
        b.op("big", Conv2d, in_channels=3, out_channels=8, kernel=(5, 5))
    with pytest.raises(ArchcalcError, match=r"layer g .*groups=2 does not divide"):
        b.op("g", Conv2d, in_channels=3, out_channels=8, kernel=(1, 1), groups=2)
    b.op("ok", Conv2d, in_channels=3, out_channels=8, kernel=(1, 1))
    with pytest.raises(ArchcalcError, match=r"layer bad .*add needs equal shapes"):
        b.add("bad", Add(), ["ok", INPUT])
    with pytest.raises(ArchcalcError, match="used twice"):
        b.op("ok", BatchNorm2d, channels=8)


def test_make_divisible_matches_torchvision_values() -> None:
    # torchvision MobileNetV2: 32·0.35 → 16 (8 would be > 10 % below 11.2); 1280·1.4 → 1792; 24·0.5 → 16
    assert make_divisible(32 * 0.35, 8) == 16
    assert make_divisible(1280 * 1.4, 8) == 1792
    assert make_divisible(24 * 0.5, 8) == 16
    assert make_divisible(320 * 0.75, 8) == 240
