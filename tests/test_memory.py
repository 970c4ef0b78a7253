"""Peak activation memory (archcalc.count.memory, `archcalc memory`).

Two independent sources: small DAGs whose live sets are worked out by hand below, and MobileNet V2
(Sandler et al. 2018) Table 3, "max number of channels / memory (in Kb) materialised at each
spatial resolution", whose unit and element size are worked out here from its own cells.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archcalc.count.memory import RULES, MemoryReport, memory_report, peak_activation_bytes
from archcalc.model.graph import INPUT, Graph, GraphBuilder
from archcalc.model.ops import Activation, Add, BatchNorm2d, Concat, Conv2d
from archcalc.model.resolve import Resolved, resolve
from archcalc.spec.catalog import load_spec

# ------------------------------------------------------------------------------------------------
# Hand-built DAGs. Sizes are elements; every peak is worked out step by step in the docstring.


def _resolved(graph: Graph) -> Resolved:
    """A hand-built graph wrapped as a Resolved (any spec will do for the labels)."""
    return Resolved(load_spec("mobilenet_v1"), 1.0, graph.input_shape[-1], {}, graph)


def _peaks(graph: Graph, b: int = 1) -> dict[str, int]:
    return {rule: peak_activation_bytes(graph, b, rule) for rule in RULES}


def test_chain() -> None:
    """input 3×8×8 (192) → conv 3×3 → 4×8×8 (256) → BN → ReLU → conv 1×1 → 2×8×8 (128).

    materialize: conv 192 + 256 = 448; BN 256 + 256 = 512; ReLU 512; conv 256 + 128 = 384 → 512.
    fused (conv+BN+ReLU one op): 192 + 256 = 448; conv 256 + 128 = 384 → 448. No depthwise conv,
    so streamed = fused.
    """
    b = GraphBuilder((3, 8, 8))
    b.op("c1", Conv2d, in_channels=3, out_channels=4, kernel=(3, 3), padding=(1, 1))
    b.op("bn", BatchNorm2d, channels=4)
    b.op("act", Activation, fn="relu")
    b.op("c2", Conv2d, in_channels=4, out_channels=2, kernel=(1, 1))
    assert _peaks(b.graph) == {"materialize": 512, "fused": 448, "streamed": 448}
    assert peak_activation_bytes(b.graph, 4) == 4 * 512  # fp32: 4 bytes per element
    m = memory_report(_resolved(b.graph), "fp32")
    assert m.peak_bytes == 2048 and m.peak_step == ["bn"]
    assert [t.name for t in m.peak_live] == ["c1", "bn"]
    # five tensors at 8×8: the image, c1, bn, act, c2; the largest is 4×8×8 (first: c1)
    assert [(r.height, r.channels, r.bytes, r.tensors) for r in m.rows] == [(8, 4, 1024, 5)]
    assert m.largest.name == "c1" and m.largest.bytes == 1024


def test_residual_add_holds_the_block_input() -> None:
    """input 8×4×4 (128) → conv 1×1 → 16×4×4 (256) → ReLU → conv 1×1 → 8×4×4 (128) → + input.

    The image is read again by the add, so it stays live across the block.
    materialize: conv1 128 + 256 = 384; ReLU 128 + 256 + 256 = 640; conv2 128 + 256 + 128 = 512;
    add 128 + 128 + 128 = 384 → 640 at the ReLU. Without the shortcut the ReLU would hold 512.
    fused: conv1+ReLU 384; conv2 512; add 384 → 512 at conv2.
    """
    b = GraphBuilder((8, 4, 4))
    b.op("c1", Conv2d, in_channels=8, out_channels=16, kernel=(1, 1))
    b.op("act", Activation, fn="relu")
    c2 = b.op("c2", Conv2d, in_channels=16, out_channels=8, kernel=(1, 1))
    b.add("add", Add(), [c2, INPUT])
    assert _peaks(b.graph) == {"materialize": 640, "fused": 512, "streamed": 512}
    m = memory_report(_resolved(b.graph), "int8")
    assert m.peak_step == ["act"] and [t.name for t in m.peak_live] == ["input", "c1", "act"]
    fused = memory_report(_resolved(b.graph), "int8", "fused")
    assert fused.peak_step == ["c2"] and [t.name for t in fused.peak_live] == ["input", "act", "c2"]

    chain = GraphBuilder((8, 4, 4))  # the same block without the shortcut
    chain.op("c1", Conv2d, in_channels=8, out_channels=16, kernel=(1, 1))
    chain.op("act", Activation, fn="relu")
    chain.op("c2", Conv2d, in_channels=16, out_channels=8, kernel=(1, 1))
    assert peak_activation_bytes(chain.graph, 1) == 512


def test_fire_concat_and_residual() -> None:
    """SqueezeNet Fire on 16×8×8 (1024): squeeze 1×1 → 4×8×8 (256), expand 1×1 and 3×3 → 8×8×8 (512)
    each, concat → 16×8×8 (1024), then + input (1024).

    Without the add: squeeze 1024 + 256 = 1280; e1 256 (held for e3) + 512 = 768; e3 256 + 512
    (e1, held for the concat) + 512 = 1280; concat 512 + 512 + 1024 = 2048 → 2048.
    With the add the input is held throughout: 1280, 1792, 2304, 3072, add 1024·3 = 3072 → 3072,
    first reached at the concat.
    """

    def fire(residual: bool) -> Graph:
        b = GraphBuilder((16, 8, 8))
        sq = b.op("squeeze", Conv2d, in_channels=16, out_channels=4, kernel=(1, 1), bias=True)
        e1 = b.op("e1", Conv2d, inputs=[sq], in_channels=4, out_channels=8, kernel=(1, 1), bias=True)
        e3 = b.op("e3", Conv2d, inputs=[sq], in_channels=4, out_channels=8, kernel=(3, 3), padding=(1, 1))
        cat = b.add("cat", Concat(), [e1, e3])
        if residual:
            b.add("res", Add(), [cat, INPUT])
        return b.graph

    assert _peaks(fire(False)) == dict.fromkeys(RULES, 2048)
    assert _peaks(fire(True)) == dict.fromkeys(RULES, 3072)
    m = memory_report(_resolved(fire(True)), "fp16")
    assert m.peak_bytes == 2 * 3072 and m.peak_step == ["cat"]
    assert [t.name for t in m.peak_live] == ["input", "e1", "e3", "cat"]


def _bottleneck() -> Graph:
    """MobileNet V2 bottleneck, t = 6, on 4×8×8: expand 1×1 → 24×8×8, BN, ReLU6, depthwise 3×3,
    BN, ReLU6, project 1×1 → 4×8×8, BN, + input."""
    b = GraphBuilder((4, 8, 8))
    b.op("expand", Conv2d, in_channels=4, out_channels=24, kernel=(1, 1))
    b.op("expand.bn", BatchNorm2d, channels=24)
    b.op("expand.act", Activation, fn="relu6")
    b.op("dw", Conv2d, in_channels=24, out_channels=24, kernel=(3, 3), padding=(1, 1), groups=24)
    b.op("dw.bn", BatchNorm2d, channels=24)
    b.op("dw.act", Activation, fn="relu6")
    b.op("project", Conv2d, in_channels=24, out_channels=4, kernel=(1, 1))
    proj = b.op("project.bn", BatchNorm2d, channels=4)
    b.add("add", Add(), [proj, INPUT])
    return b.graph


def test_inverted_residual_under_each_rule() -> None:
    """Input 256 elements, expanded tensors 24·64 = 1536, block output 256.

    materialize: expand 256 + 1536 = 1792; its BN and ReLU6 256 + 1536 + 1536 = 3328; the
    depthwise conv, its BN and ReLU6 likewise 3328; project 256 + 1536 + 256 = 2048; its BN 768;
    add 768 → 3328.
    fused: expand+BN+ReLU6 1792; dw+BN+ReLU6 256 + 1536 + 1536 = 3328; project+BN 2048 → 3328.
    streamed (§5.2, t = n): the chain reads the input (256) and writes the projection (256) with
    one 8×8 channel of each inner tensor (2·64): 640, the paper's |s²k| + |s′²k′| + O(max(s², s′²));
    then the add: 256 · 3 = 768 → 768.
    """
    g = _bottleneck()
    assert _peaks(g) == {"materialize": 3328, "fused": 3328, "streamed": 768}
    s = memory_report(_resolved(g), "int8", "streamed")
    assert s.peak_step == ["add"] and s.peak_workspace_bytes == 0
    assert s.streamed_tensors == 6  # expand, its BN and ReLU6, dw, its BN and ReLU6
    assert [(r.channels, r.bytes, r.tensors) for r in s.rows] == [(4, 256, 3)]  # input, project.bn, add
    no_add = GraphBuilder((4, 8, 8))  # the chain alone peaks at 640
    for n in g.nodes[:-1]:
        no_add.add(n.name, n.op, n.inputs)
    assert peak_activation_bytes(no_add.graph, 1, "streamed") == 640
    m = memory_report(_resolved(no_add.graph), "int8", "streamed")
    assert m.peak_workspace_bytes == 128 and m.peak_step[0] == "expand" and m.peak_step[-1] == "project.bn"


def test_a_second_reader_stops_streaming() -> None:
    """If the expanded tensor is also read elsewhere it must be materialised: no chain."""
    g = _bottleneck()
    b = GraphBuilder((4, 8, 8))
    for n in g.nodes:
        b.add(n.name, n.op, n.inputs)
    b.add("also", Concat(), ["add", "expand.act"])  # a second reader of the expanded tensor
    assert peak_activation_bytes(b.graph, 1, "streamed") == peak_activation_bytes(b.graph, 1, "fused")


def test_mobilenet_v1_first_layers_by_hand() -> None:
    """MobileNet V1 at 224 (3×224² = 150,528 elements in): conv0 → 32×112² (401,408), BN, ReLU;
    depthwise → 32×112², BN, ReLU; pointwise → 64×112² (802,816), BN, ReLU; depthwise s2 → 64×56².

    materialize: the pointwise conv's BN holds its input and output, 2 · 802,816 = 1,605,632
    elements, the network's peak; at fp32 6,422,528 bytes. The first conv holds only
    150,528 + 401,408 = 551,936 (the image is read once).
    fused (MobileNet V2 eq. 2, input + output of an op): the pointwise op, 401,408 + 802,816 =
    1,204,224 elements; at fp16 2,408,448 bytes.
    """
    r = resolve(load_spec("mobilenet_v1"))
    m = memory_report(r, "fp32")
    assert m.peak_bytes == 4 * 1_605_632 == 6_422_528
    assert m.peak_step == ["sep1.pw.bn"]
    assert [(t.name, t.shape) for t in m.peak_live] == [
        ("sep1.pw.conv", [64, 112, 112]),
        ("sep1.pw.bn", [64, 112, 112]),
    ]
    f = memory_report(r, "fp16", "fused")
    assert f.peak_bytes == 2 * (401_408 + 802_816) == 2_408_448
    assert f.peak_step == ["sep1.pw.conv", "sep1.pw.bn", "sep1.pw.act"]
    assert peak_activation_bytes(r.graph, 2, "fused") == 2_408_448


def test_mobilenet_v2_streamed_peak_by_hand() -> None:
    """MobileNet V2, streamed, fp16: the stem conv, the first bottleneck's depthwise conv and its
    projection form one A → N → B chain. It reads the image (3·224² = 150,528) and writes
    16×112² = 200,704, holding one 112² channel of the stem and of the depthwise outputs (2·12,544):
    150,528 + 200,704 + 25,088 = 376,320 elements = 752,640 bytes, the largest step of the network."""
    r = resolve(load_spec("mobilenet_v2"))
    m = memory_report(r, "fp16", "streamed")
    assert m.peak_bytes == 2 * (150_528 + 200_704 + 2 * 12_544) == 752_640
    assert m.peak_step[0] == "conv1.conv" and m.peak_step[-1] == "bottleneck1.project.bn"
    assert [t.name for t in m.peak_live] == ["input", "bottleneck1.project.bn"]
    assert m.peak_workspace_bytes == 2 * 2 * 12_544


# ------------------------------------------------------------------------------------------------
# MobileNet V2 Table 3 (arXiv version): {side: (channels, printed memory)} per column, and "max".

SIDES = (112, 56, 28, 14, 7, 1)


def _column(*cells: tuple[int, int]) -> dict[int, tuple[int, int]]:
    return dict(zip(SIDES, cells, strict=True))


TABLE3: dict[str, dict[int, tuple[int, int]]] = {
    "MobileNetV1": _column((64, 1600), (128, 800), (256, 400), (512, 200), (1024, 199), (1024, 2)),
    "MobileNetV2": _column((16, 400), (32, 200), (64, 100), (160, 62), (320, 32), (1280, 2)),
    "ShuffleNet": _column((32, 800), (48, 300), (400, 600), (800, 310), (1600, 156), (1600, 3)),
}
TABLE3_MAX = {"MobileNetV1": 1600, "MobileNetV2": 400, "ShuffleNet": 600}


def _unit(printed: int) -> int:
    """One unit of the printed figure's last significant digit (1600 → 100, 310 → 10, 62 → 1).

    The table both truncates (62.72 → 62, 156.8 → 156) and rounds (31.36 → 32, 627.2 → 600), so a
    cell agrees with a value when they differ by at most this much.
    """
    u = 1
    while printed % (10 * u) == 0:
        u *= 10
    return u


def _agrees(printed: int, value_k: float) -> bool:
    return abs(printed - value_k) <= _unit(printed)


def _misfits(element_bytes: int, k: int) -> list[tuple[str, int]]:
    """Cells whose printed memory is not channels · side² · element_bytes / k."""
    return [
        (net, side)
        for net, col in TABLE3.items()
        for side, (c, mem) in col.items()
        if not _agrees(mem, c * side * side * element_bytes / k)
    ]


def test_table3_unit_and_element_size() -> None:
    """Which element size and which K make the cells agree with their own channel counts?

    fp16 (as the caption says) with K = 1000 bytes explains 17 of the 18 cells; K = 1024 explains
    15 (it misses V2's 320/32: 30.6 K, and ShuffleNet's 1600/156: 153.1 K); fp32 and int8 explain
    almost none. The one cell no hypothesis explains is V1's 1024/199 at 7×7: 7·7·1024·2 bytes is
    100.4 K. 199 is about twice that (fp32 would give 200.7, two fp16 tensors the same), so that
    cell cannot be the 16-bit size of its own 1024-channel tensor.
    """
    counts = {(b, k): 18 - len(_misfits(b, k)) for b in (1, 2, 4) for k in (1000, 1024)}
    assert max(counts, key=counts.__getitem__) == (2, 1000)
    assert counts[(2, 1000)] == 17 and counts[(2, 1024)] == 15
    assert max(n for (b, _), n in counts.items() if b != 2) <= 5
    assert _misfits(2, 1000) == [("MobileNetV1", 7)]
    assert _misfits(2, 1024) == [("MobileNetV1", 7), ("MobileNetV2", 7), ("ShuffleNet", 7)]


def test_table3_max_rows() -> None:
    """The max row is the column's largest cell for V1 (1600) and V2 (400). ShuffleNet's 600K is
    not: its own 112×112 cell says 800. 600 is the largest cell once the 112×112 row is dropped,
    as the paper's other version does ("1/O(1)" at 112×112, max 800K / 200K / 600K)."""
    for net, col in TABLE3.items():
        largest = max(mem for _, mem in col.values())
        without_112 = max(mem for side, (_, mem) in col.items() if side != 112)
        if net == "ShuffleNet":
            assert TABLE3_MAX[net] != largest and TABLE3_MAX[net] == without_112
        else:
            assert TABLE3_MAX[net] == largest


