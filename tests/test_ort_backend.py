"""The onnxruntime backend and kernel fusion: which layers run as one kernel (checked against the
kernels onnxruntime's own profiler reports), a fused kernel's bytes by hand, learned trees against
scikit-learn, profiles bound to their backend, and `time` / `calibrate --backend onnxruntime`.
No test asserts on a measured time."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from test_latency import make_profile

from archcalc.count.closed_form import layer_costs, report
from archcalc.count.kernels import group_kernels
from archcalc.count.latency import kernel_bytes, kernel_seconds, load_profile, predict, save_profile
from archcalc.count.learned import KernelPredictor, Tree
from archcalc.errors import ArchcalcError
from archcalc.measure import ort_run
from archcalc.model.graph import INPUT, GraphBuilder
from archcalc.model.ops import (
    Activation,
    AdaptivePool2d,
    Add,
    BatchNorm2d,
    ChannelShuffle,
    Concat,
    Conv2d,
    Flatten,
    Linear,
    Mul,
    Parameter,
    Pool2d,
    Slice,
)
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "config"
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(d))
    return d


def conv(
    b: GraphBuilder, name: str, cin: int, cout: int, k: int = 1, s: int = 1, g: int = 1, src=None
) -> str:
    return b.op(
        name,
        Conv2d,
        in_channels=cin,
        out_channels=cout,
        kernel=(k, k),
        stride=(s, s),
        padding=(k // 2, k // 2),
        groups=g,
        inputs=None if src is None else [src],
    )


def small_model():
    """Every pattern onnxruntime's CPU provider fuses, and some it does not."""
    b = GraphBuilder((3, 32, 32))
    (
        conv(b, "stem", 3, 16, 3, 2),
        b.op("stem_bn", BatchNorm2d, channels=16),
        b.op("stem_act", Activation, fn="relu"),
    )
    (
        conv(b, "dw", 16, 16, 3, 1, 16),
        b.op("dw_bn", BatchNorm2d, channels=16),
        b.op("dw_act", Activation, fn="relu6"),
    )
    conv(b, "pw", 16, 16), b.op("pw_bn", BatchNorm2d, channels=16)
    b.op("res", Add, inputs=["pw_bn", "stem_act"])
    conv(b, "ex", 16, 32), b.op("ex_bn", BatchNorm2d, channels=32), b.op("ex_act", Activation, fn="hswish")
    b.op("se_pool", AdaptivePool2d, op="avg", output=1)
    conv(b, "se_fc1", 32, 8), b.op("se_relu", Activation, fn="relu")
    conv(b, "se_fc2", 8, 32), b.op("se_gate", Activation, fn="hsigmoid")
    b.op("se_mul", Mul, inputs=["ex_act", "se_gate"])
    b.op("sw", Activation, fn="swish")
    b.op("bn_alone", BatchNorm2d, channels=32)
    b.op("mp", Pool2d, op="max", kernel=3, stride=2, padding=1)
    (
        conv(b, "gc", 32, 32, 1, 1, 4),
        b.op("gc_bn", BatchNorm2d, channels=32),
        b.op("gc_act", Activation, fn="relu"),
    )
    b.op("cat", Concat, inputs=["mp", "gc_act"])
    b.op("shuf", ChannelShuffle, groups=2)
    b.op("left", Slice, start=0, stop=32, inputs=["shuf"])
    b.op("right", Slice, start=32, stop=64, inputs=["shuf"])
    b.op("sum", Add, inputs=["left", "right"])
    b.op("gp", AdaptivePool2d, op="avg", output=1)
    b.op("flat", Flatten)
    b.op("fc1", Linear, in_features=32, out_features=64), b.op("fc1_act", Activation, fn="relu")
    b.op("fc2", Linear, in_features=64, out_features=10)
    return b.graph


EXPECTED = [
    # ConvBNFusion + ConvActivationFusion (Relu, Clip, HardSigmoid; HardSwish in the NCHWc conv);
    # a residual Add into the conv writing its first input; sibling Slices into one Split;
    # Gemm + Relu (FusedGemm). Swish runs as QuickGelu; a batch norm after no conv stays alone.
    ["stem", "stem_bn", "stem_act"],
    ["dw", "dw_bn", "dw_act"],
    ["pw", "pw_bn", "res"],
    ["ex", "ex_bn", "ex_act"],
    ["se_pool"],
    ["se_fc1", "se_relu"],
    ["se_fc2", "se_gate"],
    ["se_mul"],
    ["sw"],
    ["bn_alone"],
    ["mp"],
    ["gc", "gc_bn", "gc_act"],
    ["cat"],
    ["shuf"],
    ["left", "right"],
    ["sum"],
    ["gp"],
    ["flat"],
    ["fc1", "fc1_act"],
    ["fc2"],
]


