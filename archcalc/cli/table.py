"""`archcalc table`: per-layer cost of one network at one configuration."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    ClassesOpt,
    ConvOpt,
    DtypeOpt,
    FormatOpt,
    NetArg,
    ParamOpt,
    ProfileOpt,
    ResOpt,
    RhoOpt,
    resolve_net,
)
from archcalc.errors import ArchcalcError


@app.command()
def table(
    net: NetArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    convention: ConvOpt = "paper",
    dtype: DtypeOpt = "fp32",
    fmt: FormatOpt = "table",
    summary: Annotated[bool, typer.Option("--summary", help="totals and breakdown only")] = False,
    traffic: Annotated[
        bool, typer.Option("--traffic", help="bytes read / written, weight bytes, intensity, bound vs ridge")
    ] = False,
    latency: Annotated[
        bool, typer.Option("--latency", help="predicted time per layer from a device profile (calibrate)")
    ] = False,
    profile: ProfileOpt = None,
) -> None:
    """Per-layer params, MACs and memory traffic of a network, with totals and a breakdown by type."""
    from archcalc.count.closed_form import report
    from archcalc.count.conventions import get_convention
    from archcalc.dtypes import dtype_bytes
    from archcalc.render.common import check_format, emit
    from archcalc.render.report import render_report

    check_format(fmt)
    get_convention(convention)
    dtype_bytes(dtype)
    resolved = resolve_net(net, alpha, res, rho, param, classes)
    rep = report(resolved, convention, dtype)
    if not (traffic or latency):
        if profile is not None:
            raise ArchcalcError("--profile is used with --traffic or --latency")
        emit(render_report(rep, fmt, summary))
        return
    from archcalc.count.latency import load_profile, predict, require_profile
    from archcalc.render.latency import render_cost_extras

    prof = require_profile(profile) if latency else load_profile(profile)
    if prof is None:
        import sys

        sys.stderr.write(
            "archcalc: note: no device profile saved, so no ridge point: `archcalc calibrate` makes one\n"
        )
    prediction = predict(rep, prof) if latency and prof is not None else None
    emit(render_cost_extras(rep, fmt, summary, traffic, prof, prediction))
