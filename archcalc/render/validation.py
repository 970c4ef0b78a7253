"""``archcalc validate``: the closed form against fvcore and torch, per layer and per run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from archcalc.inputs.resolution import fmt_res_short, fmt_resolution, res_cell
from archcalc.render.common import grid, shape_str
from archcalc.render.fit import FitTable

if TYPE_CHECKING:
    from archcalc.measure.validate import Validation


def render_validations(results: list[Validation], fmt: str, wide: bool = False) -> str | list[FitTable]:
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
                res_cell(v.resolution),
                json.dumps(v.knobs),
                c.name,
                c.kind,
                shape_str(c.shape),
                shape_str(c.torch_shape),
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
        return grid(header, rows, fmt)
    tables: list[FitTable] = []
    for v in results:
        shown = v.layers if len(results) == 1 else [c for c in v.layers if not c.ok]
        if not shown:
            continue
        t = FitTable(
            f"{v.network} — α={v.alpha:g}, {fmt_resolution(v.resolution)} {json.dumps(v.knobs)} — "
            "archcalc vs fvcore and torch, layer by layer",
            "MACs: archcalc 'fvcore' convention vs FlopCountAnalysis.by_module(); "
            "params: archcalc 'torch' convention vs parameter_count(); "
            "FLOPs: 2 × archcalc 'torch' MACs vs FlopCounterMode",
            wide=wide,
        )
        t.column("layer", min_width=9)
        t.column("kind", drop=3)
        t.column("shape", drop=4)
        _count_columns(t)
        for c in shown:
            shape = (
                shape_str(c.shape)
                if c.shape == c.torch_shape
                else f"{shape_str(c.shape)} ≠ {shape_str(c.torch_shape)}"
            )
            t.row(
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
    s = FitTable(
        "Totals: closed form vs real counters on the torch model built from the same graph",
        "MACs: archcalc 'fvcore' convention vs FlopCountAnalysis.total(); params: archcalc "
        "'torch' convention vs parameter_count(); FLOPs: 2 × archcalc 'torch' MACs vs FlopCounterMode. "
        "Settings show knobs off their defaults.",
        wide=wide,
    )
    s.column("network", min_width=9)
    s.column("setting", min_width=10, drop=3)
    _count_columns(s)
    for v in results:
        spec_knobs = _non_default_knobs(v)
        setting = f"α={v.alpha:g} {fmt_res_short(v.resolution)}px" + (f" {spec_knobs}" if spec_knobs else "")
        s.row(
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
        k = FitTable("Ops fvcore skipped, and what archcalc counts for them", wide=wide)
        k.column("op", min_width=10)
        k.column("calls", number=True)
        k.column("archcalc", min_width=12)
        for (op, rule), calls in sorted(skipped.items()):
            k.row(op, calls, rule)
        tables.append(k)
    return tables


def _count_columns(t: FitTable) -> None:
    """The columns every validation table ends with: each count, archcalc's beside the tool's, and ✓/✗."""
    for name in ("MACs", "fvcore MACs", "params", "fvcore params"):
        t.column(name, number=True)
    t.column("FLOPs", number=True, drop=2)
    t.column("FlopCounter", number=True, drop=1)
    t.column("ok", number=True)


def _non_default_knobs(v: Validation) -> str:
    from archcalc.spec.catalog import builtin_names, load_spec

    if v.network not in builtin_names():
        return " ".join(f"{k}={json.dumps(x)}" for k, x in v.knobs.items())
    spec = load_spec(v.network)
    return " ".join(
        f"{k}={json.dumps(x)}"
        for k, x in v.knobs.items()
        if k not in spec.knobs or spec.knobs[k].default != x
    )
