"""The typer application every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="archcalc",
    help="Analytic cost model for lightweight CNNs: params, MACs and memory traffic per layer, "
    "under named counting conventions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
