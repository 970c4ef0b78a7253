"""What resolution knows while expanding rows: α, the width rule and the knob values."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, get_args

from archcalc.errors import ArchcalcError
from archcalc.inputs.limits import MAX_CHANNELS, MAX_SPEC_INT
from archcalc.model.width import exact_alpha, scale_channels
from archcalc.spec.fields import Act, WidthMode

_ACTS = get_args(Act)
_WIDTH_MODES = get_args(WidthMode)

if TYPE_CHECKING:
    from archcalc.spec.schema import NetworkSpec

KnobValues = dict[str, bool | int | float | str]

MAX_SCALED_CHANNELS = MAX_CHANNELS
"""Largest α·c scaled: below 2²² a double holds α·c to within 10⁻⁹, so the ``round_divisible``
rule, in torchvision's float arithmetic, rounds α·c as an exact product would (``truncate`` is exact
at any size). Rows with ``width: fixed`` are held to the same count (no renderer or float total
past it; :data:`archcalc.inputs.limits.MAX_CHANNELS`)."""


@dataclass(frozen=True, slots=True)
class Context:
    spec: NetworkSpec
    alpha: float
    knobs: KnobValues = field(default_factory=dict)
    alpha_exact: Fraction | None = None
    """α as an exact rational, for every floor of α·c (default: :func:`archcalc.model.width.exact_alpha`
    of ``alpha``)."""

    def __post_init__(self) -> None:
        if self.alpha_exact is None:
            object.__setattr__(self, "alpha_exact", exact_alpha(self.alpha))

    def value(self, v: object) -> object:
        """A literal, or the value of the knob a ``$name`` reference names."""
        if isinstance(v, str) and v.startswith("$"):
            if v[1:] not in self.knobs:
                raise ArchcalcError(f"{v} names no knob of {self.spec.name}")
            return self.knobs[v[1:]]
        return v

    def int(self, v: object, where: str) -> int:
        x = self.value(v)
        if isinstance(x, bool) or not isinstance(x, int) or x < 1:
            raise ArchcalcError(f"{where}: expected a positive integer, got {x!r} (from {v})")
        if x > MAX_SPEC_INT:
            raise ArchcalcError(f"{where}: {x:,} (from {v}) is more than the {MAX_SPEC_INT:,} a spec allows")
        return x

    def bool(self, v: object, where: str) -> bool:
        x = self.value(v)
        if not isinstance(x, bool):
            raise ArchcalcError(f"{where}: expected true or false, got {x!r} (from {v})")
        return x

    def act(self, v: object, where: str) -> str:
        """An activation name, given or from a knob."""
        return self._one_of(v, where, "an activation", _ACTS, f" (from {v})")

    def odd_kernel(self, v: object, where: str) -> int:
        """An odd kernel side ('same' padding), given or from a knob."""
        k = self.int(v, where)
        if k % 2 == 0:
            raise ArchcalcError(f"{where}: 'same' padding needs an odd kernel, got {k} (from {v})")
        return k

    def width_mode(self, v: object, where: str) -> WidthMode:
        """A width mode, given or from a knob."""
        return self._one_of(v, where, "a width mode", _WIDTH_MODES)  # type: ignore[return-value]

    def _one_of(self, v: object, where: str, what: str, names: tuple[str, ...], source: str = "") -> str:
        """``v``, or the value of the knob it names, which must be one of ``names``; the error says
        ``what`` was expected, then ``source``."""
        x = self.value(v)
        if x not in names:
            raise ArchcalcError(f"{where}: expected {what} ({', '.join(names)}), got {x!r}{source}")
        return x  # type: ignore[return-value]

    def channels(self, v: object, mode: WidthMode | str, where: str) -> int:
        """Channel count after α (see :func:`archcalc.model.width.scale_channels`); refuses zero."""
        mode = mode if mode in _WIDTH_MODES else self.width_mode(mode, f"{where} width")
        raw = self.int(v, where)
        if mode != "fixed" and raw * max(self.alpha, 1.0) > MAX_SCALED_CHANNELS:
            raise ArchcalcError(
                f"{where}: α={self.alpha:g} × {raw:,} channels is more than {MAX_SCALED_CHANNELS:,}, "
                "the largest count scaled exactly (width: fixed rows are not scaled)"
            )
        c = scale_channels(raw, self.alpha, self.spec.width, mode, self.alpha_exact)  # type: ignore[arg-type]
        if c > MAX_CHANNELS:  # a fixed row, or a rule that rounds up past the limit
            raise ArchcalcError(f"{where}: {c:,} channels is more than the {MAX_CHANNELS:,} supported")
        if c < 1:
            raise ArchcalcError(
                f"{where}: α={self.alpha:g} leaves {c} channels (from {self.value(v)}); use a larger --alpha"
            )
        return c
