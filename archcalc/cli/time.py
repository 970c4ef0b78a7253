"""`archcalc time`: measured CPU time per layer and for the whole forward, next to the latency model."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    BackendOpt,
    ClassesOpt,
    FormatOpt,
    NetArg,
    ParamOpt,
    ProfileOpt,
    ResOpt,
    RhoOpt,
    ThreadsOpt,
    WideOpt,
    resolve_net,
)

if TYPE_CHECKING:
    from archcalc.count.latency import DeviceProfile


def load_profile_quiet(name: str) -> DeviceProfile | None:
    """The saved profile ``name``, or None when there is none (a corrupt one is still an error)."""
    from archcalc.count.latency import load_profile, profile_path

    return load_profile(name) if profile_path(name).exists() else None


@app.command(name="time")
def time_cmd(
    net: NetArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    threads: ThreadsOpt = None,
    batch: Annotated[int, typer.Option("--batch", help="images per forward pass")] = 1,
    repeats: Annotated[int, typer.Option("--repeats", help="timed calls per layer (median, IQR)")] = 10,
    warmup: Annotated[int, typer.Option("--warmup", help="untimed calls before them")] = 2,
    profile: ProfileOpt = None,
    backend: BackendOpt = "torch",
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    plot: Annotated[
        str | None, typer.Option("--plot", help="FILE.png: measured vs predicted bars and a roofline chart")
    ] = None,
) -> None:
    """Time every layer of the real model on this CPU and the whole forward pass.

    --backend torch runs the eager torch model, one call per layer; --backend onnxruntime runs the
    exported ONNX model on ONNX Runtime's CPU provider, with per-kernel times from its profiler
    (a fused conv + BN + activation is one kernel, shown on its first layer). Per layer: median and
    IQR of the measured time, achieved GMAC/s and GB/s, and the latency model's prediction from the
    backend's device profile (`archcalc calibrate --backend …`), if one is saved.
    """
    from archcalc.count.kernels import check_backend
    from archcalc.count.latency import check_profile_backend, default_profile_name, load_profile
    from archcalc.inputs.arguments import whole
    from archcalc.inputs.limits import MAX_BATCH, MAX_REPEATS, MAX_THREADS
    from archcalc.plots import check_plot_path
    from archcalc.render.common import check_format, emit
    from archcalc.render.latency import render_timing

    check_format(fmt)
    if threads is not None:
        whole(threads, "--threads", 1, MAX_THREADS)
    whole(batch, "--batch", 1, MAX_BATCH)
    whole(warmup, "--warmup", 0, MAX_REPEATS)
    whole(repeats, "--repeats", 1, MAX_REPEATS)
    plot_path = check_plot_path(plot) if plot is not None else None
    if plot_path is not None:
        from archcalc.plots import pyplot

        pyplot()
    check_backend(backend)
    if backend == "onnxruntime":
        from archcalc.measure.ort_run import require_ort

        require_ort()
    prof = load_profile(profile) if profile is not None else load_profile_quiet(default_profile_name(backend))
    if prof is not None:
        check_profile_backend(prof, backend)
    resolved = resolve_net(net, alpha, res, rho, param, classes)
    from archcalc.cli.progress import progress
    from archcalc.measure.timing import check_settings, default_threads, time_network

    check_settings(threads or 1, batch, warmup, repeats)
    from archcalc.measure.validate import check_runnable

    check_runnable(resolved.graph, resolved.spec.name, "time", batch)
    n = threads if threads is not None else default_threads()
    if prof is None:
        how = "" if backend == "torch" else f" --backend {backend}"
        sys.stderr.write(
            f"archcalc: note: no device profile saved, so no prediction: run `archcalc calibrate{how}`\n"
        )
    elif prof.threads != n:
        sys.stderr.write(
            f"archcalc: note: profile '{prof.name}' was measured with {prof.threads} threads, "
            f"this run uses {n}\n"
        )
    result = time_network(
        resolved,
        threads=n,
        batch=batch,
        warmup=warmup,
        repeats=repeats,
        profile=prof,
        wrap=lambda steps: progress(steps, "timing", lambda s: s[0][0]),
        backend=backend,
    )
    emit(render_timing(result, fmt, wide))
    if plot_path is not None:
        from archcalc.plots.latency import plot_timing

        plot_timing(result, prof, plot_path)
