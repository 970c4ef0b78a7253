"""`archcalc memory`: largest tensor per spatial resolution and peak activation memory of a network."""

from __future__ import annotations

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    ClassesOpt,
    DtypeOpt,
    FormatOpt,
    MemRuleOpt,
    NetArg,
    ParamOpt,
    ResOpt,
    RhoOpt,
    WideOpt,
    resolve_net,
)


@app.command()
def memory(
    net: NetArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    dtype: DtypeOpt = "fp32",
    rule: MemRuleOpt = "materialize",
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """Largest tensor per spatial resolution (MobileNet V2 Table 3) and the peak of live activations."""
    from archcalc.count.memory import check_rule, memory_report
    from archcalc.dtypes import dtype_bytes
    from archcalc.render.common import check_format, emit
    from archcalc.render.memory import render_memory

    check_format(fmt)
    dtype_bytes(dtype)
    check_rule(rule)
    resolved = resolve_net(net, alpha, res, rho, param, classes)
    emit(render_memory(memory_report(resolved, dtype, rule), fmt, wide))