def test_fusion_grouping_by_hand() -> None:
    g = small_model()
    assert [[x.name for x in k.layers] for k in group_kernels(layer_costs(g), "onnxruntime")] == EXPECTED
    assert [[x.name for x in k.layers] for k in group_kernels(layer_costs(g), "torch")] == [
        [n.name] for n in g
    ]


def test_fusion_grouping_matches_onnxruntimes_profiler() -> None:
    """Every kernel onnxruntime's profiler reports (layout reorders aside) belongs to one predicted
    kernel; every predicted kernel of several layers is exactly one onnxruntime kernel, and every
    predicted kernel has at least one."""
    g = small_model()
    runs = ort_run.profile_kernels(g, threads=1, warmup=1, repeats=2)
    owners = ort_run.attribute(runs, [n.name for n in g])
    group = {name: i for i, names in enumerate(EXPECTED) for name in names}
    hits: dict[int, list[str]] = {}
    for k, owner in zip(runs, owners, strict=True):
        if k.op_type in ort_run.LAYOUT_OPS:
            continue
        assert owner is not None, f"onnxruntime kernel {k.name} ({k.op_type}) belongs to no layer"
        hits.setdefault(group[owner], []).append(f"{k.name}:{k.op_type}")
        assert len(k.seconds) == 2
    for i, names in enumerate(EXPECTED):
        assert hits.get(i), f"no onnxruntime kernel ran {names}"
        if len(names) > 1:
            assert len(hits[i]) == 1, f"{names} ran as {hits[i]}"
    # the channel shuffle is three ONNX nodes (Reshape, Transpose, Reshape), each its own kernel
    assert len(hits[EXPECTED.index(["shuf"])]) == 3


def onnxruntime_layout(graph) -> tuple[set[tuple[str, str]], set[str]]:
    """From the graph onnxruntime optimised for ``graph`` (not from archcalc's rules): its layout
    reorders as ("in", tensor read) / ("out", tensor written), and the layers whose kernel runs on
    blocked NCHWc tensors (a node of the NCHWc domain, or one reading a blocked tensor)."""
    from archcalc.export.onnx_model import to_onnx

    model = ort_run.optimized_graph(to_onnx(graph).SerializeToString())
    reorders: set[tuple[str, str]] = set()
    blocked_tensors: set[str] = set()
    blocked_nodes = []
    for n in model.graph.node:
        if n.op_type == "ReorderInput":
            reorders.add(("in", n.input[0]))
            blocked_tensors.update(n.output)
        elif n.op_type == "ReorderOutput":
            reorders.add(("out", n.output[0]))
        elif n.domain == ort_run.NCHWC_DOMAIN or any(i in blocked_tensors for i in n.input):
            blocked_tensors.update(n.output)
            blocked_nodes.append(ort_run.KernelRun(n.name, n.op_type, list(n.input), list(n.output), []))
    owners = ort_run.attribute(blocked_nodes, [x.name for x in graph])
    return reorders, {o for o in owners if o is not None}


LAYOUT_NETS = [
    ("shufflenet_v2_x1_0", 1.0, 64),  # 58-channel depthwise convs run unblocked; split, concat, shuffle
    ("xception", 0.5, 96),  # residual adds next to an unblocked max pool stay out of the conv
    ("efficientnet_b0", 0.5, 64),  # swish on blocked tensors, a squeeze-and-excite gate
    ("mobilenet_v3_large", 1.0, 64),  # h-swish, ReLU6 (unblocked Clip), an 8-channel SE squeeze
    ("resnet50", 0.5, 64),  # residual adds fused, max pool blocked
    ("shufflenet_v1", 0.5, 64),  # unblocked grouped convs that take the residual add (FusedConv)
]


