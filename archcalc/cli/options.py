"""Options shared by several commands, declared once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from archcalc.model.resolve import Resolved


def exact_alpha_option(text: str | float) -> float:
    """``--alpha TEXT`` read as the exact decimal typed (:func:`archcalc.model.width.alpha_from_text`)."""
    from archcalc.errors import ArchcalcError
    from archcalc.model.width import alpha_from_text

    try:
        return alpha_from_text(text)
    except ArchcalcError as e:
        raise typer.BadParameter(str(e)) from None


NetArg = Annotated[
    str, typer.Argument(help="a built-in network (see `archcalc list`), a spec .yaml path or an .onnx file")
]
AlphaOpt = Annotated[float, typer.Option("--alpha", parser=exact_alpha_option, help="width multiplier α > 0")]
ResOpt = Annotated[
    str | None,
    typer.Option("--res", help="input side in pixels, or HEIGHTxWIDTH (224x160) (default: the spec's)"),
]
RhoOpt = Annotated[
    float | None, typer.Option("--rho", help="resolution multiplier ρ: res = round(ρ·default)")
]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="a spec knob, NAME=VALUE (repeatable)")]
ClassesOpt = Annotated[
    int | None, typer.Option("--classes", help="classifier outputs (the spec's `classes` knob; default 1000)")
]
ConvOpt = Annotated[
    str,
    typer.Option(
        "--convention",
        help="paper | fvcore | torch | ptflops | thop | torchinfo | torchprofile | tf | keras "
        "(docs/conventions.md)",
    ),
]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="element size for bytes: fp32 | fp16 | bf16 | int8")]
FormatOpt = Annotated[str, typer.Option("--format", help="table | json | csv | markdown")]
MemRuleOpt = Annotated[
    str,
    typer.Option(
        "--rule",
        help="materialize (every op writes its output) | fused (conv+BN+act one op) | streamed "
        "(fused, and MobileNet V2 bottlenecks streamed one inner channel at a time, §5.2)",
    ),
]
AlphaListOpt = Annotated[
    str | None, typer.Option("--alpha", help="width multipliers, comma-separated (default: the spec's grid)")
]
ResListOpt = Annotated[
    str | None,
    typer.Option("--res", help="input sides in pixels, comma-separated (default: the spec's grid)"),
]
PlotOpt = Annotated[
    str | None, typer.Option("--plot", help="also draw the Pareto chart to FILE.png (needs matplotlib)")
]
PlotYOpt = Annotated[str, typer.Option("--y", help="chart's y axis: params | latency | peak_memory")]
LatencyProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", help="device profile for predicted latency (default: the saved default, if any)"
    ),
]
NoLatencyOpt = Annotated[
    bool, typer.Option("--no-latency", help="skip predicted latency even if a profile exists")
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", help="device profile name (archcalc calibrate --profile NAME; default: 'default')"
    ),
]
WideOpt = Annotated[
    bool,
    typer.Option("--wide", help="keep every column of a rich table, even wider than the terminal"),
]
ThreadsOpt = Annotated[
    int | None, typer.Option("--threads", help="intra-op threads (default: torch's, all cores)")
]
BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        help="torch (eager, one call per layer) | onnxruntime (CPU provider, default graph "
        "optimisations: conv + BN + activation and residual adds fused)",
    ),
]


def with_classes(param: list[str] | None, classes: int | None) -> list[str] | None:
    """``--param`` with ``--classes N`` added as ``classes=N`` (the built-in specs' knob)."""
    from archcalc.errors import ArchcalcError

    if classes is None:
        return param
    if any(p.partition("=")[0].strip() == "classes" for p in param or []):
        raise ArchcalcError("--classes and --param classes=… both given; give one")
    return [*(param or []), f"classes={classes}"]


def resolve_net(
    net: str,
    alpha: float,
    res: str | None,
    rho: float | None,
    param: list[str] | None,
    classes: int | None = None,
) -> Resolved:
    """``NET`` loaded and resolved at ``--alpha``, ``--res`` / ``--rho`` and ``--param``; a resolve
    error names the network (``mobilenet_v1: layer … collapsed …``)."""
    from archcalc.errors import ArchcalcError
    from archcalc.model.resolve import parse_param_args, resolve
    from archcalc.spec.catalog import load_spec

    spec = load_spec(net)
    try:
        return resolve(spec, alpha, res, rho, parse_param_args(with_classes(param, classes) or []))
    except ArchcalcError as e:
        raise ArchcalcError(f"{net}: {e}") from None
