"""Traffic and latency output: ``table --traffic`` / ``table --latency`` columns, and ``archcalc time``.

Traffic per layer at the report's dtype (see :mod:`archcalc.count.closed_form`): bytes read (inputs +
weights), bytes written (output), weight bytes, intensity = MACs / (read + written), and the side of
the ridge point the layer sits on: ``compute`` if intensity ≥ R_k / (e_k·W(bytes)) of the device
profile (see :mod:`archcalc.count.latency`), else ``memory``. Latency columns: the model's predicted
time per layer and its bound.
"""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape
from rich.table import Table

from archcalc.count.closed_form import LayerCost, Report
from archcalc.count.latency import (
    COMPUTE_KINDS,
    VIEW_KINDS,
    DeviceProfile,
    LatencyPrediction,
    layer_kind,
    moved_bytes,
)
from archcalc.render.common import add_row, grid
from archcalc.render.report import render_report, settings


def traffic_row(x: LayerCost, profile: DeviceProfile | None) -> dict[str, Any]:
    """One layer's traffic, its ridge point (MACs/byte) and bound; ridge and bound need a profile."""
    kind = layer_kind(x)
    ridge: float | None = None
    bound: str | None = None
    if profile is not None:
        if kind in COMPUTE_KINDS:
            ridge = profile.ridge(kind, moved_bytes(x))
            bound = "compute" if ridge is not None and x.intensity >= ridge else "memory"
        elif kind not in VIEW_KINDS:
            bound = "memory"
    return {
        "name": x.name,
        "kind": kind,
        "bytes_read": x.bytes_read,
        "bytes_written": x.bytes_written,
        "weight_bytes": x.weight_bytes,
        "intensity": x.intensity,
        "ridge": ridge,
        "bound": bound,
    }


def render_cost_extras(
    r: Report,
    fmt: str,
    summary: bool,
    traffic: bool,
    profile: DeviceProfile | None,
    prediction: LatencyPrediction | None,
) -> str | list[Table]:
    """``table`` with the traffic and / or latency columns."""
    rows = [traffic_row(x, profile) for x in r.layers]
    preds = prediction.layers if prediction is not None else []
    if fmt == "json":
        data = json.loads(r.model_dump_json(exclude={"layers"} if summary else None))
        if traffic:
            data["traffic"] = {
                "dtype": r.dtype,
                "profile": profile.name if profile is not None else None,
                "layers": [] if summary else rows,
            }
        if prediction is not None:
            lat = json.loads(prediction.model_dump_json())
            if summary:
                lat["layers"] = []
            data["latency"] = lat
        return json.dumps(data, indent=2) + "\n"
    header = ["name", "kind", f"macs[{r.convention}]"]
    if traffic:
        header += [
            f"bytes_read[{r.dtype}]",
            f"bytes_written[{r.dtype}]",
            f"weight_bytes[{r.dtype}]",
            "intensity_macs_per_byte",
            "ridge_macs_per_byte",
            "bound_vs_ridge",
        ]
    if prediction is not None:
        header += ["predicted_ms", "latency_bound"]
    body: list[list[object]] = []
    for i, (x, t) in enumerate(zip(r.layers, rows, strict=True)):
        row: list[object] = [x.name, t["kind"], x.macs]
        if traffic:
            ridge = t["ridge"]
            row += [
                x.bytes_read,
                x.bytes_written,
                x.weight_bytes,
                f"{x.intensity:.3f}",
                "" if ridge is None else f"{ridge:.2f}",
                t["bound"] or "",
            ]
        if prediction is not None:
            row += [f"{1e3 * preds[i].seconds:.4f}", preds[i].bound]
        body.append(row)
    tt = r.totals
    total: list[object] = ["TOTAL", "", tt.macs]
    if traffic:
        moved = tt.bytes_read + tt.bytes_written
        total += [tt.bytes_read, tt.bytes_written, tt.weight_bytes, f"{tt.macs / moved:.3f}", "", ""]
    if prediction is not None:
        total += [f"{prediction.total_ms:.4f}", ""]
    if fmt in ("csv", "markdown"):
        text = grid(header, [*([] if summary else body), total], fmt)
        if fmt == "markdown":
            text = f"**{r.title}** ({settings(r)}; {_what(r, profile, prediction)})\n\n" + text
        return text
    out: list[Table] = []
    t = Table(title=escape(f"{r.title} — {settings(r)} — {_what(r, profile, prediction)}"))
    if prediction is not None:
        t.caption = escape(f"latency model: {prediction.formula}")
    for col in ["#", *header]:
        t.add_column(escape(col), justify="left" if col in ("name", "kind", "bound_vs_ridge") else "right")
    for i, row in enumerate([] if summary else body):
        add_row(t, i, *(f"{c:,}" if isinstance(c, int) else c for c in row))
    add_row(t, "", *(f"{c:,}" if isinstance(c, int) else c for c in total))
    out.append(t)
    rest = render_report(r, "table", summary=True)
    out.extend(rest if isinstance(rest, list) else [])
    return out


def _what(r: Report, profile: DeviceProfile | None, prediction: LatencyPrediction | None) -> str:
    parts = [f"MACs: convention '{r.convention}'", f"bytes at {r.dtype}"]
    if profile is not None:
        parts.append(f"profile '{profile.name}' ({profile.cpu}, {profile.threads} threads)")
    if prediction is not None:
        parts.append(f"predicted at batch {prediction.batch}")
    return ", ".join(parts)