@pytest.mark.parametrize("net", ["small", *LAYOUT_NETS], ids=lambda n: n if isinstance(n, str) else n[0])
def test_layout_matches_onnxruntimes_optimised_graph(net) -> None:
    """Which kernels run blocked and which layout reorders onnxruntime inserts, predicted from the
    op classes' NCHWc facts with the block size probed from onnxruntime, equal the ones in the graph
    onnxruntime 1.32 optimises (every reorder, by tensor and direction, and every blocked kernel)."""
    g = small_model() if net == "small" else resolve(load_spec(net[0]), net[1], net[2]).graph
    block = ort_run.nchwc_block()
    kernels = group_kernels(layer_costs(g), "onnxruntime", block)
    predicted = {("in" if r.into_blocked else "out", r.tensor) for k in kernels for r in k.reorders}
    reorders, blocked_layers = onnxruntime_layout(g)
    assert predicted == reorders
    kernel_of = {x.name: k for k in kernels for x in k.layers}
    assert {kernel_of[x].name for x in blocked_layers} == {k.name for k in kernels if k.blocked}
    if net == "small":
        assert len(reorders) >= 5 and 0 < sum(k.blocked for k in kernels) < len(kernels)


def nodes_by_kernel(g, kernels) -> dict[int, list[str]]:
    """The op types of the nodes of the graph onnxruntime optimises (reorders aside), by the
    predicted kernel (index into ``kernels``) of the layer each is attributed to; every node must
    belong to a predicted kernel."""
    from archcalc.export.onnx_model import to_onnx

    model = ort_run.optimized_graph(to_onnx(g).SerializeToString())
    nodes = [
        ort_run.KernelRun(n.name, n.op_type, list(n.input), list(n.output), [])
        for n in model.graph.node
        if n.op_type not in ort_run.LAYOUT_OPS
    ]
    kernel_of = {x.name: i for i, k in enumerate(kernels) for x in k.layers}
    hits: dict[int, list[str]] = {}
    for n, owner in zip(nodes, ort_run.attribute(nodes, [x.name for x in g]), strict=True):
        assert owner in kernel_of, f"onnxruntime node {n.name} ({n.op_type}) belongs to no predicted kernel"
        hits.setdefault(kernel_of[owner], []).append(n.op_type)
    return hits


@pytest.mark.parametrize("net", LAYOUT_NETS, ids=lambda n: n[0])
def test_grouping_with_layout_matches_onnxruntimes_optimised_graph(net) -> None:
    """With the layout, every node of the graph onnxruntime optimises (reorders aside) belongs to a
    predicted kernel, every predicted kernel has a node, and every kernel of several layers is
    exactly one node (Xception's adds next to an unblocked pool are their own)."""
    g = resolve(load_spec(net[0]), net[1], net[2]).graph
    kernels = group_kernels(layer_costs(g), "onnxruntime", ort_run.nchwc_block())
    hits = nodes_by_kernel(g, kernels)
    for i, k in enumerate(kernels):
        assert hits.get(i), f"no onnxruntime node runs {[x.name for x in k.layers]}"
        if len(k.layers) > 1:
            assert len(hits[i]) == 1, f"{[x.name for x in k.layers]} ran as {hits[i]}"


def layer_scale_model():
    """MobileNetV4-hybrid's layer scale (conv, BN, a product by C learnt scales γ, residual add) and a
    squeeze-and-excite product (a gate computed from the data), on 16 and 12 channels (blocked and
    not)."""
    b = GraphBuilder((16, 12, 12))
    conv(b, "pre", 16, 16)
    conv(b, "pw", 16, 16), b.op("pw_bn", BatchNorm2d, channels=16)
    b.op("gamma", Parameter, (16, 1, 1))
    b.op("ls", Mul, inputs=["pw_bn", "gamma"])
    b.op("res", Add, inputs=["ls", "pre"])
    conv(b, "ex", 16, 16), b.op("ex_act", Activation, fn="relu")
    b.op("se_pool", AdaptivePool2d, op="avg", output=1)
    conv(b, "se_fc", 16, 16), b.op("se_gate", Activation, fn="sigmoid")
    b.op("se_mul", Mul, inputs=["ex_act", "se_gate"])
    conv(b, "odd", 16, 12), b.op("odd_bn", BatchNorm2d, channels=12)
    b.op("gamma2", Parameter, (12, 1, 1))
    b.op("ls2", Mul, inputs=["odd_bn", "gamma2"])
    return b.graph


