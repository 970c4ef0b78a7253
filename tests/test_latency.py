"""The latency model (pure Python): roofline arithmetic worked by hand, layer kinds, profile files,
and the `table --traffic / --latency` CLI. No timing is measured here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import v1

from archcalc.count.closed_form import layer_costs, report
from archcalc.count.kernel_types import KERNEL_TYPES
from archcalc.count.kernels import group_kernels
from archcalc.count.latency import (
    KINDS,
    DeviceProfile,
    ForwardModel,
    KindModel,
    kernel_seconds,
    layer_kind,
    layer_latencies,
    layer_seconds,
    load_profile,
    memory_share,
    predict,
    profile_dir,
    save_profile,
)
from archcalc.errors import ArchcalcError
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import BatchNorm2d, Conv2d, Flatten, Linear


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "config"
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(d))
    return d


def make_profile(
    name: str = "hand",
    mac_rate: float = 1e10,
    byte_rate: float | None = None,
    eff: float = 0.5,
    overhead: float = 1e-6,
    curve: list[tuple[float, float]] | None = None,
    forward: ForwardModel | None = None,
) -> DeviceProfile:
    """Every kind with the same constants, W(b) = 1 GB/s flat unless ``curve`` is given."""
    kinds = {
        k: KindModel(
            mac_rate=mac_rate if KERNEL_TYPES[k].on_macs else None,
            byte_rate=None if KERNEL_TYPES[k].on_macs else byte_rate,
            bw_efficiency=None if k == "view" else eff,
            overhead=overhead,
        )
        for k in KINDS
    }
    return DeviceProfile(
        format=4,
        name=name,
        created="2025-01-01T00:00:00+00:00",
        cpu="hand-made",
        threads=1,
        torch_version="none",
        peak_mac_rate=mac_rate,
        copy_bandwidth=1e9,
        bandwidth_curve=curve or [(1000.0, 1e9)],
        call_overhead=overhead,
        kinds=kinds,
        forward=forward or ForwardModel(),
    )


def pointwise_16_to_32():
    """A 1×1 conv 16 → 32 on a 16×8×8 map, fp32.

    MACs = 32·16·8·8 = 32768. Weights 16·32 = 512 elements = 2048 B. Input 16·64 = 1024 elements,
    output 32·64 = 2048 elements. Activation bytes = 4·(1024 + 2048) = 12288.
    """
    b = GraphBuilder((16, 8, 8))
    b.op("pw", Conv2d, in_channels=16, out_channels=32, kernel=(1, 1))
    (row,) = layer_costs(b.graph)
    assert (row.macs, row.weight_bytes, row.bytes_read + row.bytes_written) == (32768, 2048, 14336)
    return row


def test_compute_bound_by_hand() -> None:
    row = pointwise_16_to_32()
    p = make_profile(mac_rate=1e7)  # compute 32768 / 1e7 = 3.2768e-3 s; memory 14336 / 5e8 = 2.8672e-5 s
    assert layer_seconds(row, p) == pytest.approx(3.2768e-3 + 1e-6)


def test_memory_bound_by_hand() -> None:
    row = pointwise_16_to_32()
    p = make_profile(mac_rate=1e10)  # compute 3.2768e-6 s < memory 14336 / (0.5·1e9) = 2.8672e-5 s
    assert layer_seconds(row, p) == pytest.approx(2.8672e-5 + 1e-6)
    pred = predict(_report_of(row), p)
    assert pred.layers[0].bound == "memory"
    assert pred.layers[0].memory_seconds == pytest.approx(2.8672e-5)


def test_batch_scales_activations_not_weights() -> None:
    row = pointwise_16_to_32()
    p = make_profile(mac_rate=1e10)
    # B = 4: bytes = 4·12288 + 2048 = 51200 → 51200 / 5e8 = 1.024e-4 s; compute 4·32768 / 1e10 = 1.31e-5 s
    assert layer_seconds(row, p, batch=4) == pytest.approx(1.024e-4 + 1e-6)


def test_overhead_bound_by_hand() -> None:
    row = pointwise_16_to_32()
    p = make_profile(mac_rate=1e12, eff=100.0, overhead=1e-3)  # both terms ≤ 3e-7 s, overhead 1e-3
    pred = predict(_report_of(row), p)
    assert pred.layers[0].bound == "overhead"
    assert pred.total_ms == pytest.approx(1e3 * (1e-3 + max(32768 / 1e12, 14336 / 1e11)))


HAND_FORWARD = ForwardModel(
    scale=2.0, node_seconds=1e-5, write_seconds_per_byte=1e-9, weight_seconds_per_byte=1e-8
)


def test_forward_terms_by_hand() -> None:
    row = pointwise_16_to_32()
    p = make_profile(mac_rate=1e7, forward=HAND_FORWARD)
    # roofline t = 32768 / 1e7 + 1e-6 = 3.2778e-3 s (layer_seconds is unchanged by the forward terms)
    assert layer_seconds(row, p) == pytest.approx(3.2778e-3)
    # T = 2·3.2778e-3 + 1e-5 + 1e-9·8192 (output 2048 fp32) + 1e-8·2048 (weights) = 6.594272e-3 s
    (layer,) = predict(_report_of(row), p).layers
    assert layer.forward_seconds == pytest.approx(1e-5 + 8.192e-6 + 2.048e-5)
    assert layer.seconds == pytest.approx(6.594272e-3)
    assert layer.bound == "compute"
    # batch 2: roofline 2·32768 / 1e7 + 1e-6 = 6.5546e-3; written 2·8192; weights once
    # T = 2·6.5546e-3 + 1e-5 + 1.6384e-5 + 2.048e-5 = 1.3156064e-2
    (layer,) = predict(_report_of(row), p, batch=2).layers
    assert layer.seconds == pytest.approx(1.3156064e-2)


def test_cold_weights_reused_prices_only_reread_weights() -> None:
    """``cold_weights = "reused"`` (onnxruntime): c prices a kernel's weights only when it reads
    each more than once per call (B·MACs > weight elements), so not a fully connected layer at batch 1.

    Linear 64 → 10 with bias: MACs 640, weights 64·10 + 10 = 650 elements = 2600 B; the 1×1 conv
    16 → 32 on 8×8 (:func:`pointwise_16_to_32`): MACs 32768 > 512 elements (2048 B)."""
    b = GraphBuilder((64,))
    b.op("fc", Linear, in_features=64, out_features=10)
    (fc,) = layer_costs(b.graph)
    assert (fc.macs, fc.weight_bytes) == (640, 2600)
    conv = pointwise_16_to_32()
    reused = ForwardModel(weight_seconds_per_byte=1e-8, weight_cap_bytes=1e6, cold_weights="reused")
    every = reused.model_copy(update={"cold_weights": "all"})
    assert reused.cold_bytes(fc.weight_bytes, fc.macs) == 0.0  # 4·640 = 2560 ≤ 2600 bytes
    assert reused.cold_bytes(fc.weight_bytes, fc.macs, batch=2) == 2600.0  # 4·1280 > 2600
    assert every.cold_bytes(fc.weight_bytes, fc.macs) == 2600.0
    assert reused.cold_bytes(conv.weight_bytes, conv.macs) == 2048.0
    capped = reused.model_copy(update={"weight_cap_bytes": 1000.0})
    assert capped.cold_bytes(conv.weight_bytes, conv.macs) == 1000.0  # min(2048, C)
    # in a prediction: the fc's forward terms are g + a·written only (40 B of output)
    p = make_profile(forward=reused.model_copy(update={"node_seconds": 1e-5, "write_seconds_per_byte": 1e-9}))
    (layer,) = predict(_report_of(fc), p).layers
    assert layer.forward_seconds == pytest.approx(1e-5 + 1e-9 * 40)
    (layer,) = predict(_report_of(conv), p).layers
    assert layer.forward_seconds == pytest.approx(1e-5 + 1e-9 * 8192 + 1e-8 * 2048)


def test_in_network_factor_by_hand() -> None:
    """f_κ (``KindModel.in_network``) scales the share u of the kernel's isolated seconds that its
    memory traffic and overhead set, under s, and only for its own kind:
    T = s·(1 + (f − 1)·u)·t + g + a·written + c·cold, u = (memory + o) / (max(compute, memory) + o).
    Compute-bound (1e7 MAC/s): compute 3.2768e-3 s, memory 14336 / 5e8 = 2.8672e-5, o = 1e-6, so
    u = 2.9672e-5 / 3.2778e-3; memory-bound (1e10 MAC/s): u = 1, f scales all of t; with the forward
    model's ``in_network_share = "all"``, u = 1 for every kernel."""
    row = pointwise_16_to_32()
    for mac_rate, u, t, expected in (
        # T = 2·(3.2778e-3 + 0.5·2.9672e-5) + 1e-5 + 1e-9·8192 + 1e-8·2048 = 6.623944e-3 s
        (1e7, 2.9672e-5 / 3.2778e-3, 3.2778e-3, 6.623944e-3),
        # T = 2·1.5·(2.8672e-5 + 1e-6) + 3.8672e-5 = 1.27688e-4 s
        (1e10, 1.0, 2.9672e-5, 1.27688e-4),
    ):
        p = make_profile(mac_rate=mac_rate, forward=HAND_FORWARD)
        kinds = dict(p.kinds)
        kinds["pointwise"] = kinds["pointwise"].model_copy(update={"in_network": 1.5})
        kinds["dense"] = kinds["dense"].model_copy(update={"in_network": 4.0})  # not this layer's kind
        q = p.model_copy(update={"kinds": kinds})
        (k,) = group_kernels([row], "torch")
        assert memory_share(k, q) == pytest.approx(u) and layer_seconds(row, q) == pytest.approx(t)
        (layer,) = predict(_report_of(row), q).layers
        assert layer.seconds == pytest.approx(expected)
        assert layer.forward_seconds == pytest.approx(1e-5 + 8.192e-6 + 2.048e-5)
    # in_network_share = "all": f scales all of t, compute-bound too:
    # T = 2·1.5·3.2778e-3 + 1e-5 + 1e-9·8192 + 1e-8·2048 = 9.872072e-3 s
    p = make_profile(mac_rate=1e7, forward=HAND_FORWARD.model_copy(update={"in_network_share": "all"}))
    kinds = dict(p.kinds)
    kinds["pointwise"] = kinds["pointwise"].model_copy(update={"in_network": 1.5})
    (layer,) = predict(_report_of(row), p.model_copy(update={"kinds": kinds})).layers
    assert layer.seconds == pytest.approx(9.872072e-3)


