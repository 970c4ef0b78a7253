"""Closed-form cost of every built-in network vs fvcore's FlopCountAnalysis on the same network.

    python benchmarks/closed_form_vs_fvcore.py [--repeat 7] [--fvcore-repeat 5] [--threads 1] [NET ...]

Each side is timed in two steps, side by side in one run (medians of the repeats, in ms):

=========  ==========================================  ==========================================
step       archcalc (pure Python, no torch)              fvcore (torch)
=========  ==========================================  ==========================================
build      ``resolve(spec)``: the graph of primitives    ``archcalc.measure.torch_build.build(graph)`` and
           with every shape, from the loaded spec        its input: the ``nn.Module`` (weights
                                                         initialised), from the same graph
count      ``report(resolved)``: per-layer MACs,         ``FlopCountAnalysis(model, (x,))``:
           params, weights read and in/out elements      ``.total()`` then ``.by_module()`` (what
           in one pass; totals under all three           ``archcalc validate`` reads); a fresh
           conventions; the breakdown by layer type      analysis per run, so every run traces
=========  ==========================================  ==========================================

Ratios (fvcore's median over archcalc's):

* ``count`` — count over count, both starting from a built network;
* ``end to end`` — build + count over build + count, both starting from the spec's graph;
* ``+ rows`` — as end to end, with archcalc also building its ~150 per-layer row objects (what
  ``table --format json`` prints; ``report`` builds them on first use of ``.layers``). The
  archcalc ``+ rows`` time column is what building the rows adds to the count.

The spec is loaded once (``load_spec`` excluded on both sides). The fvcore total is checked
against the closed form's ``fvcore`` convention (the ``=`` column), so both sides count the same
thing. ``--threads 1`` steadies torch on a busy machine. Needs the ``validate`` extra (torch,
fvcore). Wall-clock figures on a shared machine are noisy: quote the medians of a quiet run.
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

from archcalc.count.closed_form import report
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import builtin_names, load_spec


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
    closed: dict[str, tuple[float, float, float]] = {}
    for name in names:
        spec = load_spec(name)
        resolved = resolve(spec)
        t_resolve = median_time(lambda spec=spec: resolve(spec), args.repeat)
        t_count = median_time(lambda r=resolved: report(r), args.repeat)
        t_rows = median_time(lambda r=resolved: report(r).layers, args.repeat)
        closed[name] = (t_resolve, t_count, t_rows)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fvcore.nn import FlopCountAnalysis

    from archcalc.measure.torch_build import build

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")

    def fvcore_count(model: torch.nn.Module, x: torch.Tensor) -> int:
        fa = FlopCountAnalysis(model, (x,))
        fa.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        total = int(fa.total())
        fa.by_module()
        return total

    def timed(fn: Callable[[], object], repeat: int) -> float:
        fn()  # warm up
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    print(
        f"python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; medians of {args.repeat} batches (archcalc) and "
        f"{args.fvcore_repeat} runs (fvcore); times in ms"
    )
    header = (
        f"{'':<18}{'--- archcalc ---':^30}{'---- fvcore ----':^22}{'------ ratio ------':^30}\n"
        f"{'network':<18}{'build':>10}{'count':>10}{'+ rows':>10}{'build':>11}{'count':>11}"
        f"{'count':>10}{'end to end':>11}{'+ rows':>9}  ="
    )
    print(header)
    print("-" * len(header.splitlines()[1]))
    ratios: dict[str, list[float]] = {"count": [], "end to end": [], "+ rows": []}
    for name in names:
        t_resolve, t_count, t_rows = closed[name]
        resolved = resolve(load_spec(name))
        with torch.no_grad():
            t_build = timed(lambda g=resolved.graph: build(g).example_input(), args.fvcore_repeat)
            model = build(resolved.graph)
            x = model.example_input()
            fv_total = fvcore_count(model, x)
            t_fv = timed(lambda m=model, x=x: fvcore_count(m, x), args.fvcore_repeat)
        same = "✓" if fv_total == report(resolved, "fvcore").totals.macs else "✗"
        row = {
            "count": t_fv / t_count,
            "end to end": (t_build + t_fv) / (t_resolve + t_count),
            "+ rows": (t_build + t_fv) / (t_resolve + t_rows),
        }
        for k, v in row.items():
            ratios[k].append(v)
        print(
            f"{name:<18}{fmt_ms(t_resolve)}{fmt_ms(t_count)}{fmt_ms(t_rows - t_count)}"
            f"{fmt_ms(t_build):>11}{fmt_ms(t_fv):>11}"
            f"{row['count']:>9.0f}×{row['end to end']:>10.0f}×{row['+ rows']:>8.0f}×  {same}"
        )
        del model, x
    print(
        f"median ratios over {len(names)} networks: "
        + ", ".join(f"{k} {statistics.median(v):.0f}×" for k, v in ratios.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
