"""`archcalc sweep`: a network over a grid of width multipliers and resolutions (MobileNet V1 Tables 6–7)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

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
from archcalc.errors import ArchcalcError

if TYPE_CHECKING:
    from pathlib import Path

    from archcalc.count.latency import DeviceProfile
    from archcalc.sweeps.grid import Sweep, SweepSettings


def parse_alphas(text: str | None) -> list[float] | None:
    """``"0.25,0.5,1"`` → [0.25, 0.5, 1.0], each the exact decimal typed
    (:func:`archcalc.model.width.alpha_from_text`); None keeps the spec's grid. The range is
    checked with the rest of the grid (:func:`archcalc.model.width.check_alpha`)."""
    if text is None:
        return None
    from archcalc.inputs.units import parse_list
    from archcalc.model.width import alpha_from_text

    out = []
    for item in parse_list(text, "--alpha"):
        try:
            out.append(alpha_from_text(item))
        except ArchcalcError as e:
            raise ArchcalcError(f"--alpha {e} (in {text!r})") from None
    return out


def parse_resolutions(text: str | None) -> list[int | tuple[int, int]] | None:
    """``"128,160,224"`` → [128, 160, 224]; ``"224x160"`` → [(224, 160)]; None keeps the spec's grid."""
    if text is None:
        return None
    from archcalc.inputs.resolution import parse_resolution
    from archcalc.inputs.units import parse_list

    out: list[int | tuple[int, int]] = []
    for item in parse_list(text, "--res"):
        try:
            value = parse_resolution(item)
        except ArchcalcError:
            raise ArchcalcError(
                f"--res {item!r} is not a whole number of pixels or HEIGHTxWIDTH (in {text!r})"
            ) from None
        out.append(value)
    return out


def device_profile(name: str | None, no_latency: bool, dtype: str) -> DeviceProfile | None:
    """The profile to predict latency with: ``--profile NAME``, else the saved default when it was
    measured at ``dtype``, else none."""
    if no_latency:
        if name is not None:
            raise ArchcalcError("give --profile or --no-latency, not both")
        return None
    from archcalc.count.latency import load_profile, require_profile

    if name is not None:
        return require_profile(name)
    profile = load_profile(None)
    return profile if profile is not None and profile.dtype == dtype else None


def check_y(y: str, latency: bool) -> str:
    if y not in ("params", "latency", "peak_memory"):
        raise ArchcalcError(f"--y {y!r} is not known; choose params, latency or peak_memory")
    if y == "latency" and not latency:
        raise ArchcalcError(
            "--y latency needs a device profile: run `archcalc calibrate` or pass --profile NAME"
        )
    return y


def check_plot_convention(convention: str, y: str) -> None:
    """``--plot`` draws MACs against ``--y``: the convention must count both."""
    from archcalc.count.conventions import get_convention

    conv = get_convention(convention)
    if not conv.counts_macs:
        raise ArchcalcError(f"--plot draws MACs: {conv.undefined('MACs')}")
    if y == "params" and not conv.counts_params:
        raise ArchcalcError(f"--plot --y params: {conv.undefined('params')}")


def check_grid_options(fmt: str, convention: str, dtype: str, rule: str) -> SweepSettings:
    """The checks `sweep` and `budget` share: the format name, and the settings (convention, dtype and
    memory rule names; the device profile is added once chosen)."""
    from archcalc.render.common import check_format
    from archcalc.sweeps.grid import SweepSettings

    check_format(fmt)
    return SweepSettings(convention, dtype, rule)


def run_grid(
    net: str,
    alpha: str | None,
    res: str | None,
    param: list[str] | None,
    settings: SweepSettings,
    profile: str | None,
    no_latency: bool,
    plot: str | None,
    y: str,
    latency_limit: bool = False,
) -> tuple[Sweep, Path | None]:
    """What `sweep` and `budget` run: the options checked (the plot path and axis before any work),
    the device profile chosen (a ``latency_limit`` needs one), and
    :func:`archcalc.sweeps.grid.run_sweep` with errors prefixed by ``net``; returns the sweep and the
    plot path."""
    from archcalc.model.resolve import parse_param_args
    from archcalc.plots import check_plot_path
    from archcalc.spec.catalog import load_spec
    from archcalc.sweeps.grid import run_sweep

    path = check_plot_path(plot) if plot is not None else None
    alphas, resolutions = parse_alphas(alpha), parse_resolutions(res)
    spec = load_spec(net)
    prof = device_profile(profile, no_latency, settings.dtype)
    if latency_limit and prof is None:
        if no_latency:
            raise ArchcalcError("--max-latency cannot be checked with --no-latency")
        from archcalc.count.latency import require_profile

        prof = require_profile(None)
    if path is not None:
        check_y(y, prof is not None)
        check_plot_convention(settings.convention, y)
    try:
        knobs = parse_param_args(param or [])
        return run_sweep(spec, alphas, resolutions, knobs, replace(settings, profile=prof)), path
    except ArchcalcError as e:
        raise ArchcalcError(f"{net}: {e}") from None


@app.command()
def sweep(
    net: NetArg,
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
    """MACs, params, peak memory, predicted latency and published top-1 over an α × resolution grid."""
    from archcalc.render.common import emit
    from archcalc.render.sweep import render_sweep

    settings = check_grid_options(fmt, convention, dtype, rule)
    s, path = run_grid(net, alpha, res, with_classes(param, classes), settings, profile, no_latency, plot, y)
    emit(render_sweep(s, fmt, wide))
    if path is not None:
        from archcalc.plots.pareto import draw_pareto

        draw_pareto(s.title, s.points, path, y, s.convention, s.dtype, s.latency_profile)
