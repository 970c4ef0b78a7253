"""`archcalc import`: an ONNX file as a readable spec (one row per layer) and its import ledger."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import FormatOpt
from archcalc.errors import ArchcalcError


def parse_input_shape(text: str | None) -> tuple[int, int, int] | None:
    """``"3,224,160"`` → (3, 224, 160)."""
    if text is None:
        return None
    parts = [p.strip() for p in text.replace("x", ",").replace("×", ",").split(",")]
    if len(parts) != 3 or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise ArchcalcError(f"--input-shape must be C,H,W (three whole numbers ≥ 1), got {text!r}")
    c, h, w = (int(p) for p in parts)
    return (c, h, w)


@app.command("import")
def import_cmd(
    source: Annotated[str, typer.Argument(help="an .onnx file")],
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="write the spec to FILE.yaml (default: stdout)")
    ] = None,
    ledger: Annotated[
        bool, typer.Option("--ledger", help="list what was dropped, folded or merged, and why it is free")
    ] = False,
    width: Annotated[
        str, typer.Option("--width", help="how α scales the channels: truncate (⌊α·c⌋) | round8")
    ] = "truncate",
    input_shape: Annotated[
        str | None, typer.Option("--input-shape", help="C,H,W for an input with symbolic sizes")
    ] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Read an ONNX file (needs the onnx extra, not torch) and write it as a spec that reloads to
    the same numbers. An op that cannot be mapped is an error naming every such op."""
    from archcalc.render.common import check_format, emit_json

    check_format(fmt)
    if not source.lower().endswith(".onnx"):
        raise ArchcalcError(
            f"archcalc import reads .onnx files, got {source!r} (torch modules: archcalc.import_torch)"
        )
    from archcalc.importers.onnx_graph import import_onnx_file
    from archcalc.importers.writer import row_data, to_yaml

    result = import_onnx_file(source, parse_input_shape(input_shape), width=width)
    if fmt == "json":
        emit_json(
            {
                "spec": {
                    **result.spec.model_dump(mode="json", exclude_defaults=True, exclude={"body"}),
                    "body": [row_data(e) for e in result.spec.body],
                },
                "ledger": [e.model_dump() for e in result.ledger],
                "source_params": result.source_params,
            }
        )
    elif ledger:
        from archcalc.render.common import emit
        from archcalc.render.imported import render_ledger

        emit(render_ledger(result, fmt))
    text = to_yaml(result)
    if output is not None:
        path = Path(output)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            raise ArchcalcError(f"-o {output}: cannot write: {e.strerror}") from None
        sys.stderr.write(
            f"archcalc: wrote {output}: {len(result.spec.body)} layers, {len(result.ledger)} ledger entries"
            f"{'' if ledger else ' (--ledger lists them)'}\n"
        )
    elif fmt != "json" and not ledger:
        sys.stdout.write(text)
