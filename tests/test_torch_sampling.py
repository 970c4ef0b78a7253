"""The ``channel_pow2`` feature worked by hand; calibration's synthetic kernels cover the shapes
built-in networks run (checked against the networks' own layers, counted by hand); and a kernel
timed over and over by TorchBench does not page-fault (glibc's thresholds fixed, counted in page
faults). No test asserts on a measured time."""

from __future__ import annotations

import random
import resource

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.count.closed_form import layer_costs
from archcalc.count.kernels import FEATURES, group_kernels, kernel_features
from archcalc.measure.benches import TorchBench
from archcalc.measure.calibrate import learned_features
from archcalc.measure.kernel_samples import MAX_MACS, build, draw
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import PRIMITIVES, Conv2d, Linear


@pytest.mark.parametrize(
    ("cin", "cout", "groups", "expected"),
    [
        (256, 256, 1, 6),  # 2⁸ | 256: capped at 2⁶
        (264, 264, 1, 3),  # 264 = 8·33
        (96, 256, 2, 4),  # AlexNet's conv2: 48 → 128 per group, 48 = 16·3
        (3, 64, 1, 0),  # a stem on RGB
        (384, 200, 1, 3),  # 200 = 8·25
        (264, 264, 8, 0),  # 33 → 33 per group
        (256, 256, 8, 5),  # 32 → 32 per group
        (48, 48, 48, 0),  # depthwise: 1 → 1 per group
    ],
)
def test_channel_pow2_by_hand(cin: int, cout: int, groups: int, expected: int) -> None:
    b = GraphBuilder((cin, 8, 8))
    b.op("x", Conv2d, in_channels=cin, out_channels=cout, kernel=(3, 3), padding=(1, 1), groups=groups)
    (k,) = group_kernels(layer_costs(b.graph), "torch", 0)
    assert dict(zip(FEATURES, kernel_features(k, 1, 1e-3, 1e-3, 1), strict=True))["channel_pow2"] == expected


def test_channel_pow2_of_a_linear_layer_and_which_backend_reads_it() -> None:
    """9216 = 2¹⁰·9 inputs, 4096 = 2¹² outputs (AlexNet's fc6): 6. Only torch's trees read it; on
    onnxruntime the features are the 17 they were (``nchwc`` included)."""
    b = GraphBuilder((9216,))
    b.op("fc", Linear, in_features=9216, out_features=4096)
    (k,) = group_kernels(layer_costs(b.graph), "torch", 0)
    assert dict(zip(FEATURES, kernel_features(k, 1, 1e-3, 1e-3, 1), strict=True))["channel_pow2"] == 6
    assert "channel_pow2" in learned_features("torch") and "nchwc" not in learned_features("torch")
    ort = learned_features("onnxruntime")
    assert "channel_pow2" not in ort and "nchwc" in ort
    assert len(learned_features("onnxruntime")) == 17


def _draws(kind: str, backend: str, n: int = 400) -> list[dict]:
    rng = random.Random(f"test:{kind}:{backend}")
    return [draw(kind, rng, backend) for _ in range(n)]


