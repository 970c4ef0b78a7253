"""Options shared by several commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

NetArg = Annotated[str, typer.Argument(help="a built-in network (see `archcalc list`) or a spec .yaml path")]
AlphaOpt = Annotated[float, typer.Option("--alpha", help="width multiplier α > 0")]
ResOpt = Annotated[int | None, typer.Option("--res", help="input side in pixels (default: the spec's)")]
RhoOpt = Annotated[
    float | None, typer.Option("--rho", help="resolution multiplier ρ: res = round(ρ·default)")
]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="a spec knob, NAME=VALUE (repeatable)")]
ConvOpt = Annotated[str, typer.Option("--convention", help="paper | fvcore | torch")]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="element size for bytes: fp32 | fp16 | bf16 | int8")]
FormatOpt = Annotated[str, typer.Option("--format", help="table | json | csv | markdown")]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", help="device profile name (archcalc calibrate --profile NAME; default: 'default')"
    ),
]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", help="torch threads (default: all cores)")]
