"""Spec + (α, resolution, knobs) → a resolved graph of primitive layers."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import BLOCKS
from archcalc.model.context import Context, KnobValues
from archcalc.model.graph import MAX_NODES, Graph, GraphBuilder
from archcalc.model.width import exact_alpha
from archcalc.spec.schema import KnobSpec, NetworkSpec

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True, slots=True)
class Resolved:
    """A network at one configuration: the spec, the settings, and the graph they give."""

    spec: NetworkSpec
    alpha: float
    resolution: int
    knobs: KnobValues
    graph: Graph


MAX_ALPHA = 1000.0
"""Largest width multiplier accepted: far past any real network, well inside exact arithmetic."""
MAX_RESOLUTION = 1_000_000
"""Largest input side in pixels accepted."""


def check_alpha(alpha: object) -> float:
    """α must be a finite real number, 0 < α ≤ MAX_ALPHA."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float):
        raise ArchcalcError(f"--alpha must be a number, got {alpha!r}")
    if not math.isfinite(alpha) or alpha <= 0:
        raise ArchcalcError(f"--alpha must be a finite number > 0, got {alpha}")
    if alpha > MAX_ALPHA:
        raise ArchcalcError(f"--alpha {alpha:g} is larger than the supported maximum {MAX_ALPHA:g}")
    return float(alpha)


def input_resolution(spec: NetworkSpec, res: int | None = None, rho: float | None = None) -> int:
    """Input side in pixels: ``res``, or round(ρ · the spec's default), or the default."""
    if res is not None and rho is not None:
        raise ArchcalcError("give --res or --rho, not both")
    if res is not None:
        if isinstance(res, bool) or not isinstance(res, int) or res < 1:
            raise ArchcalcError(f"--res must be a whole number of pixels ≥ 1, got {res!r}")
        if res > MAX_RESOLUTION:
            raise ArchcalcError(f"--res {res} is larger than the supported maximum {MAX_RESOLUTION:,} pixels")
        return res
    if rho is not None:
        if isinstance(rho, bool) or not isinstance(rho, int | float) or not math.isfinite(rho) or rho <= 0:
            raise ArchcalcError(f"--rho must be a finite number > 0, got {rho!r}")
        if rho * spec.input.resolution > MAX_RESOLUTION:
            raise ArchcalcError(
                f"--rho {rho:g} gives more than the supported maximum of {MAX_RESOLUTION:,} pixels"
            )
        r = round(rho * spec.input.resolution)
        if r < 1:
            raise ArchcalcError(
                f"--rho {rho:g} gives a {rho * spec.input.resolution:g}-pixel input; it must be ≥ 1 pixel"
            )
        return r
    return spec.input.resolution


def _coerce_knob(name: str, knob: KnobSpec, raw: object) -> bool | int | float | str:
    want = type(knob.default)
    value: bool | int | float | str
    if isinstance(raw, str) and want is not str:
        text = raw.strip().lower()
        try:
            if want is bool:
                if text not in _TRUE | _FALSE:
                    raise ValueError
                value = text in _TRUE
            elif want is int:
                value = int(text)
            else:
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError
        except ValueError:
            raise ArchcalcError(
                f"--param {name}={raw}: expected {want.__name__} (default {json.dumps(knob.default)})"
            ) from None
    else:
        value = raw  # type: ignore[assignment]
        ok = isinstance(value, want) and (want is bool or not isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            default = json.dumps(knob.default)
            raise ArchcalcError(f"knob {name}={raw!r}: expected {want.__name__} (default {default})")
    if knob.choices is not None and value not in knob.choices:
        allowed = ", ".join(str(c) for c in knob.choices)
        raise ArchcalcError(f"--param {name}={raw}: must be one of {allowed}")
    return value


def knob_values(spec: NetworkSpec, overrides: Mapping[str, object] | None = None) -> KnobValues:
    """Every knob's value: the spec defaults, overridden (and type-checked) by ``overrides``."""
    values: KnobValues = {k: v.default for k, v in spec.knobs.items()}
    for name, raw in (overrides or {}).items():
        if name not in spec.knobs:
            if name == "classes":
                raise ArchcalcError(
                    f"--classes: {spec.name} has no `classes` knob (no row's out is $classes), "
                    "so its classifier cannot be changed"
                )
            close = difflib.get_close_matches(name, list(spec.knobs), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            known = ", ".join(spec.knobs) or "none"
            raise ArchcalcError(f"--param {name}: {spec.name} has no such knob (knobs: {known}){hint}")
        values[name] = _coerce_knob(name, spec.knobs[name], raw)
    return values


def parse_param_args(items: Iterable[str]) -> dict[str, str]:
    """``["NAME=VALUE", …]`` from the CLI → ``{NAME: VALUE}``."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ArchcalcError(f"--param {item!r}: expected NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def resolve(
    spec: NetworkSpec,
    alpha: float = 1.0,
    resolution: int | None = None,
    rho: float | None = None,
    knobs: Mapping[str, object] | None = None,
) -> Resolved:
    """Expand every row of the spec, at α and input side ``resolution``, into primitives.

    α is checked and taken exactly (:mod:`archcalc.model.width`); the result reports it as a float."""
    alpha = check_alpha(alpha)
    res = input_resolution(spec, resolution, rho)
    values = knob_values(spec, knobs)
    derived = [spec.knobs[k].derived(v) for k, v in values.items() if spec.knobs[k].sets]
    every = values if not derived else {**values, **{k: v for d in derived for k, v in d.items()}}
    ctx = Context(spec, alpha, every, exact_alpha(alpha))
    b = GraphBuilder((spec.input.channels, res, res))
    for section, index, entry in spec.entries():
        where = f"{section}.{index}"
        if entry.only_if is not None and not ctx.bool(entry.only_if, f"{where}.only_if"):
            continue
        if entry.unless is not None and ctx.bool(entry.unless, f"{where}.unless"):
            continue
        name = entry.name or where
        repeat = ctx.int(entry.repeat, f"{name}.repeat")
        if repeat > MAX_NODES:
            raise ArchcalcError(f"{name}.repeat: {repeat:,} is more than the {MAX_NODES:,} layers allowed")
        b.row = name
        expand = BLOCKS[entry.kind].expand
        out = getattr(entry, "out", None)
        for i in range(repeat):
            expand(entry, ctx, b, name if repeat == 1 else f"{name}.{i}", i == 0)
            width = None if out is None else ctx.value(out)
            b.nominal = width if type(width) is int else None
    if not b.graph.nodes:
        raise ArchcalcError(f"{spec.name}: every row is switched off by the knobs; nothing to count")
    return Resolved(spec, alpha, res, values, b.graph)
