"""``archcalc reconcile``: every convention's figure side by side, and the ledger that explains them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archcalc.render.common import add_row, grid, mega, settings

if TYPE_CHECKING:
    from rich.table import Table

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


def render_reconciliation(r: Reconciliation, fmt: str) -> str | list[Table]:
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
    return _rich(r)


def _rich(r: Reconciliation) -> list[Table]:
    from rich.markup import escape
    from rich.table import Table

    ran = any(f.measured is not None for f in r.figures)
    figures = Table(title=escape(f"{r.title} — {settings(r)} — every convention's figure"))
    for col, just in (("convention", "left"), ("count", "right"), ("exact", "right"), ("params", "right")):
        figures.add_column(col, justify=just)  # type: ignore[arg-type]
    if ran:
        figures.add_column("measured (the real tool)", justify="right")
    figures.add_column("what it counts, and the release it reproduces", overflow="fold", max_width=80)
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
        add_row(figures, *cells)

    ledger = Table(
        title=escape("The ledger: what each counter charges for what the network has (M; × = per unit)"),
        caption="each column sums to that counter's figure; rows where the charges differ come first",
    )
    ledger.add_column("what", overflow="fold", max_width=44)
    ledger.add_column("units", justify="right")
    ledger.add_column("layers", justify="right")
    for c in r.counters:
        ledger.add_column(c, justify="right")
    for x in r.ledger:
        add_row(
            ledger,
            x.what,
            f"{x.units:,}",
            str(x.layers),
            *(_cell(x.charge[c], x.counts[c]) for c in r.counters),
        )
    totals = {c: sum(x.counts[c] for x in r.ledger) for c in r.counters}
    add_row(ledger, "TOTAL", "", "", *(f"{totals[c] / 1e6:,.3f}" for c in r.counters))

    params = Table(title="Parameters: which groups each convention counts")
    params.add_column("group")
    params.add_column("params", justify="right")
    params.add_column("counted by", overflow="fold")
    for p in r.params:
        add_row(params, p.what, f"{p.params:,}", ", ".join(p.counted_by) or "none")
    return [figures, ledger, params]


def _cell(charge: int, count: int) -> str:
    if charge == 0:
        return "·"
    return f"{charge}× {count / 1e6:,.3f}"