def test_layer_scale_folds_into_the_conv_as_onnxruntime_does() -> None:
    """onnxruntime folds a product by a constant per-channel γ into the convolution before it (after
    its folded batch norm; the residual add then joins too) and constant-folds γ itself; not a
    squeeze-and-excite gate. Checked against the graph onnxruntime optimises: every node belongs to
    one predicted kernel, every fused kernel is one node, and only the gate's product is a Mul."""
    g = layer_scale_model()
    kernels = group_kernels(layer_costs(g), "onnxruntime", ort_run.nchwc_block())
    names = [[x.name for x in k.layers] for k in kernels]
    assert ["pw", "pw_bn", "ls", "res"] in names and ["odd", "odd_bn", "ls2"] in names
    assert ["se_mul"] in names
    assert not any(n in {"gamma", "gamma2"} for k in names for n in k)
    hits = nodes_by_kernel(g, kernels)
    assert sorted(hits) == list(range(len(kernels)))
    assert all(len(hits[i]) == 1 for i, k in enumerate(kernels) if len(k.layers) > 1), hits
    assert sum(op == "Mul" for ops in hits.values() for op in ops) == 1  # se_mul


def test_blocked_macs_are_onnxruntimes_padded_weights() -> None:
    """A blocked convolution computes its channels padded to the NCHWc block: the MACs priced
    (``Kernel.priced_macs``) equal output side² × the weights of the convolution onnxruntime runs,
    read off its optimised graph (the NCHWc conv's weight initializer, padded by onnxruntime), for
    a stem with 3 input channels (unpadded), 1×1 and 3×3 convs of 24, 40, 68 and 100 channels, a
    depthwise conv of 68 and a grouped conv of multiples of the block."""
    from archcalc.export.onnx_model import to_onnx

    block = ort_run.nchwc_block()
    b = GraphBuilder((3, 20, 20))
    conv(b, "stem", 3, 24, 3, 2)
    conv(b, "pw", 24, 68)
    conv(b, "dw", 68, 68, 3, 1, 68)
    conv(b, "dense", 68, 40, 3)
    conv(b, "pw2", 40, 100)
    conv(b, "pw3", 100, 4 * block)
    conv(b, "gc", 4 * block, 4 * block, 1, 1, 2)
    g = b.graph
    kernels = {k.name: k for k in group_kernels(layer_costs(g), "onnxruntime", block)}
    model = ort_run.optimized_graph(to_onnx(g).SerializeToString())
    dims = {i.name: list(i.dims) for i in model.graph.initializer}
    checked = 0
    for n in model.graph.node:
        if n.domain != ort_run.NCHWC_DOMAIN or n.op_type != "Conv":
            continue
        name = n.name.removesuffix("_nchwc")
        k = kernels[name]
        assert k.blocked and k.block == block
        side = k.head.output_shape[1] * k.head.output_shape[2]
        assert k.priced_macs == pytest.approx(math.prod(dims[n.input[1]]) * side, rel=1e-12), name
        checked += 1
    assert checked == 7
    if block == 16:  # by hand: 68 → 80 padded channels, 24 → 32, 100 → 112
        assert kernels["pw"].priced_macs == pytest.approx(80 * 32 * 100)
        assert kernels["dw"].priced_macs == pytest.approx(80 * 9 * 100)
        assert kernels["stem"].priced_macs == pytest.approx(kernels["stem"].head.macs * 32 / 24)
        assert kernels["gc"].priced_macs == kernels["gc"].head.macs


def test_profiling_sessions_leave_no_folder_behind() -> None:
    """Every profiling session of a process writes into one temporary folder, and each profile file
    is removed once read: calibration runs hundreds of sessions, and a folder per session left 906
    empty ``archcalc-ort-*`` folders in /tmp after a day's work."""
    import glob
    import os
    import tempfile

    from archcalc.measure.benches import OrtBench

    model, shape = OrtBench(1, True)._chain(2, 16)
    feed = {"x": np.zeros(shape, np.float32)}
    ort_run.profile_session(ort_run.profiling_session(model, 1), feed, 1, 1)  # the folder exists
    before = set(glob.glob(f"{tempfile.gettempdir()}/archcalc-ort-*"))
    for _ in range(3):
        ort_run.profile_session(ort_run.profiling_session(model, 1), feed, 1, 1)
    assert set(glob.glob(f"{tempfile.gettempdir()}/archcalc-ort-*")) <= before
    assert os.listdir(ort_run.profile_folder().name) == []


