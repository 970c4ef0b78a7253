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

from archcalc.count.closed_form import LayerCost, Report
from archcalc.count.kernel_types import KERNEL_TYPES
from archcalc.count.kernels import Kernel
from archcalc.count.latency import (
    PRICED_CONVENTION,
    DeviceProfile,
    LatencyPrediction,
    kernel_terms,
    layer_kind,
    moved_bytes,
    roofline_bound,
)
from archcalc.inputs.resolution import fmt_resolution
from archcalc.render.common import grid, with_total_column
from archcalc.render.fit import FitTable
from archcalc.render.report import render_report, settings


def traffic_row(x: LayerCost, profile: DeviceProfile | None) -> dict[str, Any]:
    """One layer's traffic, its ridge point (MACs/byte) and bound; ridge and bound need a profile.
    The bound is :func:`~archcalc.count.latency.roofline_bound` of the layer's two roofline terms
    (the rule ``--latency`` uses; the call overhead left out: this is about the data), none for a
    view, which moves no data."""
    kind = layer_kind(x)
    ridge: float | None = None
    bound: str | None = None
    if profile is not None and KERNEL_TYPES[kind].moves_data:
        _, compute, memory, _ = kernel_terms(Kernel([x]), profile)
        bound = roofline_bound(kind, compute, memory, 0.0)
        if KERNEL_TYPES[kind].on_macs:
            ridge = profile.ridge(kind, moved_bytes(x))
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
    wide: bool = False,
) -> str | list[FitTable]:
    """``table`` with the traffic and / or latency columns (per primitive layer)."""
    # intensity, ridge and bound are the latency model's, on the MACs it prices, under any convention;
    # a convention that counts no MACs (keras, tf) shows those MACs too
    priced = r.layers_under(PRICED_CONVENTION)
    rows = [traffic_row(x, profile) for x in priced]
    priced_macs = r.by_convention[PRICED_CONVENTION].macs
    if r.totals.macs is not None:
        shown, shown_conv, shown_macs = r.layers, r.convention, r.totals.macs
    else:
        shown, shown_conv, shown_macs = priced, PRICED_CONVENTION, priced_macs
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
    header = ["name", "kind", f"macs[{shown_conv}]"]
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
    for i, (x, t) in enumerate(zip(shown, rows, strict=True)):
        row: list[object] = [x.name, t["kind"], x.macs]
        if traffic:
            ridge = t["ridge"]
            row += [
                x.bytes_read,
                x.bytes_written,
                x.weight_bytes,
                f"{t['intensity']:.3f}",
                "" if ridge is None else f"{ridge:.2f}",
                t["bound"] or "",
            ]
        if prediction is not None:
            row += [f"{1e3 * preds[i].seconds:.4f}", preds[i].bound]
        body.append(row)
    tt = r.totals
    total: list[object] = ["TOTAL", "", shown_macs]
    if traffic:
        moved = tt.bytes_read + tt.bytes_written
        total += [tt.bytes_read, tt.bytes_written, tt.weight_bytes, f"{priced_macs / moved:.3f}", "", ""]
    if prediction is not None:
        total += [f"{prediction.total_ms:.4f}", ""]
    if fmt in ("csv", "markdown"):
        text = grid(*with_total_column(header, [*([] if summary else body), total], 1, fmt), fmt)
        if fmt == "markdown":
            text = f"**{r.title}** ({settings(r)}; {_what(r, shown_conv, profile, prediction)})\n\n" + text
        return text
    out: list[FitTable] = []
    t = FitTable(
        f"{r.title} — {settings(r)} — {_what(r, shown_conv, profile, prediction)}",
        None if prediction is None else f"latency model: {prediction.formula}",
        wide=wide,
    )
    drops = {
        "ridge_macs_per_byte": 1,
        f"weight_bytes[{r.dtype}]": 2,
        "kind": 4,
        f"bytes_written[{r.dtype}]": 5,
        f"bytes_read[{r.dtype}]": 6,
        "latency_bound": 7,
    }
    t.column("#", number=True, drop=3)
    for col in header:
        if col in ("name", "kind", "bound_vs_ridge", "latency_bound"):
            t.column(col, drop=drops.get(col), min_width=9 if col == "name" else None)
        else:
            t.column(col, number=True, drop=drops.get(col))
    for i, row in enumerate([] if summary else body):
        t.row(i, *(f"{c:,}" if isinstance(c, int) else c for c in row))
    t.row("", *(f"{c:,}" if isinstance(c, int) else c for c in total))
    out.append(t)
    rest = render_report(r, "table", summary=True, wide=wide)
    out.extend(rest if isinstance(rest, list) else [])
    return out


