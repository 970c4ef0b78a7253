"""Published figures (carried as data in each spec's ``published`` list) next to the count.

A printed figure carries its own precision: ``4.2M`` means 4.15 M ≤ x ≤ 4.25 M, ``569M`` means
568.5 M ≤ x ≤ 569.5 M, ``1,248,424`` is exact. A figure is reproduced when the count, under the
figure's convention, lies within half a unit of its last printed digit (or of its ``*_unit``).
A printed model size is in megabytes (``megabyte``: MB = 10^6 or MiB = 2^20 bytes) and is checked
against :func:`archcalc.count.model_size.size_report` at the figure's storage setting (the expected size,
or the
Huffman estimate where the setting says so); a ratio is the reference bytes over those bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, Field

from archcalc.count.closed_form import Report, report
from archcalc.count.model_size import LayerSetting, size_report
from archcalc.errors import ArchcalcError
from archcalc.model.resolve import Resolved, resolve
from archcalc.spec.schema import NetworkSpec, PublishedFigure, PublishedSize

_SCALE = {"": Decimal(1), "K": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9}


@dataclass(frozen=True, slots=True)
class Printed:
    text: str
    value: Decimal
    unit: Decimal
    suffix: str
    decimals: int

    def holds(self, value: Decimal) -> bool:
        """|value − printed| ≤ unit / 2: the value prints as this figure."""
        return abs(value - self.value) * 2 <= self.unit

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
    quantity: str = Field(description="MACs, params, size [MB or MiB] or size ratio")
    convention: str
    printed: str
    computed: int
    computed_printed: str = Field(description="the count, printed at the figure's precision")
    relative_difference: float = Field(description="(computed − printed) / printed")
    status: str
    expect: str | None
    ok: bool
    note: str | None
    also_convention: str | None = Field(None, description="paper --convention: the other convention")
    also_computed: int | None = Field(
        None, description="the same quantity under also_convention (FLOPs for tf; null: it counts none)"
    )


def _setting_text(spec: NetworkSpec, f: PublishedFigure, res: int) -> str:
    knobs = " ".join(f"{k}={json.dumps(v)}" for k, v in f.setting.knobs.items())
    return f"α={f.setting.alpha:g} {res}px" + (f" {knobs}" if knobs else "")


def check_figures(spec: NetworkSpec, also: str | None = None) -> list[FigureCheck]:
    """Every published MACs / params figure of ``spec`` against the closed-form count; with ``also``,
    each figure's quantity under that convention too (what that tool would print there)."""
    if also is not None:
        from archcalc.count.conventions import get_convention

        get_convention(also)
    reports: dict[tuple, tuple[Resolved, Report]] = {}
    out: list[FigureCheck] = []
    for f in spec.published:
        key = (f.setting.alpha, f.setting.resolution, tuple(sorted(f.setting.knobs.items())))
        if key not in reports:
            r = resolve(spec, f.setting.alpha, f.setting.resolution, knobs=f.setting.knobs)
            reports[key] = (r, report(r))
        r, rep = reports[key]
        if f.size is not None:
            out.extend(_size_checks(spec, f, rep.resolution, r))
        for quantity, printed, unit, conv, expect in (
            ("MACs", f.macs, f.macs_unit, f.macs_convention, f.expect_macs),
            ("params", f.params, f.params_unit, f.params_convention, f.expect_params),
        ):
            if printed is None:
                continue
            totals = rep.by_convention[conv]
            count = totals.macs if quantity == "MACs" else totals.params
            if count is None:
                raise ArchcalcError(
                    f"{spec.name}: published figure {f.label!r}: convention {conv!r} counts no {quantity}"
                )
            setting = _setting_text(spec, f, rep.resolution)
            check = _check(f, setting, quantity, conv, printed, expect, unit, count)
            if also is not None:
                o = rep.by_convention[also]
                check.also_convention = also
                check.also_computed = (
                    (o.macs if o.macs is not None else o.flops) if quantity == "MACs" else o.params
                )
            out.append(check)
    return out


_MEGABYTE = {"MB": Decimal(10) ** 6, "MiB": Decimal(2) ** 20}


