"""Published figures (carried as data in each spec's ``published`` list) next to the count.

A printed figure carries its own precision: ``4.2M`` means 4.15 M ≤ x ≤ 4.25 M, ``569M`` means
568.5 M ≤ x ≤ 569.5 M, ``1,248,424`` is exact. A figure is reproduced when the count, under the
figure's convention, lies within half a unit of its last printed digit (or of its ``*_unit``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, Field

from archcalc.closed_form import Report, report
from archcalc.resolve import resolve
from archcalc.spec import NetworkSpec, PublishedFigure

_SCALE = {"": Decimal(1), "K": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9}


@dataclass(frozen=True, slots=True)
class Printed:
    text: str
    value: Decimal
    unit: Decimal
    suffix: str
    decimals: int

    def holds(self, count: int) -> bool:
        """|count − printed| ≤ unit / 2: the count prints as this figure."""
        return abs(Decimal(count) - self.value) * 2 <= self.unit

    def format(self, count: int) -> str:
        """``count`` printed the same way (same suffix, same decimals)."""
        scaled = Decimal(count) / _SCALE[self.suffix]
        step = self.unit / _SCALE[self.suffix]
        rounded = (scaled / step).quantize(Decimal(1), rounding="ROUND_HALF_UP") * step
        text = f"{rounded:,.{self.decimals}f}" if self.suffix == "" else f"{rounded:.{self.decimals}f}"
        return text + self.suffix


def parse_printed(text: str, unit: str | None = None) -> Printed:
    t = text.replace(",", "").replace(" ", "")
    suffix = t[-1] if t[-1] in "KMG" else ""
    number = t[:-1] if suffix else t
    decimals = len(number.split(".")[1]) if "." in number else 0
    value = Decimal(number) * _SCALE[suffix]
    step = parse_printed(unit).value if unit else Decimal(10) ** -decimals * _SCALE[suffix]
    return Printed(text, value, step, suffix, decimals)


class FigureCheck(BaseModel):
    source: str
    label: str
    setting: str
    quantity: str = Field(description="MACs or params")
    convention: str
    printed: str
    computed: int
    computed_printed: str = Field(description="the count, printed at the figure's precision")
    relative_difference: float = Field(description="(computed − printed) / printed")
    status: str
    expect: str | None
    ok: bool
    note: str | None


def _setting_text(spec: NetworkSpec, f: PublishedFigure, res: int) -> str:
    knobs = " ".join(f"{k}={json.dumps(v)}" for k, v in f.setting.knobs.items())
    return f"α={f.setting.alpha:g} {res}px" + (f" {knobs}" if knobs else "")


def check_figures(spec: NetworkSpec) -> list[FigureCheck]:
    """Every published MACs / params figure of ``spec`` against the closed-form count."""
    reports: dict[tuple, Report] = {}
    out: list[FigureCheck] = []
    for f in spec.published:
        key = (f.setting.alpha, f.setting.resolution, tuple(sorted(f.setting.knobs.items())))
        if key not in reports:
            r = resolve(spec, f.setting.alpha, f.setting.resolution, knobs=f.setting.knobs)
            reports[key] = report(r)
        rep = reports[key]
        for quantity, printed, unit, conv, expect in (
            ("MACs", f.macs, f.macs_unit, f.macs_convention, f.expect_macs),
            ("params", f.params, f.params_unit, f.params_convention, f.expect_params),
        ):
            if printed is None:
                continue
            totals = rep.by_convention[conv]
            count = totals.macs if quantity == "MACs" else totals.params
            p = parse_printed(printed, unit)
            if f.status == "erratum" and expect is not None:
                ok = parse_printed(expect, unit).holds(count) and not p.holds(count)
            else:
                ok = p.holds(count)
            out.append(
                FigureCheck(
                    source=f.source,
                    label=f.label,
                    setting=_setting_text(spec, f, rep.resolution),
                    quantity=quantity,
                    convention=conv,
                    printed=printed,
                    computed=count,
                    computed_printed=p.format(count),
                    relative_difference=float((Decimal(count) - p.value) / p.value) if p.value else 0.0,
                    status=f.status if expect is not None or f.status == "reproduced" else "reproduced",
                    expect=expect,
                    ok=ok,
                    note=f.note,
                )
            )
    return out
