"""``archcalc paper``: published figures next to the count."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archcalc.render.common import grid
from archcalc.render.fit import FitTable, Footnotes

if TYPE_CHECKING:
    from archcalc.count.published import FigureCheck


def render_figures(
    title: str, checks: list[FigureCheck], fmt: str, wide: bool = False
) -> str | list[FitTable]:
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
    sources = Footnotes("Sources:")
    t = FitTable(
        f"{title}: published figures vs the closed-form count",
        "A figure is reproduced when the count prints as it at its printed precision. "
        "An erratum is a figure a careful count does not reproduce; the note says why.",
        wide=wide,
    )
    t.column("label [source]", min_width=8)
    t.column("setting", drop=3)
    t.column("figure", min_width=6)
    t.column("printed", number=True)
    t.column("count", number=True)
    t.column("count printed", number=True, drop=1)
    t.column("Δ", number=True, drop=2)
    t.column("status", min_width=8)
    if also is not None:
        t.column(f"count [{also}]", number=True)
    notes: list[str] = []
    for c in checks:
        status = ("✓ " if c.ok else "✗ ") + c.status
        if c.note and c.status == "erratum":
            notes.append(f"{c.label}: {c.note}")
            status += f" [{len(notes)}]"
        t.row(
            f"{c.label} [{sources.mark(c.source)}]",
            c.setting,
            f"{c.quantity} [{c.convention}]",
            c.printed,
            f"{c.computed:,}",
            c.computed_printed,
            f"{c.relative_difference:+.2%}",
            status,
            *([] if also is None else ["—" if c.also_computed is None else f"{c.also_computed:,}"]),
        )
    t.notes = sources.lines()
    out = [t]
    if notes:
        n = FitTable("Errata", show_header=False, wide=wide)
        n.column("note")
        for i, text in enumerate(notes, 1):
            n.row(f"[{i}] {text}")
        out.append(n)
    return out
