"""`archcalc reconcile`: why ptflops, thop, fvcore, torchinfo, Keras and the paper disagree."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    ClassesOpt,
    FormatOpt,
    NetArg,
    ParamOpt,
    ResOpt,
    RhoOpt,
    WideOpt,
    resolve_net,
)
from archcalc.errors import require


@app.command()
def reconcile(
    net: NetArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    run: Annotated[
        bool,
        typer.Option(
            "--run",
            help="also run fvcore, FlopCounterMode, ptflops, thop, torchinfo and torchprofile on the "
            "torch model and show what each prints (needs the `counters` extra)",
        ),
    ] = False,
) -> None:
    """Every counting convention's figure side by side, and the op-by-op ledger of why they differ."""
    from archcalc.count.reconcile import reconcile as run_reconcile
    from archcalc.render.common import check_format, emit
    from archcalc.render.reconcile import render_reconciliation

    check_format(fmt)
    resolved = resolve_net(net, alpha, res, rho, param, classes)
    r = run_reconcile(resolved)
    if run:
        from archcalc.measure.counters import TOOL_MODULES, run_tools

        tools = tuple(TOOL_MODULES)
        require(tuple(TOOL_MODULES.values()), "--run", "counters")
        from archcalc.measure.validate import check_runnable

        check_runnable(resolved.graph, resolved.spec.name, "reconcile --run")
        measured = run_tools(resolved.graph, tools)
        for f in r.figures:
            if f.convention in measured:
                f.measured, f.measured_params = measured[f.convention]
    emit(render_reconciliation(r, fmt, wide))
