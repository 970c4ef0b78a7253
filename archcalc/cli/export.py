"""`archcalc export`: the network as an ONNX file (random weights, the spec's layer names)."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import AlphaOpt, NetArg, ParamOpt, ResOpt, RhoOpt, resolve_net


@app.command()
def export(
    net: NetArg,
    output: Annotated[str, typer.Option("-o", "--output", help="FILE.onnx to write")],
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the random weights")] = 0,
) -> None:
    """Write the network as ONNX (opset 17) with random weights and the spec's layer names.

    Needs only the `onnx` package (pip install 'archcalc[onnx]'), not torch. The file passes
    onnx.checker; the batch dimension is symbolic.
    """
    from archcalc.errors import ArchcalcError
    from archcalc.export.onnx_model import require_onnx, save, to_onnx

    require_onnx()
    if seed < 0:
        raise ArchcalcError(f"--seed {seed}: must be 0 or more")
    resolved = resolve_net(net, alpha, res, rho, param)
    model = to_onnx(resolved.graph, resolved.spec.name, seed=seed)
    path = save(model, output)
    g = model.graph
    typer.echo(
        f"wrote {path}: {len(g.node)} ONNX nodes for {len(resolved.graph)} layers, "
        f"{len(g.initializer)} initializers"
    )
