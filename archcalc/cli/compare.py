"""`archcalc compare`: single-layer designs side by side."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import AlphaOpt, DtypeOpt, FormatOpt, WideOpt


@app.command()
def compare(
    designs: Annotated[
        list[str],
        typer.Argument(
            help="designs: standard depthwise pointwise dwsep group fire shuffle inverted_residual "
            "spatial svd"
        ),
    ],
    dk: Annotated[int, typer.Option("--dk", help="kernel side D_K")] = 3,
    m: Annotated[int, typer.Option("--m", help="input channels M")] = 512,
    n: Annotated[int, typer.Option("--n", help="output channels N")] = 512,
    df: Annotated[int, typer.Option("--df", help="input feature map side D_F")] = 14,
    stride: Annotated[int, typer.Option("--stride", help="stride (output side ⌈D_F/stride⌉)")] = 1,
    groups: Annotated[
        int, typer.Option("--groups", help="groups G of the `group` and `shuffle` designs")
    ] = 1,
    t: Annotated[int, typer.Option("--t", help="expansion t of `inverted_residual`")] = 6,
    squeeze: Annotated[
        int | None, typer.Option("--squeeze", help="Fire squeeze width S (default N/8)")
    ] = None,
    bottleneck: Annotated[
        int | None, typer.Option("--bottleneck", help="ShuffleNet bottleneck width m (default N/4)")
    ] = None,
    rank: Annotated[int | None, typer.Option("--rank", help="rank R of `svd` (1 ≤ R ≤ min(M, N))")] = None,
    alpha: AlphaOpt = 1.0,
    rho: Annotated[float, typer.Option("--rho", help="resolution multiplier ρ on D_F")] = 1.0,
    dtype: DtypeOpt = "fp32",
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """Single-layer designs side by side: params, MACs, bytes, formula, ratio to the first."""
    from archcalc.count.designs import compare as run
    from archcalc.dtypes import dtype_bytes
    from archcalc.render.common import check_format, emit
    from archcalc.render.comparison import render_comparison

    check_format(fmt)
    dtype_bytes(dtype)
    emit(
        render_comparison(
            run(designs, dk, m, n, df, stride, groups, alpha, rho, dtype, t, squeeze, bottleneck, rank),
            fmt,
            wide,
        )
    )
