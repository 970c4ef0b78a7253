"""``table --view paper|blocks|primitives``: the rows the papers print, one row per block, or every
primitive, with the same totals.

The oracles are the papers' architecture tables, transcribed here from the papers (not from the
specs): MobileNet V1 Table 1 (28 conv / FC layers, their filter shapes, strides and input sizes) and
MobileNet V2 Table 2 (17 bottlenecks: input size, expansion t, output channels c, repeats n, first
stride s), with the bottleneck's cost formula of V2 §3.3, h·w·d′·t·(d′ + k² + d″) at stride 1.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

import archcalc
from archcalc.count.views import VIEWS, view_rows
from archcalc.spec.catalog import builtin_names

# MobileNet V1 Table 1 (Howard et al. 2017): type / stride, filter shape, input size H×W×C. The "5×"
# row is five dw + pw pairs (§4.1); the last dw row prints "s2" but its input and the next row's are
# both 7×7, so it is stride 1 (see docs/conventions.md).
TABLE_1 = [
    ("conv", 2, "3×3×3×32", (224, 224, 3)),
    ("dw", 1, "3×3×32", (112, 112, 32)),
    ("conv", 1, "1×1×32×64", (112, 112, 32)),
    ("dw", 2, "3×3×64", (112, 112, 64)),
    ("conv", 1, "1×1×64×128", (56, 56, 64)),
    ("dw", 1, "3×3×128", (56, 56, 128)),
    ("conv", 1, "1×1×128×128", (56, 56, 128)),
    ("dw", 2, "3×3×128", (56, 56, 128)),
    ("conv", 1, "1×1×128×256", (28, 28, 128)),
    ("dw", 1, "3×3×256", (28, 28, 256)),
    ("conv", 1, "1×1×256×256", (28, 28, 256)),
    ("dw", 2, "3×3×256", (28, 28, 256)),
    ("conv", 1, "1×1×256×512", (14, 14, 256)),
    *[
        row
        for _ in range(5)
        for row in (("dw", 1, "3×3×512", (14, 14, 512)), ("conv", 1, "1×1×512×512", (14, 14, 512)))
    ],
    ("dw", 2, "3×3×512", (14, 14, 512)),
    ("conv", 1, "1×1×512×1024", (7, 7, 512)),
    ("dw", 1, "3×3×1024", (7, 7, 1024)),  # printed "s2" (sic)
    ("conv", 1, "1×1×1024×1024", (7, 7, 1024)),
    ("pool", 1, "Pool 7×7", (7, 7, 1024)),
    ("fc", 1, "1024×1000", (1, 1, 1024)),
]


def test_paper_view_is_mobilenet_v1_table_1() -> None:
    rows = view_rows(archcalc.cost("mobilenet_v1"), "paper")
    assert len(rows) == len(TABLE_1) == 29
    assert sum(1 for kind, *_ in TABLE_1 if kind in ("conv", "dw", "fc")) == 28  # "MobileNet has 28 layers"
    for row, (kind, stride, shape, (h, w, c)) in zip(rows, TABLE_1, strict=True):
        if kind == "pool":
            assert row.kind == "adaptive_pool" and row.input_shapes == [[c, h, w]]
            assert row.output_shape == [c]  # the global pool and the flatten after it, one row
            continue
        if kind == "fc":
            assert row.kind == "linear" and row.args == shape and row.input_shapes == [[c * h * w]]
            continue
        assert row.kind == "conv2d"
        head = shape + (" dw" if kind == "dw" else "") + (f" s{stride}" if stride > 1 else "")
        assert row.args == head + " + BN + relu", row.name  # BN and ReLU after every conv (§3)
        assert row.input_shapes == [[c, h, w]], row.name
        dims = [int(x) for x in shape.split("×")]  # D_K × D_K × M (× N)
        k, m = dims[0], dims[2]
        n = dims[3] if kind == "conv" else m
        side = h // stride
        macs = k * k * (m if kind == "conv" else 1) * n * side * side  # eq. 2 (conv) / eq. 4 (dw)
        assert row.macs == macs, row.name


# MobileNet V2 Table 2 bottleneck rows: (input side, channels in, t, c, n, s).
TABLE_2 = [
    (112, 32, 1, 16, 1, 1),
    (112, 16, 6, 24, 2, 2),
    (56, 24, 6, 32, 3, 2),
    (28, 32, 6, 64, 4, 2),
    (14, 64, 6, 96, 3, 1),
    (14, 96, 6, 160, 3, 2),
    (7, 160, 6, 320, 1, 1),
]


def _bottleneck_macs(h: int, d_in: int, t: int, d_out: int, s: int, k: int = 3) -> int:
    """V2 §3.3: h·w·d′·t·(d′ + k² + d″) at stride 1; at stride s the dw and projection run at (h/s)²
    (and t = 1 has no expansion conv)."""
    expand = h * h * d_in * t * d_in if t != 1 else 0
    o = h // s
    return expand + o * o * d_in * t * (k * k + d_out)


def test_blocks_view_is_mobilenet_v2_table_2() -> None:
    rows = view_rows(archcalc.cost("mobilenet_v2"), "blocks")
    bottlenecks = [r for r in rows if r.kind == "inverted_residual"]
    assert len(bottlenecks) == sum(n for *_, n, _ in TABLE_2) == 17
    expected = []
    for h, d_in, t, c, n, s in TABLE_2:
        for i in range(n):
            side = h if i == 0 else h // s
            expected.append((side, d_in if i == 0 else c, t, c, s if i == 0 else 1))
    for row, (h, d_in, t, c, s) in zip(bottlenecks, expected, strict=True):
        assert row.input_shapes == [[d_in, h, h]], row.name
        assert row.output_shape == [c, h // s, h // s], row.name
        assert row.macs == _bottleneck_macs(h, d_in, t, c, s), row.name
    assert rows[0].kind == "conv" and rows[0].input_shapes == [[3, 224, 224]]  # the stem: conv2d 32, s2
    head = rows[1 + len(bottlenecks) :]
    assert [r.kind for r in head] == ["conv", "global_pool", "flatten", "linear"]
    assert head[0].macs == 7 * 7 * 320 * 1280 and head[-1].macs == 1280 * 1000


def test_repeated_blocks_keep_their_own_rows() -> None:
    rep = archcalc.cost("mobilenet_v1")
    names = [r.name for r in view_rows(rep, "blocks")]
    assert names[:9] == ["conv0", *(f"sep{i}" for i in range(1, 7)), "sep7.0", "sep7.1"]
    assert [r.name for r in view_rows(rep, "paper")][13:17] == [
        "sep7.0.dw",
        "sep7.0.pw",
        "sep7.1.dw",
        "sep7.1.pw",
    ]


@pytest.mark.parametrize("net", builtin_names())
@pytest.mark.parametrize("convention", ["paper", "fvcore", "torch"])
def test_every_view_has_the_same_totals(net: str, convention: str) -> None:
    rep = archcalc.cost(net, convention=convention, dtype="fp16")
    t = rep.totals
    for view in VIEWS:
        rows = view_rows(rep, view)
        assert sum(r.macs for r in rows) == t.macs
        assert sum(r.params for r in rows) == t.params
        assert sum(r.params_with_bn for r in rows) == t.params_with_bn
        assert sum(r.bytes_read for r in rows) == t.bytes_read
        assert sum(r.bytes_written for r in rows) == t.bytes_written
        assert sum(len(getattr(r, "primitives", [r.name])) for r in rows) == len(rep.layers)


def test_view_in_every_format(cli) -> None:
    for view, rows in (("paper", 29), ("blocks", 17), ("primitives", 84)):
        d = json.loads(cli("table", "mobilenet_v1", "--view", view, "--format", "json").out)
        assert len(d["layers"]) == rows and d["totals"]["macs"] == 568_740_352
        assert d.get("view", "primitives") == view
        table = list(
            csv.reader(io.StringIO(cli("table", "mobilenet_v1", "--view", view, "--format", "csv").out))
        )
        assert len(table) == 1 + rows + 1 and table[-1][0] == "TOTAL"
        md = cli("table", "mobilenet_v1", "--view", view, "--format", "markdown").out
        assert md.count("\n| ") == 1 + rows + 1
    default = json.loads(cli("table", "mobilenet_v1", "--format", "json").out)
    assert default["view"] == "paper" and default["layers"][0]["primitives"] == [
        "conv0.conv",
        "conv0.bn",
        "conv0.act",
    ]
    out = cli("table", "mobilenet_v1").out
    assert "sep13.pw" in out and "sep13.pw.bn" not in out and "1×1×1024×1024 + BN + relu" in out


def test_bad_view_is_one_line(cli) -> None:
    r = cli("table", "mobilenet_v1", "--view", "layers")
    assert r.code == 2 and r.err.count("\n") == 1 and "--view 'layers'" in r.err and "paper" in r.err
    r = cli("table", "mobilenet_v1", "--view", "paper", "--traffic")
    assert r.code == 2 and "--view primitives" in r.err
