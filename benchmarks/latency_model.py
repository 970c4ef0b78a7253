"""How well does the latency model predict real forward passes on this CPU, per backend? (A
benchmark, not a test: it prints figures.)

For each backend (``torch`` eager, ``onnxruntime`` CPU provider) it takes a device profile — loaded
(``--profile-torch`` / ``--profile-onnxruntime``) or measured first by ``archcalc calibrate`` (full,
not ``--quick``), which times synthetic kernels and seeded random networks from seed 0 and never a
built-in network — and compares its predicted latency with the measured forward pass on:

- **built-in networks**: every built-in spec at α ∈ {0.5, 1.0} × resolution ∈ {160, 224} (no
  built-in network at any setting is used in calibration);
- **unseen random networks**: ``--random`` synthetic networks from seed 777777 (calibration uses
  seeds 0, 1000, 2000 …; the generator is :mod:`archcalc.measure.synthetic_networks`).

Each configuration is measured **twice** (two separately built models / sessions, each the median
of ``--repeats`` forwards after ``--warmup``, batch 1, ``--threads`` threads): the first is what the
prediction is scored against, and |second − first| / first is the **noise floor**: no model can
be scored more precisely than the machine measures itself.

Printed per backend and set: the share of predictions within ±5 % and ±10 % of the measured
forward, the median and 90th-percentile |predicted − measured| / measured, Kendall's τ-b
(``scipy.stats.kendalltau``) of predicted vs measured next to τ-b of MACs vs measured; and the same
shares and percentiles for the noise floor. Report the machine's load (``uptime``) next to them:
under load the forward passes are preempted and every figure degrades.

    PYTHONPATH=. python benchmarks/latency_model.py --threads 2                 # calibrates first
    PYTHONPATH=. python benchmarks/latency_model.py --threads 2 --profile-torch NAME \\
        --profile-onnxruntime NAME
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from statistics import median

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np
from scipy.stats import kendalltau

from archcalc.count.closed_form import layer_costs, report
from archcalc.count.latency import (
    DeviceProfile,
    kernel_total_seconds,
    layer_kind,
    load_profile,
    predict,
    profile_kernels,
    save_profile,
)
from archcalc.errors import ArchcalcError
from archcalc.model.graph import Graph
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import builtin_names, load_spec

ALPHAS = (0.5, 1.0)
RESOLUTIONS = (160, 224)
UNSEEN_SEED = 777_777


def measure(graph: Graph, backend: str, threads: int, warmup: int, repeats: int) -> float:
    """Median forward ms, as ``archcalc time`` measures ``measured.forward``."""
    if backend == "onnxruntime":
        from archcalc.measure.ort_run import time_forward

        return 1e3 * median(time_forward(graph, threads, warmup, repeats))
    import torch

    from archcalc.measure.timing import threads_set, time_calls
    from archcalc.measure.torch_build import build

    with threads_set(threads), torch.inference_mode():
        model = build(graph)
        x = model.example_input()
        return 1e3 * median(time_calls(lambda: model(x), warmup, repeats))


def predicted_ms(graph: Graph, profile: DeviceProfile) -> float:
    """The profile's forward prediction for a graph without a spec (the random networks)."""
    rows = layer_costs(graph)
    fwd = profile.forward
    total = 0.0
    for k in profile_kernels(rows, profile):
        extra = fwd.kernel_extra_seconds(k, layer_kind(k.head))
        total += fwd.scale * kernel_total_seconds(k, profile) + extra
    return 1e3 * total


def shares(errs: list[float]) -> str:
    e = np.abs(np.array(errs))
    return (
        f"within ±5 % {100 * np.mean(e <= 0.05):5.1f} %, within ±10 % {100 * np.mean(e <= 0.10):5.1f} %, "
        f"median {100 * np.median(e):5.1f} %, p90 {100 * np.quantile(e, 0.9):5.1f} %"
    )


def summary(label: str, rows: list[tuple[str, float, float, float, float]]) -> None:
    """rows: (label, MACs, measured, measured again, predicted)."""
    if not rows:
        return
    macs = [r[1] for r in rows]
    meas = [r[2] for r in rows]
    pred = [r[4] for r in rows]
    err = [(p - m) / m for p, m in zip(pred, meas, strict=True)]
    noise = [(r[3] - r[2]) / r[2] for r in rows]
    tau_p = kendalltau(pred, meas).statistic
    tau_m = kendalltau(macs, meas).statistic
    print(f"  {label} ({len(rows)} configurations)")
    print(f"    prediction : {shares(err)}; Kendall τ-b {tau_p:.3f} (MACs: {tau_m:.3f})")
    print(f"    noise floor: {shares(noise)} (the same configuration measured twice)")