def test_profile_without_in_network_factors_loads_with_one() -> None:
    """A profile saved before the in-network factors existed loads, each factor 1."""
    raw = json.loads(make_profile().model_dump_json())
    for m in raw["kinds"].values():
        del m["in_network"]
    p = DeviceProfile.model_validate(raw)
    assert {m.in_network for m in p.kinds.values()} == {1.0}


def _in_network_chain(blocks: int, width: int, side: int) -> list:
    """The torch kernels of a stem and ``blocks`` × (1×1 conv + batch norm) of ``width``, +8, +16,
    +24, ``width`` … channels (unequal, so that bytes written and weight bytes are not in
    proportion)."""
    b = GraphBuilder((8, side, side))
    b.op("stem", Conv2d, in_channels=8, out_channels=width, kernel=(3, 3), padding=(1, 1))
    c = width
    for i in range(blocks):
        cout = width + 8 * ((i + 1) % 4)
        b.op(f"pw{i}", Conv2d, in_channels=c, out_channels=cout, kernel=(1, 1))
        b.op(f"bn{i}", BatchNorm2d, channels=cout)
        c = cout
    return group_kernels(layer_costs(b.graph), "torch")


def test_fit_in_network_recovers_planted_constants() -> None:
    """Kernel seconds inside a network made from known constants, y_k = (1 + (f_κ − 1)·u_k)·t_k + g +
    a·written_k + c·cold_k (u_k :func:`memory_share`; pointwise f = 1.3, batch norm f = 2.0, g = 2 µs,
    a = 0.5 ps/B, c = 40 ps/B; no kernel with weights enough to stream), are fitted back (to 10⁻⁴), the
    network's weights cold (H = 0); a kind with fewer than MIN_IN_NETWORK kernels (one dense) keeps f = 1."""
    from archcalc.measure.calibrate import MIN_IN_NETWORK, fit_in_network

    kernels = _in_network_chain(MIN_IN_NETWORK + 2, 24, 32)
    p = make_profile(mac_rate=1e9)
    cold = ForwardModel(weight_cap_bytes=1e5)
    f = {"pointwise": 1.3, "batchnorm": 2.0}
    w = sum(k.weight_bytes for k in kernels)
    data = []
    for k in kernels:
        t = kernel_seconds(k, p)
        share = 1.0 + (f.get(layer_kind(k.head), 1.0) - 1.0) * memory_share(k, p)
        y = share * t + 2e-6 + 0.5e-12 * k.bytes_written + 40e-12 * k.weight_bytes
        data.append((k, y, float(w), False))
    factors, streams, terms = fit_in_network(data, p, cold)
    assert factors == pytest.approx(f, rel=1e-4)
    assert streams == {}
    assert terms.node_seconds == pytest.approx(2e-6, rel=1e-4)
    assert terms.write_seconds_per_byte == pytest.approx(0.5e-12, rel=1e-4)
    assert terms.weight_seconds_per_byte == pytest.approx(40e-12, rel=1e-4)
    assert terms.hot_weight_bytes == 0.0
    assert terms.weight_cap_bytes == 1e5 and terms.scale == 1.0


def test_fit_in_network_recovers_planted_streaming_and_hot_networks() -> None:
    """Three networks: a small one (8 × 64–88 channels: 0.2 MB of weights) whose weights stay hot, and
    two of 8 × 256–280-channel 1×1 convolutions on 4×4 and 8×8 maps (≥ 256 KiB of weights each,
    2.4 MB), whose weights come cold and stream at ω = 250 ps/B (at 100 GMAC/s, longer than the
    work), overlapping the work as M_3(t, u) = (t³ + u³)^(1/3). Planted with H = C/2 = 1 MB,
    pointwise f = 1.1, g = 3 µs, c = 0: the fit finds p = 3 and an H between the small and the large
    networks' weights among its candidates, and gives ω to every convolution type."""
    from archcalc.measure.calibrate import fit_in_network

    p = make_profile(mac_rate=1e11, eff=1e3)
    cold = ForwardModel(weight_cap_bytes=2e6)
    data = []
    for kernels in (_in_network_chain(8, 64, 16), _in_network_chain(8, 256, 4), _in_network_chain(8, 256, 8)):
        w = sum(k.weight_bytes for k in kernels)
        for k in kernels:
            t = kernel_seconds(k, p)
            conv = KERNEL_TYPES[layer_kind(k.head)].streams == "conv"  # batch norm streams none
            u = 250e-12 * min(k.weight_bytes, 2e6) if w > 1e6 and conv else 0.0
            core = (t**3 + u**3) ** (1 / 3)
            f = 1.1 if layer_kind(k.head) == "pointwise" else 1.0
            y = (1.0 + (f - 1.0) * memory_share(k, p)) * core + 3e-6
            data.append((k, y, float(w), False))
    factors, streams, terms = fit_in_network(data, p, cold)
    small, large = sorted({w for _, _, w, _ in data})
    assert terms.stream_norm == 3.0 and small <= terms.hot_weight_bytes < large
    assert factors["pointwise"] == pytest.approx(1.1, rel=1e-4)
    assert streams == {
        kind: pytest.approx(250e-12, rel=1e-4) for kind in ("dense", "pointwise", "depthwise", "grouped")
    }
    assert terms.node_seconds == pytest.approx(3e-6, rel=1e-4)
    assert terms.weight_seconds_per_byte == pytest.approx(0.0, abs=1e-15)


