"""`archcalc time` and `archcalc calibrate` on a tiny network: structure, MACs against the paper's
formulas, errors, the saved profile and the plot. No test asserts on a measured time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_latency import make_profile

from archcalc.count.latency import load_profile, save_profile

TINY = ["mobilenet_v1", "--alpha", "0.25", "--res", "32", "--repeats", "2", "--warmup", "1", "--threads", "1"]


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "config"
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(d))
    return d


def mobilenet_v1_macs(alpha: float, res: int) -> list[int]:
    """Conv and FC MACs of MobileNet V1 (paper Table 1, eq. 2 and 4): D_K²·M·N·D_F² for the full conv,
    D_K²·M·D_F² per depthwise, M·N·D_F² per pointwise, 1024α·1000 for the classifier."""

    def c(n: int) -> int:
        return int(n * alpha)

    rows = (
        [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    )
    d = -(-res // 2)
    out = [27 * c(32) * d * d]
    m = c(32)
    for n, s in rows:
        d = -(-d // s)
        out += [9 * m * d * d, m * c(n) * d * d]
        m = c(n)
    return [*out, m * 1000]


def test_time_json_has_measured_and_predicted(cli) -> None:
    save_profile(make_profile("hand"))
    r = cli("time", *TINY, "--profile", "hand", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert {"measured", "predicted"} <= data.keys()
    m, p = data["measured"], data["predicted"]
    assert {"forward", "sum_of_layers_ms", "layers"} <= m.keys()
    assert {"median_ms", "iqr_ms", "repeats"} <= m["forward"].keys() and m["forward"]["repeats"] == 2
    assert len(m["layers"]) == len(p["layers"]) and p["profile"] == "hand"
    assert [x["name"] for x in m["layers"]] == [x["name"] for x in p["layers"]]
    macs = [x["macs"] for x in m["layers"] if x["op"] in ("conv2d", "linear")]
    assert macs == mobilenet_v1_macs(0.25, 32)
    assert data["macs"] == sum(macs)
    assert {x["kind"] for x in m["layers"]} >= {"dense", "depthwise", "pointwise", "linear", "batchnorm"}
    assert data["threads"] == 1 and data["batch"] == 1


def test_time_other_formats_and_batch(cli) -> None:
    for fmt in ("table", "csv", "markdown"):
        r = cli("time", *TINY, "--batch", "2", "--format", fmt)
        assert r.code == 0, r.err
        assert "forward" in r.out
        assert "archcalc calibrate" in r.err  # no profile: says which command makes one


def test_time_without_profile_predicts_nothing(cli) -> None:
    r = cli("time", *TINY, "--format", "json")
    assert r.code == 0 and json.loads(r.out)["predicted"] is None


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--threads", "0"], "--threads"),
        (["--batch", "0"], "--batch"),
        (["--repeats", "0"], "--repeats"),
        (["--warmup", "-1"], "--warmup"),
        (["--format", "xml"], "--format"),
        (["--plot", "out.svg"], ".png"),
        (["--profile", "nope"], "nope"),
    ],
)
def test_time_bad_options(cli, args: list[str], fragment: str) -> None:
    r = cli("time", "mobilenet_v1", "--res", "32", *args)
    assert r.code == 2 and r.out == ""
    assert fragment in r.err and len(r.err.strip().splitlines()) == 1


def test_time_refuses_a_huge_model(cli) -> None:
    # 32 × 4000 × 4000 fp32 = 1.9 GiB for conv0's output alone, three times over > 4 GiB
    r = cli("time", "mobilenet_v1", "--res", "8000")
    assert r.code == 2 and "GiB" in r.err and len(r.err.strip().splitlines()) == 1
    r = cli("time", "mobilenet_v1", "--batch", "1000")
    assert r.code == 2 and "--batch" in r.err


def test_calibrate_bad_options(cli) -> None:
    r = cli("calibrate", "--threads", "0")
    assert r.code == 2 and "--threads" in r.err
    r = cli("calibrate", "--profile", "a/b")
    assert r.code == 2 and "--profile" in r.err


def test_calibrate_quick_writes_a_profile(cli, config_dir: Path) -> None:
    r = cli("calibrate", "--quick", "--threads", "1", "--profile", "q", "--format", "json")
    assert r.code == 0, r.err
    path = config_dir / "profiles" / "q.json"
    assert path.exists()
    p = load_profile("q")
    assert p is not None and p.quick and p.threads == 1
    assert json.loads(r.out)["name"] == "q"
    assert all(m.samples > 0 for m in p.kinds.values())
    assert p.format == 4 and p.forward.networks > 0
    assert p.forward.in_network_share == "memory"  # torch: f scales a kernel's memory share
    assert p.fused_passes == {}  # eager torch fuses no activation into a convolution


def test_nnls_relative_recovers_exact_constants() -> None:
    from archcalc.measure.calibrate import nnls_relative

    rows = [[1.0, 10.0, 3.0], [2.0, 5.0, 1.0], [4.0, 1.0, 7.0], [3.0, 3.0, 3.0]]
    truth = [1.5, 0.1, 0.0]  # the third column plays no part
    ys = [sum(r * t for r, t in zip(row, truth, strict=True)) for row in rows]
    assert nnls_relative(rows, ys) == pytest.approx(truth, abs=1e-9)


def test_nnls_relative_keeps_constants_non_negative() -> None:
    from archcalc.measure.calibrate import nnls_relative

    # y = x0 − x1 exactly would need a negative constant; the fit clamps it to 0
    rows = [[2.0, 1.0], [3.0, 1.0], [4.0, 2.0]]
    theta = nnls_relative(rows, [1.0, 2.0, 2.0])
    assert min(theta) >= 0


def test_plot_writes_a_png(cli, tmp_path: Path) -> None:
    save_profile(make_profile("default"))
    out = tmp_path / "lat.png"
    r = cli("time", *TINY, "--plot", str(out), "--format", "csv")
    assert r.code == 0, r.err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _collections_during(fn) -> int:
    """How many cyclic collections Python's collector starts while ``fn`` runs."""
    import gc

    seen: list[str] = []

    def hook(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append(phase)

    gc.callbacks.append(hook)
    try:
        fn()
    finally:
        gc.callbacks.remove(hook)
    return len(seen)


def _cycles(n: int = 5000) -> None:
    """Allocate ``n`` reference cycles: many times the collector's first threshold (700 by default),
    so with the collector on it starts at least one collection."""
    for _ in range(n):
        a: list = []
        a.append(a)


def test_timed_calls_run_with_the_garbage_collector_paused() -> None:
    """A collection starting inside a timed call is charged to it (docs/latency.md: it made eager
    torch's small networks 15–30 % slower in some processes). ``time_calls`` pauses the collector
    around its calls and restores it after; ``gc_paused()`` collects once first (``time_network``
    and onnxruntime's ``time_forward`` take it around a whole measurement)."""
    import gc

    from archcalc.measure.gc_pause import gc_paused
    from archcalc.measure.timing import time_calls

    assert gc.isenabled()
    assert _collections_during(_cycles) >= 1  # the collector runs without the pause
    assert _collections_during(lambda: time_calls(_cycles, 1, 3)) == 0
    assert gc.isenabled()

    def paused() -> None:
        with gc_paused():
            _cycles()

    assert _collections_during(paused) == 1  # the one before the block
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused(collect=False):
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()


def test_torch_in_network_times_each_layer_of_a_forward() -> None:
    """``TorchBench.in_network`` clocks every layer of the network inside whole forward passes (one
    time per layer and pass in ``GraphModule.forward``'s ``seconds``), each positive; onnxruntime's
    bench gives every layer too, by its profiler (the layers fused into a kernel 0), and a quick
    calibration's networks none."""
    import math

    from archcalc.measure.benches import IN_NETWORK_RUNS, OrtBench, TorchBench
    from archcalc.measure.torch_build import build
    from archcalc.model.resolve import resolve
    from archcalc.spec.catalog import load_spec

    graph = resolve(load_spec("mobilenet_v1"), 0.25, 32).graph
    names = [n.name for n in graph]
    per = TorchBench(1, True).in_network(graph)
    assert per is not None and list(per) == names
    assert all(math.isfinite(t) and t > 0 for t in per.values())
    seconds: dict[str, list[float]] = {}
    model = build(graph)
    import torch

    with torch.inference_mode():
        for _ in range(3):
            model(model.example_input(), seconds=seconds)
    assert list(seconds) == names and {len(v) for v in seconds.values()} == {3}
    assert IN_NETWORK_RUNS >= 5
    ort = OrtBench(1, True)
    inside = ort.in_network(graph)
    assert inside is not None and list(inside) == names
    assert inside["conv0.conv"] > 0 and inside["conv0.bn"] == inside["conv0.act"] == 0.0
    ((forward, none),) = list(ort.networks([graph]))
    assert forward > 0 and none is None


def test_networks_are_measured_in_a_fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """``TorchBench.networks`` measures each graph (its forward and, in a full calibration, every
    layer inside it) in a process of its own, in order; a quick calibration asks for no in-network
    times; onnxruntime's quick one neither, in a process of its own too: nothing in this process,
    whose way to make a bench fails."""
    import math

    from archcalc.measure import benches
    from archcalc.measure.benches import OrtBench, TorchBench
    from archcalc.model.resolve import resolve
    from archcalc.spec.catalog import load_spec

    def no_bench(*args: object) -> None:
        raise AssertionError("a network was measured in the calibrating process")

    monkeypatch.setattr(benches, "bench", no_bench)

    small = resolve(load_spec("mobilenet_v1"), 0.25, 32).graph
    other = resolve(load_spec("squeezenet1_1"), 0.25, 32).graph
    (seconds, per_layer), (seconds2, per_layer2) = TorchBench(1, False).networks([small, other])
    assert math.isfinite(seconds) and seconds > 0 and math.isfinite(seconds2) and seconds2 > 0
    assert per_layer is not None and list(per_layer) == [n.name for n in small]
    assert per_layer2 is not None and list(per_layer2) == [n.name for n in other]
    ((quick, none),) = TorchBench(1, True).networks([small])
    assert quick > 0 and none is None
    ((ort, nothing),) = OrtBench(1, True).networks([small])
    assert ort > 0 and nothing is None


def test_an_onnxruntime_worker_takes_off_the_calibrating_benchs_profiler_bias() -> None:
    """The process that measures a synthetic network builds its own bench with the profiler biases
    the calibrating bench measured (``state``), so the in-network kernel times it returns have them
    taken off: 1.0 µs per kernel and 1.5 µs per convolution, 40 µs profiled over 10 kernels, 4 of
    them convolutions → 40 − 6·1.0 − 4·1.5 = 28 µs."""
    from archcalc.measure import benches

    b = benches._bench_with("onnxruntime", 1, True, (("bias", 1e-6), ("bias_conv", 1.5e-6)))
    assert isinstance(b, benches.OrtBench) and (b.bias, b.bias_conv) == (1e-6, 1.5e-6)
    assert b.unbiased(40e-6, 10, 4) == pytest.approx(28e-6)