def _rows(m: MemoryReport) -> dict[int, tuple[int, int]]:
    return {r.height: (r.channels, r.bytes) for r in m.rows}


def _check_cell(net: str, side: int, got: tuple[int, int]) -> None:
    """archcalc's (channels, fp16 bytes) reproduce the printed cell (K = 1000, see above)."""
    c, mem = TABLE3[net][side]
    assert got[0] == c, (net, side, got)
    assert _agrees(mem, got[1] / 1000), (net, side, got)


@pytest.mark.parametrize("rule", list(RULES))
def test_table3_mobilenet_v1(rule: str) -> None:
    """V1 (every tensor materialised; the column is the same under every rule, since V1's largest
    tensor at each size is a block output). All cells but 7×7 reproduce, and so does the max row."""
    m = memory_report(resolve(load_spec("mobilenet_v1")), "fp16", rule)
    rows = _rows(m)
    for side in (112, 56, 28, 14, 1):
        _check_cell("MobileNetV1", side, rows[side])
    assert _agrees(TABLE3_MAX["MobileNetV1"], m.largest.bytes / 1000)
    assert m.largest.bytes == 1_605_632 and m.largest.shape == [64, 112, 112]
    # 7×7: 1024 channels, as printed, but 1024·7·7·2 = 100,352 bytes (100 K), not 199 K.
    assert rows[7] == (1024, 100_352)