def test_conv_chain_for_the_profiler_bias_runs_as_fused_convs() -> None:
    """The chain :meth:`OrtBench.profiler_bias` times to measure the profiler's bias on a
    convolution: onnxruntime's profiler reports it as 64 convolution kernels (each with its ReLU
    fused) and, on a blocked layout, the two reorders at its ends; the trivial chain as 64 kernels."""
    from archcalc.measure.benches import OrtBench

    bench = OrtBench(1, True)
    for conv_chain, size in ((True, 2), (False, 256)):
        model, shape = bench._chain(64, size, conv_chain)
        feed = {"x": np.zeros(shape, np.float32)}
        runs = ort_run.profile_session(ort_run.profiling_session(model, 1), feed, 1, 2)
        with_ops = ort_run.optimized_graph(model).graph.node
        ops = [n.op_type for n in with_ops]
        if conv_chain:
            assert sum(op in ort_run.CONV_OPS for op in ops) == 64
            assert set(ops) <= ort_run.CONV_OPS | ort_run.LAYOUT_OPS
            assert len(runs[0]) == len(ops) == 64 + (2 if ort_run.nchwc_block() else 0)
        else:
            assert len(runs[0]) == len(ops) == 64 and not set(ops) & ort_run.CONV_OPS


def test_fused_kernel_bytes_by_hand() -> None:
    """1×1 conv 16 → 32 on 16×8×8, batch norm, ReLU as one kernel: reads the input once
    (16·64·4 = 4096 B), the conv weights (16·32·4 = 2048 B) and γ, β, μ, σ² (4·32·4 = 512 B), and
    writes the output once (32·64·4 = 8192 B): 14848 B, not the 14336 + 16896 + 16384 of three calls."""
    b = GraphBuilder((16, 8, 8))
    conv(b, "pw", 16, 32)
    b.op("bn", BatchNorm2d, channels=32)
    b.op("act", Activation, fn="relu")
    (k,) = group_kernels(layer_costs(b.graph), "onnxruntime")
    assert kernel_bytes(k) == 4096 + 2048 + 512 + 8192
    assert kernel_bytes(k, batch=3) == 3 * (4096 + 8192) + 2048 + 512
    torch_bytes = [kernel_bytes(x) for x in group_kernels(layer_costs(b.graph), "torch")]
    assert torch_bytes == [14336, 8192 + 8192 + 512, 8192 + 8192]
    # roofline of the head's kind: max(32768 MACs / 1e10, 14848 B / (0.5 · 1e9 B/s)) + 1 µs
    p = make_profile("hand", mac_rate=1e10, eff=0.5, overhead=1e-6)
    assert kernel_seconds(k, p) == pytest.approx(14848 / 0.5e9 + 1e-6)


def test_residual_add_reads_both_inputs_once() -> None:
    """conv 8 → 8 (1×1) + add of the block input: the add's other input is the conv's own input,
    read once: 8·16·4 = 512 B; weights 8·8·4 = 256 B; writes 512 B."""
    b = GraphBuilder((8, 4, 4))
    conv(b, "c", 8, 8)
    b.op("a", Add, inputs=["c", INPUT])
    (k,) = group_kernels(layer_costs(b.graph), "onnxruntime")
    assert [x.name for x in k.layers] == ["c", "a"] and kernel_bytes(k) == 512 + 256 + 512


def test_learned_trees_predict_as_scikit_learn() -> None:
    from sklearn.ensemble import GradientBoostingRegressor

    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32).astype(float)
    y = np.sin(3 * x[:, 0]) + x[:, 1] * x[:, 2]
    g = GradientBoostingRegressor(n_estimators=40, max_depth=3, learning_rate=0.1, random_state=0).fit(x, y)
    kp = KernelPredictor(
        features=["a", "b", "c", "d"],
        init=float(np.ravel(g.init_.predict(x[:1]))[0]),
        learning_rate=0.1,
        trees=[
            Tree(
                feature=[max(int(f), 0) for f in e.tree_.feature],
                threshold=e.tree_.threshold.tolist(),
                left=e.tree_.children_left.tolist(),
                right=e.tree_.children_right.tolist(),
                value=e.tree_.value[:, 0, 0].tolist(),
            )
            for e in g.estimators_[:, 0]
        ],
        samples=200,
    )
    test = rng.standard_normal((300, 4))
    assert [kp.residual(list(r)) for r in test] == pytest.approx(g.predict(test).tolist(), abs=1e-12)