def _what(
    r: Report, convention: str, profile: DeviceProfile | None, prediction: LatencyPrediction | None
) -> str:
    parts = [f"MACs: convention '{convention}'", f"bytes at {r.dtype}"]
    if profile is not None:
        parts.append(f"profile '{profile.name}' ({profile.cpu}, {profile.threads} threads)")
    if prediction is not None:
        parts.append(f"predicted at batch {prediction.batch}")
    return ", ".join(parts)


def render_timing(t: Any, fmt: str, wide: bool = False) -> str | list[FitTable]:
    """``archcalc time``: per-layer measured and predicted time, the forward next to Σ layers.
    ``t`` is an :class:`archcalc.measure.timing.Timing` (not imported here: that module imports torch)."""
    if fmt == "json":
        return t.model_dump_json(indent=2) + "\n"
    m, p = t.measured, t.predicted
    ort = t.backend == "onnxruntime"
    preds = p.layers if p is not None else [None] * len(m.layers)
    header = [
        "name",
        *(["kernel"] if ort else []),
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
            *([x.kernel] if ort else []),
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
    pad = [""] if ort else []
    totals: list[list[object]] = [
        [
            "Σ layers",
            *pad,
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
            *pad,
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
    if ort:
        totals.insert(1, ["layout reorders", "", "", "", "", "", f"{m.layout_ms:.4f}", "", "", "", "", ""])
    runtime = (
        f"onnxruntime {t.versions.get('onnxruntime', '?')}, {m.kernels} kernels"
        if ort
        else f"torch {t.torch_version}"
    )
    what = (
        f"batch {t.batch}, {t.threads} threads, median of {t.repeats} after {t.warmup} warm-up, "
        f"{runtime}, fp32"
        + (f"; predicted with profile '{p.profile}' ({p.threads} threads)" if p is not None else "")
    )
    title = f"{t.network} — α={t.alpha:g}, {fmt_resolution(t.resolution)} — {what}"
    if fmt in ("csv", "markdown"):
        text = grid(header, [*body, *totals], fmt)
        return (f"**{title}**\n\n" + text) if fmt == "markdown" else text
    tab = FitTable(
        title,
        (
            "measured: median (IQR) per run of each kernel's time in onnxruntime's profiler, on the "
            "kernel's first layer (the layers fused into it: 0); "
            if ort
            else "measured: median (IQR) per call of each layer's torch module on its real input; "
        )
        + (f"predicted: {p.formula}" if p is not None else "no profile: `archcalc calibrate` makes one"),
        wide=wide,
    )
    drops = {"iqr_ms": 1, "gb_per_s": 2, "gmacs_per_s": 3, "op": 4, "bytes[fp32]": 5, "bound": 6, "kind": 7}
    tab.column("#", number=True, drop=8)
    for col in header:
        text = col in ("name", "kernel", "op", "kind", "bound")
        tab.column(col, number=not text, drop=drops.get(col), min_width=9 if col == "name" else None)
    for i, row in enumerate(body):
        tab.row(i, *(f"{c:,}" if isinstance(c, int) else c for c in row))
    tab.section()
    for row in totals:
        tab.row("", *(f"{c:,}" if isinstance(c, int) else c for c in row))
    return [tab]


def render_profile(p: DeviceProfile, fmt: str, path: Any = None, wide: bool = False) -> str | list[FitTable]:
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
        "in_network",
        "cold_stream_ps_per_b",
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
            f"{m.in_network:.3f}",
            "" if not m.stream_seconds_per_byte else f"{1e12 * m.stream_seconds_per_byte:.1f}",
        ]
        for k, m in p.kinds.items()
    ]
    where = f"saved to {path}" if path is not None else ""
    runtime = (
        f"onnxruntime {p.versions.get('onnxruntime', '?')}"
        if p.backend == "onnxruntime"
        else f"torch {p.torch_version}"
    )
    title = (
        f"device profile '{p.name}' — {p.cpu}, {p.threads} threads, {runtime}, {p.dtype}"
        f"{', quick' if p.quick else ''}, {p.created}"
    )
    curve = ", ".join(f"{b / 2**20:g} MiB: {w / 1e9:.1f} GB/s" for b, w in p.bandwidth_curve)
    lines = [
        f"peak MAC rate (GEMM): {p.peak_mac_rate / 1e9:.2f} GMAC/s",
        f"copy bandwidth W(bytes moved): {curve}",
        f"call overhead (tiny op): {1e6 * p.call_overhead:.2f} µs",
        "forward pass (T_i = s·(1 + (f_κ − 1)·u_i)·M_p(t_i, ω_κ·cold_i) + g + a·B·written_i + c·cold_i, "
        "cold_i = min(weights_i, C)"
        + (" of weights read more than once per call" if p.forward.cold_weights == "reused" else "")
        + (
            f", 0 in a network whose weights + {p.forward.written_in_footprint:g}·bytes written "
            "total at most H"
            if p.forward.written_in_footprint
            else ", 0 in a network of at most H weight bytes"
        )
        + (
            "; u_i = (memory_i + overhead_i) / (max(compute_i, memory_i) + overhead_i)"
            if p.forward.in_network_share == "memory"
            else "; u_i = 1"
        )
        + "; f_κ: in_network, ω_κ: cold_stream"
        + f"): s = {p.forward.scale:.3f}, "
        f"g = {1e6 * p.forward.node_seconds:.2f} µs/node, a = {1e12 * p.forward.write_seconds_per_byte:.1f} "
        f"ps/B, c = {1e12 * p.forward.weight_seconds_per_byte:.1f} ps/B, "
        f"C = {p.forward.weight_cap_bytes / 2**20:g} MiB, H = {p.forward.hot_weight_bytes / 2**20:g} MiB, "
        f"p = {p.forward.stream_norm:g} ({p.forward.networks} synthetic networks"
        + ("" if p.forward.fit_error is None else f", median error {100 * p.forward.fit_error:.1f} %")
        + ")",
    ]
    if p.forward.read_once_streams and p.forward.cold_weights == "reused":
        where = (
            "whose footprint exceeds H"
            if p.forward.read_once_when == "not_hot"
            else "of more than C weight bytes"
        )
        lines.append(
            "a kernel that reads each weight once takes its time × W(bytes) / W(memory) in a network "
            f"{where} (W(memory) = {p.memory_bandwidth / 1e9:.1f} GB/s)"
        )
    if p.fused_passes:
        lines.append(
            "passes fused layers make over their kernel's output, ps per output byte: "
            + ", ".join(f"{k} {1e12 * v:.1f}" for k, v in p.fused_passes.items())
        )
    if p.learned:
        lines.append(
            "learned factor per kernel type (gradient-boosted trees; out-of-fold median error): "
            + ", ".join(
                f"{k} {100 * (v.cv_error or 0):.1f} % over {v.samples} kernels" for k, v in p.learned.items()
            )
        )
    if fmt in ("csv", "markdown"):
        text = grid(header, body, fmt)
        if fmt == "markdown":
            text = f"**{title}**\n\n" + "".join(f"- {x}\n" for x in lines) + "\n" + text
        return text
    t = FitTable(title, "; ".join([*lines, where]), wide=wide)
    drops = {"#": 1, "samples": 2, "fit_median_error_pct": 3}
    for col in ["#", *header[:1], *header[2:]]:
        kind = col == "kind"
        t.column(col, number=not kind, drop=drops.get(col), min_width=max(map(len, KINDS)) if kind else None)
    for i, row in enumerate(body):
        t.row(i, row[0], *row[2:])
    return [t]