def _planted_networks(glue_outside: float) -> tuple[DeviceProfile, ForwardModel, list, list]:
    """The planted networks of the test above (pointwise f = 1.1, ω = 250 ps/B overlapping as
    M_3, g = 3 µs, H = 1 MB between the small network's 0.2 MB of weights and the large ones'
    2.4 MB): the profile, C, each kernel's seconds inside its network, and each network's forward,
    the sum of its kernels' seconds plus ``glue_outside`` per kernel."""
    p = make_profile(mac_rate=1e11, eff=1e3)
    cold = ForwardModel(weight_cap_bytes=2e6)
    inside, forwards = [], []
    for kernels in (_in_network_chain(8, 64, 16), _in_network_chain(8, 256, 4), _in_network_chain(8, 256, 8)):
        w = sum(k.weight_bytes for k in kernels)
        ys = []
        for k in kernels:
            t = kernel_seconds(k, p)
            conv = KERNEL_TYPES[layer_kind(k.head)].streams == "conv"
            u = 250e-12 * min(k.weight_bytes, 2e6) if w > 1e6 and conv else 0.0
            f = 1.0 + (0.1 if layer_kind(k.head) == "pointwise" else 0.0) * memory_share(k, p)
            ys.append(f * (t**3 + u**3) ** (1 / 3) + 3e-6)
            inside.append((k, ys[-1], float(w), False))
        forwards.append((kernels, sum(ys) + glue_outside * len(kernels)))
    return p, cold, inside, forwards


def test_torch_keeps_h_at_the_cache_size() -> None:
    """Given one candidate (torch's ``HOT_SHARES_OF``: H = C), the fit keeps it whatever the
    forwards prefer (the planted networks fit best at an H between 0.2 and 2.4 MB; here C)."""
    from archcalc.measure.calibrate import HOT_SHARES, HOT_SHARES_OF, fit_inside_and_forward

    assert HOT_SHARES_OF == {"torch": (1.0,), "onnxruntime": HOT_SHARES}
    p, cold, inside, forwards = _planted_networks(glue_outside=0.0)
    _, fwd = fit_inside_and_forward(inside, forwards, p, cold, hot_shares=HOT_SHARES_OF["torch"])
    assert fwd.hot_weight_bytes == cold.weight_cap_bytes


def test_the_whole_forwards_choose_h() -> None:
    """The planted networks of the test above (H = 1 MB between the small network's 0.2 MB of
    weights and the large ones' 2.4 MB), their forwards the sums of their kernels' seconds: every
    H fits the kernels on its own, and the H whose forwards come out exact is kept, with s = 1."""
    from archcalc.measure.calibrate import fit_inside_and_forward

    p, cold, inside, forwards = _planted_networks(glue_outside=0.0)
    fitted, fwd = fit_inside_and_forward(inside, forwards, p, cold)
    small, large = sorted({w for _, _, w, _ in inside})
    assert small <= fwd.hot_weight_bytes < large and fwd.stream_norm == 3.0
    assert fwd.scale == pytest.approx(1.0, rel=1e-4) and fwd.fit_error == pytest.approx(0.0, abs=1e-4)
    assert fitted.kinds["pointwise"].stream_seconds_per_byte == pytest.approx(250e-12, rel=1e-4)
    assert fitted.kinds["pointwise"].in_network == pytest.approx(1.1, rel=1e-4)


def test_the_whole_forwards_set_g_when_the_kernels_do_not_hold_it() -> None:
    """``fit_glue`` (``Bench.glue_in_network`` false: onnxruntime's profiled kernels, less a bias
    known to about g's size): the planted networks above with 2 µs more glue per kernel in their
    whole forwards than inside them (5 µs, not 3): s and g are fitted to the forwards, s = 1 and
    g = 5 µs exactly; kept at the in-network 3 µs (torch's way), s takes the difference and the
    forwards are no longer exact."""
    from archcalc.measure.calibrate import fit_inside_and_forward

    p, cold, inside, forwards = _planted_networks(glue_outside=2e-6)
    _, fwd = fit_inside_and_forward(inside, forwards, p, cold, fit_glue=True)
    assert fwd.scale == pytest.approx(1.0, rel=1e-4) and fwd.node_seconds == pytest.approx(5e-6, rel=1e-4)
    assert fwd.fit_error == pytest.approx(0.0, abs=1e-4)
    _, kept = fit_inside_and_forward(inside, forwards, p, cold)
    assert kept.node_seconds == pytest.approx(3e-6, rel=1e-4) and kept.scale > 1.0
    assert kept.fit_error > 1e-3


def test_in_network_fit_prices_read_once_weights_as_the_network_streams_them() -> None:
    """A fully connected layer 64 → 64 at batch 1 reads each of its 16 640 weight bytes once; in a
    network that streams such weights (``InNetwork``'s flag: its weights exceed C) its isolated
    time is taken × W(bytes) / W(memory) before f_κ, as the prediction takes it
    (:func:`read_once_factor`): it moves 4·64 + 4·64 + 16 640 = 17 152 B, W = 4e9 ·
    (1/4)^(ln 17.152 / ln 1000) on the curve (1 kB: 4 GB/s, 1 MB: 1 GB/s), the memory's 1e9.
    Planted f = 1.2 and g = 1 µs on 8 kernels of a streamed network and 8 of one that is not: the
    fit finds f = 1.2, not 1.2 × the ratio the streamed ones carry."""
    import math

    from archcalc.count.latency import read_once_factor
    from archcalc.measure.calibrate import fit_in_network

    b = GraphBuilder((64,))
    for i in range(8):
        b.op(f"fc{i}", Linear, in_features=64, out_features=64)
    kernels = group_kernels(layer_costs(b.graph), "onnxruntime", 16)
    assert len(kernels) == 8 and all(k.weight_bytes == 16640 for k in kernels)
    cold = ForwardModel(cold_weights="reused", read_once_streams=True, weight_cap_bytes=1e6)
    p = make_profile(curve=[(1000.0, 4e9), (1e6, 1e9)])
    ratio = 4 * (1 / 4) ** (math.log(17.152) / math.log(1000))
    assert read_once_factor(kernels[0], p, cold) == pytest.approx(ratio)
    assert read_once_factor(kernels[0], p, cold.model_copy(update={"cold_weights": "all"})) == 1.0
    data = []
    for streamed in (True, False):
        for k in kernels:
            t = kernel_seconds(k, p) * (ratio if streamed else 1.0)
            data.append((k, (1.0 + 0.2 * memory_share(k, p)) * t + 1e-6, 2e6, streamed))
    factors, streams, terms = fit_in_network(data, p, cold, hot_shares=(0.0,))
    assert factors == {"linear": pytest.approx(1.2, rel=1e-6)} and streams == {}
    # every kernel writes 256 B: g and a·256 B are one column here, their sum the planted 1 µs
    glue = terms.node_seconds + 256 * terms.write_seconds_per_byte
    assert glue == pytest.approx(1e-6, rel=1e-5)