def render_timing(t: Any, fmt: str) -> str | list[Table]:
    """``archcalc time``: per-layer measured and predicted time, the forward next to Σ layers.
    ``t`` is an :class:`archcalc.measure.timing.Timing` (not imported here: that module imports torch)."""
    if fmt == "json":
        return t.model_dump_json(indent=2) + "\n"
    m, p = t.measured, t.predicted
    preds = p.layers if p is not None else [None] * len(m.layers)
    header = [
        "name",
        "op",
        "kind",
        "macs[paper]",
        "bytes[fp32]",
        "measured_ms",
        "iqr_ms",
        "gmacs_per_s",
        "gb_per_s",
        "predicted_ms",
        "bound",
    ]
    body: list[list[object]] = [
        [
            x.name,
            x.op,
            x.kind,
            x.macs,
            x.bytes,
            f"{x.median_ms:.4f}",
            f"{x.iqr_ms:.4f}",
            f"{x.gmacs_per_s:.2f}",
            f"{x.gb_per_s:.2f}",
            "" if q is None else f"{1e3 * q.seconds:.4f}",
            "" if q is None else q.bound,
        ]
        for x, q in zip(m.layers, preds, strict=True)
    ]
    pred_total = "" if p is None else f"{p.total_ms:.4f}"
    totals: list[list[object]] = [
        [
            "Σ layers",
            "",
            "",
            t.macs,
            sum(x.bytes for x in m.layers),
            f"{m.sum_of_layers_ms:.4f}",
            "",
            "",
            "",
            pred_total,
            "",
        ],
        [
            "forward",
            "",
            "",
            t.macs,
            "",
            f"{m.forward.median_ms:.4f}",
            f"{m.forward.iqr_ms:.4f}",
            "",
            "",
            pred_total,
            "",
        ],
    ]
    what = (
        f"batch {t.batch}, {t.threads} threads, median of {t.repeats} after {t.warmup} warm-up, "
        f"torch {t.torch_version}, fp32"
        + (f"; predicted with profile '{p.profile}' ({p.threads} threads)" if p is not None else "")
    )
    title = f"{t.network} — α={t.alpha:g}, {t.resolution}×{t.resolution} — {what}"
    if fmt in ("csv", "markdown"):
        text = grid(header, [*body, *totals], fmt)
        return (f"**{title}**\n\n" + text) if fmt == "markdown" else text
    tab = Table(
        title=escape(title),
        caption=escape(
            "measured: median (IQR) per call of each layer's torch module on its real input; "
            + (f"predicted: {p.formula}" if p is not None else "no profile: `archcalc calibrate` makes one")
        ),
    )
    for col in ["#", *header]:
        tab.add_column(escape(col), justify="left" if col in ("name", "op", "kind", "bound") else "right")
    for i, row in enumerate(body):
        add_row(tab, i, *(f"{c:,}" if isinstance(c, int) else c for c in row))
    for row in totals:
        add_row(tab, "", *(f"{c:,}" if isinstance(c, int) else c for c in row))
    return [tab]


def render_profile(p: DeviceProfile, fmt: str, path: Any = None) -> str | list[Table]:
    """A device profile: the machine-wide figures and each kind's fitted constants."""
    if fmt == "json":
        return p.model_dump_json(indent=2) + "\n"
    header = [
        "kind",
        "holds",
        "mac_rate_gmacs",
        "byte_rate_gbs",
        "bw_efficiency",
        "overhead_us",
        "samples",
        "fit_median_error_pct",
    ]
    from archcalc.count.latency import KINDS

    body = [
        [
            k,
            KINDS[k],
            "" if m.mac_rate is None else f"{m.mac_rate / 1e9:.2f}",
            "" if m.byte_rate is None else f"{m.byte_rate / 1e9:.2f}",
            "" if m.bw_efficiency is None else f"{m.bw_efficiency:.3f}",
            f"{1e6 * m.overhead:.2f}",
            m.samples,
            "" if m.fit_error is None else f"{100 * m.fit_error:.1f}",
        ]
        for k, m in p.kinds.items()
    ]
    where = f"saved to {path}" if path is not None else ""
    title = (
        f"device profile '{p.name}' — {p.cpu}, {p.threads} threads, torch {p.torch_version}, {p.dtype}"
        f"{', quick' if p.quick else ''}, {p.created}"
    )
    curve = ", ".join(f"{b / 2**20:g} MiB: {w / 1e9:.1f} GB/s" for b, w in p.bandwidth_curve)
    lines = [
        f"peak MAC rate (GEMM): {p.peak_mac_rate / 1e9:.2f} GMAC/s",
        f"copy bandwidth W(bytes moved): {curve}",
        f"call overhead (tiny op): {1e6 * p.call_overhead:.2f} µs",
        f"forward pass (T_i = s·t_i + g + a·B·written_i + c·min(weights_i, C)): s = {p.forward.scale:.3f}, "
        f"g = {1e6 * p.forward.node_seconds:.2f} µs/node, a = {1e12 * p.forward.write_seconds_per_byte:.1f} "
        f"ps/B, c = {1e12 * p.forward.weight_seconds_per_byte:.1f} ps/B, "
        f"C = {p.forward.weight_cap_bytes / 2**20:g} MiB ({p.forward.networks} synthetic networks"
        + ("" if p.forward.fit_error is None else f", median error {100 * p.forward.fit_error:.1f} %")
        + ")",
    ]
    if fmt in ("csv", "markdown"):
        text = grid(header, body, fmt)
        if fmt == "markdown":
            text = f"**{title}**\n\n" + "".join(f"- {x}\n" for x in lines) + "\n" + text
        return text
    t = Table(title=escape(title), caption=escape("; ".join([*lines, where])))
    for col in ["#", *header[:1], *header[2:]]:
        t.add_column(escape(col), justify="left" if col == "kind" else "right")
    for i, row in enumerate(body):
        add_row(t, i, row[0], *row[2:])
    return [t]
