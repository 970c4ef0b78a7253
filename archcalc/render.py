"""Turning reports into text: a rich table, JSON (exact integers), CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from archcalc.closed_form import Report
from archcalc.designs import Comparison
from archcalc.errors import ArchcalcError
from archcalc.ops import fmt_shape

if TYPE_CHECKING:
    from archcalc.published import FigureCheck
    from archcalc.validate import Validation

FORMATS: tuple[str, ...] = ("table", "json", "csv", "markdown")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ArchcalcError(f"--format {fmt!r} is not known; choose one of {', '.join(FORMATS)}")
    return fmt


def console() -> Console:
    """A console that does not squeeze tables to 80 columns when output is piped."""
    wide = sys.stdout.isatty() or "COLUMNS" in os.environ
    return Console(width=None if wide else 220, soft_wrap=False)


def _add_row(t: Table, *cells: object) -> None:
    """Add a row of plain text (no rich markup: "[paper]" must print as is)."""
    t.add_row(*(escape(str(c)) for c in cells))


def _shape(s: Sequence[int]) -> str:
    return fmt_shape(list(s))


def _m(x: int) -> str:
    return f"{x / 1e6:,.3f} M"


def _settings(r: Report) -> str:
    knobs = ", ".join(f"{k}={json.dumps(v)}" for k, v in r.knobs.items())
    return f"α={r.alpha:g}, {r.resolution}×{r.resolution}" + (f", {knobs}" if knobs else "")


def _grid(header: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


LAYER_COLUMNS = (
    "name",
    "kind",
    "args",
    "input",
    "output",
    "params",
    "macs",
    "macs_pct",
    "bytes_read",
    "bytes_written",
    "intensity",
)


def _layer_rows(r: Report) -> list[list[object]]:
    total = r.totals.macs or 1
    return [
        [
            x.name,
            x.kind,
            x.args,
            " + ".join(_shape(s) for s in x.input_shapes),
            _shape(x.output_shape),
            x.params,
            x.macs,
            f"{100 * x.macs / total:.2f}",
            x.bytes_read,
            x.bytes_written,
            f"{x.intensity:.3f}",
        ]
        for x in r.layers
    ]


def _total_row(r: Report) -> list[object]:
    t = r.totals
    return [
        "TOTAL",
        "",
        "",
        _shape(r.input_shape),
        _shape(r.output_shape),
        t.params,
        t.macs,
        "100.00",
        t.bytes_read,
        t.bytes_written,
        f"{t.macs / (t.bytes_read + t.bytes_written):.3f}",
    ]


def render_report(r: Report, fmt: str, summary: bool = False) -> str | Table | list[Table]:
    """A string for json / csv / markdown; rich renderables for ``table``."""
    if fmt == "json":
        return r.model_dump_json(indent=2, exclude={"layers"} if summary else None) + "\n"
    if fmt in ("csv", "markdown"):
        header = [
            *LAYER_COLUMNS[:5],
            f"params[{r.convention}]",
            f"macs[{r.convention}]",
            *LAYER_COLUMNS[7:9],
            f"bytes_written[{r.dtype}]",
            "intensity_macs_per_byte",
        ]
        header[8] = f"bytes_read[{r.dtype}]"
        rows = [] if summary else _layer_rows(r)
        text = _grid(header, [*rows, _total_row(r)], fmt)
        if fmt == "markdown":
            title = f"**{r.title}** ({_settings(r)}; convention `{r.convention}`, dtype {r.dtype})\n\n"
            text = title + text
        return text
    return _rich_report(r, summary)


def _rich_report(r: Report, summary: bool) -> list[Table]:
    conv = r.by_convention[r.convention]
    out: list[Table] = []
    if not summary:
        t = Table(
            title=escape(
                f"{r.title} — {_settings(r)} — MACs and params: convention '{r.convention}', "
                f"bytes at {r.dtype}"
            ),
            caption=escape(
                f"MACs [{r.convention}]: {conv.macs_rule}. params [{r.convention}]: {conv.params_rule}."
            ),
        )
        for col, just in (
            ("#", "right"),
            ("layer", "left"),
            ("kind", "left"),
            ("args", "left"),
            ("input → output", "left"),
            ("params", "right"),
            ("MACs", "right"),
            ("% MACs", "right"),
            (f"bytes ({r.dtype})", "right"),
            ("MACs/byte", "right"),
        ):
            t.add_column(escape(col), justify=just)  # type: ignore[arg-type]
        total = r.totals.macs or 1
        for i, x in enumerate(r.layers):
            _add_row(
                t,
                str(i),
                x.name,
                x.kind,
                x.args,
                f"{' + '.join(_shape(s) for s in x.input_shapes)} → {_shape(x.output_shape)}",
                f"{x.params:,}",
                f"{x.macs:,}",
                f"{100 * x.macs / total:.2f}",
                f"{x.bytes_read + x.bytes_written:,}",
                f"{x.intensity:.2f}",
            )
        out.append(t)
    out.append(_rich_totals(r))
    out.append(_rich_breakdown(r))
    return out


def _rich_totals(r: Report) -> Table:
    tt = r.totals
    t = Table(title=f"{r.title} totals — {_settings(r)}")
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_column("exact", justify="right")
    t.add_column("convention / note", overflow="fold", max_width=90)
    for name, c in r.by_convention.items():
        mark = " ◀" if name == r.convention else ""
        _add_row(t, f"MACs [{name}]{mark}", _m(c.macs), f"{c.macs:,}", c.macs_rule)
    _add_row(t, f"FLOPs [{r.convention}]", _m(tt.flops), f"{tt.flops:,}", "2 × MACs")
    _add_row(
        t,
        "params without BN [paper]",
        _m(tt.params_without_bn),
        f"{tt.params_without_bn:,}",
        r.by_convention["paper"].params_rule,
    )
    _add_row(
        t,
        "params with BN [torch]",
        _m(tt.params_with_bn),
        f"{tt.params_with_bn:,}",
        r.by_convention["torch"].params_rule,
    )
    _add_row(
        t,
        f"weight bytes [{r.dtype}]",
        _m(tt.weight_bytes),
        f"{tt.weight_bytes:,}",
        "conv/linear weights + BN γ, β, mean, var",
    )
    _add_row(t, f"bytes read [{r.dtype}]", _m(tt.bytes_read), f"{tt.bytes_read:,}", "Σ inputs + weights")
    _add_row(t, f"bytes written [{r.dtype}]", _m(tt.bytes_written), f"{tt.bytes_written:,}", "Σ outputs")
    return t


def _rich_breakdown(r: Report) -> Table:
    t = Table(title=f"Resources per layer type — convention '{r.convention}'")
    for col in ("type", "layers", "MACs", "% MACs", "params", "% params"):
        t.add_column(col, justify="left" if col == "type" else "right")
    for s in r.breakdown:
        _add_row(
            t,
            s.category,
            str(s.layers),
            f"{s.macs:,}",
            f"{100 * s.macs_share:.2f}%",
            f"{s.params:,}",
            f"{100 * s.params_share:.2f}%",
        )
    return t


def render_comparison(c: Comparison, fmt: str) -> str | list[Table]:
    if fmt == "json":
        return c.model_dump_json(indent=2) + "\n"
    first = c.designs[0].kind
    header = [
        "design",
        "MACs formula",
        "params formula",
        "params[paper]",
        "macs[paper]",
        f"bytes[{c.dtype}]",
        f"macs_vs_{first}",
        f"params_vs_{first}",
        "paper_ratio_vs_standard",
        "paper_ratio_value",
    ]
    rows = [
        [
            d.kind,
            d.macs_formula,
            d.params_formula,
            d.params,
            d.macs,
            d.bytes_read + d.bytes_written,
            f"{d.macs_ratio:.6f}",
            f"{d.params_ratio:.6f}",
            d.vs_standard_formula,
            f"{d.vs_standard_formula_value:.6f}",
        ]
        for d in c.designs
    ]
    if fmt in ("csv", "markdown"):
        return _grid(header, rows, fmt)
    dims = (
        f"D_K={c.dk}, M={c.m}, N={c.n}, D_F={c.df}"
        + (f" (input {c.df_in}, stride {c.stride})" if c.stride != 1 else "")
        + (f", G={c.groups}" if c.groups != 1 else "")
        + (f", t={c.t}" if any(d.kind == "inverted_residual" for d in c.designs) else "")
        + (f", S={c.squeeze}" if any(d.kind == "fire" for d in c.designs) else "")
        + (f", m={c.bottleneck}" if any(d.kind == "shuffle" for d in c.designs) else "")
        + (f"; α={c.alpha:g}" if c.alpha != 1 else "")
        + (f", ρ={c.rho:g}" if c.rho != 1 else "")
    )
    t = Table(
        title=f"Single-layer designs — {dims}\nconvention 'paper' (conv weights, no BN), bytes at {c.dtype}",
        caption="D_F is the output side; ratios are to the first design.",
    )
    t.add_column("design", no_wrap=True)
    for col in ("params", "MACs", "bytes", f"MACs ÷ {first}", f"params ÷ {first}"):
        t.add_column(col, justify="right", no_wrap=True)
    f = Table(title="Formulas (symbols as in MobileNet §3; the ratio to a standard conv assumes stride 1)")
    for col in ("design", "MACs =", "params =", "MACs ÷ standard ="):
        f.add_column(col)
    for d in c.designs:
        _add_row(
            t,
            d.kind,
            f"{d.params:,}",
            f"{d.macs:,}",
            f"{d.bytes_read + d.bytes_written:,}",
            f"{d.macs_ratio:.4f}",
            f"{d.params_ratio:.4f}",
        )
        _add_row(
            f,
            d.kind,
            d.macs_formula,
            d.params_formula,
            f"{d.vs_standard_formula} = {d.vs_standard_formula_value:.4f}",
        )
    return [t, f]


def emit(obj: str | Table | list[Table]) -> None:
    if isinstance(obj, str):
        sys.stdout.write(obj)
        return
    con = console()
    for t in obj if isinstance(obj, list) else [obj]:
        con.print(t)


def emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def render_validations(results: list[Validation], fmt: str) -> str | list[Table]:
    """fvcore / torch cross-checks: per-layer diffs for one run, a summary row per run."""
    if fmt == "json":
        if len(results) == 1:
            return results[0].model_dump_json(indent=2) + "\n"
        return "[\n" + ",\n".join(v.model_dump_json(indent=2) for v in results) + "\n]\n"
    if fmt in ("csv", "markdown"):
        header = [
            "network",
            "alpha",
            "resolution",
            "knobs",
            "layer",
            "kind",
            "shape",
            "torch_shape",
            "macs[fvcore]",
            "fvcore_macs",
            "params[torch]",
            "fvcore_params",
            "flops[torch]",
            "flop_counter_flops",
            "ok",
        ]
        rows = [
            [
                v.network,
                v.alpha,
                v.resolution,
                json.dumps(v.knobs),
                c.name,
                c.kind,
                _shape(c.shape),
                _shape(c.torch_shape),
                c.macs,
                c.fvcore_macs,
                c.params,
                c.fvcore_params,
                c.flops,
                c.flop_counter_flops,
                c.ok,
            ]
            for v in results
            for c in v.layers
        ]
        return _grid(header, rows, fmt)
    tables: list[Table] = []
    for v in results:
        shown = v.layers if len(results) == 1 else [c for c in v.layers if not c.ok]
        if not shown:
            continue
        t = Table(
            title=escape(
                f"{v.network} — α={v.alpha:g}, {v.resolution}×{v.resolution} {json.dumps(v.knobs)} — "
                "archcalc vs fvcore and torch, layer by layer"
            ),
            caption="MACs: archcalc 'fvcore' convention vs FlopCountAnalysis.by_module(); "
            "params: archcalc 'torch' convention vs parameter_count(); "
            "FLOPs: 2 × archcalc 'torch' MACs vs FlopCounterMode",
        )
        for col in (
            "layer",
            "kind",
            "shape",
            "MACs",
            "fvcore",
            "params",
            "fvcore",
            "FLOPs",
            "FlopCounter",
            "ok",
        ):
            t.add_column(col, justify="left" if col in ("layer", "kind", "shape") else "right")
        for c in shown:
            shape = (
                _shape(c.shape)
                if c.shape == c.torch_shape
                else f"{_shape(c.shape)} ≠ {_shape(c.torch_shape)}"
            )
            _add_row(
                t,
                c.name,
                c.kind,
                shape,
                f"{c.macs:,}",
                f"{c.fvcore_macs:,}",
                f"{c.params:,}",
                f"{c.fvcore_params:,}",
                f"{c.flops:,}",
                f"{c.flop_counter_flops:,}",
                "✓" if c.ok else "✗",
            )
        tables.append(t)
    s = Table(
        title="Totals: closed form vs real counters on the torch model built from the same graph",
        caption="MACs: archcalc 'fvcore' convention vs FlopCountAnalysis.total(); params: archcalc "
        "'torch' convention vs parameter_count(); FLOPs: 2 × archcalc 'torch' MACs vs FlopCounterMode. "
        "Settings show knobs off their defaults.",
    )
    s.add_column("network", no_wrap=True)
    s.add_column("setting", min_width=14)
    for col in ("MACs", "fvcore", "params", "fvcore", "FLOPs", "FlopCounter", "ok"):
        s.add_column(escape(col), justify="right", no_wrap=True)
    for v in results:
        spec_knobs = _non_default_knobs(v)
        setting = f"α={v.alpha:g} {v.resolution}px" + (f" {spec_knobs}" if spec_knobs else "")
        _add_row(
            s,
            v.network,
            setting,
            f"{v.macs:,}",
            f"{v.fvcore_total:,}",
            f"{v.params:,}",
            f"{v.fvcore_params:,}",
            f"{v.torch_convention_flops:,}",
            f"{v.flop_counter_flops:,}",
            "✓" if v.ok else f"✗ {v.mismatches}",
        )
    tables.append(s)
    skipped = {(o.op, o.archcalc_counts): 0 for v in results for o in v.skipped_ops}
    for v in results:
        for o in v.skipped_ops:
            skipped[(o.op, o.archcalc_counts)] += o.calls
    if skipped:
        k = Table(title="Ops fvcore skipped, and what archcalc counts for them")
        for col in ("op", "calls", "archcalc"):
            k.add_column(col)
        for (op, rule), calls in sorted(skipped.items()):
            _add_row(k, op, calls, rule)
        tables.append(k)
    return tables


def _non_default_knobs(v: Validation) -> str:
    from archcalc.catalog import builtin_names, load_spec

    if v.network not in builtin_names():
        return " ".join(f"{k}={json.dumps(x)}" for k, x in v.knobs.items())
    spec = load_spec(v.network)
    return " ".join(
        f"{k}={json.dumps(x)}"
        for k, x in v.knobs.items()
        if k not in spec.knobs or spec.knobs[k].default != x
    )


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
        ]
        for c in checks
    ]
    if fmt in ("csv", "markdown"):
        return _grid(header, rows, fmt)
    t = Table(
        title=f"{title}: published figures vs the closed-form count",
        caption="A figure is reproduced when the count prints as it at its printed precision. "
        "An erratum is a figure a careful count does not reproduce; the note says why.",
    )
    for col in ("source", "label", "setting", "figure", "printed", "count", "count printed", "Δ", "status"):
        t.add_column(col, justify="right" if col in ("printed", "count", "count printed", "Δ") else "left")
    notes: list[str] = []
    for c in checks:
        status = ("✓ " if c.ok else "✗ ") + c.status
        if c.note and c.status == "erratum":
            notes.append(f"{c.label}: {c.note}")
            status += f" [{len(notes)}]"
        _add_row(
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
        )
    out = [t]
    if notes:
        n = Table(title="Errata", show_header=False)
        n.add_column("note")
        for i, text in enumerate(notes, 1):
            _add_row(n, f"[{i}] {text}")
        out.append(n)
    return out