def test_fit_forward_recovers_planted_terms_and_the_hot_networks() -> None:
    """Whole forwards of eight networks (0.02–2.4 MB of weights) made from known constants,
    T = Σ_k s·t_k + g + a·written_k + c·cold_k (s = 1.2, g = 4 µs, a = 1 ps/B, c = 30 ps/B) where a
    network of at most H = C/4 = 0.5 MB of weights has none cold: fitted back, with an H among
    the candidates that splits the networks as the planted one does."""
    from archcalc.measure.calibrate import fit_forward

    p = make_profile(mac_rate=1e10)
    cold = ForwardModel(weight_cap_bytes=2e6)
    nets = [
        _in_network_chain(n, w, side)
        for n, w, side in [
            (4, 16, 32),
            (6, 32, 16),
            (8, 48, 16),
            (5, 64, 8),
            (8, 128, 8),
            (6, 160, 8),
            (8, 256, 4),
            (7, 200, 4),
        ]
    ]
    data = []
    for kernels in nets:
        hot = sum(k.weight_bytes for k in kernels) <= 5e5
        t = sum(
            1.2 * kernel_seconds(k, p)
            + 4e-6
            + 1e-12 * k.bytes_written
            + (0 if hot else 30e-12 * min(k.weight_bytes, 2e6))
            for k in kernels
        )
        data.append((kernels, t))
    weights = sorted(sum(k.weight_bytes for k in ks) for ks in nets)
    assert weights[0] < 2e4 and weights[-1] > 5e5 and any(w <= 5e5 for w in weights[3:])
    fwd = fit_forward(data, p, cold=cold)
    assert fwd.scale == pytest.approx(1.2, rel=1e-6)
    assert fwd.node_seconds == pytest.approx(4e-6, rel=1e-5)
    assert fwd.write_seconds_per_byte == pytest.approx(1e-12, rel=1e-4)
    assert fwd.weight_seconds_per_byte == pytest.approx(30e-12, rel=1e-5)
    below = max(w for w in weights if w <= 5e5)
    above = min(w for w in weights if w > 5e5)
    assert below <= fwd.hot_weight_bytes < above
    assert fwd.fit_error == pytest.approx(0.0, abs=1e-9) and fwd.networks == 8


def test_cold_weights_stream_under_the_overlap_rule() -> None:
    """One 1×1 convolution of 512 → 512 channels on a 4×4 map (1 MiB of weights, 4.19 MMAC): at
    1 GMAC/s t = 4.19 ms + 1 µs; with ω = 10 ns/B its cold weights stream for u = 10.49 ms, and
    M_2 = √(t² + u²) = 11.29 ms; in a network whose weights total at most H, none is cold."""
    b = GraphBuilder((512, 4, 4))
    b.op("pw", Conv2d, in_channels=512, out_channels=512, kernel=(1, 1))
    kernels = group_kernels(layer_costs(b.graph), "torch")
    fwd = ForwardModel(weight_cap_bytes=2**21, stream_norm=2.0, hot_weight_bytes=2**20 - 1)
    p = make_profile(mac_rate=1e9, eff=1e3, forward=fwd)
    p.kinds["pointwise"] = p.kinds["pointwise"].model_copy(update={"stream_seconds_per_byte": 1e-8})
    t = 512 * 512 * 16 / 1e9 + 1e-6
    u = 1e-8 * 512 * 512 * 4
    (row,) = layer_latencies(kernels, p)[0]
    assert row.seconds == pytest.approx((t**2 + u**2) ** 0.5, rel=1e-9)
    hot = p.model_copy(update={"forward": fwd.model_copy(update={"hot_weight_bytes": 2.0**20})})
    (row,) = layer_latencies(kernels, hot)[0]
    assert row.seconds == pytest.approx(t, rel=1e-9)


def test_identity_forward_model_is_the_roofline_sum() -> None:
    row = pointwise_16_to_32()
    p = make_profile(mac_rate=1e7)
    assert predict(_report_of(row), p).total_ms == pytest.approx(1e3 * layer_seconds(row, p))


def test_view_forward_terms_write_nothing() -> None:
    b = GraphBuilder((16, 8, 8))
    b.op("f", Flatten)
    (row,) = layer_costs(b.graph)
    p = make_profile(overhead=7e-6, forward=HAND_FORWARD)
    # T = 2·7e-6 + 1e-5 glue, no bytes written, no weights
    assert predict(_report_of(row), p).total_ms == pytest.approx(1e3 * 2.4e-5)


def test_old_profile_format_asks_for_calibrate(config_dir: Path) -> None:
    data = json.loads(make_profile("old").model_dump_json())
    del data["format"], data["forward"]
    (config_dir / "profiles").mkdir(parents=True)
    (config_dir / "profiles" / "old.json").write_text(json.dumps(data))
    with pytest.raises(ArchcalcError, match="re-run `archcalc calibrate`"):
        load_profile("old")


def test_synthetic_networks_are_seeded_and_capped() -> None:
    from archcalc.measure.synthetic_networks import synthetic_networks

    a = synthetic_networks(6, max_macs=5e7)
    b = synthetic_networks(6, max_macs=5e7)
    assert [[n.name for n in g] for g in a] == [[n.name for n in g] for g in b]
    for g in a:
        costs = layer_costs(g)
        assert sum(c.macs for c in costs) <= 5e7
        assert costs[-1].kind == "linear"
        assert {layer_kind(c) for c in costs} <= set(KINDS)


def test_bandwidth_curve_is_interpolated_log_log() -> None:
    p = make_profile(curve=[(1e3, 1e9), (1e5, 1e11)])
    assert p.bandwidth(1e4) == pytest.approx(1e10)  # geometric midpoint of both axes
    assert p.bandwidth(10.0) == pytest.approx(1e9)  # flat below the first point
    assert p.bandwidth(1e9) == pytest.approx(1e11)  # and above the last


def test_data_kind_uses_its_byte_rate() -> None:
    b = GraphBuilder((16, 8, 8))
    b.op("bn", BatchNorm2d, channels=16)
    (row,) = layer_costs(b.graph)
    # bytes = 4·(1024 in + 64 state [γ, β, mean, var]) + 4·1024 out = 8448
    assert row.bytes_read + row.bytes_written == 8448
    p = make_profile(byte_rate=1e8)  # 8448 / 1e8 = 8.448e-5 s > 8448 / 5e8
    assert layer_kind(row) == "batchnorm"
    assert layer_seconds(row, p) == pytest.approx(8.448e-5 + 1e-6)


def test_view_costs_overhead_only() -> None:
    b = GraphBuilder((16, 8, 8))
    b.op("flat", Flatten)
    (row,) = layer_costs(b.graph)
    assert layer_kind(row) == "view"
    assert layer_seconds(row, make_profile(overhead=7e-6)) == pytest.approx(7e-6)


def test_mobilenet_v1_kinds_match_the_paper_table_1() -> None:
    """Table 1 of the MobileNet paper: 1 full conv, 13 depthwise, 13 pointwise, 1 FC."""
    kinds = [layer_kind(x) for x in v1().layers]
    assert (kinds.count("dense"), kinds.count("depthwise"), kinds.count("pointwise")) == (1, 13, 13)
    assert kinds.count("linear") == 1
    assert kinds.count("batchnorm") == 27 and kinds.count("activation") == 27


def test_a_1x1_convolution_on_a_1x1_map_is_priced_as_linear() -> None:
    """A 1×1 convolution (groups 1) from a 1×1 map to a 1×1 map is a fully connected layer's
    matrix-vector product: MobileNetV4-Conv-S's head (960 → 1280 after the global pool) and
    MobileNet V3-Large's squeeze-and-excite convolutions (the first at bneck4: 72 → 24 → 72
    channels, 72 / 4 = 18 made divisible by 8 as the paper's code does: 16 is under 90 % of 18, so
    24) are ``linear``; a 1×1 convolution on a 7×7 map stays ``pointwise``."""
    import archcalc

    head = {x.name: x for x in archcalc.cost("mobilenetv4_conv_small").layers}["conv_head.conv"]
    assert (head.input_shapes[0], head.output_shape) == ([960, 1, 1], [1280, 1, 1])
    assert layer_kind(head) == "linear"
    se = [x for x in archcalc.cost("mobilenet_v3_large").layers if x.name.startswith("bneck4.se.fc")]
    assert [(x.input_shapes[0], x.output_shape) for x in se] == [
        ([72, 1, 1], [24, 1, 1]),
        ([24, 1, 1], [72, 1, 1]),
    ]
    assert {layer_kind(x) for x in se} == {"linear"}
    b = GraphBuilder((960, 7, 7))
    b.op("pw", Conv2d, in_channels=960, out_channels=1280, kernel=(1, 1))
    (row,) = layer_costs(b.graph)
    assert layer_kind(row) == "pointwise"