def run_backend(backend: str, args: argparse.Namespace, threads: int) -> None:
    t0 = time.perf_counter()
    name = getattr(args, f"profile_{backend}")
    if name:
        profile = load_profile(name)
        assert profile is not None
    else:
        from archcalc.measure.calibrate import calibrate

        name = f"benchmark-{backend}-{threads}t"
        print(f"[{backend}] calibrating ({threads} threads) …", file=sys.stderr, flush=True)
        profile = calibrate(name, threads, backend=backend)
        print(f"[{backend}] saved profile {name!r} to {save_profile(profile)}", file=sys.stderr)
    t_cal = time.perf_counter() - t0
    print(
        f"\n== {backend}: profile {profile.name!r} ({profile.cpu}, {profile.threads} threads, "
        f"{', '.join(f'{k} {v}' for k, v in profile.versions.items())}"
        f"{', quick' if profile.quick else ''}); timing with {threads} threads, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'configuration':40s} {'MMACs':>9s} {'measured':>10s} {'again':>10s} "
        f"{'predicted':>10s} {'err %':>7s}"
    )
    builtin: list[tuple[str, float, float, float, float]] = []
    for net in args.nets or builtin_names():
        spec = load_spec(net)
        for alpha in ALPHAS:
            for res in RESOLUTIONS:
                try:
                    resolved = resolve(spec, alpha, res)
                except ArchcalcError as e:
                    print(f"{net} α={alpha:g} {res}: skipped: {e}")
                    continue
                if backend == "onnxruntime":
                    from archcalc.measure.calibrate import exportable

                    if not exportable(resolved.graph):
                        continue
                rep = report(resolved, "paper", "fp32")
                pred = predict(rep, profile, backend=backend).total_ms
                a = measure(resolved.graph, backend, threads, args.warmup, args.repeats)
                b = measure(resolved.graph, backend, threads, args.warmup, args.repeats)
                row = (f"{net} α={alpha:g} {res}", float(rep.totals.macs), a, b, pred)
                builtin.append(row)
                _print(row)
    randoms: list[tuple[str, float, float, float, float]] = []
    from archcalc.measure.calibrate import calibration_networks

    for i, g in enumerate(calibration_networks(args.random, 2e9, backend, seed=UNSEEN_SEED)):
        pred = predicted_ms(g, profile)
        a = measure(g, backend, threads, args.warmup, args.repeats)
        b = measure(g, backend, threads, args.warmup, args.repeats)
        row = (
            f"random #{i} (seed {UNSEEN_SEED}+{1000 * i})",
            float(sum(c.macs for c in layer_costs(g))),
            a,
            b,
            pred,
        )
        randoms.append(row)
        _print(row)
    print(f"\n{backend} summary (load now {os.getloadavg()[0]:.2f}):")
    summary("built-in networks", builtin)
    summary("unseen random networks", randoms)
    summary("all", builtin + randoms)
    print(f"  wall time: calibration {t_cal:.0f} s, total {time.perf_counter() - t0:.0f} s")


def _print(row: tuple[str, float, float, float, float]) -> None:
    label, macs, a, b, pred = row
    print(
        f"{label:40s} {macs / 1e6:9.1f} {a:10.3f} {b:10.3f} {pred:10.3f} {100 * (pred - a) / a:+7.1f}",
        flush=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("torch", "onnxruntime", "both"), default="both")
    ap.add_argument("--profile-torch", help="use this saved torch profile instead of calibrating")
    ap.add_argument("--profile-onnxruntime", help="use this saved onnxruntime profile instead of calibrating")
    ap.add_argument("--threads", type=int, default=None, help="intra-op threads (default: torch's)")
    ap.add_argument("--repeats", type=int, default=10, help="timed forwards per measurement (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed forwards before them (default 3)")
    ap.add_argument("--random", type=int, default=16, help="unseen random networks (default 16)")
    ap.add_argument("--nets", nargs="*", help="only these built-in networks")
    args = ap.parse_args()
    threads = args.threads or os.cpu_count() or 1
    backends = ("torch", "onnxruntime") if args.backend == "both" else (args.backend,)
    for backend in backends:
        run_backend(backend, args, threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
