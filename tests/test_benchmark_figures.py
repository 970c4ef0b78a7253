"""The figures ``benchmarks/latency_model.py --cross`` prints about the measurements themselves,
worked by hand."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _benchmark() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "latency_model.py"
    spec = importlib.util.spec_from_file_location("latency_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_hindsight_bound_counts_the_most_measurements_one_figure_can_meet() -> None:
    """Three measurements of two configurations. a: 10, 11, 13 ms — one figure within ±10 % of two of
    them at most (10: |10/11 − 1| = 9.1 %; none within ±10 % of both 10 and 13, 13/10 > 1.1/0.9).
    b: 100, 100, 125 — two at most (112.5 ms meets 125 within 10 % but 100 only within 12.5 %).
    So 4 of the 6 measurements: 66.7 %. With ±30 % one figure meets all six."""
    bench = _benchmark()
    columns = [{"a": 10.0, "b": 100.0}, {"a": 11.0, "b": 100.0}, {"a": 13.0, "b": 125.0}]
    assert bench.hindsight_bound(columns, ["a", "b"]) == pytest.approx(100 * 4 / 6)
    assert bench.hindsight_bound(columns, ["a", "b"], 0.30) == pytest.approx(100.0)
    assert bench.share_within([1.0, 1.09, 0.9, 1.2]) == pytest.approx(75.0)


@pytest.mark.parametrize("value", ["0", "-3", "x"])
def test_rounds_below_one_is_a_one_line_error(value: str) -> None:
    """``--rounds`` takes a whole number ≥ 1; anything else is one line on stderr and exit 2."""
    import subprocess

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "latency_model.py"
    r = subprocess.run(
        [sys.executable, str(path), "--rounds", value], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "--rounds" in r.stderr and value.lstrip("-") in r.stderr


def test_a_predictor_knowing_the_other_runs_by_hand() -> None:
    """Run A measured twice (10 and 10 ms for configuration a, 100 and 100 for b), run C once (12
    and 100). Against A's two measurements the predictor knows C alone (A's other process is the
    same run): a at 12 ms is 20 % off, b exact — 50 % each; against C it knows A's two (their
    geometric mean 10): 10/12 is 16.7 % off — 50 %. Mean 50 %. With each measurement's drift (its
    median ratio: 1.1 for A, 0.917 for C) taken out, both configurations fall within ±10 %: 100 %."""
    bench = _benchmark()
    columns = {"A": {"a": 10.0, "b": 100.0}, "A other": {"a": 10.0, "b": 100.0}, "C": {"a": 12.0, "b": 100.0}}
    run_of = {"A": "A", "A other": "A", "C": "C"}
    raw, shaped = bench.leave_one_run_out(columns, run_of, ["a", "b"])
    assert raw == pytest.approx(50.0) and shaped == pytest.approx(100.0)


def test_a_predictor_knowing_one_other_run_by_hand() -> None:
    """Runs A (10 and 100 ms for configurations a and b), B (12, 100) and C (10, 130), one
    measurement each; a prediction counts within ±10 % of the measurement. Against A: B's a is 20 %
    off, b exact (50 %); C's a exact, b 30 % off (50 %). Against B: A's a 10/12, 16.7 % off, b
    exact (50 %); C's a 16.7 % off, b 30 % off (0 %). Against C: A's a exact, b 100/130, 23 % off
    (50 %); B's a 20 % off, b 23 % off (0 %). Mean of the six: 200/6 %. Each pair's drift (its
    median ratio) taken out: A from B (ratios 1.2 and 1, median 1.1: 1.091, 0.909): 100 %; B from
    A (0.833, 1; 0.917: 0.909, 1.091): 100 %; A from C (1, 1.3; 1.15: 0.870, 1.130), B from C
    (0.833, 1.3; 1.067), C from A (1, 0.769; 0.885) and C from B (1.2, 0.769; 0.985): 0 %. Mean
    200/6 %."""
    bench = _benchmark()
    columns = {"A": {"a": 10.0, "b": 100.0}, "B": {"a": 12.0, "b": 100.0}, "C": {"a": 10.0, "b": 130.0}}
    run_of = {"A": "A", "B": "B", "C": "C"}
    raw, shaped = bench.one_other_run(columns, run_of, ["a", "b"])
    assert raw == pytest.approx(200 / 6) and shaped == pytest.approx(200 / 6)


def test_cross_without_a_saved_measurement_is_a_one_line_error(tmp_path: Path) -> None:
    """``--cross`` on folders that hold no saved measurement: one line on stderr naming them, exit 2
    (it printed nothing and exited 0)."""
    import subprocess

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "latency_model.py"
    r = subprocess.run(
        [sys.executable, str(path), "--cross", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "--cross" in r.stderr and str(tmp_path) in r.stderr


def _kernels_benchmark() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "kernels_in_network.py"
    spec = importlib.util.spec_from_file_location("kernels_in_network", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_kernels_in_network_accounts_for_every_kernel(backend: str, tmp_path: Path, capsys) -> None:
    """``benchmarks/kernels_in_network.py`` on a small network (MobileNet V1 α = 0.25 at 64 px) with
    a hand-made profile of the backend: one row per kernel type, whose counts add up to the
    kernels the profile groups the network into (torch: one per layer, 84; onnxruntime: conv + BN
    + activation one kernel, 30), the kernels' summed times alone and in the network positive; the
    figures are the machine's, not asserted."""
    from test_latency import make_profile

    from archcalc.count.closed_form import report
    from archcalc.count.latency import profile_kernels
    from archcalc.model.resolve import resolve
    from archcalc.spec.catalog import load_spec

    profile = make_profile("hand").model_copy(update={"backend": backend})
    path = tmp_path / "p.json"
    path.write_text(profile.model_dump_json(), encoding="utf-8")
    argv = ["mobilenet_v1", "--alpha", "0.25", "--res", "64", "--profile", str(path), "--repeats", "3"]
    assert _kernels_benchmark().main([*argv, "--forwards", "3", "--top", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    layers = report(resolve(load_spec("mobilenet_v1"), 0.25, 64), "paper", "fp32").layers
    kernels = profile_kernels(layers, profile)
    assert len(kernels) == {"torch": 84, "onnxruntime": 30}[backend]
    start = next(i for i, line in enumerate(out) if line.strip().startswith("type"))
    end = next(i for i, line in enumerate(out) if line.startswith("the 2 kernels"))
    rows = [line.split() for line in out[start + 1 : end]]
    assert sum(int(r[1]) for r in rows) == len(kernels)
    (totals,) = [line for line in out if line.startswith(f"kernels ({len(kernels)}): alone ")]
    alone, network = [float(w) for w in totals.split() if w.replace(".", "").isdigit() and "." in w][:2]
    assert alone > 0 and network > 0


def test_kernels_in_network_refuses_a_missing_profile(tmp_path: Path, capsys) -> None:
    """A profile that is not there, or a file that is not one: one line on stderr, exit 2."""
    assert _kernels_benchmark().main(["mobilenet_v1", "--profile", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.json" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}', encoding="utf-8")
    assert _kernels_benchmark().main(["mobilenet_v1", "--profile", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DeviceProfile" in err


def test_a_kernel_alone_counts_its_own_kernels_not_the_sinks(monkeypatch) -> None:
    """onnxruntime: the stem of MobileNet V1 α = 0.25 at 64 px (conv + BN + ReLU, one fused Conv)
    cut out of the exported model and read by a global pool runs as three onnxruntime kernels (the
    Conv, a ReorderOutput of its blocked output, the pool); with every run planted at 10 µs and a
    convolution's profiler bias at 2 µs, the stem alone is 10 − 2 = 8 µs: neither the sink's pool
    nor the layout reorder (priced by the reorder type, as in calibration) is counted."""
    import onnx

    from archcalc.count.closed_form import report
    from archcalc.count.kernels import group_kernels
    from archcalc.export.onnx_model import to_onnx
    from archcalc.measure import ort_run
    from archcalc.measure.benches import OrtBench
    from archcalc.model.resolve import resolve
    from archcalc.spec.catalog import load_spec

    bench_module = _kernels_benchmark()
    resolved = resolve(load_spec("mobilenet_v1"), 0.25, 64)
    model = onnx.shape_inference.infer_shapes(to_onnx(resolved.graph, "m", batch=1))
    layers = report(resolved, "paper", "fp32").layers
    stem = group_kernels(layers, "onnxruntime", ort_run.nchwc_block())[0]
    assert [x.name for x in stem.layers] == ["conv0.conv", "conv0.bn", "conv0.act"]
    real = ort_run.profile_kernels
    seen: list[list[str]] = []

    def planted(*args, **kwargs):
        runs = real(*args, **kwargs)
        for r in runs:
            r.seconds = [1e-5] * len(r.seconds)
        seen.append([r.op_type for r in runs])
        return runs

    monkeypatch.setattr(ort_run, "profile_kernels", planted)
    bench = OrtBench(1, True)
    bench.runs, bench.bias, bench.bias_conv = 3, 1e-6, 2e-6
    assert bench_module.alone(model, stem, bench) == pytest.approx(8e-6)
    assert seen == [["Conv", "ReorderOutput", "GlobalAveragePool"]]