def test_prediction_does_not_depend_on_the_counting_convention() -> None:
    import archcalc
    from archcalc.count.conventions import CONVENTIONS

    p = make_profile()
    paper = predict(archcalc.cost("mobilenet_v2", 0.5, 160, convention="paper"), p)
    assert paper.total_ms == pytest.approx(sum(1e3 * x.seconds for x in paper.layers))
    # keras and tf count no MACs, ptflops / thop / torchinfo add bias, BN or pooling charges: the
    # roofline prices conv and linear multiply-adds under every one of them
    for name in CONVENTIONS:
        other = predict(archcalc.cost("mobilenet_v2", 0.5, 160, convention=name), p)
        assert [x.seconds for x in other.layers] == [x.seconds for x in paper.layers], name


def test_latency_and_traffic_under_every_convention(cli) -> None:
    """``table --latency --traffic`` and ``sweep`` with a profile work under conventions that count
    no MACs (they crashed on None), and the two bound columns agree (issue 18.6): batch norm and
    activations, priced on bytes, are memory-bound in both."""
    from archcalc.count.conventions import CONVENTIONS

    save_profile(make_profile("default"))
    for name in CONVENTIONS:
        for fmt in ("json", "csv", "markdown", "table"):
            r = cli("table", "mobilenet_v1", "--convention", name, "--latency", "--traffic", "--format", fmt)
            assert r.code == 0, (name, fmt, r.err)
        r = cli("sweep", "mobilenet_v1", "--convention", name, "--alpha", "0.5", "--format", "json")
        assert r.code == 0, (name, r.err)
    r = cli("table", "mobilenet_v1", "--convention", "keras", "--latency", "--traffic", "--format", "json")
    d = json.loads(r.out)
    for t, x in zip(d["traffic"]["layers"], d["latency"]["layers"], strict=True):
        if x["bound"] != "overhead" and t["bound"] is not None:
            assert t["bound"] == x["bound"], (t, x)
    kinds = {x["kind"]: x["bound"] for x in d["latency"]["layers"]}
    assert kinds["batchnorm"] == kinds["activation"] == "memory"


def test_other_dtype_is_refused() -> None:
    import archcalc

    with pytest.raises(ArchcalcError, match="fp32"):
        predict(archcalc.cost("mobilenet_v1", dtype="fp16"), make_profile())


def _report_of(row):
    """A one-layer report holding ``row`` (validated, as a report read back from JSON would be)."""
    from archcalc.count.closed_form import Report

    totals = {k: 0 for k in ("layers", "params", "params_without_bn", "params_with_bn", "weight_bytes")}
    totals.update(
        macs=row.macs, flops=2 * row.macs, bytes_read=row.bytes_read, bytes_written=row.bytes_written
    )
    return Report(
        network="one",
        title="one layer",
        source="by hand",
        alpha=1.0,
        resolution=8,
        knobs={},
        input_shape=row.input_shapes[0],
        output_shape=row.output_shape,
        convention="paper",
        dtype="fp32",
        dtype_bytes=4,
        totals=totals,
        breakdown=[],
        by_convention={},
        layers=[row],
    )


# --- profile files ---------------------------------------------------------------------------


def test_profile_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert profile_dir() == tmp_path / "a"
    monkeypatch.delenv("ARCHCALC_CONFIG_DIR")
    assert profile_dir() == tmp_path / "xdg" / "archcalc"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert profile_dir() == tmp_path / "home" / ".config" / "archcalc"


def test_round_trip(config_dir: Path) -> None:
    assert load_profile() is None
    p = make_profile("default")
    path = save_profile(p)
    assert path == config_dir / "profiles" / "default.json"
    assert load_profile() == p
    save_profile(make_profile("laptop", mac_rate=3e9))
    assert load_profile("laptop").kinds["dense"].mac_rate == 3e9


def test_missing_named_profile_names_calibrate() -> None:
    with pytest.raises(ArchcalcError, match="archcalc calibrate --profile nope"):
        load_profile("nope")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not a valid device profile"),
        ('{"name": "x"}', "format"),
        ("[]", "not a valid device profile"),
    ],
)
def test_corrupt_profile_is_one_line(config_dir: Path, text: str, fragment: str) -> None:
    (config_dir / "profiles").mkdir(parents=True)
    (config_dir / "profiles" / "bad.json").write_text(text)
    with pytest.raises(ArchcalcError, match=fragment) as e:
        load_profile("bad")
    assert "\n" not in str(e.value)


def test_profile_missing_a_kind_is_refused(config_dir: Path) -> None:
    data = json.loads(make_profile("bad").model_dump_json())
    del data["kinds"]["depthwise"]
    (config_dir / "profiles").mkdir(parents=True)
    (config_dir / "profiles" / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ArchcalcError, match="kinds misses depthwise"):
        load_profile("bad")


def resolve_graph(graph):
    """A hand-built graph as a resolved network (the spec is only its header)."""
    from archcalc.model.resolve import Resolved
    from archcalc.spec.catalog import load_spec

    return Resolved(load_spec("mobilenet_v1"), 1.0, graph.input_shape[-1], {}, graph)


def test_reorder_kind_belongs_to_onnxruntime_profiles(config_dir: Path) -> None:
    """A torch profile needs no ``reorder`` kind (torch has no layouts); an onnxruntime one does."""
    data = json.loads(make_profile("t").model_dump_json())
    del data["kinds"]["reorder"]
    (config_dir / "profiles").mkdir(parents=True)
    (config_dir / "profiles" / "t.json").write_text(json.dumps(data))
    assert load_profile("t") is not None
    data["backend"] = "onnxruntime"
    (config_dir / "profiles" / "o.json").write_text(json.dumps(data))
    with pytest.raises(ArchcalcError, match="kinds misses reorder"):
        load_profile("o")


def test_reorders_priced_by_hand() -> None:
    """A 1×1 conv 16 → 32 on a 16×8×8 map, run blocked with a block of 16: onnxruntime reorders its
    input into NCHWc (16·64·4 = 4096 B read, as many written: 16 is a multiple of 16) and its
    output, the graph's, back (32·64·4 = 8192 B each way). With the reorder kind at 1 GB/s flat,
    e = 0.5 and o = 1 µs: (8192 / 0.5e9 + 1e-6) + (16384 / 0.5e9 + 1e-6) on top of the conv."""
    b = GraphBuilder((16, 8, 8))
    b.op("pw", Conv2d, in_channels=16, out_channels=32, kernel=(1, 1))
    p = make_profile("hand").model_copy(update={"backend": "onnxruntime", "nchwc_block": 16})
    (k,) = group_kernels(layer_costs(b.graph), "onnxruntime", 16)
    assert k.blocked
    assert [(r.tensor, r.into_blocked, r.read, r.written) for r in k.reorders] == [
        ("input", True, 4096, 4096),
        ("pw", False, 8192, 8192),
    ]
    rep = report(resolve_graph(b.graph))
    pred = predict(rep, p)
    conv = kernel_seconds(k, p)
    reorders = (8192 / 0.5e9 + 1e-6) + (16384 / 0.5e9 + 1e-6)
    assert pred.reorders == 2 and pred.total_ms == pytest.approx(1e3 * (conv + reorders))
    assert pred.layers[0].reorder_seconds == pytest.approx(reorders)
    assert pred.by_kind_ms["reorder"] == pytest.approx(1e3 * reorders)
    # 20 channels (not a multiple of 16) are padded to 32 in NCHWc: 20·64·4 = 5120 B read, 8192 written
    b = GraphBuilder((20, 8, 8))
    b.op("pw", Conv2d, in_channels=20, out_channels=32, kernel=(1, 1))
    (k,) = group_kernels(layer_costs(b.graph), "onnxruntime", 16)
    assert (k.reorders[0].read, k.reorders[0].written) == (5120, 8192)
    # without a block size (a profile of a CPU with no NCHWc, or torch) nothing is reordered
    assert predict(rep, p.model_copy(update={"nchwc_block": 0})).reorders == 0
    assert predict(rep, make_profile("hand").model_copy(update={"nchwc_block": 16})).reorders == 0


