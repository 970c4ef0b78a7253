"""Closed-form cost of every built-in network vs fvcore's FlopCountAnalysis on the same network.

    python benchmarks/closed_form_vs_fvcore.py [--repeat 7] [--fvcore-repeat 5] [NET ...]

For each network, measured side by side in one run (median of the repeats):

* ``resolve+report``: ``report(resolve(spec))`` with the spec loaded once (``load_spec`` excluded):
  the graph is expanded and every layer costed under one convention, with totals under all three.
* ``report``: ``report(resolved)`` on an already resolved graph.
* ``fvcore``: ``FlopCountAnalysis(model, (x,)).total()`` followed by ``.by_module()`` (what
  ``archcalc validate`` reads; fvcore caches the trace, so ``by_module`` adds little) on the torch
  model ``archcalc.torch_build.build`` makes from the same graph. Building the model and its input
  is excluded; a fresh ``FlopCountAnalysis`` is made per run, so every run traces the model.

``ratio`` is fvcore's median over the closed form's median. The fvcore total is checked against
the closed form's ``fvcore`` convention (the ``=`` column), so both sides count the same thing.
``--threads 1`` steadies fvcore on a busy machine (torch's thread pool suffers most from other
processes). Needs the ``validate`` extra (torch, fvcore). Wall-clock figures on a shared machine
are noisy: quote the medians of a quiet run.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a checkout runs without installing

from archcalc.catalog import builtin_names, load_spec
from archcalc.closed_form import report
from archcalc.resolve import resolve


def median_time(fn: Callable[[], object], repeat: int, min_total: float = 0.05) -> float:
    """Median seconds per call over ``repeat`` batches, each batch long enough to time (≥ min_total)."""
    fn()  # warm up
    number = 1
    while True:
        t = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - t >= min_total or number >= 1 << 20:
            break
        number *= 2
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t) / number)
    return statistics.median(samples)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nets", nargs="*", help="networks (default: every built-in one)")
    ap.add_argument("--repeat", type=int, default=7, help="timed batches of the closed form")
    ap.add_argument("--fvcore-repeat", type=int, default=5, help="timed runs of fvcore")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    args = ap.parse_args()

    names = args.nets or builtin_names()
    # The closed form first, before torch is imported: it never imports torch, and torch's hundreds of
    # thousands of live objects would slow every garbage collection the closed form triggers.
    closed: dict[str, tuple[float, float]] = {}
    for name in names:
        spec = load_spec(name)
        resolved = resolve(spec)
        t_both = median_time(lambda spec=spec: report(resolve(spec)), args.repeat)
        t_report = median_time(lambda r=resolved: report(r), args.repeat)
        closed[name] = (t_both, t_report)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis

    from archcalc.torch_build import build

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    def fvcore_count(model: torch.nn.Module, x: torch.Tensor) -> int:
        fa = FlopCountAnalysis(model, (x,))
        fa.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        total = int(fa.total())
        fa.by_module()
        return total

    print(
        f"python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), {os.cpu_count()} CPUs; medians of "
        f"{args.repeat} batches (closed form) and {args.fvcore_repeat} runs (fvcore); times in ms"
    )
    header = (
        f"{'network':<20}{'resolve+report':>15}{'report':>11}{'fvcore':>11}{'ratio':>9}"
        f"{'ratio (report)':>16}  ="
    )
    print(header)
    print("-" * len(header))
    ratios: list[float] = []
    for name in names:
        t_both, t_report = closed[name]
        resolved = resolve(load_spec(name))
        model = build(resolved.graph)
        x = model.example_input()
        with torch.no_grad():
            fv_total = fvcore_count(model, x)  # warm up
            samples = []
            for _ in range(args.fvcore_repeat):
                t = time.perf_counter()
                fvcore_count(model, x)
                samples.append(time.perf_counter() - t)
        t_fv = statistics.median(samples)
        same = "✓" if fv_total == report(resolved, "fvcore").totals.macs else "✗"
        ratios.append(t_fv / t_both)
        print(
            f"{name:<20}{fmt_ms(t_both):>15}{fmt_ms(t_report):>11}{fmt_ms(t_fv):>11}"
            f"{t_fv / t_both:>8.0f}×{t_fv / t_report:>15.0f}×  {same}"
        )
        del model, x
    print(f"median ratio (resolve+report) over {len(ratios)} networks: {statistics.median(ratios):.0f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
