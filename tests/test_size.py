"""`archcalc size` and `compare svd`: storage under compression, all-reduce traffic, factorizations.

Every expected figure is worked by hand here from the layer tables (SqueezeNet Table 1, Krizhevsky
et al. 2012 Fig. 2 / Deep Compression Table 4) and the formulas of Deep Compression §2–3, never read
back from archcalc's output.
"""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archcalc
from archcalc.count.model_size import expected_fillers_per_nonzero, gap_entropy_bits
from archcalc.errors import ArchcalcError
from archcalc.spec.schema import PublishedFigure

MiB = 2**20

# ---------------------------------------------------------------------------------------------
# SqueezeNet v1.0 by hand: conv1 96 7×7 filters over 3 channels, Fire(s, e1, e3) = squeeze 1×1 c→s,
# expand 1×1 s→e1, expand 3×3 s→e3, conv10 1×1 512→1000, every conv with a bias.
FIRES = [(96, 16, 64), (128, 16, 64), (128, 32, 128), (256, 32, 128), (256, 48, 192), (384, 48, 192)]
FIRES += [(384, 64, 256), (512, 64, 256)]


def squeezenet_layers() -> list[int]:
    layers = [7 * 7 * 3 * 96 + 96]
    for c, s, e in FIRES:
        layers += [c * s + s, s * e + e, 9 * s * e + e]
    return [*layers, 512 * 1000 + 1000]


def test_squeezenet_hand_count_is_table_1() -> None:
    assert len(squeezenet_layers()) == 26 and sum(squeezenet_layers()) == 1_248_424


def test_squeezenet_4_8_mb_is_mebibytes() -> None:
    r = archcalc.size("squeezenet1_0")
    assert r.totals.dense_bytes == r.totals.compressed_bytes == 1_248_424 * 4 == 4_993_696
    assert round(4_993_696 / MiB, 1) == 4.8  # 4.762 MiB: the paper's "4.8MB"
    assert round(4_993_696 / 1e6, 1) == 5.0  # at 10^6 bytes it would print as 5.0


def _sparse_bits(layers: list[int], density: float, bits: int, index_bits: int) -> tuple[int, float, int]:
    """(lower-bound bits, expected filler entries, codebook bits) of the Deep Compression format."""
    nnz = [max(1, math.floor(density * n + 0.5)) for n in layers]
    m = 2**index_bits
    q = (1 - density) ** m
    fillers = sum(k * q / (1 - q) for k in nnz)
    codebook = sum(min(2**bits, k) * 32 for k in nnz)
    return sum(nnz) * (bits + index_bits) + codebook, fillers, codebook


def test_squeezenet_deep_compression_8_bit_is_0_66_mib() -> None:
    layers = squeezenet_layers()
    assert sum(max(1, math.floor(0.33 * n + 0.5)) for n in layers) == 411_979
    lower, fillers, codebook = _sparse_bits(layers, 0.33, 8, 5)
    assert codebook == 26 * 256 * 32
    assert lower == 411_979 * 13 + 26 * 256 * 32 == 5_568_719  # bits
    assert fillers == pytest.approx(1.12, abs=0.01)  # q = 0.67^32 = 2.7e-6 per survivor
    expected_bytes = (lower + fillers * 13) / 8
    r = archcalc.size("squeezenet1_0", bits=8, density=0.33, index_bits=5)
    # archcalc rounds each of the 26 layers up to whole bytes
    assert 0 <= r.totals.compressed_bytes_min - lower / 8 < 26
    assert 0 <= r.totals.compressed_bytes - expected_bytes < 26
    assert round(r.totals.compressed_bytes / MiB, 2) == 0.66  # reproduced (0.664 MiB)
    # with Deep Compression Table 4's 4-bit index it would print as 0.62 MiB / 0.65 MB
    lower4, fillers4, _ = _sparse_bits(layers, 0.33, 8, 4)
    assert round(fillers4) == 680  # q = 0.67^16 = 0.0017 per survivor
    b4 = (lower4 + 12 * fillers4) / 8
    assert (round(b4 / MiB, 2), round(b4 / 1e6, 2)) == (0.62, 0.65)


