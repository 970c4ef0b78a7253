"""⌊α·c⌋ is exact (issue 17.3): α as written, never a float product plus a tolerance.

Every expected channel count below is worked by hand from the decimal α: 0.49999999999999 · 32 =
15.99999999999968 → 15, while TF-Slim's ``int(α·c)`` gives 15 too and the old rule ⌊α·c + 10⁻⁹⌋
gave 16 (the whole α = 0.5 layer).
"""

from __future__ import annotations

import pytest

import archcalc
from archcalc.model.resolve import resolve
from archcalc.model.width import scale_channels
from archcalc.spec.fields import WidthRule
from archcalc.spec.schema import NetworkSpec

TRUNCATE = WidthRule(rule="truncate")


@pytest.mark.parametrize(
    "alpha,c,expected",
    [
        (0.49999999999999, 32, 15),  # 15.99999999999968
        (0.5, 32, 16),
        (0.75, 1024, 768),  # MobileNet V1 0.75: 1024 → 768
        (0.25, 1024, 256),
        (1.4, 32, 44),  # 44.8
        (0.7, 10, 7),  # the float product is 7.000000000000001: still 7
        (0.29, 100, 29),  # the float product is 28.999999999999996: exactly 29 as written
        (0.35, 20, 7),  # the float product is 7.0 from 0.34999999999999997…: 7 as written
        (1.9999999999999996, 1, 1),  # just below 2: one channel, not two
    ],
)
def test_truncate_is_the_exact_floor_of_alpha_as_written(alpha: float, c: int, expected: int) -> None:
    assert scale_channels(c, alpha, TRUNCATE) == expected


def test_alpha_just_below_a_half_is_not_the_half_network(cli) -> None:
    """MobileNet V1's first conv has 32 channels at α = 1: 3·3·3·15 = 405 params just below ½,
    3·3·3·16 = 432 at ½."""
    below = cli(
        "table", "mobilenet_v1", "--alpha", "0.49999999999999", "--format", "csv", "--view", "primitives"
    )
    half = cli("table", "mobilenet_v1", "--alpha", "0.5", "--format", "csv", "--view", "primitives")
    assert below.code == 0 and half.code == 0, (below.err, half.err)
    assert below.out.splitlines()[1].startswith("conv0.conv,conv2d,3×3×3×15 s2,3×224×224,15×112×112,405,")
    assert half.out.splitlines()[1].startswith("conv0.conv,conv2d,3×3×3×16 s2,3×224×224,16×112×112,432,")


def test_text_a_float_cannot_carry_is_refused(cli) -> None:
    """0.49999999999999999999 would be read as 0.5 (16 channels) while the decimal typed gives 15."""
    for argv in (
        ["table", "mobilenet_v1", "--alpha", "0.49999999999999999999"],
        ["sweep", "mobilenet_v1", "--alpha", "0.25,0.49999999999999999999", "--no-latency"],
        ["compare", "dwsep", "--alpha", "0.49999999999999999999"],
    ):
        r = cli(*argv)
        assert r.code == 2 and r.out == "", (argv, r.err)
        assert r.err.count("\n") == 1 and "--alpha" in r.err and "0.49999999999999999999" in r.err


def test_sweep_and_compare_floor_alpha_exactly(cli) -> None:
    """dwsep params = 9·M + M·N: M = 32 → 15, N = 64 → 31 below ½: 135 + 465 = 600; at ½: 144 + 512 = 656."""
    c = archcalc.compare(["dwsep"], m=32, n=64, alpha=0.49999999999999)
    assert (c.m, c.n, c.designs[0].params) == (15, 31, 600)
    c = archcalc.compare(["dwsep"], m=32, n=64, alpha=0.5)
    assert (c.m, c.n, c.designs[0].params) == (16, 32, 656)
    s = archcalc.sweep("mobilenet_v1", [0.49999999999999, 0.5], [224], memory_rule=None)
    below, half = s.points
    assert (below.alpha, half.alpha) == (0.49999999999999, 0.5)
    assert below.params < half.params


def test_shufflenet_v1_stem_steps_on_the_exact_whole_part_of_alpha() -> None:
    """Conv1 = max(min_out, 24·⌊α⌋): 24 just below α = 2 (⌊α⌋ = 1), 48 at 2; 3·3·3·24 = 648 params."""
    spec = NetworkSpec.model_validate(
        {
            "name": "stem",
            "title": "stem",
            "source": "a test",
            "width": {"rule": "truncate"},
            "body": [{"kind": "shuffle_v1_stem", "out": 24, "min_out": 12}],
        }
    )
    below = resolve(spec, 1.9999999999999996).graph.nodes[0]
    at = resolve(spec, 2.0).graph.nodes[0]
    assert (below.out_shape[0], below.op.weight_params()) == (24, 648)
    assert (at.out_shape[0], at.op.weight_params()) == (48, 1296)
