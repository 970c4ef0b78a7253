"""Xception (Chollet 2016, arXiv:1610.02357) in the layout of Keras's applications/xception.py.

The oracles: the paper's Table 3 parameter count and its §3 description (36 conv layers in 14
modules, 10×10 final map at 299), Keras's parameter totals, timm's benchmark row for
``legacy_xception``, and a count worked by hand below from the separable-conv formula,
independent of the spec and the graph.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from pydantic import ValidationError

from archcalc.count.closed_form import Report, report
from archcalc.errors import ArchcalcError
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec
from archcalc.spec.schema import NetworkSpec

G = 1e9

# (sepconv widths, downsampling?) of the residual modules: entry ×3, middle ×8, exit
MODULES = [([128, 128], True), ([256, 256], True), ([728, 728], True)]
MODULES += [([728, 728, 728], False)] * 8 + [([728, 1024], True)]


def xception(alpha: float = 1.0, res: int | None = None, convention: str = "torch") -> Report:
    return report(resolve(load_spec("xception"), alpha, res), convention)


def hand_count(res: int = 299, alpha: float = 1.0) -> dict[str, int]:
    """Conv + linear MACs, conv weights, BN channels and the classifier's params, by hand.

    SeparableConv2D M → N (3×3, no bias) on a D×D map: 9M + MN weights, D²·(9M + MN) MACs.
    Shortcut 1×1/2 conv M → N: MN weights, ⌈D/2⌉²·MN MACs. Stem convs are 'valid'.
    """

    def c(ch: int) -> int:
        return int(ch * alpha)

    d = (res - 3) // 2 + 1
    macs, weights, bn = 27 * c(32) * d * d, 27 * c(32), c(32)
    d -= 2
    macs += 9 * c(32) * c(64) * d * d
    weights += 9 * c(32) * c(64)
    bn += c(64)
    m = c(64)

    def sep(m: int, n: int, d: int) -> tuple[int, int]:
        return d * d * (9 * m + m * n), 9 * m + m * n

    for widths, down in MODULES:
        m_in = m
        for w in widths:
            mac, wt = sep(m, c(w), d)
            macs, weights, bn, m = macs + mac, weights + wt, bn + c(w), c(w)
        if down:
            d = math.ceil(d / 2)
            macs += d * d * m_in * m
            weights += m_in * m
            bn += m
    for w in (1536, 2048):
        mac, wt = sep(m, c(w), d)
        macs, weights, bn, m = macs + mac, weights + wt, bn + c(w), c(w)
    return {"macs": macs + m * 1000, "weights": weights, "bn": bn, "fc": m * 1000 + 1000, "side": d}


# ---------------------------------------------------------------------------------------------
# Table 3: 22,855,952 parameters.
def test_table_3_parameter_count() -> None:
    h = hand_count()
    # conv and sepconv weights (no biases) + BN γ, β + the 2048×1000 logistic layer with bias
    assert h["weights"] == 20_752_424 and h["bn"] == 27_264 and h["fc"] == 2_049_000
    assert h["weights"] + 2 * h["bn"] + h["fc"] == 22_855_952
    rep = xception()
    assert rep.totals.params == rep.totals.params_with_bn == 22_855_952
    assert rep.totals.params_without_bn == 22_855_952 - 2 * 27_264
    # Keras: "Trainable params: 22,855,952"; "Total params: 22,910,480" adds moving mean and variance
    bn_channels = sum(n.op.channels for n in resolve(load_spec("xception")).graph if n.kind == "batchnorm2d")
    assert bn_channels == 27_264 and rep.totals.params + 2 * bn_channels == 22_910_480


@pytest.mark.parametrize("alpha,res", [(1.0, 299), (1.0, 224), (0.5, 213), (0.75, 160), (1.0, 71)])
def test_closed_form_equals_hand_count(alpha: float, res: int) -> None:
    h = hand_count(res, alpha)
    rep = xception(alpha, res, "paper")
    assert rep.totals.macs == h["macs"]
    assert rep.totals.params == h["weights"] + h["fc"]
    assert xception(alpha, res).totals.params == h["weights"] + 2 * h["bn"] + h["fc"]
    assert rep.layers[-1].input_shapes == [[int(2048 * alpha)]]


def test_conv_linear_macs_at_299() -> None:
    # The reference count (paper-figures.md §6), here from the hand formula: no FLOPs table exists
    # in the paper, so this is a closed-form figure, not a published one.
    assert hand_count()["macs"] == 8_357_403_496 == xception(convention="paper").totals.macs


def test_timm_gmacs_is_fvcore() -> None:
    # timm's benchmark CSV: legacy_xception, 299 px, param_count 22.86, infer_gmacs 8.4. benchmark.py
    # writes round(macs / 1e9, 2), so 8.4 is 8.40, and fvcore's count (BN 2 per element) is the
    # one that prints so: conv + linear alone would print 8.36.
    rep = xception()
    assert round(rep.by_convention["fvcore"].macs / G, 2) == 8.40
    assert round(rep.by_convention["paper"].macs / G, 2) == 8.36
    assert round(rep.totals.params / 1e6, 2) == 22.86


# ---------------------------------------------------------------------------------------------
# §3 and Figure 5: maps, layers, modules.
def test_final_map_is_10x10_and_entry_sizes() -> None:
    g = resolve(load_spec("xception")).graph
    assert g.node("block1_conv1.conv").out_shape == (32, 149, 149)  # 3×3/2 valid
    assert g.node("block1_conv2.conv").out_shape == (64, 147, 147)  # 3×3 valid
    sides = [g.node(f"{b}.add").out_shape for b in ("block2", "block3", "block4", "block13")]
    assert sides == [(128, 74, 74), (256, 37, 37), (728, 19, 19), (1024, 10, 10)]
    assert g.node("block14_sepconv2.act").out_shape == (2048, 10, 10)
    assert g.node("avg_pool").in_shapes[0] == (2048, 10, 10)
    assert hand_count()["side"] == 10
    assert g.output.out_shape == (1000,)


def test_36_conv_layers_in_14_modules() -> None:
    g = resolve(load_spec("xception")).graph
    # "36 convolutional layers forming the feature extraction base": stem convs + separable convs
    # (one layer each), not counting the 1×1 shortcut projections
    stem = [n for n in g if n.kind == "conv2d" and n.name.startswith("block1_")]
    separable = [n for n in g if n.name.endswith(".pw")]
    assert len(stem) + len(separable) == 36
    assert all(g.node(n.inputs[0]).op.is_depthwise for n in separable)
    # "14 modules, all of which have linear residual connections around them, except for the
    # first and last": block1 (stem), 3 entry, 8 middle, block13, block14 → 12 residual adds
    assert len([n for n in g if n.kind == "add"]) == 12
    assert len([n for n in g if n.name.endswith(".shortcut.conv")]) == 4
    # "all Conv and SeparableConv layers are followed by BN", no conv has a bias
    assert all(not n.op.bias for n in g if n.kind == "conv2d")
    assert len([n for n in g if n.kind == "batchnorm2d"]) == 2 + 34 + 4


def test_keras_details() -> None:
    g = resolve(load_spec("xception")).graph
    # no ReLU before the first module's first sepconv (its input is already ReLU'd) …
    assert g.node("block2.sep1.dw").inputs == ("block1_conv2.act",)
    assert "block2.sep1.pre_act" not in {n.name for n in g}
    # … and the shortcut reads the module input before the ReLU that opens the chain
    assert g.node("block3.shortcut.conv").inputs == ("block2.add",)
    assert g.node("block3.sep1.pre_act").inputs == ("block2.add",)
    assert g.node("middle.0.add").inputs == ("middle.0.sep3.bn", "block4.add")
    # nothing between depthwise and pointwise (§4.7)
    assert g.node("middle.3.sep2.pw").inputs == ("middle.3.sep2.dw",)
    # exit: SepConv 1536, BN, ReLU; SepConv 2048, BN, ReLU; no ReLU before them
    assert g.node("block14_sepconv1.dw").inputs == ("block13.add",)


@pytest.mark.parametrize("side", [147, 74, 37, 19])
def test_keras_same_pooling_versus_torch_padding(side: int) -> None:
    """Keras MaxPooling2D(3, 2, 'same') pads (total) max(2·(⌈D/2⌉ − 1) + 3 − D, 0): 2 on odd maps,
    split 1 + 1 (torch's padding=1 exactly), and 1 on even maps, put after (0 before, 1 after).
    Same output size ⌈D/2⌉ either way; on the even 74×74 map the windows differ."""
    torch.manual_seed(0)
    x = torch.randn(1, 2, side, side)
    total = max(2 * (math.ceil(side / 2) - 1) + 3 - side, 0)
    before, after = total // 2, total - total // 2
    keras = F.max_pool2d(F.pad(x, (before, after, before, after), value=-math.inf), 3, 2)
    ours = F.max_pool2d(x, 3, 2, padding=1)
    assert keras.shape == ours.shape == (1, 2, math.ceil(side / 2), math.ceil(side / 2))
    assert torch.equal(keras, ours) == (side % 2 == 1)


# ---------------------------------------------------------------------------------------------
# α and bad input.
def test_alpha_scales_every_width_but_the_classifier() -> None:
    g = resolve(load_spec("xception"), 0.5).graph
    assert g.node("middle.7.add").out_shape[0] == 364
    assert g.node("block14_sepconv2.pw").out_shape[0] == 1024
    assert g.node("predictions").out_shape == (1000,)


def _spec(body: list[dict]) -> NetworkSpec:
    base = load_spec("xception").model_dump(exclude={"body", "published"})
    return NetworkSpec.model_validate({**base, "body": body})


def test_identity_shortcut_needs_equal_widths() -> None:
    spec = _spec([{"name": "bad", "kind": "xception", "widths": [128]}])
    with pytest.raises(ArchcalcError, match=r"layer bad \(xception\): an identity shortcut needs"):
        resolve(spec)


def test_even_kernel_is_refused() -> None:
    with pytest.raises(ValidationError, match="odd kernel"):
        _spec([{"name": "bad", "kind": "xception", "widths": [64], "k": 4}])
    with pytest.raises(ValidationError, match="odd kernel"):
        _spec([{"name": "bad", "kind": "sepconv", "out": 64, "k": 2}])
