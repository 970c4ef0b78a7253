"""General graphs written as specs (rows with ``from``, the primitive rows), non-square inputs, and
each new primitive's counts worked by hand."""

from __future__ import annotations

import pytest
from test_import_torch import fvcore_total
from zoo import UNet

import archcalc
from archcalc.count.closed_form import layer_costs, report
from archcalc.errors import ArchcalcError
from archcalc.model.graph import INPUT, GraphBuilder
from archcalc.model.ops import (
    ConvTranspose2d,
    LayerNorm,
    MatMul,
    Mean,
    Reshape,
    Scalar,
    Softmax,
    Transpose,
    Upsample,
)
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import parse_spec

UNET_YAML = """
name: unet_by_hand
title: U-Net written as rows
source: tests/zoo.py UNet, by hand
input: {height: 64, width: 48}
width: {rule: truncate}
defaults:
  conv2d: {k: 3, padding: 1, bias: false}
body:
  - {name: e1c, kind: conv2d, out: 16}
  - {name: e1b, kind: batchnorm2d}
  - {name: e1, kind: activation, fn: relu}
  - {name: p1, kind: pool, op: max, k: 2}
  - {name: e2c, kind: conv2d, out: 32}
  - {name: e2b, kind: batchnorm2d}
  - {name: e2, kind: activation, fn: relu}
  - {name: p2, kind: pool, op: max, k: 2}
  - {name: mc, kind: conv2d, out: 64}
  - {name: mb, kind: batchnorm2d}
  - {name: m, kind: activation, fn: relu}
  - {name: up2, kind: conv_transpose2d, out: 32, k: 2, stride: 2}
  - {name: cat2, kind: concat, from: [up2, e2]}
  - {name: d2c, kind: conv2d, out: 32}
  - {name: d2b, kind: batchnorm2d}
  - {name: d2, kind: activation, fn: relu}
  - {name: up1, kind: conv_transpose2d, out: 16, k: 2, stride: 2}
  - {name: cat1, kind: concat, from: [up1, e1]}
  - {name: d1c, kind: conv2d, out: 16}
  - {name: d1b, kind: batchnorm2d}
  - {name: d1, kind: activation, fn: relu}
  - {name: head, kind: conv2d, out: 2, k: 1, padding: 0, bias: true, width: fixed}
"""


def test_a_unet_written_as_rows_counts_what_fvcore_counts_on_the_module() -> None:
    spec = parse_spec(UNET_YAML, "unet.yaml")
    assert report(resolve(spec), "fvcore").totals.macs == fvcore_total(UNet(16), (3, 64, 48))
    assert report(resolve(spec), "torch").totals.params == sum(p.numel() for p in UNet(16).parameters())
    # α = 0.5 is UNet(8); another resolution is the module at that size
    assert report(resolve(spec, alpha=0.5), "fvcore").totals.macs == fvcore_total(UNet(8), (3, 64, 48))
    assert report(resolve(spec, resolution=(32, 96)), "fvcore").totals.macs == fvcore_total(
        UNet(16), (3, 32, 96)
    )


@pytest.mark.parametrize(
    "row,message",
    [
        ("{name: s, kind: add, from: [a, nope]}", r"s.from: no earlier row or layer is named 'nope'"),
        ("{name: s, kind: add}", r"s \(add\): combines tensors, so it needs from"),
        (
            "{name: s, kind: conv2d, out: 4, k: 1, from: [a, input]}",
            r"s.from: a conv2d row reads one tensor, got 2",
        ),
        ("{name: s, kind: matmul, from: [a, a, a]}", r"s.from: a matmul row reads 2 tensors, got 3"),
        ("{name: s, kind: add, from: [a, input]}", r"layer s \(add\): add needs equal shapes"),
    ],
)
def test_bad_graph_rows_are_one_line_naming_the_row(row: str, message: str) -> None:
    text = (
        "name: g\ntitle: g\nsource: test\nwidth: {rule: truncate}\ninput: {resolution: 8}\n"
        f"body:\n  - {{name: a, kind: conv2d, out: 4, k: 1}}\n  - {row}\n"
    )
    with pytest.raises(ArchcalcError, match=message):
        resolve(parse_spec(text, "g.yaml"))


def test_input_height_and_width() -> None:
    base = "name: g\ntitle: g\nsource: t\nwidth: {rule: truncate}\nbody:\n  - {kind: conv2d, out: 4, k: 3}\n"
    with pytest.raises(ArchcalcError, match="give height and width together"):
        parse_spec(base + "input: {height: 8}\n", "g.yaml")
    with pytest.raises(ArchcalcError, match=r"resolution .* or height and width, not both"):
        parse_spec(base + "input: {resolution: 8, height: 8, width: 6}\n", "g.yaml")
    spec = parse_spec(base + "input: {height: 8, width: 6}\n", "g.yaml")
    rep = archcalc.cost(spec)
    assert rep.resolution == (8, 6) and rep.input_shape == [3, 8, 6]
    assert rep.totals.macs == 4 * 3 * 9 * 6 * 4  # 3×3 valid: 6×4 output
    assert archcalc.cost(spec, rho=0.5).resolution == (4, 3)
    assert archcalc.cost(spec, resolution=7).resolution == 7