def test_squeezenet_6_bit_0_47_is_not_reproduced() -> None:
    layers = squeezenet_layers()
    lower, fillers, _ = _sparse_bits(layers, 0.33, 6, 5)
    assert lower == 411_979 * 11 + 26 * 64 * 32
    r = archcalc.size("squeezenet1_0", bits=6, density=0.33, index_bits=5)
    assert 0 <= r.totals.compressed_bytes - (lower + 11 * fillers) / 8 < 26
    assert round(r.totals.compressed_bytes / MiB, 2) == 0.55  # not 0.47
    # no index width fits both rows: going 8 → 6 bits saves 2 bits per survivor + smaller codebooks
    saved = (411_979 * 2 + 26 * (256 - 64) * 32) / 8 / MiB
    assert round(saved, 3) == 0.117 and saved + 0.07 < 0.66 - 0.47
    # 0.47 MiB would need ≈ 9.4 bits per survivor: a ≈ 3.4-bit index
    assert round((0.47 * MiB - 26 * 64 * 4) * 8 / 411_979, 1) == 9.4


def test_510_times_smaller_than_alexnet() -> None:
    alexnet = archcalc.size("alexnet_2012").totals.dense_bytes
    assert alexnet == 60_965_224 * 4 == 243_860_896
    assert math.floor(240 / 0.47) == 510  # the printed figures' own ratio
    six_bit = archcalc.size("squeezenet1_0", bits=6, density=0.33, index_bits=5).totals.compressed_bytes
    assert round(alexnet / six_bit) == 425  # counted


# ---------------------------------------------------------------------------------------------
# AlexNet (Krizhevsky et al. 2012, two GPUs) and Deep Compression Table 4.
ALEXNET = {  # weights, biases: conv (out · in/groups · k²), FC (in · out)
    "conv1": (96 * 3 * 11 * 11, 96),
    "conv2": (256 * 48 * 5 * 5, 256),
    "conv3": (384 * 256 * 9, 384),
    "conv4": (384 * 192 * 9, 384),
    "conv5": (256 * 192 * 9, 256),
    "fc6": (9216 * 4096, 4096),
    "fc7": (4096 * 4096, 4096),
    "fc8": (4096 * 1000, 1000),
}
TABLE_4 = {  # Deep Compression Table 4: weights % after pruning, cluster bits (P+Q); 4-bit index
    "conv1": (0.84, 8),
    "conv2": (0.38, 8),
    "conv3": (0.35, 8),
    "conv4": (0.37, 8),
    "conv5": (0.37, 8),
    "fc6": (0.09, 5),
    "fc7": (0.09, 5),
    "fc8": (0.25, 5),
}
TABLE_4_LAYERS = {k: {"density": d, "bits": b} for k, (d, b) in TABLE_4.items()}


def test_alexnet_weights_are_table_4s() -> None:
    # Table 4 #Weights: 35K 307K 885K 663K 442K 38M 17M 4M, total 61M (conv4's 663,552 truncated)
    w = {k: v[0] for k, v in ALEXNET.items()}
    convs = ("conv1", "conv2", "conv3", "conv4", "conv5")
    assert [round(w[k] / 1e3) for k in convs] == [35, 307, 885, 664, 442]
    assert w["conv4"] // 1000 == 663
    assert [round(w[k] / 1e6) for k in ("fc6", "fc7", "fc8")] == [38, 17, 4]
    assert sum(w.values()) + sum(b for _, b in ALEXNET.values()) == 60_965_224
    rows = {x.row: x.compressible for x in archcalc.size("alexnet_2012").layers}
    assert rows == {k: a + b for k, (a, b) in ALEXNET.items()}


def test_alexnet_240_mb() -> None:
    b = 60_965_224 * 4
    assert round(b / 1e6) == 244 and round(b / MiB) == 233  # neither prints as 240 …
    assert round(b / 1e7) * 10 == 240 and 60e6 * 4 / 1e6 == 240  # … 2 significant figures, or "60 M" × 4


def test_deep_compression_table_4_is_bracketed() -> None:
    lower = expected = 0.0
    for k, (d, bits) in TABLE_4.items():
        n = sum(ALEXNET[k])
        nnz = math.floor(d * n + 0.5)
        q = (1 - d) ** 16
        codebook = 2**bits * 32
        lower += nnz * (bits + 4) + codebook
        expected += nnz * (1 + q / (1 - q)) * (bits + 4) + codebook
    dense = 60_965_224 * 32
    r = archcalc.size("alexnet_2012", index_bits=4, layers=TABLE_4_LAYERS)
    assert abs(r.totals.compressed_bytes_min - lower / 8) < 8
    assert abs(r.totals.compressed_bytes - expected / 8) < 8
    assert round(dense / lower, 1) == 30.6 and round(dense / expected, 1) == 25.5
    # the printed P+Q rate, 3.7% (27×), lies between the two
    assert dense / expected < 27 < dense / lower
    assert expected / dense > 0.037 > lower / dense