def test_table3_mobilenet_v2_needs_the_streamed_rule() -> None:
    """V2's column counts only the tensors between bottlenecks (§5.1–5.2): with every tensor
    materialised the expansion of the second block, 96×112² = 2,408,448 bytes, dwarfs the printed
    400K. Under the streamed rule the stem conv streams into the first block too (it is an A → N → B
    chain), so the largest tensor at 112×112 is that block's 16-channel output.

    Reproduced: 112×112 (16 / 400), 1×1 (1280 / 2) and the max row (400K).
    Not reproduced, and not right for the network of Table 2:
    * 56×56 "32/200", 28×28 "64/100", 14×14 "160/62": each pairs a stage's output channels with
      that stage's input size (Table 2: "56²×24 bottleneck c=32 s=2", "28²×32 … c=64 s=2",
      "14²×96 … c=160 s=2"); those stages stride 2, so their outputs are at half the size. The
      bottlenecks really at 56, 28 and 14 have 24, 32 and 96 channels.
    * 7×7 "320/32": the last 1×1 conv's 1280-channel output is 7×7 (Table 2: "7²×320 conv2d 1x1",
      then "avgpool 7x7") and is read whole by the pool: 125,440 bytes. The largest bottleneck at
      7×7 is indeed 320 channels (31,360 bytes, "32" K).
    """
    r = resolve(load_spec("mobilenet_v2"))
    plain = memory_report(r, "fp16")
    assert plain.largest.bytes == 2_408_448 and plain.largest.name == "bottleneck2.0.expand.conv"
    assert _rows(plain)[112] == (96, 2_408_448)

    m = memory_report(r, "fp16", "streamed")
    rows = _rows(m)
    _check_cell("MobileNetV2", 112, rows[112])
    _check_cell("MobileNetV2", 1, rows[1])
    assert _agrees(TABLE3_MAX["MobileNetV2"], m.largest.bytes / 1000)
    assert m.largest.bytes == 401_408 and m.largest.name == "bottleneck1.project.bn"
    assert rows[56] == (24, 150_528)
    assert rows[28] == (32, 50_176)
    assert rows[14] == (96, 37_632)
    assert rows[7] == (1280, 125_440) and m.rows[-2].tensor == "conv_last.act"
    last_bottleneck = r.graph.node("bottleneck7.project.bn").out_shape
    assert last_bottleneck == (320, 7, 7)
    _check_cell("MobileNetV2", 7, (320, 2 * 320 * 7 * 7))


