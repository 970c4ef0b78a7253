"""`archcalc table`: per-layer cost of one network at one configuration."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import AlphaOpt, ConvOpt, DtypeOpt, FormatOpt, NetArg, ParamOpt, ResOpt, RhoOpt
from archcalc.errors import ArchcalcError


@app.command()
def table(
    net: NetArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    convention: ConvOpt = "paper",
    dtype: DtypeOpt = "fp32",
    fmt: FormatOpt = "table",
    summary: Annotated[bool, typer.Option("--summary", help="totals and breakdown only")] = False,
) -> None:
    """Per-layer params, MACs and memory traffic of a network, with totals and a breakdown by type."""
    from archcalc.catalog import load_spec
    from archcalc.closed_form import report
    from archcalc.conventions import get_convention
    from archcalc.dtypes import dtype_bytes
    from archcalc.render.common import check_format, emit
    from archcalc.render.report import render_report
    from archcalc.resolve import parse_param_args, resolve

    check_format(fmt)
    get_convention(convention)
    dtype_bytes(dtype)
    spec = load_spec(net)
    try:
        resolved = resolve(spec, alpha, res, rho, parse_param_args(param or []))
    except ArchcalcError as e:
        raise ArchcalcError(f"{net}: {e}") from None
    emit(render_report(report(resolved, convention, dtype), fmt, summary))
