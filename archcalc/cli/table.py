"""`archcalc table`: per-layer cost of one network at one configuration, or several networks side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    ClassesOpt,
    ConvOpt,
    DtypeOpt,
    FormatOpt,
    ParamOpt,
    ProfileOpt,
    ResOpt,
    RhoOpt,
    WideOpt,
    resolve_net,
    with_classes,
)
from archcalc.errors import ArchcalcError

if TYPE_CHECKING:
    from archcalc.model.resolve import Resolved

NetsArg = Annotated[
    list[str],
    typer.Argument(
        help="a built-in network (see `archcalc list`) or a spec .yaml path; several: one row each "
        "(NET@alpha=0.5,res=160 sets one network's α, resolution, rho or knobs)",
        show_default=False,
    ),
]
ViewOpt = Annotated[
    str | None,
    typer.Option(
        "--view",
        help="rows: paper (default: BN and activation folded into their conv, as the papers' tables) "
        "| blocks (one row per block) | primitives (every primitive layer)",
    ),
]


@app.command()
def table(
    nets: NetsArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    convention: ConvOpt = "paper",
    dtype: DtypeOpt = "fp32",
    fmt: FormatOpt = "table",
    view: ViewOpt = None,
    summary: Annotated[bool, typer.Option("--summary", help="totals and breakdown only")] = False,
    traffic: Annotated[
        bool, typer.Option("--traffic", help="bytes read / written, weight bytes, intensity, bound vs ridge")
    ] = False,
    latency: Annotated[
        bool, typer.Option("--latency", help="predicted time per layer from a device profile (calibrate)")
    ] = False,
    profile: ProfileOpt = None,
    wide: WideOpt = False,
) -> None:
    """Per-layer params, MACs and memory traffic of a network, with totals and a breakdown by type;
    or several networks side by side (MACs, params, ratios to the first, published top-1)."""
    from archcalc.count.closed_form import report
    from archcalc.count.conventions import get_convention
    from archcalc.count.views import check_view
    from archcalc.dtypes import dtype_bytes
    from archcalc.render.common import check_format, emit
    from archcalc.render.report import render_report

    check_format(fmt)
    get_convention(convention)
    dtype_bytes(dtype)
    if view is not None:
        check_view(view)
    if len(nets) > 1:
        for option, given in (("--view", view is not None), ("--traffic", traffic), ("--latency", latency)):
            if given:
                raise ArchcalcError(f"{option} is for one network; several networks give one row each")
        if profile is not None:
            raise ArchcalcError("--profile is used with --traffic or --latency")
        _side_by_side(nets, alpha, res, rho, with_classes(param, classes), convention, dtype, fmt, wide)
        return
    resolved = resolve_net(nets[0], alpha, res, rho, param, classes)
    rep = report(resolved, convention, dtype)
    if not (traffic or latency):
        if profile is not None:
            raise ArchcalcError("--profile is used with --traffic or --latency")
        emit(render_report(rep, fmt, summary, view or "paper", wide))
        return
    if view not in (None, "primitives"):
        raise ArchcalcError(
            f"--view {view}: the --traffic and --latency rows are primitive layers (the ridge point and "
            "the predicted bound are an op's); give --view primitives or leave --view out"
        )
    from archcalc.count.latency import load_profile, predict, require_profile
    from archcalc.render.latency import render_cost_extras

    prof = require_profile(profile) if latency else load_profile(profile)
    if prof is None:
        import sys

        sys.stderr.write(
            "archcalc: note: no device profile saved, so no ridge point: `archcalc calibrate` makes one\n"
        )
    prediction = predict(rep, prof) if latency and prof is not None else None
    emit(render_cost_extras(rep, fmt, summary, traffic, prof, prediction, wide))


def split_settings(arg: str) -> tuple[str, dict[str, str]]:
    """``mobilenet_v1@alpha=0.5,res=160`` → (``mobilenet_v1``, {alpha: 0.5, res: 160})."""
    net, sep, rest = arg.rpartition("@")
    if not sep or not net or Path(arg).exists():
        return arg, {}
    out: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise ArchcalcError(
                f"{arg!r}: expected NET@NAME=VALUE,… (alpha, res, rho or a knob), got {item!r}"
            )
        out[key.strip()] = value.strip()
    return net, out


def _number(net: str, key: str, value: str, kind: type[float] | type[int]) -> float | int:
    try:
        return kind(value)
    except ValueError:
        what = "a number" if kind is float else "a whole number"
        raise ArchcalcError(f"{net}@{key}={value}: {key} must be {what}") from None


def resolve_with_settings(
    arg: str, alpha: float, res: int | None, rho: float | None, param: list[str] | None
) -> Resolved:
    """``NET[@alpha=…,res=…,rho=…,KNOB=…]`` resolved; the suffix overrides the options for this NET."""
    net, given = split_settings(arg)
    a = float(_number(net, "alpha", given.pop("alpha"), float)) if "alpha" in given else alpha
    r = int(_number(net, "res", given.pop("res"), int)) if "res" in given else None
    p = float(_number(net, "rho", given.pop("rho"), float)) if "rho" in given else None
    if r is None and p is None:
        r, p = res, rho
    params = [*(param or []), *(f"{k}={v}" for k, v in given.items())]
    return resolve_net(net, a, r, p, params)


def _side_by_side(
    nets: list[str],
    alpha: float,
    res: int | None,
    rho: float | None,
    param: list[str] | None,
    convention: str,
    dtype: str,
    fmt: str,
    wide: bool,
) -> None:
    from archcalc.count.closed_form import report
    from archcalc.count.side_by_side import compare_reports
    from archcalc.render.common import emit
    from archcalc.render.side_by_side import render_side_by_side

    resolved = [resolve_with_settings(n, alpha, res, rho, param) for n in nets]
    reports = [report(x, convention, dtype) for x in resolved]
    emit(render_side_by_side(compare_reports(reports, [x.spec for x in resolved]), fmt, wide))