def test_table3_shufflenet() -> None:
    """ShuffleNet 2× (--alpha 2). The caption says g = 3, but the printed channels 400 / 800 / 1600
    are ShuffleNet Table 1's g = 2 column (200 / 400 / 800) doubled; g = 3 gives 480 / 960 / 1920.
    With groups=2 the 28×28, 14×14, 7×7 and 1×1 cells reproduce under every rule. 56×56 (48 / 300,
    the max pool's output) reproduces under the streamed rule, which streams the first unit's
    bottleneck at 56×56 (pw1 → shuffle → depthwise s2 → pw2); with every tensor materialised that
    bottleneck (g=2: 100 channels, g=3: 120) is the largest there.
    Not reproduced: 112×112 "32/800": Conv1 has 24·2 = 48 channels for every g (Table 1: Conv1 24),
    1,204,224 bytes; 32 matches no ShuffleNet 2×. The max row "600K" is the largest cell once
    112×112 is left out (see test_table3_max_rows); with Conv1 counted it is 1,204,224.
    """
    spec = load_spec("shufflenet_v1")
    g3 = resolve(spec, 2.0)
    for rule in RULES:
        rows = _rows(memory_report(g3, "fp16", rule))
        assert [rows[s][0] for s in (112, 28, 14, 7, 1)] == [48, 480, 960, 1920, 1920]
    g2 = resolve(spec, 2.0, knobs={"groups": 2})
    for rule in RULES:
        m = memory_report(g2, "fp16", rule)
        rows = _rows(m)
        for side in (28, 14, 7, 1):
            _check_cell("ShuffleNet", side, rows[side])
        assert rows[112] == (48, 1_204_224)
        assert m.largest.bytes == 1_204_224
        below_112 = max(b for s, (_, b) in rows.items() if s < 112)
        assert _agrees(TABLE3_MAX["ShuffleNet"], below_112 / 1000)  # 627,200: the 28×28 stage
        if rule == "streamed":
            _check_cell("ShuffleNet", 56, rows[56])
        else:
            assert rows[56] == (100, 627_200)
    assert _rows(memory_report(g3, "fp16", "streamed"))[56] == (48, 301_056)
    assert _rows(memory_report(g3, "fp16"))[56] == (120, 752_640)


