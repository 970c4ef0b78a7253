"""`archcalc validate`: the closed form against fvcore and torch on a real model."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    ClassesOpt,
    FormatOpt,
    ParamOpt,
    ResOpt,
    RhoOpt,
    WideOpt,
    with_classes,
)
from archcalc.errors import ArchcalcError
from archcalc.inputs.resolution import fmt_res_short


@app.command()
def validate(
    net: Annotated[str | None, typer.Argument(help="a built-in network or a spec .yaml path")] = None,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", help="every built-in network at several (α, resolution, knob) settings")
    ] = False,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """Build the torch model from the spec and check every layer against fvcore and torch's counter.

    Exit 0 only if every layer matches exactly (MACs, params, output shape), 1 otherwise.
    """
    from archcalc.model.resolve import parse_param_args, resolve
    from archcalc.render.common import check_format, emit
    from archcalc.render.validation import render_validations
    from archcalc.spec.catalog import builtin_names, load_spec

    check_format(fmt)
    if all_ == (net is not None):
        raise ArchcalcError("give a network, or --all, but not both")
    if all_ and (alpha != 1.0 or res is not None or rho is not None or param or classes is not None):
        raise ArchcalcError(
            "--alpha, --res, --rho, --param and --classes set one network; --all uses its own settings"
        )
    from archcalc.cli.progress import progress
    from archcalc.measure.validate import default_settings
    from archcalc.measure.validate import validate as check

    runs = []
    if all_:
        for name in builtin_names():
            spec = load_spec(name)
            for a, r, knobs in default_settings(spec):
                runs.append(resolve(spec, a, r, knobs=knobs))
    else:
        assert net is not None
        spec = load_spec(net)
        try:
            runs.append(resolve(spec, alpha, res, rho, parse_param_args(with_classes(param, classes) or [])))
        except ArchcalcError as e:
            raise ArchcalcError(f"{net}: {e}") from None
    results = [
        check(r)
        for r in progress(
            runs, "validating", lambda r: f"{r.spec.name} α={r.alpha:g} {fmt_res_short(r.resolution)}px"
        )
    ]
    emit(render_validations(results, fmt, wide))
    if not all(v.ok for v in results):
        raise typer.Exit(1)
