"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016, arXiv:1602.07360; torchvision squeezenet.py).

The oracles: the paper's Table 1 parameter column, torchvision's weights metadata (``num_params``
and ``_ops``), the SqueezeNet v1.1 README, and a count worked by hand below from the Fire-module
formula, independent of the spec and the graph.
"""

from __future__ import annotations

import math

import pytest

from archcalc.count.closed_form import Report, report
from archcalc.errors import ArchcalcError
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec

G = 1e9

# (s1x1, e1x1, e3x3) of fire2 … fire9, Table 1 / torchvision Fire(in, s, e1, e3)
FIRES = [(16, 64, 64), (16, 64, 64), (32, 128, 128), (32, 128, 128)]
FIRES += [(48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256)]
# conv1 (filters, kernel) and the layers each version max-pools after (pool_{1,4,8} vs pool_{1,3,5})
VERSIONS = {"squeezenet1_0": (96, 7, {1, 4, 8}), "squeezenet1_1": (64, 3, {1, 3, 5})}

# Table 1, "# parameter before pruning" (v1.0; paper-figures.md §5), and the same layers for v1.1.
TABLE_1 = {
    "conv1": (14_208, 1_792),
    "fire2": (11_920, 11_408),
    "fire3": (12_432, 12_432),
    "fire4": (45_344, 45_344),
    "fire5": (49_440, 49_440),
    "fire6": (104_880, 104_880),
    "fire7": (111_024, 111_024),
    "fire8": (188_992, 188_992),
    "fire9": (197_184, 197_184),
    "conv10": (513_000, 513_000),
}
TOTALS = {"squeezenet1_0": 1_248_424, "squeezenet1_1": 1_235_496}  # Table 1; torchvision num_params


def net(name: str, alpha: float = 1.0, res: int | None = None, convention: str = "paper") -> Report:
    return report(resolve(load_spec(name), alpha, res), convention)


def fire_params(m: int, s: int, e1: int, e3: int) -> int:
    """(M + 1)·s + (s + 1)·e₁ₓ₁ + (9s + 1)·e₃ₓ₃: three convs, each with a bias."""
    return (m + 1) * s + (s + 1) * e1 + (9 * s + 1) * e3


def pool_out(d: int) -> int:
    """3×3 / 2 max pool with ceil_mode: ⌈(d − 3)/2⌉ + 1 (no padding, so never clipped)."""
    return math.ceil((d - 3) / 2) + 1


def hand_count(name: str, res: int, alpha: float = 1.0) -> tuple[int, int, list[int]]:
    """(conv MACs, params, map side after each pool) with ⌊α·c⌋ channels (conv10 keeps 1000)."""
    c1, k1, pools = VERSIONS[name]

    def c(ch: int) -> int:
        return int(ch * alpha)

    d = (res - k1) // 2 + 1
    m = c(c1)
    macs, params, sides = 3 * k1 * k1 * m * d * d, (3 * k1 * k1 + 1) * m, [d]
    d = pool_out(d)
    sides.append(d)
    for i, (s, e1, e3) in enumerate(FIRES, start=2):
        s, e1, e3 = c(s), c(e1), c(e3)
        macs += d * d * (m * s + s * e1 + 9 * s * e3)
        params += fire_params(m, s, e1, e3)
        m = e1 + e3
        if i in pools:
            d = pool_out(d)
            sides.append(d)
    return macs + d * d * m * 1000, params + (m + 1) * 1000, sides


# ---------------------------------------------------------------------------------------------
# Table 1: parameters layer by layer.
@pytest.mark.parametrize("version", [0, 1])
def test_table_1_params_per_layer(version: int) -> None:
    name = list(VERSIONS)[version]
    rep = net(name, convention="torch")
    per_row: dict[str, int] = {}
    for layer in rep.layers:
        per_row[layer.row] = per_row.get(layer.row, 0) + layer.params
    assert {k: v for k, v in per_row.items() if v} == {k: v[version] for k, v in TABLE_1.items()}
    assert rep.totals.params == sum(v[version] for v in TABLE_1.values()) == TOTALS[name]
    # no BN anywhere: the paper's count (biases included) and torch's are the same number
    assert rep.totals.params_without_bn == rep.totals.params_with_bn


def test_table_1_column_by_hand() -> None:
    # conv1: 96·(3·7·7) + 96 and (v1.1) 64·(3·3·3) + 64; conv10: 512·1000 + 1000.
    assert TABLE_1["conv1"] == ((3 * 49 + 1) * 96, (3 * 9 + 1) * 64)
    assert TABLE_1["conv10"][0] == 513 * 1000
    ins = [96, 128, 128, 256, 256, 384, 384, 512]
    for i, ((s, e1, e3), m) in enumerate(zip(FIRES, ins, strict=True), start=2):
        assert fire_params(m, s, e1, e3) == TABLE_1[f"fire{i}"][0]
    assert fire_params(64, 16, 64, 64) == TABLE_1["fire2"][1]  # v1.1's fire2 reads 64 channels
    # "1,248,424 = weights 1,244,448 + biases 3,976" (paper-figures.md §8)
    biases = 96 + sum(s + e1 + e3 for s, e1, e3 in FIRES) + 1000
    assert biases == 3_976 and TOTALS["squeezenet1_0"] - biases == 1_244_448


def test_model_size_4_8_mb() -> None:
    # "The 4.8MB model is 32-bit uncompressed": 1,248,424 params × 4 bytes = 4.76 MiB.
    assert round(net("squeezenet1_0").totals.params * 4 / 2**20, 1) == 4.8


# ---------------------------------------------------------------------------------------------
# The closed form equals the hand count, at several resolutions and widths.
@pytest.mark.parametrize("name", list(VERSIONS))
@pytest.mark.parametrize("alpha,res", [(1.0, 224), (1.0, 227), (0.5, 224), (0.5, 160), (0.75, 193)])
def test_closed_form_equals_hand_count(name: str, alpha: float, res: int) -> None:
    macs, params, _ = hand_count(name, res, alpha)
    rep = net(name, alpha, res)
    assert (rep.totals.macs, rep.totals.params) == (macs, params)
    assert rep.output_shape == [1000]


# ---------------------------------------------------------------------------------------------
# torchvision's weights metadata: num_params and _ops (GFLOPS = conv MACs in 10⁹, at 224).
@pytest.mark.parametrize("name,ops", [("squeezenet1_0", 0.819), ("squeezenet1_1", 0.349)])
def test_torchvision_num_params_and_ops(name: str, ops: float) -> None:
    rep = net(name)
    assert round(rep.totals.macs / G, 3) == ops
    assert rep.by_convention["torch"].macs == rep.totals.macs  # conv MACs: paper = torch
    assert rep.by_convention["torch"].params == TOTALS[name]
    assert hand_count(name, 224)[0] == rep.totals.macs


# ---------------------------------------------------------------------------------------------
# The v1.1 changes: conv1 64 × 3×3, pools after conv1, fire3, fire5 instead of conv1, fire4, fire8.
def _pool_sites(name: str, res: int) -> list[tuple[str, int]]:
    g = resolve(load_spec(name), resolution=res).graph
    prev = {n.name: n for n in g}
    out = []
    for node in g:
        if node.kind == "pool2d":
            (src,) = node.inputs
            out.append((prev[src].row, node.out_shape[1]))
    return out


def test_v1_1_pooling_changes() -> None:
    assert [r for r, _ in _pool_sites("squeezenet1_0", 224)] == ["conv1", "fire4", "fire8"]
    assert [r for r, _ in _pool_sites("squeezenet1_1", 224)] == ["conv1", "fire3", "fire5"]
    # v1.1 at 224: 111 → 55 → 27 → 13, then the global average pool over 13×13.
    g = resolve(load_spec("squeezenet1_1")).graph
    assert g.node("conv1.conv").out_shape == (64, 111, 111)
    assert [d for _, d in _pool_sites("squeezenet1_1", 224)] == [55, 27, 13]
    assert g.node("avgpool").in_shapes[0] == (1000, 13, 13)
    assert hand_count("squeezenet1_1", 224)[2] == [111, 55, 27, 13]


def test_v1_0_map_sizes_are_the_papers_at_227() -> None:
    # Table 1 prints conv1 as 111×111×96, which is the 227-pixel Caffe input: at torchvision's 224
    # crop the 7×7/2 conv gives ⌊(224 − 7)/2⌋ + 1 = 109, and the maps end at 13×13 either way.
    assert resolve(load_spec("squeezenet1_0")).graph.node("conv1.conv").out_shape == (96, 109, 109)
    assert [d for _, d in _pool_sites("squeezenet1_0", 224)] == [54, 27, 13]
    assert resolve(load_spec("squeezenet1_0"), resolution=227).graph.node("conv1.conv").out_shape == (
        96,
        111,
        111,
    )
    assert [d for _, d in _pool_sites("squeezenet1_0", 227)] == [55, 27, 13]


def test_fire_module_layout() -> None:
    g = resolve(load_spec("squeezenet1_0")).graph
    # expand 1×1 and expand 3×3 both read the squeeze output (after its ReLU); 3×3 pads 1
    assert g.node("fire2.expand1x1.conv").inputs == ("fire2.squeeze.act",)
    assert g.node("fire2.expand3x3.conv").inputs == ("fire2.squeeze.act",)
    assert g.node("fire2.expand3x3.conv").op.padding == (1, 1)
    assert g.node("fire2.concat").inputs == ("fire2.expand1x1.act", "fire2.expand3x3.act")
    assert g.node("fire2.concat").out_shape == (128, 54, 54)
    assert all(n.op.bias for n in g if n.kind == "conv2d")
    assert not [n for n in g if n.kind in ("batchnorm2d", "linear")]  # no BN, no FC
    # the head: conv10 1×1 → 1000 with ReLU, global average pool, flatten
    assert [n.name for n in g][-4:] == ["conv10.conv", "conv10.act", "avgpool", "flatten"]


# ---------------------------------------------------------------------------------------------
# The README's GFLOPS: 1.72 (v1.0) is reproduced by the Caffe model, 0.72 (v1.1) by nothing.
def test_readme_gflops_v1_0_is_the_caffe_model_at_227() -> None:
    count = net("squeezenet1_0", res=227).totals.macs
    assert (
        count == hand_count("squeezenet1_0", 227)[0] and round(2 * count / G, 2) == 1.67
    )  # torchvision layout
    # The Caffe deploy.prototxt gives conv10 (1×1, 512 → 1000) pad 1: a 15×15 output, not 13×13.
    caffe = count + 512 * 1000 * (15 * 15 - 13 * 13)
    assert round(2 * caffe / G, 2) == 1.72


def test_readme_gflops_v1_1_is_not_reproduced() -> None:
    caffe = net("squeezenet1_1", res=227).totals.macs  # v1.1's conv10 is unpadded
    assert (caffe, [113, 56, 28, 14]) == (
        hand_count("squeezenet1_1", 227)[0],
        hand_count("squeezenet1_1", 227)[2],
    )
    assert round(2 * caffe / G, 2) == 0.78
    assert round(2 * net("squeezenet1_1").totals.macs / G, 2) == 0.70
    # 0.72 is the v1.0 figure over the README's "2.4x"; the counted ratio is 2.22
    assert round(1.72 / 2.4, 2) == 0.72
    assert round(861_339_936 / caffe, 2) == 2.22


# ---------------------------------------------------------------------------------------------
# α: no width multiplier in the paper, but the spec's width rule applies to every conv but conv10.
def test_alpha_scales_fire_widths() -> None:
    g = resolve(load_spec("squeezenet1_1"), 0.5).graph
    assert g.node("conv1.conv").out_shape[0] == 32
    assert g.node("fire9.squeeze.conv").out_shape[0] == 32
    assert g.node("fire9.concat").out_shape[0] == 256
    assert g.node("conv10.conv").out_shape[0] == 1000


def test_too_small_alpha_is_refused_naming_the_layer() -> None:
    with pytest.raises(ArchcalcError, match=r"fire2\.squeeze: α=0\.03 leaves 0 channels"):
        resolve(load_spec("squeezenet1_0"), 0.03)
