"""How well does the latency model predict real network latency on this CPU? (A benchmark, not a test.)

For every built-in network at α ∈ {0.5, 1.0} × resolution ∈ {160, 224} (72 configurations), it
measures the whole forward pass of the real torch model (batch 1, ``torch.inference_mode``, eager,
``--threads`` threads) and sets it next to the model's prediction from a device profile. The
profile is either loaded (``--profile NAME``) or measured first by ``archcalc calibrate`` on its
generic synthetic layer grid and seeded random synthetic networks — never on these networks, so
this is an out-of-sample evaluation.

Measured per configuration exactly as ``archcalc time`` does it: the median of ``--repeats``
forwards after ``--warmup``, and the sum of the per-layer medians (each layer's module on its real
input). On a busy machine the forward pass is preempted far more often than the short per-layer
calls, whose medians filter the preemptions out; both comparisons are printed.

Printed: a table measured vs predicted per configuration (err % against the forward), and against
each measured figure the median absolute percentage error |pred − meas| / meas and Kendall's τ-b of
predicted vs measured latency next to τ-b of MACs (paper convention) vs measured latency.

    PYTHONPATH=. python benchmarks/latency_model.py --threads 2            # calibrates first
    PYTHONPATH=. python benchmarks/latency_model.py --profile NAME --threads 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from statistics import median

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from archcalc.count.closed_form import report
from archcalc.count.latency import load_profile, predict, save_profile
from archcalc.errors import ArchcalcError
from archcalc.model.resolve import Resolved, resolve
from archcalc.spec.catalog import builtin_names, load_spec

ALPHAS = (0.5, 1.0)
RESOLUTIONS = (160, 224)


def kendall_tau_b(x: list[float], y: list[float]) -> float:
    """Kendall's τ-b: (concordant − discordant) / √((n0 − ties_x)(n0 − ties_y)), O(n²)."""
    n = len(x)
    conc = disc = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    denom = ((conc + disc + tx) * (conc + disc + ty)) ** 0.5
    return (conc - disc) / denom if denom else 0.0


def measure(resolved: Resolved, threads: int, warmup: int, repeats: int) -> tuple[float, float]:
    """(forward ms, Σ per-layer ms): medians of ``repeats`` after ``warmup``, as `archcalc time`."""
    from archcalc.measure.timing import time_network

    t = time_network(resolved, threads=threads, warmup=warmup, repeats=repeats)
    return t.measured.forward.median_ms, t.measured.sum_of_layers_ms


def summary(label: str, measured: list[float], pred: list[float], macs: list[float]) -> None:
    errs = sorted(abs(p - m) / m for p, m in zip(pred, measured, strict=True))
    print(
        f"against {label}: median |predicted − measured| / measured {100 * median(errs):.1f} % "
        f"(90th percentile {100 * errs[int(0.9 * (len(errs) - 1))]:.1f} %); Kendall τ-b predicted "
        f"{kendall_tau_b(pred, measured):.3f} vs MACs {kendall_tau_b(macs, measured):.3f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", help="use this saved profile instead of calibrating first")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--repeats", type=int, default=5, help="timed calls per layer and forward (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed calls before them (default 2)")
    ap.add_argument("--nets", nargs="*", help="only these networks")
    args = ap.parse_args()

    import torch

    threads = args.threads or torch.get_num_threads()
    t0 = time.perf_counter()
    if args.profile:
        profile = load_profile(args.profile)
        assert profile is not None
    else:
        from archcalc.measure.calibrate import calibrate

        name = f"benchmark-{threads}t"
        print(f"calibrating ({threads} threads) …", file=sys.stderr)
        profile = calibrate(name, threads)
        print(f"saved profile {name!r} to {save_profile(profile)}", file=sys.stderr)
    if profile.threads != threads:
        print(
            f"note: profile measured with {profile.threads} threads, timing with {threads}", file=sys.stderr
        )
    t_cal = time.perf_counter() - t0

    rows: list[tuple[str, float, int, int, float, float, float]] = []
    head = ("network", "α", "res", "MMACs", "forward ms", "Σ layers ms", "predicted ms", "err %")
    print(
        f"{head[0]:22s} {head[1]:>4s} {head[2]:>4s} {head[3]:>9s} {head[4]:>11s} {head[5]:>12s} "
        f"{head[6]:>13s} {head[7]:>7s}"
    )
    for net in args.nets or builtin_names():
        spec = load_spec(net)
        for alpha in ALPHAS:
            for res in RESOLUTIONS:
                try:
                    resolved = resolve(spec, alpha, res)
                except ArchcalcError as e:
                    print(f"{net:22s} {alpha:4g} {res:4d}  skipped: {e}")
                    continue
                rep = report(resolved, "paper", "fp32")
                pred = predict(rep, profile).total_ms
                fwd, layers = measure(resolved, threads, args.warmup, args.repeats)
                rows.append((net, alpha, res, rep.totals.macs, fwd, layers, pred))
                print(
                    f"{net:22s} {alpha:4g} {res:4d} {rep.totals.macs / 1e6:9.1f} {fwd:11.2f} {layers:12.2f} "
                    f"{pred:13.2f} {100 * (pred - fwd) / fwd:+7.1f}",
                    flush=True,
                )
    macs = [float(r[3]) for r in rows]
    pred_l = [r[6] for r in rows]
    print()
    print(
        f"configurations: {len(rows)}; threads: {threads}; profile: {profile.name!r} ({profile.cpu}, "
        f"{profile.threads} threads, torch {profile.torch_version}{', quick' if profile.quick else ''})"
    )
    summary("the forward pass", [r[4] for r in rows], pred_l, macs)
    summary("Σ per-layer medians", [r[5] for r in rows], pred_l, macs)
    print(f"wall time: calibration {t_cal:.0f} s, total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
