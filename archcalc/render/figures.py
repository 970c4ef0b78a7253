"""``archcalc paper``: published figures next to the count."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from archcalc.render.common import add_row, grid

if TYPE_CHECKING:
    from archcalc.count.published import FigureCheck


def render_figures(title: str, checks: list[FigureCheck], fmt: str) -> str | list[Table]:
    """Published figures next to the count (``archcalc paper``)."""
    if fmt == "json":
        return "[\n" + ",\n".join(c.model_dump_json(indent=2) for c in checks) + "\n]\n"
    header = [
        "source",
        "label",
        "setting",
        "quantity",
        "convention",
        "printed",
        "computed",
        "computed_printed",
        "relative_difference",
        "status",
        "ok",
        "note",
    ]
    also = checks[0].also_convention if checks else None
    if also is not None:
        header.append(f"computed[{also}]")
    rows = [
        [
            c.source,
            c.label,
            c.setting,
            c.quantity,
            c.convention,
            c.printed,
            c.computed,
            c.computed_printed,
            f"{c.relative_difference:+.4%}",
            c.status,
            c.ok,
            c.note or "",
            *([] if also is None else ["" if c.also_computed is None else c.also_computed]),
        ]
        for c in checks
    ]
    if fmt in ("csv", "markdown"):
        return grid(header, rows, fmt)
    t = Table(
        title=f"{title}: published figures vs the closed-form count",
        caption="A figure is reproduced when the count prints as it at its printed precision. "
        "An erratum is a figure a careful count does not reproduce; the note says why.",
    )
    cols = ["source", "label", "setting", "figure", "printed", "count", "count printed", "Δ", "status"]
    if also is not None:
        cols.append(f"count [{also}]")
    left = ("source", "label", "setting", "figure", "status")
    for col in cols:
        t.add_column(escape(col), justify="left" if col in left else "right")
    notes: list[str] = []
    for c in checks:
        status = ("✓ " if c.ok else "✗ ") + c.status
        if c.note and c.status == "erratum":
            notes.append(f"{c.label}: {c.note}")
            status += f" [{len(notes)}]"
        add_row(
            t,
            c.source,
            c.label,
            c.setting,
            f"{c.quantity} [{c.convention}]",
            c.printed,
            f"{c.computed:,}",
            c.computed_printed,
            f"{c.relative_difference:+.2%}",
            status,
            *([] if also is None else ["—" if c.also_computed is None else f"{c.also_computed:,}"]),
        )
    out = [t]
    if notes:
        n = Table(title="Errata", show_header=False)
        n.add_column("note")
        for i, text in enumerate(notes, 1):
            add_row(n, f"[{i}] {text}")
        out.append(n)
    return out
