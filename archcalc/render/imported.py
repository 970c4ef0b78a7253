"""``archcalc import --ledger``: what the importer dropped, folded or merged, and why it is free."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archcalc.render.common import grid

if TYPE_CHECKING:
    from rich.table import Table

    from archcalc.importers.rows import ImportResult

_HEAD = ["node", "op", "action", "why"]


def render_ledger(result: ImportResult, fmt: str) -> str | Table:
    rows = [[e.node, e.op, e.action, e.why] for e in result.ledger]
    if fmt in ("csv", "markdown"):
        return grid(_HEAD, rows, fmt)
    from rich.table import Table

    t = Table(title=f"{result.spec.name}: import ledger ({len(rows)} entries; each costs nothing)")
    for h in _HEAD:
        t.add_column(h)
    for r in rows:
        t.add_row(*r)
    return t