def test_profile_refuses_another_backend(cli) -> None:
    rep = report(resolve(load_spec("mobilenet_v1"), 0.25, 64))
    torch_profile = make_profile("hand")
    with pytest.raises(ArchcalcError, match=r"measured on torch.*--backend onnxruntime"):
        predict(rep, torch_profile, backend="onnxruntime")
    ort_profile = torch_profile.model_copy(update={"name": "ort", "backend": "onnxruntime"})
    with pytest.raises(ArchcalcError, match=r"measured on onnxruntime.*--backend torch"):
        predict(rep, ort_profile, backend="torch")
    save_profile(torch_profile)
    save_profile(ort_profile)
    tiny = ["mobilenet_v1", "--alpha", "0.25", "--res", "32", "--repeats", "1", "--threads", "1"]
    r = cli("time", *tiny, "--backend", "onnxruntime", "--profile", "hand")
    assert r.code == 2 and "measured on torch" in r.err and len(r.err.strip().splitlines()) == 1
    r = cli("time", *tiny, "--profile", "ort")
    assert r.code == 2 and "measured on onnxruntime" in r.err
    r = cli("time", *tiny, "--backend", "tensorflow")
    assert r.code == 2 and "--backend" in r.err


def test_prediction_groups_kernels_by_the_profiles_backend() -> None:
    rep = report(resolve(load_spec("mobilenet_v2"), 0.5, 96))
    p = make_profile("hand").model_copy(update={"backend": "onnxruntime"})
    pred = predict(rep, p)
    assert pred.backend == "onnxruntime" and pred.kernels == 55  # 52 conv kernels, pool, flatten, fc
    rows = {r.name: r for r in pred.layers}
    assert rows["bottleneck2.1.project.bn"].kernel == "bottleneck2.1.project.conv"
    assert rows["bottleneck2.1.add"].seconds == 0.0 and rows["bottleneck2.1.project.conv"].seconds > 0
    assert [r.name for r in pred.layers] == [x.name for x in rep.layers]
    assert predict(rep, make_profile("hand")).kernels == len(rep.layers)


def test_time_onnxruntime_json(cli) -> None:
    save_profile(make_profile("default-onnxruntime").model_copy(update={"backend": "onnxruntime"}))
    r = cli(
        "time", "mobilenet_v2", "--alpha", "0.35", "--res", "64", "--backend", "onnxruntime",
        "--repeats", "3", "--warmup", "1", "--threads", "1", "--batch", "2", "--format", "json",
    )  # fmt: skip
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["backend"] == "onnxruntime" and "onnxruntime" in d["versions"]
    m, p = d["measured"], d["predicted"]
    assert m["forward"]["repeats"] == 3 and m["forward"]["median_ms"] > 0
    assert p["backend"] == "onnxruntime" and p["total_ms"] > 0 and p["profile"] == "default-onnxruntime"
    rows = {x["name"]: x for x in m["layers"]}
    assert rows["conv1.bn"]["kernel"] == "conv1.conv" and rows["conv1.bn"]["median_ms"] == 0
    assert rows["conv1.conv"]["median_ms"] > 0 and m["kernels"] == 55
    assert m["sum_of_layers_ms"] == pytest.approx(sum(x["median_ms"] for x in m["layers"]))
    r = cli("time", "mobilenet_v2", "--alpha", "0.35", "--res", "64", "--backend", "onnxruntime",
            "--repeats", "2", "--threads", "1", "--format", "csv")  # fmt: skip
    assert r.code == 0 and r.out.splitlines()[0].startswith("name,kernel,op,")
    assert any(line.startswith("layout reorders,") for line in r.out.splitlines())