def test_non_square_resolution_on_a_builtin_network(cli) -> None:
    """MobileNet V1 at 224×160: its first conv is 3·32·3·3 weights over a 112×80 map."""
    import json

    r = cli("table", "mobilenet_v1", "--res", "224x160", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["resolution"] == [224, 160] and data["input_shape"] == [3, 224, 160]
    first = data["layers"][0]
    assert first["macs"] == 3 * 32 * 9 * 112 * 80
    md = cli("table", "mobilenet_v1", "--res", "224x160", "--summary", "--format", "markdown").out
    assert "224×160" in md
    bad = cli("table", "mobilenet_v1", "--res", "224x")
    assert bad.code == 2 and "HEIGHTxWIDTH" in bad.err


def test_new_primitives_by_hand() -> None:
    """Each new op's params and MACs under the three conventions, worked by hand."""
    b = GraphBuilder((8, 6, 4))
    b.op("up", ConvTranspose2d, 8, 4, (3, 3), (2, 2), (1, 1), (1, 1))
    b.op("mean", Mean, (1, 2), True)
    b.op("nearest", Upsample, "nearest", (2.0, 2.0), None, inputs=["up"])
    b.op("bilinear", Upsample, "bilinear", None, (5, 3), inputs=["up"])
    b.op("tokens", Reshape, (4, -1), inputs=["up"])
    b.op("t", Transpose, (1, 0))
    b.op("ln", LayerNorm, (4,))
    b.op("scale", Scalar, "mul", 0.5)
    b.add("attn", MatMul(), ["scale", "tokens"])
    b.op("soft", Softmax, -1)
    rows = {r.name: r for r in layer_costs(b.graph, "fvcore")}
    paper = {r.name: r for r in layer_costs(b.graph, "paper")}
    torch_ = {r.name: r for r in layer_costs(b.graph, "torch")}
    # transposed conv: out side (6−1)·2 − 2 + 2 + 1 + 1 = 12 and (4−1)·2 − 2 + 2 + 1 + 1 = 8;
    # MACs = C_in·(C_out/G)·k²·H_in·W_in = 8·4·9·6·4; params = 8·4·9 + 4
    assert rows["up"].output_shape == [4, 12, 8]
    assert rows["up"].macs == paper["up"].macs == 8 * 4 * 9 * 24
    assert rows["up"].params == paper["up"].params == 8 * 4 * 9 + 4
    assert rows["mean"].macs == 0 and rows["mean"].output_shape == [4, 1, 1]
    assert rows["nearest"].macs == 4 * 24 * 16 and paper["nearest"].macs == 0  # fvcore: 1 per output
    assert rows["bilinear"].macs == 4 * (4 * 5 * 3) and rows["bilinear"].output_shape == [4, 5, 3]
    assert rows["tokens"].output_shape == [4, 96] and rows["t"].output_shape == [96, 4]
    assert rows["ln"].macs == 5 * 96 * 4 and paper["ln"].macs == 0  # fvcore: 5 per element with γ
    assert rows["ln"].params == torch_["ln"].params == 8 and paper["ln"].params == 0
    # (96×4) @ (4×96): 96·96 outputs, 4 MACs each, in every convention
    assert rows["attn"].output_shape == [96, 96]
    assert rows["attn"].macs == paper["attn"].macs == torch_["attn"].macs == 96 * 96 * 4
    assert rows["soft"].macs == rows["scale"].macs == 0
    with pytest.raises(ArchcalcError, match=r"layer bad .*cannot reshape"):
        b.op("bad", Reshape, (7, 7), inputs=[INPUT])


def test_every_new_primitive_has_a_latency_kind() -> None:
    """`table --latency` prices every layer of an imported attention / U-Net / layer-scale graph (no
    kind is refused), each as the profile kind its class names."""
    from test_latency import make_profile
    from zoo import make

    from archcalc.count.latency import layer_kind, predict
    from archcalc.importers.torch_fx import trace_module

    seen: dict[str, set[str]] = {}
    for name in ("attention", "unet", "layer_scale", "interpolation", "shuffle", "squeeze_excite"):
        rep = report(resolve(trace_module(*make(name)).spec))
        pred = predict(rep, make_profile(mac_rate=1e9))
        assert pred.total_ms > 0
        for row in rep.layers:
            seen.setdefault(row.kind, set()).add(layer_kind(row))
    assert seen["matmul"] == {"linear"} and seen["conv_transpose2d"] == {"dense"}
    assert seen["layernorm"] == {"batchnorm"} and seen["softmax"] == {"activation_exp"}
    assert seen["transpose"] == seen["reshape"] == seen["parameter"] == {"view"}
    assert seen["upsample"] == {"copy"} and seen["mean"] == {"global_pool"}
    assert "activation_exp" in seen["activation"]  # GELU
