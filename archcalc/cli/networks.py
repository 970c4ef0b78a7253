"""`archcalc list`, `paper` and `schema`: what the built-in specs hold."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import FormatOpt, NetArg, WideOpt
from archcalc.errors import ArchcalcError


@app.command("list")
def list_networks(fmt: FormatOpt = "table") -> None:
    """The built-in networks, one line each, with their knobs and defaults."""
    from archcalc.render.common import check_format, emit, emit_json, grid
    from archcalc.spec.catalog import builtin_names, load_spec

    check_format(fmt)
    specs = [load_spec(name) for name in builtin_names()]
    if fmt == "json":
        emit_json(
            [
                {
                    "name": s.name,
                    "title": s.title,
                    "resolution": s.input.resolution,
                    "knobs": {k: v.default for k, v in s.knobs.items()},
                    "source": s.source,
                }
                for s in specs
            ]
        )
        return
    rows = [
        [
            s.name,
            s.title,
            s.input.resolution,
            " ".join(
                f"{k}={json.dumps(v.default)}"
                + (f"∈{{{','.join(map(str, v.choices))}}}" if v.choices else "")
                for k, v in s.knobs.items()
            ),
            s.source,
        ]
        for s in specs
    ]
    if fmt in ("csv", "markdown"):
        emit(grid(["name", "title", "resolution", "knobs", "source"], rows, fmt))
        return
    for name, title, resolution, knobs, source in rows:  # one line each, for grep and awk
        sys.stdout.write(f"{name:<20} {title:<22} res {resolution:<4} knobs: {knobs or '-'}  ({source})\n")


@app.command()
def paper(
    net: NetArg,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
    convention: Annotated[
        str | None,
        typer.Option(
            "--convention",
            help="also show each figure's quantity under this convention (what that tool prints there)",
        ),
    ] = None,
) -> None:
    """Every published figure held for a network next to the computed value, with its source.

    Exit 1 if a figure is not reproduced at its printed precision (or an erratum stops being one).
    """
    from archcalc.count.published import check_figures
    from archcalc.render.common import check_format, emit
    from archcalc.render.figures import render_figures
    from archcalc.spec.catalog import load_spec

    check_format(fmt)
    if convention is not None:
        from archcalc.count.conventions import get_convention

        get_convention(convention)
    spec = load_spec(net)
    if not spec.published:
        raise ArchcalcError(f"{net}: the spec holds no published figures")
    checks = check_figures(spec, convention)
    emit(render_figures(spec.title, checks, fmt, wide))
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """The JSON Schema of spec files."""
    from archcalc.render.common import emit_json
    from archcalc.spec.schema import NetworkSpec

    emit_json(NetworkSpec.model_json_schema())
