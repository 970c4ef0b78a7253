"""`archcalc budget`: the configurations of a network that fit a budget, Pareto front first."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaListOpt,
    ClassesOpt,
    ConvOpt,
    DtypeOpt,
    FormatOpt,
    LatencyProfileOpt,
    MemRuleOpt,
    NetArg,
    NoLatencyOpt,
    ParamOpt,
    PlotOpt,
    PlotYOpt,
    ResListOpt,
    WideOpt,
    with_classes,
)


@app.command()
def budget(
    net: NetArg,
    max_macs: Annotated[str | None, typer.Option("--max-macs", help="MACs, e.g. 150M, 1.5G")] = None,
    max_params: Annotated[str | None, typer.Option("--max-params", help="parameters, e.g. 2M")] = None,
    max_bytes: Annotated[
        str | None,
        typer.Option("--max-bytes", help="weights to store (params × dtype bytes), e.g. 2MiB, 2MB"),
    ] = None,
    max_peak_memory: Annotated[
        str | None, typer.Option("--max-peak-memory", help="peak live activations, e.g. 512KiB")
    ] = None,
    max_latency: Annotated[
        str | None, typer.Option("--max-latency", help="predicted latency, e.g. 10ms (needs a profile)")
    ] = None,
    alpha: AlphaListOpt = None,
    res: ResListOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    convention: ConvOpt = "paper",
    dtype: DtypeOpt = "fp32",
    rule: MemRuleOpt = "materialize",
    profile: LatencyProfileOpt = None,
    no_latency: NoLatencyOpt = False,
    fmt: FormatOpt = "table",
    plot: PlotOpt = None,
    y: PlotYOpt = "params",
    wide: WideOpt = False,
) -> None:
    """Configurations that fit every limit: the Pareto front (best first), then the rest."""
    from archcalc.cli.sweep import check_grid_options, run_grid
    from archcalc.render.common import emit
    from archcalc.render.sweep import render_fit
    from archcalc.sweeps.budget import check_limits, fit_sweep, parse_limits

    settings = check_grid_options(fmt, convention, dtype, rule)
    limits = parse_limits(max_macs, max_params, max_bytes, max_peak_memory, max_latency)
    check_limits(limits, convention)
    needs_profile = limits.max_latency_ms is not None
    everything, path = run_grid(
        net, alpha, res, with_classes(param, classes), settings, profile, no_latency, plot, y, needs_profile
    )
    f = fit_sweep(everything, limits)
    emit(render_fit(f, fmt, wide))
    if path is not None:
        from archcalc.plots.pareto import draw_pareto

        draw_pareto(
            f.title, everything.points, path, y, f.convention, f.dtype, f.latency_profile, f.limits, f.front
        )