def test_calibrate_quick_onnxruntime_profile(cli, config_dir: Path) -> None:
    import onnxruntime

    r = cli("calibrate", "--quick", "--backend", "onnxruntime", "--threads", "1", "--format", "json")
    assert r.code == 0, r.err
    p = load_profile("default-onnxruntime")
    assert p is not None and p.backend == "onnxruntime" and p.threads == 1 and p.quick and p.cpu
    assert p.versions["onnxruntime"] == onnxruntime.__version__ and "scikit-learn" in p.versions
    # what --quick trades: the roofline scale is held at 1, only the per-kernel glue g is fitted
    assert p.forward.scale == 1.0 and p.forward.networks == 6
    assert all(m.samples >= 8 for m in p.kinds.values())
    # the passes its fused activations make, by layout; a network's footprint counts what it writes
    assert all(k.split("@")[1] in ("nchw", "nchwc") and v >= 0 for k, v in p.fused_passes.items())
    assert ("relu6@nchwc" in p.fused_passes) == bool(ort_run.nchwc_block()) and "relu6@nchw" in p.fused_passes
    assert p.forward.read_once_streams and p.forward.written_in_footprint == 2.0
    assert p.forward.read_once_when == "not_hot"
    assert load_profile(None) is None  # the torch default is another file


def test_convolution_samples_run_their_h_swish_as_in_a_network() -> None:
    """onnxruntime 1.32 runs an h-swish whose output leaves the graph as HardSigmoid and Mul kernels
    of their own, and one another node reads inside the blocked convolution: a calibration sample
    (``kernel_samples.build``) ends in a sink (a global pool), so its convolution, batch norm and
    h-swish are one kernel, as in MobileNet V3's blocks."""
    from archcalc.export.onnx_model import to_onnx
    from archcalc.measure.kernel_samples import build

    cfg = {"kind": "pointwise", "side": 28, "c": 16, "cout": 48, "tail": "bn+act", "fn": "hswish"}
    built = build(cfg)
    assert built is not None
    graph, names = built
    assert names == ["conv", "bn", "act"] and graph.output.name == "sink"
    block = ort_run.nchwc_block()
    (head, *_) = group_kernels(layer_costs(graph), "onnxruntime", block)
    assert [x.name for x in head.layers] == names
    ops = [n.op_type for n in ort_run.optimized_graph(to_onnx(graph).SerializeToString()).graph.node]
    if block:  # x86: the convolution runs blocked (16 input channels)
        assert head.blocked and not {"HardSigmoid", "HardSwish", "Mul"} & set(ops)
    # the same layers as the graph's output: onnxruntime splits the h-swish off
    b = GraphBuilder((16, 28, 28))
    conv(b, "conv", 16, 48)
    b.op("bn", BatchNorm2d, channels=48)
    b.op("act", Activation, fn="hswish")
    ops = [n.op_type for n in ort_run.optimized_graph(to_onnx(b.graph).SerializeToString()).graph.node]
    if block:
        assert {"HardSigmoid", "Mul"} <= set(ops)


def test_kernels_inside_a_network_are_attributed_with_their_reorders(monkeypatch) -> None:
    """``OrtBench.in_network`` gives each predicted kernel's profiled seconds to its head layer (0 to
    the layers fused into it), with the layout reorders run for it, less the profiler's bias per
    kernel: onnxruntime's own kernel list for the small model, each run planted at 10 µs, bias 1 µs
    (2 µs a convolution). The max pool on a batch norm's output runs as ReorderInput + MaxPool +
    ReorderOutput: 3 × 10 − 3 × 1 = 27 µs; the stem (conv + BN + ReLU, one Conv kernel) 10 − 2 =
    8 µs; no kernel of onnxruntime's is left out."""
    from archcalc.measure.benches import OrtBench

    g = small_model()
    runs = ort_run.profile_kernels(g, threads=1, warmup=1, repeats=2)
    for r in runs:
        r.seconds = [1e-5, 1e-5]
    monkeypatch.setattr(ort_run, "profile_kernels", lambda *a, **k: runs)
    bench = OrtBench(1, True)
    bench.bias, bench.bias_conv = 1e-6, 2e-6
    got = bench.in_network(g)
    assert set(got) == {n.name for n in g}
    kernels = group_kernels(layer_costs(g), "onnxruntime", ort_run.nchwc_block())
    heads = {k.head.name for k in kernels}
    assert all(v == 0.0 for name, v in got.items() if name not in heads)
    assert all(got[h] > 0 for h in heads)
    assert got["mp"] == pytest.approx(27e-6) and got["stem"] == pytest.approx(8e-6)
    convs = sum(r.op_type in ort_run.CONV_OPS for r in runs)
    assert sum(got.values()) == pytest.approx(1e-5 * len(runs) - 1e-6 * (len(runs) - convs) - 2e-6 * convs)
