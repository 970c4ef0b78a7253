"""Spec + (α, resolution, knobs) → a resolved graph of primitive layers."""

from __future__ import annotations

import difflib
import json
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from archcalc.errors import ArchcalcError, ArchcalcTypeError, ArchcalcWarning
from archcalc.inputs.arguments import is_bool, is_real, is_whole
from archcalc.inputs.limits import MAX_ALPHA, MAX_RESOLUTION, MAX_SPEC_INT
from archcalc.inputs.resolution import Resolution, canonical, parse_resolution, sides
from archcalc.model.blocks import BLOCKS
from archcalc.model.context import Context, KnobValues
from archcalc.model.graph import INPUT, MAX_NODES, BlockSpan, Graph, GraphBuilder
from archcalc.model.width import exact_alpha
from archcalc.spec.fields import Entry
from archcalc.spec.schema import KnobSpec, NetworkSpec

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True, slots=True)
class Resolved:
    """A network at one configuration: the spec, the settings, and the graph they give.

    ``resolution`` is the input side (an int) for a square input, (height, width) otherwise."""

    spec: NetworkSpec
    alpha: float
    resolution: Resolution
    knobs: KnobValues
    graph: Graph


__all__ = ["MAX_ALPHA", "MAX_RESOLUTION", "Resolved", "check_alpha", "input_resolution", "resolve"]


def _float(x: object) -> float:
    """A real number (numpy's too) as a float; too large for one is infinite."""
    try:
        return float(x)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf


def check_alpha(alpha: object) -> float:
    """α must be a finite real number, 0 < α ≤ MAX_ALPHA."""
    if not is_real(alpha):
        raise ArchcalcTypeError(f"--alpha must be a number, got {alpha!r}")
    alpha = _float(alpha)
    if not math.isfinite(alpha) or alpha <= 0:
        raise ArchcalcError(f"--alpha must be a finite number > 0, got {alpha}")
    if alpha > MAX_ALPHA:
        raise ArchcalcError(f"--alpha {alpha:g} is larger than the supported maximum {MAX_ALPHA:g}")
    return float(alpha)


def _check_side(res: object) -> int:
    """One side in pixels, 1 … MAX_RESOLUTION (numpy integers too)."""
    if not is_whole(res):
        raise ArchcalcTypeError(f"--res must be a whole number of pixels, got {res!r}")
    res = int(res)  # type: ignore[call-overload]
    if res < 1:
        raise ArchcalcError(f"--res must be a whole number of pixels ≥ 1, got {res!r}")
    if res > MAX_RESOLUTION:
        raise ArchcalcError(f"--res {res} is larger than the supported maximum {MAX_RESOLUTION:,} pixels")
    return res


def input_resolution(
    spec: NetworkSpec, res: Resolution | str | None = None, rho: float | None = None
) -> Resolution:
    """Input side in pixels: ``res`` (a side, (height, width) or ``"224x160"``), or round(ρ · the
    spec's default) per side, or the default (``input.resolution``, or ``height`` × ``width``)."""
    if res is not None and rho is not None:
        raise ArchcalcError("give --res or --rho, not both")
    if res is not None:
        if isinstance(res, str | tuple | list):
            res = parse_resolution(res)
        if isinstance(res, tuple):
            return canonical(_check_side(res[0]), _check_side(res[1]))
        return _check_side(res)
    if rho is not None:
        if not is_real(rho):
            raise ArchcalcTypeError(f"--rho must be a number, got {rho!r}")
        rho = _float(rho)
        if not math.isfinite(rho) or rho <= 0:
            raise ArchcalcError(f"--rho must be a finite number > 0, got {rho!r}")
        out = []
        for side in sides(spec.input.size):
            if rho * side > MAX_RESOLUTION:
                raise ArchcalcError(
                    f"--rho {rho:g} gives more than the supported maximum of {MAX_RESOLUTION:,} pixels"
                )
            r = round(rho * side)
            if r < 1:
                raise ArchcalcError(f"--rho {rho:g} gives a {rho * side:g}-pixel input; it must be ≥ 1 pixel")
            out.append(r)
        return canonical(out[0], out[1])
    return spec.input.size