def test_learned_predictor_reads_features_by_name() -> None:
    """A predictor fitted before the ``nchwc`` feature existed (16 features) still predicts, reading
    its features by name; one naming a feature that does not exist is refused."""
    from archcalc.count.kernels import FEATURES
    from archcalc.count.learned import KernelPredictor, Tree

    b = GraphBuilder((16, 8, 8))
    b.op("pw", Conv2d, in_channels=16, out_channels=32, kernel=(1, 1))
    leaf = Tree(feature=[0], threshold=[0.0], left=[-1], right=[-1], value=[0.5])
    old = [f for f in FEATURES if f not in ("nchwc", "channel_pow2", "torch_native")]
    assert len(old) == 16
    p = make_profile("hand")
    plain = predict(report(resolve_graph(b.graph)), p).total_ms
    kp = KernelPredictor(features=old, init=0.0, learning_rate=1.0, trees=[leaf], samples=1)
    with_old = p.model_copy(update={"learned": {"pointwise": kp}})
    factor = 1.6487212707  # e^0.5
    assert predict(report(resolve_graph(b.graph)), with_old).total_ms == pytest.approx(plain * factor)
    bad = kp.model_copy(update={"features": [*old[:-1], "no_such_feature"]})
    with pytest.raises(ArchcalcError, match="no_such_feature"):
        predict(report(resolve_graph(b.graph)), p.model_copy(update={"learned": {"pointwise": bad}}))


def test_bad_profile_name() -> None:
    with pytest.raises(ArchcalcError, match="--profile"):
        load_profile("../etc/passwd")


# --- CLI ----------------------------------------------------------------------------------------


def test_table_latency_without_profile(cli) -> None:
    r = cli("table", "mobilenet_v1", "--latency")
    assert r.code == 2 and r.out == ""
    assert "archcalc calibrate" in r.err and len(r.err.strip().splitlines()) == 1


def test_table_latency_missing_named_profile(cli) -> None:
    r = cli("table", "mobilenet_v1", "--latency", "--profile", "nope")
    assert r.code == 2 and "nope" in r.err and len(r.err.strip().splitlines()) == 1


def test_table_traffic_without_profile(cli) -> None:
    r = cli("table", "mobilenet_v1", "--traffic", "--format", "json")
    assert r.code == 0
    assert "archcalc calibrate" in r.err and len(r.err.strip().splitlines()) == 1
    data = json.loads(r.out)
    first = data["traffic"]["layers"][0]
    # conv0: 3×224×224 input + 3·3·3·32 weights read, 32×112×112 written, at 4 bytes
    assert first["bytes_read"] == 4 * (3 * 224 * 224 + 864)
    assert first["bytes_written"] == 4 * 32 * 112 * 112
    assert first["weight_bytes"] == 4 * 864
    assert first["bound"] is None and data["traffic"]["profile"] is None


def test_table_traffic_bound_against_ridge(cli) -> None:
    # ridge = R / (e·W) = 1e10 / (0.5·1e9) = 20 MACs/byte: conv0 (4.9 MACs/byte) is left of it
    save_profile(make_profile("default"))
    r = cli("table", "mobilenet_v1", "--traffic", "--format", "json")
    first = json.loads(r.out)["traffic"]["layers"][0]
    assert first["ridge"] == pytest.approx(20.0)
    assert first["bound"] == "memory"
    assert first["intensity"] == pytest.approx(10838016 / (4 * (3 * 224 * 224 + 864) + 4 * 32 * 112 * 112))


