"""Several networks in one table, as the papers compare them (MobileNet V1 Tables 8–10).

Per network: MACs and params under one convention, their ratios to the first network
(``macs_vs_first`` = MACs / MACs of the first), and the published ImageNet top-1 where the spec holds
one for exactly that configuration (:mod:`archcalc.count.accuracy`), with its source.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from archcalc.count.accuracy import config_key, top1_table
from archcalc.count.closed_form import Report
from archcalc.count.conventions import get_convention
from archcalc.count.header import TitledConfigured
from archcalc.spec.schema import NetworkSpec


class NetworkRow(TitledConfigured):
    """One network: its header (network, title, alpha, resolution, knobs), then its figures."""

    macs: int | None = Field(description="under the comparison's convention (null: it counts none)")
    flops: int | None = Field(description="2 × macs, or the count of a FLOP convention (tf)")
    params: int | None = Field(description="under the comparison's convention (null: it counts none)")
    params_without_bn: int
    params_with_bn: int
    macs_vs_first: float | None = Field(
        description="MACs ÷ the first network's MACs (FLOPs ÷ FLOPs under tf)"
    )
    params_vs_first: float | None = Field(description="params ÷ the first network's params")
    top1: float | None = Field(None, description="published ImageNet top-1 (%) of this configuration")
    top1_source: str | None = None
    top1_label: str | None = Field(None, description="the row name the source prints")


class NetworkComparison(BaseModel):
    convention: str
    macs_rule: str | None
    params_rule: str | None
    networks: list[NetworkRow]


def _ratio(x: int | None, first: int | None) -> float | None:
    """x ÷ the first network's; nan when that is 0; None where the convention counts none."""
    if x is None or first is None:
        return None
    return x / first if first else float("nan")


def compare_reports(reports: Sequence[Report], specs: Sequence[NetworkSpec]) -> NetworkComparison:
    """One row per report (all under one convention), ratios to the first."""
    first = reports[0]
    conv = get_convention(first.convention)
    rows = []
    for r, spec in zip(reports, specs, strict=True):
        top = top1_table(spec).get(config_key(r.alpha, r.resolution, r.knobs))
        t = r.totals
        rows.append(
            NetworkRow(
                **NetworkRow.header(r),
                macs=t.macs,
                flops=t.flops,
                params=t.params,
                params_without_bn=t.params_without_bn,
                params_with_bn=t.params_with_bn,
                macs_vs_first=_ratio(t.macs, first.totals.macs)
                if t.macs is not None
                else _ratio(t.flops, first.totals.flops),
                params_vs_first=_ratio(t.params, first.totals.params),
                top1=None if top is None else top.value,
                top1_source=None if top is None else top.source,
                top1_label=None if top is None else top.label,
            )
        )
    return NetworkComparison(
        convention=conv.name, macs_rule=conv.macs_rule, params_rule=conv.params_rule, networks=rows
    )
