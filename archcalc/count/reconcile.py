"""Why the counters disagree: every convention's figure side by side, and the ledger behind them.

For one resolved network, :func:`reconcile` gives

* ``figures``: each convention's count (MACs, or FLOPs for ``tf``) and parameters, with its rule
  and the tool release it reproduces;
* ``ledger``: one row per countable quantity the graph has (conv multiply-adds, conv bias adds,
  batch norm elements, ReLU elements, pooling windows …), with how many units the graph has, how
  many layers have it, and what each counter charges per unit and in total. Every counter's column
  sums to its figure, so the rows where the charges differ are exactly why two figures differ;
* ``params``: which parameter groups each convention counts (conv / linear weights, their biases,
  batch norm γ and β, batch norm running statistics), summing to each convention's parameters.

The rules are the op classes' own (:meth:`archcalc.model.ops.Op.tallies`). Pure Python: running the
real tools next to the figures (``archcalc reconcile --run``) is :mod:`archcalc.measure.counters`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from archcalc.count.conventions import CONVENTIONS
from archcalc.count.header import TitledConfigured
from archcalc.model.ops.counting import COUNTERS, Rule
from archcalc.model.resolve import Resolved


class Figure(BaseModel):
    """One convention's figures for the network."""

    convention: str
    unit: str | None = Field(description="MACs, FLOPs, or null for a convention that counts neither")
    count: int | None = Field(description="MACs (FLOPs for tf); null where the convention counts none")
    params: int | None = Field(description="parameters; null where the convention counts none")
    rule: str | None = Field(description="what the count counts")
    params_rule: str | None
    reproduces: str
    measured: int | None = Field(None, description="the real tool's figure (reconcile --run), if run")
    measured_params: int | None = Field(None, description="the real tool's parameter count, if it has one")


class LedgerRow(BaseModel):
    """One countable quantity: its units in the graph and what each counter makes of them."""

    what: str = Field(description="the unit: 'batch norm output element', 'conv multiply-add' …")
    units: int = Field(description="how many the graph has")
    layers: int = Field(description="how many layers have some")
    charge: dict[str, int] = Field(description="per counter: what it counts per unit")
    counts: dict[str, int] = Field(description="per counter: units × charge")


class ParamRow(BaseModel):
    """One group of parameters and which conventions count it."""

    what: str
    params: int
    counted_by: list[str]


class Reconciliation(TitledConfigured):
    """network, title, alpha, resolution, knobs (:mod:`archcalc.count.header`), then the figures."""

    figures: list[Figure]
    ledger: list[LedgerRow] = Field(description="rows whose charges differ first, largest spread first")
    params: list[ParamRow]
    counters: list[str] = Field(description="the columns of the ledger, in order")


def reconcile(resolved: Resolved) -> Reconciliation:
    """Every convention's figures for ``resolved`` and the op-by-op ledger that explains them."""
    graph = resolved.graph
    units: dict[Rule, int] = {}
    layers: dict[Rule, int] = {}
    weights = biases = norm = buffers = 0
    for n in graph:
        op = n.op
        for r, u in op.tallies(n.in_shapes, n.out_shape):
            if u:
                units[r] = units.get(r, 0) + u
                layers[r] = layers.get(r, 0) + 1
        b = op.bias_params()
        weights += op.weight_params() - b
        biases += b
        norm += op.norm_params()
        buffers += op.buffer_elems()
    rows = [
        LedgerRow(
            what=r.what,
            units=u,
            layers=layers[r],
            charge=dict(zip(COUNTERS, r.charge, strict=True)),
            counts={c: u * x for c, x in zip(COUNTERS, r.charge, strict=True)},
        )
        for r, u in units.items()
    ]
    rows.sort(key=lambda row: -(max(row.counts.values()) - min(row.counts.values())))

    from archcalc.count.closed_form import LayerCounts, convention_totals

    totals = convention_totals(LayerCounts(graph))
    figures = []
    for name, c in CONVENTIONS.items():
        t = totals[name]
        figures.append(
            Figure(
                convention=name,
                unit=c.unit,
                count=t.macs if c.unit == "MACs" else t.flops,
                params=t.params,
                rule=c.macs_rule,
                params_rule=c.params_rule,
                reproduces=c.reproduces,
            )
        )
    groups = (
        ("conv / linear weights", weights, 0),
        ("conv / linear biases", biases, 0),
        ("batch norm γ, β", norm, 1),
        ("batch norm running mean and variance", buffers, 2),
    )
    params = [
        ParamRow(
            what=what,
            params=count,
            counted_by=[
                name for name, c in CONVENTIONS.items() if c.params_parts is not None and c.params_parts[part]
            ],
        )
        for what, count, part in groups
        if count
    ]
    return Reconciliation(
        **Reconciliation.header(resolved),
        figures=figures,
        ledger=rows,
        params=params,
        counters=list(COUNTERS),
    )
