"""Cross-checking the closed form against real counters on the real torch model of the same graph.

For every layer: archcalc's MACs under the ``fvcore`` convention vs fvcore's
``FlopCountAnalysis(...).by_module()``, archcalc's params under the ``torch`` convention vs fvcore's
``parameter_count``, and the graph's output shape vs torch's. In total: also torch's own
``torch.utils.flop_counter.FlopCounterMode`` (2 FLOPs per conv / linear MAC) against 2 × the
``torch``-convention MACs. fvcore's skipped ops are listed with what archcalc counts for them.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter

from pydantic import BaseModel, Field

from archcalc.count.conventions import CONVENTIONS
from archcalc.count.header import Configured
from archcalc.errors import ArchcalcError
from archcalc.inputs.resolution import canonical
from archcalc.measure.torch_build import require, run_failed
from archcalc.model.graph import Graph
from archcalc.model.ops import PRIMITIVES, numel
from archcalc.model.resolve import Resolved
from archcalc.spec.schema import NetworkSpec

MAX_ACTIVATION_BYTES = 4 * 2**30
"""validate refuses a model whose largest activation (fp32), three times over, exceeds this."""


def skipped_op_rules() -> dict[str, str]:
    """What archcalc counts for each aten op fvcore skips, as the primitive classes state it
    (``Op.fvcore_skipped``): every one of them is 0 MACs in every convention."""
    return {aten: text for cls in PRIMITIVES.values() for aten, text in cls.fvcore_skipped.items()}


class LayerCheck(BaseModel):
    name: str
    kind: str
    shape: list[int]
    torch_shape: list[int]
    macs: int = Field(description="archcalc, fvcore convention")
    fvcore_macs: int
    params: int = Field(description="archcalc, torch convention")
    fvcore_params: int
    flops: int = Field(description="2 × archcalc MACs, torch convention")
    flop_counter_flops: int = Field(description="torch FlopCounterMode, this module")
    ok: bool


class SkippedOp(BaseModel):
    op: str
    calls: int
    archcalc_counts: str


class Validation(Configured):
    layers: list[LayerCheck]
    macs: int = Field(description="archcalc total, fvcore convention")
    fvcore_total: int = Field(description="FlopCountAnalysis(model.eval(), x).total()")
    params: int = Field(description="archcalc total, torch convention")
    fvcore_params: int = Field(description="fvcore parameter_count(model)['']")
    torch_params: int = Field(description="sum(p.numel() for p in model.parameters())")
    flop_counter_flops: int = Field(description="torch FlopCounterMode total FLOPs")
    torch_convention_flops: int = Field(description="2 × archcalc MACs, torch convention")
    skipped_ops: list[SkippedOp]
    mismatches: int
    ok: bool


def check_runnable(graph: Graph, network: str, command: str, batch: int = 1) -> None:
    """Refuse a model whose largest fp32 activation (at ``batch``), three times over, or whose fp32
    weights exceed :data:`MAX_ACTIVATION_BYTES`: ``command`` would have to run it for real."""
    largest = max(numel(n.out_shape) for n in graph) * 4 * batch
    if 3 * largest > MAX_ACTIVATION_BYTES:
        raise ArchcalcError(
            f"{network}: {command} runs the real model, and at this size one activation alone is "
            f"{largest / 2**30:.1f} GiB; use a smaller --res or --alpha"
            + (" or --batch" if batch > 1 else "")
        )
    weights = sum(n.op.weights_read() for n in graph) * 4
    if weights > MAX_ACTIVATION_BYTES:
        raise ArchcalcError(
            f"{network}: {command} runs the real model, and at this size its weights alone are "
            f"{weights / 2**30:.1f} GiB; use a smaller --alpha"
        )


def validate(resolved: Resolved) -> Validation:
    """Build the model of a resolved network and compare every layer with fvcore and torch."""
    return validate_graph(
        resolved.graph, resolved.spec.name, resolved.alpha, resolved.resolution, dict(resolved.knobs)
    )


def validate_graph(
    graph: Graph,
    network: str = "graph",
    alpha: float = 1.0,
    resolution: int | tuple[int, int] | str | None = None,
    knobs: dict[str, bool | int | float | str] | None = None,
) -> Validation:
    """Build the torch model of ``graph`` and compare every layer with fvcore and torch."""
    require("torch", "fvcore")
    check_runnable(graph, network, "validate")
    try:
        return _validate_graph(graph, network, alpha, resolution, knobs)
    except (RuntimeError, MemoryError) as e:
        raise run_failed(network, e) from None


def _validate_graph(
    graph: Graph,
    network: str,
    alpha: float,
    resolution: int | tuple[int, int] | None,
    knobs: dict[str, bool | int | float | str] | None,
) -> Validation:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with warnings.catch_warnings():  # fvcore's import uses the deprecated torch.jit.script
        warnings.simplefilter("ignore", DeprecationWarning)
        from fvcore.nn import FlopCountAnalysis, parameter_count

    from archcalc.measure.torch_build import build, total_params

    model = build(graph)
    x = model.example_input()

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flops = FlopCountAnalysis(model, (x,))
        flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        by_module = flops.by_module()
        fv_total = int(flops.total())
        skipped = Counter(flops.unsupported_ops())
    fv_params = parameter_count(model)

    shapes: dict[str, tuple[int, ...]] = {}  # recorded during the FlopCounterMode pass
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x, shapes)
    fc_total = int(counter.get_total_flops())
    root = type(model).__name__
    fc_layers = {k.removeprefix(f"{root}."): sum(v.values()) for k, v in counter.get_flop_counts().items()}

    rules = skipped_op_rules()
    fv_conv, torch_conv = CONVENTIONS["fvcore"], CONVENTIONS["torch"]
    checks: list[LayerCheck] = []
    for node in graph:
        macs, params = fv_conv.macs(node), torch_conv.params(node)
        fm, fp = int(by_module.get(node.name, 0)), int(fv_params.get(node.name, 0))
        tshape = list(shapes[node.name])
        tf, fcf = 2 * torch_conv.macs(node), int(fc_layers.get(node.name, 0))
        checks.append(
            LayerCheck(
                name=node.name,
                kind=node.kind,
                shape=list(node.out_shape),
                torch_shape=tshape,
                macs=macs,
                fvcore_macs=fm,
                params=params,
                fvcore_params=fp,
                flops=tf,
                flop_counter_flops=fcf,
                ok=(macs == fm and params == fp and tf == fcf and tshape == list(node.out_shape)),
            )
        )
    macs_total = sum(c.macs for c in checks)
    params_total = sum(c.params for c in checks)
    torch_flops = 2 * sum(torch_conv.macs(n) for n in graph)
    tp = total_params(model)
    mismatches = sum(not c.ok for c in checks)
    totals_ok = (
        macs_total == fv_total and params_total == int(fv_params[""]) == tp and fc_total == torch_flops
    )
    return Validation(
        network=network,
        alpha=alpha,
        resolution=resolution if resolution is not None else _input_resolution(graph),
        knobs=knobs or {},
        layers=checks,
        macs=macs_total,
        fvcore_total=fv_total,
        params=params_total,
        fvcore_params=int(fv_params[""]),
        torch_params=tp,
        flop_counter_flops=fc_total,
        torch_convention_flops=torch_flops,
        skipped_ops=[
            SkippedOp(op=op, calls=n, archcalc_counts=rules.get(op, "0 MACs (not a conv or linear)"))
            for op, n in sorted(skipped.items())
        ],
        mismatches=mismatches + (not totals_ok),
        ok=mismatches == 0 and totals_ok,
    )


def _input_resolution(graph: Graph) -> int | tuple[int, int]:
    """The graph's input side (or (height, width)); a vector input's length."""
    shape = graph.input_shape
    return canonical(shape[1], shape[2]) if len(shape) == 3 else shape[-1]


def default_settings(spec: NetworkSpec) -> list[tuple[float, int, dict[str, object]]]:
    """The settings `validate --all` checks for a network: its defaults, a narrower and smaller
    configuration, and each knob moved off its default (bools flipped, every other choice)."""
    res = spec.input.resolution
    small = max(32, round(res * 0.714))
    out: list[tuple[float, int, dict[str, object]]] = [(1.0, res, {}), (0.5, small, {})]
    for name, knob in spec.knobs.items():
        if isinstance(knob.default, bool):
            out.append((1.0, res, {name: not knob.default}))
        for choice in knob.choices or []:
            if choice != knob.default:
                out.append((1.0, res, {name: choice}))
    return out