# ------------------------------------------------------------------------------------------------
# The command.


def test_cli_json_and_formats(cli) -> None:
    res = cli("memory", "mobilenet_v2", "--dtype", "fp16", "--rule", "streamed", "--format", "json")
    assert res.code == 0, res.err
    d = json.loads(res.out)
    assert d["dtype"] == "fp16" and d["dtype_bytes"] == 2 and d["rule"] == "streamed"
    assert d["peak_bytes"] == 752_640 and d["largest"]["bytes"] == 401_408
    assert [(r["height"], r["channels"]) for r in d["rows"]][:2] == [(224, 3), (112, 16)]
    csv = cli("memory", "mobilenet_v1", "--dtype", "int8", "--format", "csv")
    assert csv.code == 0 and csv.out.splitlines()[0] == "size,channels,bytes[int8],tensor,tensors"
    assert "112x112,64,802816,sep1.pw.conv,9" in csv.out
    assert "peak,,1605632,sep1.pw.bn" in csv.out
    md = cli("memory", "mobilenet_v1", "--alpha", "0.5", "--res", "160", "--format", "markdown")
    assert md.code == 0 and "α=0.5, 160×160" in md.out and "rule `materialize`" in md.out
    # α = 0.5 at 160: the first pointwise output is 32×80×80 at fp32
    assert "| 80x80 | 32 | 819200 |" in md.out
    tbl = cli("memory", "shufflenet_v1", "--alpha", "2", "--param", "groups=2", "--dtype", "bf16")
    assert tbl.code == 0 and "Live at the peak" in tbl.out and "bf16" in tbl.out


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["memory", "mobilenet_v2", "--dtype", "fp64"], "--dtype 'fp64' is not known"),
        (["memory", "mobilenet_v2", "--rule", "lazy"], "--rule 'lazy' is not known"),
        (["memory", "mobilenet_v2", "--format", "xml"], "--format 'xml' is not known"),
        (["memory", "mobilenet_v2", "--alpha", "0"], "--alpha must be a finite number > 0"),
        (["memory", "mobilenet_v2", "--param", "nope=1"], "--param nope"),
        (["memory", "mobilnet_v2"], "unknown network"),
    ],
)
def test_cli_bad_input(cli, args: list[str], fragment: str) -> None:
    res = cli(*args)
    assert res.code == 2 and res.out == ""
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archcalc: error: ") and fragment in lines[0], res.err


def test_api_rejects_unknown_rule_and_dtype() -> None:
    from archcalc.errors import ArchcalcError

    r = resolve(load_spec("mobilenet_v1"))
    with pytest.raises(ArchcalcError, match="--rule 'x'"):
        peak_activation_bytes(r.graph, 4, "x")
    with pytest.raises(ArchcalcError, match="--dtype 'fp8'"):
        memory_report(r, "fp8")


def test_memory_never_imports_torch(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "archcalc", "memory", "mobilenet_v2", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr[-500:]
    imported = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if "import time:" in line}
    assert "archcalc.count.memory" in imported
    assert not {m for m in imported if m.split(".")[0] in ("torch", "fvcore", "numpy")}


def test_library_api() -> None:
    import archcalc

    m = archcalc.activation_memory("mobilenet_v1", 0.5, 160, dtype="fp16", rule="fused")
    # α = 0.5 at 160: the first pointwise op reads 16×80² and writes 32×80² (fp16)
    assert m.peak_bytes == 2 * (16 + 32) * 80 * 80 and m.rule == "fused"