def _storage_text(f: PublishedFigure) -> str:
    s = f.size.storage if f.size else None
    if s is None:
        return ""
    parts = [s.dtype]
    if s.bits is not None:
        parts.append(f"{s.bits}-bit clusters")
    if s.density < 1:
        parts.append(f"density {s.density:g}, {s.index_bits}-bit relative index")
    if s.layers:
        parts.append(
            "per layer: "
            + "; ".join(
                f"{k} " + " ".join(f"{kk}={vv:g}" for kk, vv in v.items()) for k, v in s.layers.items()
            )
        )
    if s.huffman:
        parts.append("Huffman ESTIMATE")
    return ", ".join(parts)


def _size_checks(spec: NetworkSpec, f: PublishedFigure, res: int, resolved: Resolved) -> list[FigureCheck]:
    """The size / ratio figures of one published entry."""
    from archcalc.spec.catalog import load_spec

    ps: PublishedSize | None = f.size
    assert ps is not None
    st = ps.storage
    conv = f.params_convention
    layers = {
        k: LayerSetting(**{kk: (vv if kk == "density" else int(vv)) for kk, vv in v.items()})
        for k, v in st.layers.items()
    }
    rep = size_report(resolved, conv, st.dtype, st.bits, st.density, st.index_bits, 1, st.huffman, layers)
    count = rep.totals.huffman_bytes if st.huffman else rep.totals.compressed_bytes
    assert count is not None
    setting = f"{_setting_text(spec, f, res)}; {_storage_text(f)}"
    out: list[FigureCheck] = []
    if ps.mb is not None:
        mb = _MEGABYTE[ps.megabyte]
        what = f"size [{ps.megabyte}]"
        value = Decimal(count) / mb
        out.append(_check(f, setting, what, conv, ps.mb, ps.expect_mb, ps.mb_unit, count, value))
    if ps.ratio is not None:
        if ps.ratio_to:
            ref_spec = load_spec(ps.ratio_to)
            ref = size_report(resolve(ref_spec), conv).totals.dense_fp32_bytes
            what = f"size ratio ({ps.ratio_to} fp32 ÷ this)"
        else:
            ref = rep.totals.dense_fp32_bytes
            what = "size ratio (fp32 ÷ this)"
        value = Decimal(ref) / Decimal(count)
        out.append(_check(f, setting, what, conv, ps.ratio, ps.expect_ratio, None, count, value))
    return out


def _check(
    f: PublishedFigure,
    setting: str,
    quantity: str,
    convention: str,
    printed: str,
    expect: str | None,
    unit: str | None,
    count: int,
    value: Decimal | None = None,
) -> FigureCheck:
    """The figure ``printed`` (and the ``expect`` of an erratum), at the precision of ``unit``, against
    ``value``: the count itself, or the size or ratio made of it."""
    p = parse_printed(printed, unit)
    expected = None if expect is None else parse_printed(expect, unit)
    if value is None:
        value, computed_printed = Decimal(count), p.format(count)
    else:
        rounded = (value / p.unit).quantize(Decimal(1), rounding="ROUND_HALF_UP") * p.unit
        computed_printed = f"{rounded:.{p.decimals}f}"
    return FigureCheck(
        source=f.source,
        label=f.label,
        setting=setting,
        quantity=quantity,
        convention=convention,
        printed=printed,
        computed=count,
        computed_printed=computed_printed,
        relative_difference=float((value - p.value) / p.value) if p.value else 0.0,
        status=f.status if expect is not None or f.status == "reproduced" else "reproduced",
        expect=expect,
        ok=reproduces(f, p, expected, value),
        note=f.note,
    )


def reproduces(f: PublishedFigure, printed: Printed, expected: Printed | None, value: Decimal) -> bool:
    """The erratum rule: a figure marked ``erratum`` that says what the count prints as (``expect``)
    is right when the value prints as ``expect`` and not as the printed figure; any other figure,
    when the value prints as the printed figure."""
    if f.status == "erratum" and expected is not None:
        return expected.holds(value) and not printed.holds(value)
    return printed.holds(value)
