"""Huge but valid requests answer with exact integers, or are refused in one line; none hangs.

The exact answer is worked by hand from MobileNet V1's Table 1. With s = res/32 (res a multiple of
32) the maps are 16s, 8s, 4s, 2s and s, every 3×3 conv pads 'same', and the paper MACs are

    conv1 (3×3×3×32 at 16s)                                   221,184 · s²
    depthwise 3×3 (13 layers)                                 354,816 · s²
    pointwise 1×1 (13 layers)                              11,010,048 · s²
    FC 1024 → 1000                                          1,024,000

(224: s = 7 gives 568,740,352, the total the paper tests check.) At α = 100 every channel count
but the image's 3 and the 1000 classes is 100× larger: conv1 and the depthwise layers scale by α,
the pointwise layers by α², the FC by α.
"""

from __future__ import annotations

import json

import pytest

CONV1, DW, PW, FC = 221_184, 354_816, 11_010_048, 1_024_000


def v1_macs(res: int, alpha: int = 1) -> int:
    assert res % 32 == 0
    s = res // 32
    return s * s * (CONV1 * alpha + DW * alpha + PW * alpha * alpha) + FC * alpha


def test_hand_formula_matches_the_paper_total() -> None:
    assert v1_macs(224) == 568_740_352


@pytest.mark.parametrize(
    "alpha,res",
    [(1, 224), (1, 100_000 - 100_000 % 32), (100, 224), (100, 100_000 - 100_000 % 32), (1000, 999_968)],
)
def test_mobilenet_v1_at_huge_sizes_is_exact(cli, alpha: int, res: int) -> None:
    r = cli(
        "table", "mobilenet_v1", "--alpha", str(alpha), "--res", str(res), "--format", "json", "--summary"
    )
    assert r.code == 0, r.err
    totals = json.loads(r.out)["totals"]
    assert totals["macs"] == v1_macs(res, alpha)
    assert totals["flops"] == 2 * v1_macs(res, alpha)


@pytest.mark.parametrize(
    "args",
    [
        ["--alpha", "100"],
        ["--res", "100000"],
        ["--alpha", "100", "--res", "100000"],
        ["--alpha", "1000", "--res", "1000000"],
    ],
)
@pytest.mark.parametrize("net", ["mobilenet_v2", "vgg16", "shufflenet_v1", "xception", "googlenet"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_every_format_answers_at_huge_sizes(cli, net: str, args: list[str], fmt: str) -> None:
    r = cli("table", net, *args, "--format", fmt)
    assert r.code == 0, r.err
    if fmt == "json":
        data = json.loads(r.out)
        assert all(isinstance(layer["macs"], int) for layer in data["layers"])
        assert sum(layer["macs"] for layer in data["layers"]) == data["totals"]["macs"]


def test_rich_table_at_huge_sizes(cli) -> None:
    r = cli("table", "mobilenet_v1", "--alpha", "1000", "--res", "999968", "--summary")
    assert r.code == 0, r.err
    assert f"{v1_macs(999_968, 1000):,}" in r.out


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["table", "mobilenet_v2", "--alpha", "1001"], "--alpha 1001 is larger than the supported maximum"),
        (["table", "mobilenet_v2", "--res", "1000001"], "--res 1000001 is larger"),
        (["table", "mobilenet_v2", "--rho", "1e6"], "--rho"),
        (["validate", "vgg16", "--alpha", "100"], "weights alone are"),
        (["validate", "mobilenet_v2", "--res", "100000"], "one activation alone is"),
    ],
)
def test_beyond_the_limits_is_refused_in_one_line(cli, args: list[str], fragment: str) -> None:
    r = cli(*args)
    assert r.code == 2 and r.out == "", r.err
    assert len(r.err.splitlines()) == 1 and fragment in r.err, r.err


def test_compare_at_huge_sizes_is_exact(cli) -> None:
    """D_K²·M·D_F² + M·N·D_F² with M = N = 10⁶, D_F = 10⁵ (MobileNet eq. 5)."""
    m = n = 10**6
    df = 10**5
    r = cli("compare", "dwsep", "--m", str(m), "--n", str(n), "--df", str(df), "--format", "json")
    assert r.code == 0, r.err
    (design,) = json.loads(r.out)["designs"]
    assert design["macs"] == 9 * m * df * df + m * n * df * df