def test_traffic_and_latency_bounds_are_one_rule(cli) -> None:
    """`--traffic`'s ``bound`` and `--latency`'s ``latency_bound`` of every MobileNet V1 layer agree
    (one rule, ``roofline_bound``; on torch each layer is its own kernel): with the ridge at 20
    MACs/byte (R = 1e10, e·W = 0.5 GB/s) and no call overhead, its 1×1 convolutions are
    compute-bound, its depthwise convolutions, batch norms and ReLUs memory-bound, and a view
    has no traffic bound."""
    save_profile(make_profile("default", overhead=1e-12))
    r = cli("table", "mobilenet_v1", "--traffic", "--latency", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    traffic = {x["name"]: x for x in data["traffic"]["layers"]}
    latency = {x["name"]: x for x in data["latency"]["layers"]}
    seen = set()
    for name, t in traffic.items():
        if t["kind"] == "view":
            assert t["bound"] is None
            continue
        assert t["bound"] == latency[name]["bound"], name
        seen.add((t["kind"], t["bound"]))
    assert {("pointwise", "compute"), ("depthwise", "memory"), ("batchnorm", "memory")} <= seen


def test_table_latency_with_profile(cli) -> None:
    save_profile(make_profile("hand"))
    r = cli("table", "mobilenet_v1", "--latency", "--profile", "hand", "--format", "json")
    assert r.code == 0, r.err
    lat = json.loads(r.out)["latency"]
    # conv0: compute 10838016 / 1e10 s vs memory (605568 + 1605632) / 5e8 s, + 1 µs
    conv0 = max(10838016 / 1e10, 2211200 / 5e8) + 1e-6
    assert lat["layers"][0]["seconds"] == pytest.approx(conv0)
    assert lat["total_ms"] == pytest.approx(sum(1e3 * x["seconds"] for x in lat["layers"]))
    for fmt in ("table", "csv", "markdown"):
        r = cli("table", "mobilenet_v1", "--latency", "--traffic", "--profile", "hand", "--format", fmt)
        assert r.code == 0 and "predicted_ms" in r.out


def test_profile_without_traffic_or_latency(cli) -> None:
    r = cli("table", "mobilenet_v1", "--profile", "x")
    assert r.code == 2 and "--traffic or --latency" in r.err


def test_library_api() -> None:
    import archcalc

    with pytest.raises(ArchcalcError, match="archcalc calibrate"):
        archcalc.predict_latency("mobilenet_v1")
    save_profile(make_profile("default"))
    pred = archcalc.predict_latency("mobilenet_v1", 0.5, 160, batch=2)
    assert pred.batch == 2 and pred.profile == "default"
    assert pred.total_ms == pytest.approx(
        predict(archcalc.cost("mobilenet_v1", 0.5, 160), make_profile(), 2).total_ms
    )


def test_kernel_type_groups_make_layers_of_that_type() -> None:
    """A convolution built with a conv type's ``groups_of`` (16 → 16 channels, 3×3 or 1×1, a
    group convolution's G = 4) is a layer the op class prices as that very type; a pool type's
    reduction builds a pool of that type."""
    from archcalc.count.kernel_types import KERNEL_TYPES
    from archcalc.model.ops import Pool2d

    convs = {n: t for n, t in KERNEL_TYPES.items() if t.groups is not None}
    assert sorted(convs) == ["dense", "depthwise", "grouped", "pointwise"]
    for name, t in convs.items():
        k = 1 if name == "pointwise" else 3
        b = GraphBuilder((16, 8, 8))
        b.op(
            "c",
            Conv2d,
            in_channels=16,
            out_channels=16,
            kernel=(k, k),
            padding=(k // 2, k // 2),
            groups=t.groups_of(16, 4),
        )
        (row,) = layer_costs(b.graph)
        assert layer_kind(row) == name
    for name, t in KERNEL_TYPES.items():
        if t.pool is not None:
            b = GraphBuilder((16, 8, 8))
            b.op("p", Pool2d, op=t.pool, kernel=2, stride=2)
            (row,) = layer_costs(b.graph)
            assert layer_kind(row) == name


def _conv_bn_act(cin: int, cout: int, side: int, fn: str, backend: str = "onnxruntime", block: int = 16):
    """The kernels of a 1×1 conv ``cin`` → ``cout`` on a ``side``² map, batch norm and ``fn``."""
    from archcalc.model.ops import Activation

    b = GraphBuilder((cin, side, side))
    b.op("pw", Conv2d, in_channels=cin, out_channels=cout, kernel=(1, 1))
    b.op("bn", BatchNorm2d, channels=cout)
    b.op("act", Activation, fn=fn)
    return group_kernels(layer_costs(b.graph), backend, block)


def test_fused_pass_by_hand() -> None:
    """A fused activation's pass over the kernel's output (``DeviceProfile.fused_passes``) adds
    ρ·B·output bytes to the kernel's isolated time, by the kernel's layout: 16 → 20 channels on 8×8
    runs blocked (NCHWc 16: 16 input channels), its 20 output channels padded to 32, so ReLU6 at
    ρ = 1 ns/B passes over 4·32·64 = 8192 B: 8.192 µs (16.384 at batch 2); 18 → 20 runs unblocked
    (18 is neither fewer than 16 nor a multiple of 4): 4·20·64 = 5120 B."""
    from archcalc.count.latency import fused_pass_seconds, pass_key

    (blocked,) = _conv_bn_act(16, 20, 8, "relu6")
    (plain,) = _conv_bn_act(18, 20, 8, "relu6")
    assert blocked.blocked and blocked.block == 16 and not plain.blocked
    assert pass_key("relu6", True) == "relu6@nchwc" and pass_key("relu6", False) == "relu6@nchw"
    p = make_profile(mac_rate=1e9)
    q = p.model_copy(update={"fused_passes": {"relu6@nchwc": 1e-9, "relu6@nchw": 2e-9, "sigmoid@nchwc": 5.0}})
    assert fused_pass_seconds(blocked, p) == 0.0  # a profile without passes prices none
    assert fused_pass_seconds(blocked, q) == pytest.approx(8.192e-6)
    assert fused_pass_seconds(blocked, q, batch=2) == pytest.approx(16.384e-6)
    assert fused_pass_seconds(plain, q) == pytest.approx(2e-9 * 5120)
    assert kernel_seconds(blocked, q) == pytest.approx(kernel_seconds(blocked, p) + 8.192e-6)
    # in a forward pass, under s = 2 like the rest of the kernel's isolated time
    fwd = ForwardModel(scale=2.0)
    (row, *_), _ = layer_latencies([blocked], q.model_copy(update={"forward": fwd}))
    (row0, *_), _ = layer_latencies([blocked], p.model_copy(update={"forward": fwd}))
    assert row.seconds - row0.seconds == pytest.approx(2 * 8.192e-6)
    # torch runs the activation as a kernel of its own: nothing is fused, no pass is priced
    assert all(fused_pass_seconds(k, q) == 0.0 for k in _conv_bn_act(16, 20, 8, "relu6", "torch", 0))


def test_read_once_weights_stream_at_the_memorys_bandwidth() -> None:
    """Under ``read_once_streams``, a kernel that reads each weight once (a fully connected layer at
    batch 1: Linear 64 → 10, 2600 B of weights) in a network whose weights exceed C takes its
    isolated time × W(bytes) / W(memory): it moves 4·64 + 4·10 + 2600 = 2896 B, W(2896) =
    4e9 · (1/4)^(ln 2.896 / ln 1000) = 3.2318e9 B/s on the curve (1 kB: 4 GB/s, 1 MB: 1 GB/s),
    the memory's 1e9: 3.2318 × as long; hot, or a reused weight (a convolution), as before."""
    import math

    from archcalc.count.latency import in_network_seconds

    b = GraphBuilder((64,))
    b.op("fc", Linear, in_features=64, out_features=10)
    (fc,) = group_kernels(layer_costs(b.graph), "onnxruntime", 16)
    fwd = ForwardModel(cold_weights="reused", read_once_streams=True, weight_cap_bytes=1e6)
    p = make_profile(curve=[(1000.0, 4e9), (1e6, 1e9)], forward=fwd)
    ratio = 4 * (1 / 4) ** (math.log(2.896) / math.log(1000))
    assert p.memory_bandwidth == 1e9 and p.bandwidth(2896) == pytest.approx(ratio * 1e9)
    assert in_network_seconds(fc, 1e-6, p, streamed=True) == pytest.approx(ratio * 1e-6)
    assert in_network_seconds(fc, 1e-6, p, hot=True, streamed=True) == pytest.approx(1e-6)
    assert in_network_seconds(fc, 1e-6, p) == pytest.approx(1e-6)
    (conv,) = group_kernels(layer_costs(_pw_graph()), "onnxruntime", 16)
    assert in_network_seconds(conv, 1e-6, p, streamed=True) == pytest.approx(1e-6)
    # streamed: the network's weights exceed C (1 MB here), under read_once_streams
    assert not fwd.streams_read_once([fc]) and fwd.streams_read_once([fc] * 385)  # 385·2600 > 1e6
    assert not fwd.streams_read_once([fc] * 384)  # 998 400 B
    older = fwd.model_copy(update={"read_once_streams": False})
    assert not older.streams_read_once([fc] * 385)
    # in a prediction: the fc alone is a network of 2600 B of weights, over C = 2000 B
    (row,), _ = layer_latencies([fc], p)
    big = p.model_copy(update={"forward": fwd.model_copy(update={"weight_cap_bytes": 2000.0})})
    (row_big,), _ = layer_latencies([fc], big)
    assert row_big.seconds == pytest.approx(ratio * row.seconds)
    # a kernel without weights reads none once: a ReLU streams nothing
    assert not fwd.reads_once(0, 0)


def test_read_once_weights_stream_in_every_network_that_is_not_hot() -> None:
    """Under ``read_once_when = "not_hot"`` the Linear 64 → 10 of the test above (2600 B of
    weights, 40 B written) streams in any network whose footprint exceeds H, though its weights
    are far under C: at λ = 2 its footprint is 2600 + 2·40 = 2680 B, so it streams at H = 2679 B
    and not at H = 2680 B, and at batch 2 (2760 B) not at H = 2760 B, streams at 2759 B; priced
    in a prediction at W(2896) / W(memory) = 3.2318 × its time exactly when it streams. The
    older rule (``over_cap``) needs the weights over C."""
    import math

    b = GraphBuilder((64,))
    b.op("fc", Linear, in_features=64, out_features=10)
    (fc,) = group_kernels(layer_costs(b.graph), "onnxruntime", 16)
    assert (fc.weight_bytes, fc.bytes_written) == (2600, 40)
    fwd = ForwardModel(
        cold_weights="reused",
        read_once_streams=True,
        read_once_when="not_hot",
        weight_cap_bytes=1e6,
        written_in_footprint=2.0,
        hot_weight_bytes=2679.0,
    )
    assert fwd.streams_read_once([fc])
    assert not fwd.model_copy(update={"hot_weight_bytes": 2680.0}).streams_read_once([fc])
    assert fwd.model_copy(update={"hot_weight_bytes": 2759.0}).streams_read_once([fc], batch=2)
    assert not fwd.model_copy(update={"hot_weight_bytes": 2760.0}).streams_read_once([fc], batch=2)
    assert not fwd.model_copy(update={"read_once_when": "over_cap"}).streams_read_once([fc])
    assert not fwd.model_copy(update={"read_once_streams": False}).streams_read_once([fc])
    ratio = 4 * (1 / 4) ** (math.log(2.896) / math.log(1000))
    p = make_profile(curve=[(1000.0, 4e9), (1e6, 1e9)], forward=fwd)
    hot = p.model_copy(update={"forward": fwd.model_copy(update={"hot_weight_bytes": 2680.0})})
    (row,), _ = layer_latencies([fc], p)
    (row_hot,), _ = layer_latencies([fc], hot)
    assert row.seconds == pytest.approx(ratio * row_hot.seconds)


def _pw_graph():
    b = GraphBuilder((16, 8, 8))
    b.op("pw", Conv2d, in_channels=16, out_channels=32, kernel=(1, 1))
    return b.graph


def test_network_footprint_by_hand() -> None:
    """F = weights + λ·B·written: the 1×1 conv 16 → 32 on 8×8 (2048 B of weights, 8192 B written)
    and a batch norm of its output (γ, β, mean and variance of 32 channels: 512 B; 8192 B written)
    as two torch kernels: at λ = 2 F = 2560 + 2·16384 = 35328 B (batch 2: 2560 + 2·32768 = 68096),
    hot while H ≥ F; at λ = 0 the weights alone."""
    b = GraphBuilder((16, 8, 8))
    b.op("pw", Conv2d, in_channels=16, out_channels=32, kernel=(1, 1))
    b.op("bn", BatchNorm2d, channels=32)
    kernels = group_kernels(layer_costs(b.graph), "torch")
    assert [(k.weight_bytes, k.bytes_written) for k in kernels] == [(2048, 8192), (512, 8192)]
    fwd = ForwardModel(written_in_footprint=2.0, hot_weight_bytes=35328.0)
    assert fwd.footprint(kernels) == 35328.0 and fwd.footprint(kernels, batch=2) == 68096.0
    assert fwd.network_hot(kernels) and not fwd.network_hot(kernels, batch=2)
    assert not fwd.model_copy(update={"hot_weight_bytes": 35327.0}).network_hot(kernels)
    weights_alone = fwd.model_copy(update={"written_in_footprint": 0.0, "hot_weight_bytes": 2560.0})
    assert weights_alone.footprint(kernels, batch=4) == 2560.0 and weights_alone.network_hot(kernels)


def test_calibrate_passes_recovers_planted_rates() -> None:
    """A bench whose convolution kernels take 100 µs plus ρ_fn per byte of (padded) output for a
    fused activation (ReLU6 17 ps/B and h-swish 41 ps/B blocked, 10 and 47 unblocked, sigmoid 53
    both; ReLU free): :func:`calibrate_passes` recovers each by layout, from the four probes; a
    bench that fuses nothing (torch) gets none and times nothing."""
    from archcalc.measure.calibrate import PASS_PROBES, calibrate_passes

    planted = {
        True: {"relu6": 17e-12, "hswish": 41e-12, "sigmoid": 53e-12},
        False: {"relu6": 10e-12, "hswish": 47e-12, "sigmoid": 53e-12},
    }

    class Bench:
        def __init__(self, backend: str) -> None:
            self.backend, self.calls = backend, 0

        def kernel(self, graph, names) -> float:
            self.calls += 1
            (k, *_) = group_kernels(layer_costs(graph), self.backend, 16)
            t = 1e-4
            for x in k.layers[1:]:
                if x.kind == "activation":
                    c, h, w = x.output_shape
                    c = -(-c // 16) * 16 if k.blocked else c  # the blocked output's padding
                    t += planted[k.blocked].get(x.args, 0.0) * 4 * c * h * w
            return t

    assert len(PASS_PROBES) == 4
    rates = calibrate_passes(Bench("onnxruntime"), make_profile().model_copy(update={"nchwc_block": 16}))
    for blocked, fns in planted.items():
        for fn, rate in fns.items():
            assert rates[f"{fn}@{'nchwc' if blocked else 'nchw'}"] == pytest.approx(rate, rel=1e-9)
        assert rates[f"relu@{'nchwc' if blocked else 'nchw'}"] == pytest.approx(0.0, abs=1e-18)
    torch = Bench("torch")
    assert calibrate_passes(torch, make_profile()) == {} and torch.calls == 0


def test_measure_networks_takes_medians_over_rounds_spread_in_time() -> None:
    """Three networks over five rounds: the bench is asked for them round-robin (a, b, c, a, b, c,
    …), one call of ``networks`` (one fresh worker process) per round, so that each network's
    figures come from moments spread over the whole measurement and from five processes; the
    processes of rounds 2 and 4 are slow (×1.25, worked by hand: a's forward 1, 1.25, 1, 1.25,
    1 ms), and each network keeps the median of its five forwards and, layer by layer, of its five
    in-network times (1 ms and 0.5 ms, the slow rounds left out); a bench that gives no in-network
    times (None) gives None."""
    from archcalc.measure.calibrate import measure_networks

    nets = [GraphBuilder((3, 8 + i, 8 + i)).graph for i in range(3)]

    class Bench:
        def __init__(self, per_layer: bool) -> None:
            self.asked: list[list[int]] = []
            self.per_layer = per_layer

        def networks(self, graphs):
            self.asked.append([])
            slow = 1.25 if len(self.asked) in (2, 4) else 1.0
            for g in graphs:
                self.asked[-1].append(nets.index(g))
                base = 1e-3 * (1 + nets.index(g))
                yield base * slow, ({"conv": 0.5 * base * slow} if self.per_layer else None)

    b = Bench(True)
    got = measure_networks(b, nets, 5)
    assert b.asked == [[0, 1, 2]] * 5
    assert got == [(1e-3, {"conv": 5e-4}), (2e-3, {"conv": 1e-3}), (3e-3, {"conv": 1.5e-3})]
    assert measure_networks(Bench(False), nets, 1) == [(1e-3, None), (2e-3, None), (3e-3, None)]


def test_profile_table_states_the_passes_and_the_footprint() -> None:
    """The profile's text names its fused passes' rates, the footprint H is compared with, the
    read-once rule with the memory's bandwidth (the curve's largest copy), and the share u_i of a
    kernel's time its in-network factor scales (the memory share, or all of it)."""
    from archcalc.render.latency import render_profile

    fwd = ForwardModel(cold_weights="reused", read_once_streams=True, written_in_footprint=2.0)
    p = make_profile(curve=[(1000.0, 4e9), (1e6, 1e9)], forward=fwd)
    p = p.model_copy(update={"fused_passes": {"relu6@nchwc": 17e-12, "hswish@nchw": 4.75e-11}})
    text = render_profile(p, "markdown")
    assert isinstance(text, str)
    assert "relu6@nchwc 17.0, hswish@nchw 47.5" in text
    assert "0 in a network whose weights + 2·bytes written total at most H" in text
    assert "W(memory) = 1.0 GB/s" in text
    assert "u_i = (memory_i + overhead_i) / (max(compute_i, memory_i) + overhead_i)" in text
    everything = p.model_copy(update={"forward": fwd.model_copy(update={"in_network_share": "all"})})
    text_all = render_profile(everything, "markdown")
    assert isinstance(text_all, str) and "u_i = 1;" in text_all and "max(compute_i" not in text_all
    older = render_profile(make_profile(), "markdown")
    assert isinstance(older, str) and "0 in a network of at most H weight bytes" in older
    assert "passes fused layers" not in older and "W(memory)" not in older
