"""Issue 7 target: a sweep of 10,000 (α, resolution) configurations of mobilenet_v2 in ≤ 1 s.

Run from a checkout: ``python benchmarks/sweep_speed.py [--repeat 5]``. Prints the median wall time
of several runs of ``archcalc.sweep`` over a 100 α × 100 resolution grid (MACs, params with and
without BN, weights, traffic and published top-1 per point; no peak memory or latency), and, measured
in the same run, the median per-configuration time of the plain path ``archcalc.cost`` on a sample of
the same grid, and the ratio. Also checks that the sampled configurations' totals agree exactly.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import archcalc

ALPHAS = [round(0.3 + 0.012 * i, 3) for i in range(100)]  # 0.300 … 1.488
RESOLUTIONS = list(range(96, 296, 2))  # 96 … 294


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs of the full sweep (median reported)")
    ap.add_argument("--sample", type=int, default=40, help="configurations timed on the plain cost path")
    args = ap.parse_args()

    archcalc.load_spec("mobilenet_v2")  # spec parsing is cached; keep it out of the timings
    sweep_times: list[float] = []
    result = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = archcalc.sweep("mobilenet_v2", ALPHAS, RESOLUTIONS)
        sweep_times.append(time.perf_counter() - t0)
    assert result is not None
    n = len(result.points)

    rng = random.Random(0)
    sample = rng.sample(result.points, args.sample)
    cost_times: list[float] = []
    for p in sample:
        t0 = time.perf_counter()
        r = archcalc.cost("mobilenet_v2", alpha=p.alpha, resolution=p.resolution)
        cost_times.append(time.perf_counter() - t0)
        assert (r.totals.macs, r.totals.params, r.totals.bytes_read) == (p.macs, p.params, p.bytes_read)

    sweep_med = statistics.median(sweep_times)
    per_sweep = sweep_med / n
    per_cost = statistics.median(cost_times)
    print(f"mobilenet_v2 sweep: {n:,} configurations ({len(ALPHAS)} α × {len(RESOLUTIONS)} resolutions)")
    print(f"  points on the level engine: {result.evaluated_on_levels:,} of {n:,}")
    print(
        f"  archcalc.sweep   median of {args.repeat}: {sweep_med:.3f} s   ({1e6 * per_sweep:.1f} µs/config)"
    )
    print(
        f"  archcalc.cost    median of {args.sample}: {1e3 * per_cost:.3f} ms/config"
        f"   (10,000 configs ≈ {per_cost * n:.1f} s)"
    )
    print(f"  speed-up per configuration: {per_cost / per_sweep:.0f}×")
    print(
        f"  target ≤ 1 s: {'met' if sweep_med <= 1.0 else 'NOT met'} (runs: "
        + ", ".join(f"{t:.3f}" for t in sweep_times)
        + ")"
    )


if __name__ == "__main__":
    main()
