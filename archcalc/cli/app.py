"""The typer application every command module registers on."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="archcalc",
    help="Analytic cost model for lightweight CNNs: params, MACs and memory traffic per layer, "
    "under named counting conventions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PANELS: dict[str, tuple[str, ...]] = {
    "Cost of a network or a layer": ("table", "reconcile", "compare", "memory", "size"),
    "Budgets over α × resolution": ("sweep", "budget"),
    "Measured on this CPU (needs torch or onnxruntime)": ("time", "calibrate", "validate"),
    "Specs and published figures": ("list", "paper", "schema", "export", "import"),
}
"""How ``archcalc --help`` groups and orders the commands: panel by panel, in this order."""


def _print_version(value: bool) -> None:
    if value:
        from archcalc._version import __version__

        typer.echo(f"archcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """Options before the command: ``archcalc --version``."""