def test_torch_grouped_draws_cover_alexnet_two_gpu_convolutions() -> None:
    """AlexNet (2012)'s conv2 is 96 → 256 channels in 2 groups with a 5×5 window at 27×27
    (27²·256·5²·48 = 223,948,800 MACs, under the 2·10⁹ cap); conv5 384 → 256 in 2 groups, 3×3.
    torch's grouped draws have other output than input channels, 5×5 windows and stride 2, and
    every configuration they build is a valid torch convolution (groups divide both channel counts)."""
    assert 27 * 27 * 256 * 5 * 5 * (96 // 2) == 223_948_800 < MAX_MACS
    cfgs = _draws("grouped", "torch")
    assert any(c["cout"] != c["c"] for c in cfgs)
    assert {c["k"] for c in cfgs} == {1, 3, 5}
    assert {c["stride"] for c in cfgs} == {1, 2}
    assert any(c["g"] == 2 and c["cout"] > c["c"] for c in cfgs)  # widening, as conv2 96 → 256
    built = 0
    for c in cfgs[:60]:
        got = build(c)
        if got is None:
            continue
        graph, names = got
        conv = next(n for n in graph if n.name == names[0]).op.torch_module()
        assert conv.in_channels % conv.groups == 0 and conv.out_channels % conv.groups == 0
        assert conv.out_channels == c["cout"] and conv.groups == c["g"]
        built += 1
    assert built > 30


def test_torch_draws_reach_the_small_maps_of_160_px_networks() -> None:
    """A 160 px network that halves its map five times ends on 160 / 2⁵ = 5 × 5 (MobileNetV4-Conv-L's
    last stage, 1×1 convolutions of 512 ↔ 2048 channels there); torch's pointwise draws reach it."""
    assert 160 // 2**5 == 5
    sides = [c["side"] for c in _draws("pointwise", "torch")]
    assert min(sides) == 3 and any(s == 5 for s in sides)
    assert max(sides) <= 224


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_network_like_draws_cover_vgg16_convolutions(backend: str) -> None:
    """VGG-16's 3×3 stride-1 convolutions have channels that are multiples of 32 (64 … 512 at
    α = 1, 32 … 256 at α = 0.5) on 14 … 224 px maps, channels × side from 3,584 (32·112 … 256·14)
    to 14,336 (64·224, 128·112, 256·56, 512·28). Side and channels drawn apart (main before the
    network-like draws), 1 of 400 dense draws on torch and none on onnxruntime had that shape, and
    25 of 400 on torch had over 1024 channels; now 14–16 do, and none has."""
    assert 32 * 112 == 256 * 14 == 3584 and 64 * 224 == 512 * 28 == 14_336
    cfgs = _draws("dense", backend)
    near = [
        c
        for c in cfgs
        if c["k"] == 3
        and c["stride"] == 1
        and c["c"] % 32 == 0
        and c["cout"] % 32 == 0
        and c["side"] >= 14
        and 3_500 <= c["c"] * c["side"] <= 16_384
    ]
    assert len(near) >= 10
    assert max(max(c["c"], c["cout"]) for c in cfgs) <= 1024


def test_onnxruntime_grouped_draws() -> None:
    """onnxruntime's grouped convolutions are 1×1 or 3×3 at stride 1 (no ``stride`` drawn), their
    channels divisible by the groups in and out, so every one builds as a valid convolution."""
    cfgs = _draws("grouped", "onnxruntime")
    for c in cfgs:
        assert "stride" not in c and c["k"] in (1, 3)
        assert c["c"] % c["g"] == 0 and c.get("cout", c["c"]) % c["g"] == 0


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def test_a_kernel_timed_over_and_over_does_not_fault_its_output_in_each_call() -> None:
    """A 64-channel 56×56 depthwise convolution writes 64·56²·4 = 802,816 B per call, 196 pages of
    4 KiB. Were its output a fresh mapping every call (glibc's mmap threshold below its size), each
    call would fault at least those 196 pages; once TorchBench has fixed glibc's thresholds
    (:mod:`archcalc.measure.heap`), glibc serves the output from the heap it keeps, and 100 calls
    fault on average fewer than 50 pages each."""
    assert 64 * 56 * 56 * 4 == 802_816 and -(-802_816 // 4096) == 196
    TorchBench(1, False)
    with torch.inference_mode():
        x = torch.randn(1, 64, 56, 56)
        conv = torch.nn.Conv2d(64, 64, 3, 1, 1, groups=64, bias=False).eval()
        for _ in range(5):
            conv(x)
        before = _faults()
        for _ in range(100):
            conv(x)
        per_call = (_faults() - before) / 100
    assert per_call < 50


def test_torch_times_the_samples_layer_not_its_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A convolution sample ends in a sink that reads its output (for onnxruntime's sake): torch
    times the sample's layer (its 48×28×28 output), not the sink's global pool after it."""
    bench = TorchBench(1, True)
    shapes: list[tuple[int, ...]] = []
    monkeypatch.setattr(bench, "_time", lambda fn, budget=None: shapes.append(tuple(fn().shape)) or 1.0)
    built = build({"kind": "pointwise", "side": 28, "c": 16, "cout": 48, "tail": "bn+act", "fn": "relu"})
    assert built is not None
    graph, names = built
    assert graph.output.name == "sink" and names == ["conv", "bn", "act"]
    (k, *_) = group_kernels(layer_costs(graph), "torch")
    assert bench.kernel(graph, [x.name for x in k.layers]) == 1.0 and shapes == [(1, 48, 28, 28)]
    assert bench.kernel(graph, ["act"]) == 1.0 and shapes[-1] == (1, 48, 28, 28)


@settings(max_examples=300, deadline=None)
@given(
    cin=st.integers(1, 96),
    cout=st.integers(1, 96),
    groups=st.sampled_from([1, 1, 2, 3, 4, "dw"]),
    kernel=st.sampled_from([(1, 1), (3, 3), (5, 5), (1, 7), (7, 1), (4, 4), (11, 11)]),
    stride=st.sampled_from([1, 1, 2]),
    dilation=st.sampled_from([1, 1, 2]),
    side=st.integers(1, 40),
    batch=st.sampled_from([1, 1, 2, 16]),
    threads=st.sampled_from([1, 2]),
)
def test_torch_native_is_what_torch_selects(
    cin: int,
    cout: int,
    groups: int | str,
    kernel: tuple[int, int],
    stride: int,
    dilation: int,
    side: int,
    batch: int,
    threads: int,
) -> None:
    """``Conv2d.row_torch_native`` (the ``torch_native`` feature) against the backend torch itself
    selects for the same fp32 convolution (``torch._C._select_conv_backend``): ATen's own kernel
    (``Slow2d``, or the dilated one) where it says native, oneDNN (``Mkldnn``) where it does not."""
    g = cin if groups == "dw" else int(groups)
    if groups == "dw":
        cout = cin
    if cin % g or cout % g:
        cin, cout = g * max(1, cin // g), g * max(1, cout // g)
    pad = (dilation * (kernel[0] - 1) // 2, dilation * (kernel[1] - 1) // 2)
    reach = [dilation * (k - 1) + 1 for k in kernel]
    if any(side + 2 * p < r for p, r in zip(pad, reach, strict=True)):
        return  # a window wider than the padded map
    b = GraphBuilder((cin, side, side))
    b.op(
        "x",
        Conv2d,
        in_channels=cin,
        out_channels=cout,
        kernel=kernel,
        stride=(stride, stride),
        padding=pad,
        dilation=(dilation, dilation),
        groups=g,
    )
    (layer,) = layer_costs(b.graph)
    native = PRIMITIVES[layer.kind].row_torch_native(layer, batch, threads)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        chosen = torch._C._select_conv_backend(
            torch.empty(batch, cin, side, side),
            torch.empty(cout, cin // g, *kernel),
            None,
            [stride, stride],
            list(pad),
            [dilation, dilation],
            False,
            [0, 0],
            g,
            None,
        )
    finally:
        torch.set_num_threads(before)
    assert chosen.name in ("Slow2d", "SlowDilated2d", "Mkldnn")
    assert native == (chosen.name != "Mkldnn")


def test_torch_native_feature_of_alexnets_small_maps() -> None:
    """AlexNet at α = 0.5 on 160 px runs conv3 on 96 channels of 9×9 (96·81 = 7,776 input elements,
    under ATen's 20,480): torch's own im2col + GEMM, not oneDNN; at α = 1 on 224 px conv3 reads
    192·13² = 32,448 elements: oneDNN. Only torch's trees read the feature."""
    from archcalc.model.resolve import resolve
    from archcalc.spec.catalog import load_spec

    assert 96 * 9 * 9 == 7_776 < 20_480 < 192 * 13 * 13 == 32_448
    for alpha, res, expected in ((0.5, 160, 1.0), (1.0, 224, 0.0)):
        ks = group_kernels(layer_costs(resolve(load_spec("alexnet"), alpha, res).graph), "torch", 0)
        (k,) = [k for k in ks if k.name == "conv3.conv"]
        assert (
            dict(zip(FEATURES, kernel_features(k, 1, 1e-3, 1e-3, 1), strict=True))["torch_native"] == expected
        )
    assert "torch_native" in learned_features("torch") and "torch_native" not in learned_features(
        "onnxruntime"
    )


def test_torch_max_pool_samples_pool_smoothed_activations() -> None:
    """torch's max-pooling samples pool what two depthwise 3×3 convolutions with ReLUs made of the
    random input (``MAXPOOL_SMOOTHING``), and only the pool is the timed kernel; onnxruntime's pool
    the input itself, drawn as before (the same keys; the same windows and strides from the same
    generator as torch's)."""
    from archcalc.measure.kernel_samples import MAXPOOL_SMOOTHING

    assert MAXPOOL_SMOOTHING == 2
    torch_cfgs = _draws("maxpool", "torch", 50)
    assert all(c["smooth"] == 2 and c["k"] in (2, 3) and c["stride"] in (1, 2) for c in torch_cfgs)
    rng = random.Random("test:maxpool:torch")
    ort_like = [draw("maxpool", rng, "onnxruntime") for _ in range(50)]
    assert all("smooth" not in c for c in ort_like)
    assert [(c["k"], c["stride"]) for c in ort_like] == [(c["k"], c["stride"]) for c in torch_cfgs]
    assert {frozenset(c) for c in ort_like} == {frozenset(("kind", "side", "c", "k", "stride"))}
    graph, names = build({"kind": "maxpool", "side": 10, "c": 480, "k": 3, "stride": 1, "smooth": 2})
    assert [(n.name, n.kind) for n in graph] == [
        ("s0.conv", "conv2d"),
        ("s0.act", "activation"),
        ("s1.conv", "conv2d"),
        ("s1.act", "activation"),
        ("x", "pool2d"),
    ]
    assert names == ["x"] and next(n for n in graph if n.name == "s0.conv").op.groups == 480
    (k,) = [k for k in group_kernels(layer_costs(graph), "torch", 0) if k.name == "x"]
    assert [x.name for x in k.layers] == ["x"]
