"""`archcalc time`: measured CPU time per layer and for the whole forward, next to the latency model."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    ClassesOpt,
    FormatOpt,
    NetArg,
    ParamOpt,
    ProfileOpt,
    ResOpt,
    RhoOpt,
    ThreadsOpt,
    resolve_net,
)
from archcalc.cli.progress import progress
from archcalc.errors import ArchcalcError


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
    fmt: FormatOpt = "table",
    plot: Annotated[
        str | None, typer.Option("--plot", help="FILE.png: measured vs predicted bars and a roofline chart")
    ] = None,
) -> None:
    """Time every layer of the real torch model on this CPU and the whole forward pass.

    Per layer: median and IQR of the measured time, achieved GMAC/s and GB/s, and the latency
    model's prediction from the device profile (`archcalc calibrate`), if one is saved.
    """
    from archcalc.count.latency import load_profile
    from archcalc.plots import check_plot_path
    from archcalc.render.common import check_format, emit
    from archcalc.render.latency import render_timing

    check_format(fmt)
    if threads is not None and threads < 1:
        raise ArchcalcError(f"--threads {threads}: must be at least 1")
    plot_path = check_plot_path(plot) if plot is not None else None
    if plot_path is not None:
        from archcalc.plots import pyplot

        pyplot()
    prof = load_profile(profile)
    resolved = resolve_net(net, alpha, res, rho, param, classes)
    from archcalc.measure.timing import check_settings, default_threads, time_network

    check_settings(threads or 1, batch, warmup, repeats)
    from archcalc.measure.validate import check_runnable

    check_runnable(resolved.graph, resolved.spec.name, "time", batch)
    n = threads if threads is not None else default_threads()
    if prof is None:
        sys.stderr.write(
            "archcalc: note: no device profile saved, so no prediction: run `archcalc calibrate`\n"
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
    )
    emit(render_timing(result, fmt))
    if plot_path is not None:
        from archcalc.plots.latency import plot_timing

        plot_timing(result, prof, plot_path)