def _coerce_knob(name: str, knob: KnobSpec, raw: object) -> bool | int | float | str:
    """``raw`` (a ``--param`` string, or a library value) as the knob's type: the default's type
    (bool, int, float or str); ints within ±:data:`~archcalc.inputs.limits.MAX_SPEC_INT`, floats finite."""
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
        if want is bool and is_bool(raw):
            value = bool(raw)  # type: ignore[arg-type]
        elif want is int and is_whole(raw):
            value = int(raw)  # type: ignore[call-overload]
        elif want is float and is_real(raw) and math.isfinite(_float(raw)):
            value = _float(raw)
        elif want is str and isinstance(raw, str):
            value = raw
        else:
            default = json.dumps(knob.default)
            raise ArchcalcError(f"knob {name}={raw!r}: expected {want.__name__} (default {default})")
    if want is int and not -MAX_SPEC_INT <= value <= MAX_SPEC_INT:  # type: ignore[operator]
        shown = raw if isinstance(raw, str) and len(raw) < 40 else "that value"
        raise ArchcalcError(f"--param {name}={shown}: must be between {-MAX_SPEC_INT:,} and {MAX_SPEC_INT:,}")
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
    resolution: int | tuple[int, int] | str | None = None,
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
    h, w = sides(res)
    b = GraphBuilder((spec.input.channels, h, w))
    outputs = b.row_outputs  # row name → the tensor its last layer wrote
    rows: dict[str, Entry] = {}
    for section, index, entry in spec.entries():
        where = f"{section}.{index}"
        if entry.only_if is not None and not ctx.bool(entry.only_if, f"{where}.only_if"):
            continue
        if entry.unless is not None and ctx.bool(entry.unless, f"{where}.unless"):
            continue
        name = entry.name or where
        rows[name] = entry
        repeat = ctx.int(entry.repeat, f"{name}.repeat")
        if repeat > MAX_NODES:
            raise ArchcalcError(f"{name}.repeat: {repeat:,} is more than the {MAX_NODES:,} layers allowed")
        b.row = name
        b.sources = _sources(entry, name, repeat, outputs, b)
        if b.sources is not None and len(b.sources) == 1:
            b.current = b.sources[0]
        expand = BLOCKS[entry.kind].expand
        nodes, blocks = b.graph.nodes, b.graph.blocks
        out = getattr(entry, "out", None)
        for i in range(repeat):
            instance = name if repeat == 1 else f"{name}.{i}"
            start = len(nodes)
            expand(entry, ctx, b, instance, i == 0)
            blocks.append(BlockSpan(instance, entry.kind, start, len(nodes)))
            width = None if out is None else ctx.value(out)
            b.nominal = width if type(width) is int else None
        outputs[name] = b.current
    if not b.graph.nodes:
        raise ArchcalcError(f"{spec.name}: every row is switched off by the knobs; nothing to count")
    if alpha != 1.0:
        note = scaled_classifier(spec, alpha, b.graph, rows, values)
        if note is not None:
            warnings.warn(note, ArchcalcWarning, stacklevel=2)
    return Resolved(spec, alpha, res, values, b.graph)


def _sources(
    entry: Entry, name: str, repeat: int, outputs: Mapping[str, str], b: GraphBuilder
) -> tuple[str, ...] | None:
    """The tensors a row's ``from`` names (None without ``from``), checked against its kind."""
    refs = entry.from_
    most = type(entry).max_from
    if most == 0:
        if refs:
            raise ArchcalcError(f"{name}.from: a {entry.kind} row reads no tensor")
        return None
    if refs is None:
        if most != 1:
            raise ArchcalcError(f"{name} ({entry.kind}): combines tensors, so it needs from: [a, b, …]")
        return None
    if most == 1 and len(refs) != 1:
        raise ArchcalcError(f"{name}.from: a {entry.kind} row reads one tensor, got {len(refs)}")
    if most != 1 and (len(refs) < 2 or (most is not None and len(refs) != most)):
        want = f"{most}" if most is not None else "at least 2"
        raise ArchcalcError(f"{name}.from: a {entry.kind} row reads {want} tensors, got {len(refs)}")
    if most != 1 and repeat > 1:
        raise ArchcalcError(f"{name}.repeat: a {entry.kind} row combines tensors once; it cannot repeat")
    out: list[str] = []
    for ref in refs:
        if ref == INPUT:
            out.append(INPUT)
        elif ref in outputs:
            out.append(outputs[ref])
        elif b.has(ref):
            out.append(ref)
        else:
            known = [*outputs, INPUT]
            close = difflib.get_close_matches(ref, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ArchcalcError(f"{name}.from: no earlier row or layer is named {ref!r}{hint}")
    return tuple(out)


def scaled_classifier(
    spec: NetworkSpec, alpha: float, graph: Graph, rows: Mapping[str, Entry], knobs: KnobValues
) -> str | None:
    """A warning when α changes the number of classes: the classifier (the last layer with weights
    of a network whose output is a vector) comes from a row with ``width: scaled``."""
    if len(graph.output.out_shape) != 1:
        return None  # a feature map, not classes
    last = next((n for n in reversed(graph.nodes) if n.op.weight_params()), None)
    entry = rows.get(last.row) if last is not None else None
    if last is None or getattr(entry, "width", None) != "scaled":
        return None
    out = getattr(entry, "out", None)
    meant = knobs.get(out[1:], out) if isinstance(out, str) else out
    got = last.out_shape[0]
    if meant == got:
        return None
    return (
        f"{spec.name}: row {last.row}, the classifier, has width 'scaled' (the default), so α={alpha:g} "
        f"gives it {got} outputs, not {meant}; add `width: fixed` to the row to keep the classes"
    )
