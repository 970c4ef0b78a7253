"""`archcalc size`: weight storage under compression, and gradient traffic per training step."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import (
    AlphaOpt,
    ClassesOpt,
    ConvOpt,
    DtypeOpt,
    FormatOpt,
    NetArg,
    ParamOpt,
    ResOpt,
    RhoOpt,
    WideOpt,
    resolve_net,
)


@app.command()
def size(
    net: NetArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    classes: ClassesOpt = None,
    convention: ConvOpt = "paper",
    dtype: DtypeOpt = "fp32",
    bits: Annotated[
        int | None, typer.Option("--bits", help="cluster-index bits B (weight sharing, 1–32)")
    ] = None,
    density: Annotated[
        float, typer.Option("--density", help="fraction of weights kept by pruning, in (0, 1]")
    ] = 1.0,
    index_bits: Annotated[
        int, typer.Option("--index-bits", help="relative-index bits I of the sparse format (1–32)")
    ] = 4,
    huffman: Annotated[
        bool, typer.Option("--huffman", help="add a Huffman ESTIMATE (entropy under stated assumptions)")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", help="data-parallel workers N for the ring all-reduce")
    ] = 1,
    layer: Annotated[
        list[str] | None,
        typer.Option("--layer", help="per-layer setting NAME:density=D[:bits=B][:index_bits=I] (repeatable)"),
    ] = None,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    summary: Annotated[bool, typer.Option("--summary", help="totals only")] = False,
) -> None:
    """Weight storage per layer and in total (dense, pruned, clustered), and all-reduce traffic."""
    from archcalc.count.conventions import get_convention
    from archcalc.count.model_size import parse_layer_args, size_report
    from archcalc.dtypes import dtype_bytes
    from archcalc.errors import ArchcalcError
    from archcalc.render.common import check_format, emit
    from archcalc.render.size import render_size

    check_format(fmt)
    conv = get_convention(convention)
    if not conv.counts_params:
        raise ArchcalcError(f"--convention: {conv.undefined('params')}")
    dtype_bytes(dtype)
    overrides = parse_layer_args(layer or [])
    resolved = resolve_net(net, alpha, res, rho, param, classes)
    rep = size_report(resolved, convention, dtype, bits, density, index_bits, workers, huffman, overrides)
    emit(render_size(rep, fmt, summary, wide))