def test_deep_compression_6_9_mb_needs_measured_huffman() -> None:
    # Huffman estimate: survivors × (B + h(D)/D) + codebooks, values at full B bits
    est = 0.0
    for k, (d, bits) in TABLE_4.items():
        nnz = math.floor(d * sum(ALEXNET[k]) + 0.5)
        h = -(d * math.log2(d) + (1 - d) * math.log2(1 - d)) / d
        est += nnz * (bits + h) + 2**bits * 32
    r = archcalc.size("alexnet_2012", index_bits=4, layers=TABLE_4_LAYERS, huffman=True)
    assert r.totals.huffman_bytes is not None and abs(r.totals.huffman_bytes - est / 8) < 8
    assert round(est / 8 / 1e6, 1) == 8.2  # not 6.9 …
    assert round(0.0288 * 240, 1) == 6.9  # … which is Table 4's measured 2.88% of 240 MB
    assert r.huffman_assumption and "ESTIMATE" in r.huffman_assumption


# ---------------------------------------------------------------------------------------------
# The formulas against independent computations.


@pytest.mark.parametrize("density,index_bits", [(0.09, 4), (0.33, 3), (0.5, 2), (0.01, 5)])
def test_expected_fillers_by_direct_sum(density: float, index_bits: int) -> None:
    # E[⌊Z/m⌋] = Σ_k P(Z = k)·⌊k/m⌋, P(Z = k) = (1−D)^k·D, summed until negligible
    m = 2**index_bits
    direct = sum((1 - density) ** k * density * (k // m) for k in range(20_000))
    assert expected_fillers_per_nonzero(density, index_bits) == pytest.approx(direct, rel=1e-9)


def test_fillers_match_a_simulated_random_mask() -> None:
    rng = random.Random(8)
    d, i = 0.1, 3
    m = 2**i
    kept = [k for k in range(400_000) if rng.random() < d]
    gaps = [b - a - 1 for a, b in zip([-1, *kept], kept, strict=False)]
    fillers = sum(g // m for g in gaps)
    assert fillers / len(kept) == pytest.approx(expected_fillers_per_nonzero(d, i), rel=0.03)


def test_gap_entropy_by_direct_sum() -> None:
    d = 0.2
    direct = -sum(p * math.log2(p) for k in range(2000) if (p := (1 - d) ** k * d) > 0)
    assert gap_entropy_bits(d) == pytest.approx(direct, rel=1e-9)
    assert gap_entropy_bits(1.0) == 0.0


def test_dense_dtypes_and_quantized_dense() -> None:
    n = 1_248_424
    assert archcalc.size("squeezenet1_0", dtype="fp16").totals.compressed_bytes == 2 * n
    assert archcalc.size("squeezenet1_0", dtype="int8").totals.dense_bytes == n
    r = archcalc.size("squeezenet1_0", bits=4)
    conv1 = r.layers[0]
    assert conv1.compressed_bytes == (14_208 * 4 + 16 * 32) // 8  # n·B + 2^B·32 bits
    assert conv1.index_bits is None and conv1.fillers_expected == 0


def test_bn_stays_dense_under_the_torch_convention() -> None:
    paper = archcalc.size("mobilenet_v1", bits=8, density=0.5)
    torch_ = archcalc.size("mobilenet_v1", convention="torch", bits=8, density=0.5)
    # MobileNet V1 Table 1: BN after each of the 27 convs, γ and β per channel — conv1 (32), the 13
    # depthwise convs (their input width) and the 13 pointwise convs (their output width)
    dw = [32, 64, 128, 128, 256, 256, *[512] * 6, 1024]
    pw = [64, 128, 128, 256, 256, 512, *[512] * 5, 1024, 1024]
    bn = 2 * (32 + sum(dw) + sum(pw))
    assert bn == 21_888
    assert torch_.totals.kept_dense == bn == torch_.totals.params - paper.totals.params
    assert torch_.totals.compressed_bytes == paper.totals.compressed_bytes + 4 * bn


@pytest.mark.parametrize("workers,expected", [(1, 0), (2, 4_993_696), (8, 8_738_968), (3, 6_658_262)])
def test_ring_allreduce(workers: int, expected: int) -> None:
    # 2·(N−1)/N × 4,993,696 B; N = 3 gives 6,658,261.33 → 6,658,262 (rounded up)
    r = archcalc.size("squeezenet1_0", workers=workers)
    assert r.totals.allreduce_bytes == expected == math.ceil(2 * (workers - 1) * 4_993_696 / workers)


# ---------------------------------------------------------------------------------------------
# CLI, output formats, errors.


def test_cli_json_matches_api(cli) -> None:
    args = ["--bits", "8", "--density", "0.33", "--index-bits", "5", "--format", "json"]
    r = cli("size", "squeezenet1_0", *args)
    assert r.code == 0, r.err
    data = json.loads(r.out)
    api = archcalc.size("squeezenet1_0", bits=8, density=0.33, index_bits=5)
    assert data["totals"]["compressed_bytes"] == api.totals.compressed_bytes
    assert isinstance(data["totals"]["compressed_bytes"], int) and len(data["layers"]) == 26
    assert "Deep Compression" in data["storage_format"]


def test_cli_csv_markdown_table_and_layer_overrides(cli) -> None:
    r = cli("size", "alexnet_2012", "--layer", "fc6:density=0.09:bits=5", "--format", "csv")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith("name,kind,params") and lines[-1].startswith("TOTAL")
    fc6 = next(x for x in lines if x.startswith("fc6.fc")).split(",")
    assert fc6[4:7] == ["0.09", "5", "4"]
    md = cli("size", "squeezenet1_0", "--density", "0.5", "--format", "markdown", "--summary")
    assert md.code == 0 and "fillers" in md.out and "| TOTAL |" in md.out
    t = cli("size", "squeezenet1_0", "--bits", "6", "--density", "0.33", "--huffman", "--workers", "4")
    assert t.code == 0 and "Huffman ESTIMATE" in t.out and "all-reduce" in t.out


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--density", "0"], "--density"),
        (["--density", "1.5"], "--density"),
        (["--density", "nan"], "--density"),
        (["--density", "inf"], "--density"),
        (["--bits", "0"], "--bits"),
        (["--bits", "33"], "--bits"),
        (["--index-bits", "0"], "--index-bits"),
        (["--index-bits", "40"], "--index-bits"),
        (["--workers", "0"], "--workers"),
        (["--layer", "fc9:density=0.5"], "--layer fc9"),
        (["--layer", "conv10:density=2"], "--layer conv10 density"),
        (["--layer", "conv10:bits=x"], "--layer"),
        (["--layer", "conv10"], "--layer"),
        (["--dtype", "fp64"], "--dtype"),
    ],
)
def test_cli_errors(cli, args: list[str], needle: str) -> None:
    r = cli("size", "squeezenet1_0", *args)
    assert r.code == 2 and r.out == ""
    assert r.err.count("\n") == 1 and needle in r.err and "Traceback" not in r.err


def test_api_errors() -> None:
    for kw in ({"density": 0.0}, {"bits": 0}, {"index_bits": 33}, {"workers": 0}, {"density": float("nan")}):
        with pytest.raises(ArchcalcError):
            archcalc.size("squeezenet1_0", **kw)


def test_size_figure_schema() -> None:
    ok = {"source": "s", "label": "l", "size": {"mb": "4.8", "megabyte": "MiB"}}
    assert PublishedFigure(**ok).size is not None
    with pytest.raises(ValueError, match="erratum needs"):
        PublishedFigure(**ok, status="erratum", note="why")
    with pytest.raises(ValueError, match="mb or ratio"):
        PublishedFigure(source="s", label="l", size={})
    with pytest.raises(ValueError):
        PublishedFigure(source="s", label="l", size={"mb": "1", "storage": {"density": 0}})


# ---------------------------------------------------------------------------------------------
# compare svd: an M×N 1×1 / FC layer as M×R + R×N.


def test_compare_svd_by_hand() -> None:
    m, n, r, df = 512, 1024, 128, 14
    c = archcalc.compare(["pointwise", "svd"], dk=1, m=m, n=n, df=df, rank=r)
    pw, svd = c.designs
    assert (pw.params, pw.macs) == (m * n, m * n * df * df)
    assert svd.params == m * r + r * n == 196_608
    assert svd.macs == (m * r + r * n) * df * df
    assert svd.macs_ratio == svd.params_ratio == r * (m + n) / (m * n) == 0.375
    assert svd.vs_standard_formula_value == 0.375 and c.rank == r


def test_compare_svd_fully_connected() -> None:
    # AlexNet fc6 (9216 → 4096) at rank 256: D_F = 1
    c = archcalc.compare(["svd"], dk=1, m=9216, n=4096, df=1, rank=256)
    assert c.designs[0].params == c.designs[0].macs == 9216 * 256 + 256 * 4096 == 3_407_872


def test_compare_spatial_by_hand() -> None:
    m, n, k, df = 64, 64, 7, 17
    c = archcalc.compare(["standard", "spatial"], dk=k, m=m, n=n, df=df)
    assert c.designs[1].params == k * m * n + k * n * n
    assert c.designs[1].macs_ratio == pytest.approx((m + n) / (k * m))


@pytest.mark.parametrize(
    "args,needle",
    [
        ([], "--rank R"),
        (["--rank", "0"], "--rank"),
        (["--rank", "513"], "larger than min(M, N)"),
        (["--n", "64", "--rank", "65"], "min(512, 64) = 64"),
    ],
)
def test_compare_svd_errors(cli, args: list[str], needle: str) -> None:
    r = cli("compare", "pointwise", "svd", *args)
    assert r.code == 2 and r.err.count("\n") == 1 and needle in r.err


# ---------------------------------------------------------------------------------------------
# A tiny density never prices a layer above what the format can need (issue 17, class 6).


@pytest.mark.parametrize("density", [1e-9, 5e-324])
def test_tiny_density_is_capped_by_the_layer(density: float) -> None:
    """MobileNet V1's FC: n = 1024·1000 + 1000 = 1,025,000 values; nnz = max(1, ⌊D·n + ½⌋) = 1. Its
    zeros fill at most one run of 1,024,999, which needs ⌊1,024,999 / 2⁴⌋ = 64,062 fillers, so at
    fp32 with 4-bit indices ⌈(1 + 64,062)·36 / 8⌉ = 288,284 bytes; the uncapped expectation,
    nnz·q/(1−q) with q = (1−D)^16, was 6·10⁷ fillers (1e-9) or an overflow (5e-324). The Huffman gap
    estimate is capped at log₂(n − nnz + 1) = log₂ 1,025,000 bits: ⌈(32 + 19.967) / 8⌉ = 7 bytes."""
    r = archcalc.size("mobilenet_v1", density=density, huffman=True)
    (fc,) = [x for x in r.layers if x.name == "fc"]
    assert (fc.params, fc.nonzeros) == (1_025_000, 1)
    assert fc.fillers_expected == 64_062
    assert fc.compressed_bytes == 288_284
    assert fc.compressed_bytes_min == 5  # ⌈1·36 / 8⌉
    assert fc.huffman_bytes == 7
    assert r.totals.compressed_bytes <= r.totals.dense_bytes


@settings(max_examples=60, deadline=None)
@given(
    density=st.floats(min_value=5e-324, max_value=1.0, exclude_min=False),
    index_bits=st.integers(1, 32),
    bits=st.one_of(st.none(), st.integers(1, 32)),
)
def test_compressed_never_exceeds_the_format_maximum(
    density: float, index_bits: int, bits: int | None
) -> None:
    """Per layer of n values with nnz survivors: at most nnz + ⌊(n − nnz)/2^I⌋ stored entries of
    v + I bits (v = B or 32), plus the codebook min(2^B, nnz)·32 (the format of Deep Compression §2)."""
    r = archcalc.size("squeezenet1_0", density=density, index_bits=index_bits, bits=bits)
    for x in r.layers:
        n, nnz = x.compressible, x.nonzeros
        v = bits if bits is not None else 32
        book = min(2**bits, nnz) * 32 if bits is not None else 0
        entries = nnz + (n - nnz) // 2**index_bits if density < 1 else n
        per_entry = v + index_bits if density < 1 else v
        # + 1: the expected figure is a float sum, and may round up by a byte where the bound is exact
        assert x.compressed_bytes <= -(-(entries * per_entry + book) // 8) + 1, x
        assert x.compressed_bytes_min <= x.compressed_bytes
