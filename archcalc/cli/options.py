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
MemRuleOpt = Annotated[
    str,
    typer.Option(
        "--rule",
        help="materialize (every op writes its output) | fused (conv+BN+act one op) | streamed "
        "(fused, and MobileNet V2 bottlenecks streamed one inner channel at a time, §5.2)",
    ),
]
