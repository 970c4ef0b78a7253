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

PANELS: dict[str, tuple[str, ...]] = {
    "Cost of a network or a layer": ("table", "reconcile", "compare", "memory", "size"),
    "Budgets over α × resolution": ("sweep", "budget"),
    "Measured on this CPU (needs torch)": ("time", "calibrate", "validate"),
    "Specs and published figures": ("list", "paper", "schema"),
}
"""How ``archcalc --help`` groups and orders the commands: panel by panel, in this order."""
