"""``archcalc reconcile``: every convention's figure side by side, and the ledger that explains them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archcalc.render.common import grid, mega, settings
from archcalc.render.fit import FitTable

if TYPE_CHECKING:
    from archcalc.count.reconcile import Reconciliation


def _measured(count: int | None, measured: int | None) -> str:
    if measured is None:
        return ""
    return f"{measured:,} {'✓' if measured == count else '✗'}"


def _ledger_grid(r: Reconciliation) -> tuple[list[str], list[list[object]]]:
    """Rows: what, units, layers, then per counter its charge per unit and its count; a TOTAL row."""
    header = ["what", "units", "layers"]
    header += [f"per_unit[{c}]" for c in r.counters] + [f"count[{c}]" for c in r.counters]
    rows: list[list[object]] = [
        [x.what, x.units, x.layers, *(x.charge[c] for c in r.counters), *(x.counts[c] for c in r.counters)]
        for x in r.ledger
    ]
    totals = {c: sum(x.counts[c] for x in r.ledger) for c in r.counters}
    rows.append(["TOTAL", "", "", *("" for _ in r.counters), *(totals[c] for c in r.counters)])
    return header, rows


def render_reconciliation(r: Reconciliation, fmt: str, wide: bool = False) -> str | list[FitTable]:
    """A string for json / csv / markdown; rich renderables for ``table``."""
    if fmt == "json":
        return r.model_dump_json(indent=2) + "\n"
    if fmt == "csv":
        header, rows = _ledger_grid(r)
        return grid(header, rows, "csv")
    if fmt == "markdown":
        fig_rows = [
            [
                f.convention,
                f.unit or "",
                "" if f.count is None else f.count,
                "" if f.params is None else f.params,
                _measured(f.count, f.measured),
                f.rule or "counts no MACs",
            ]
            for f in r.figures
        ]
        text = f"**{r.title}** ({settings(r)}): every convention's figure\n\n"
        text += grid(["convention", "unit", "count", "params", "measured", "rule"], fig_rows, "markdown")
        header, rows = _ledger_grid(r)
        text += "\nThe ledger: each counter's count is the sum of its column.\n\n" + grid(
            header, rows, "markdown"
        )
        text += "\n" + grid(
            ["parameters", "count", "counted by"],
            [[p.what, p.params, ", ".join(p.counted_by)] for p in r.params],
            "markdown",
        )
        return text
    return _rich(r, wide)


def _rich(r: Reconciliation, wide: bool) -> list[FitTable]:
    ran = any(f.measured is not None for f in r.figures)
    figures = FitTable(f"{r.title} — {settings(r)} — every convention's figure", wide=wide)
    figures.column("convention")
    for col in ("count", "exact", "params", *(["measured (the real tool)"] if ran else [])):
        figures.column(col, number=True)
    figures.column("what it counts, and the release it reproduces", drop=1, min_width=20)
    for f in r.figures:
        cells = [
            f.convention,
            "—" if f.count is None else f"{mega(f.count)} {f.unit}",
            "—" if f.count is None else f"{f.count:,}",
            "—" if f.params is None else f"{f.params:,}",
        ]
        if ran:
            cells.append(_measured(f.count, f.measured) or "—")
        cells.append(" ".join(x for x in (f.rule, f.params_rule if f.count is None else None) if x))
        figures.row(*cells)

    ledger = FitTable(
        "The ledger: what each counter charges for what the network has (M; × = per unit)",
        "each column sums to that counter's figure; rows where the charges differ come first",
        wide=wide,
    )
    n = len(r.counters)
    ledger.column("what", min_width=9)
    ledger.column("units", number=True, drop=n + 1)
    ledger.column("layers", number=True, drop=n)
    for i, c in enumerate(r.counters):  # the last counters are left out first; the first never
        ledger.column(c, number=True, drop=None if i == 0 else n - i)
    for x in r.ledger:
        charges = (_cell(x.charge[c], x.counts[c]) for c in r.counters)
        ledger.row(x.what, f"{x.units:,}", str(x.layers), *charges)
    totals = {c: sum(x.counts[c] for x in r.ledger) for c in r.counters}
    ledger.section()
    ledger.row("TOTAL", "", "", *(f"{totals[c] / 1e6:,.3f}" for c in r.counters))

    params = FitTable("Parameters: which groups each convention counts", wide=wide)
    params.column("group")
    params.column("params", number=True)
    params.column("counted by", min_width=12)
    for p in r.params:
        params.row(p.what, f"{p.params:,}", ", ".join(p.counted_by) or "none")
    return [figures, ledger, params]


def _cell(charge: int, count: int) -> str:
    if charge == 0:
        return "·"
    return f"{charge}× {count / 1e6:,.3f}"
