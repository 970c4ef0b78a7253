"""The width multiplier α: its checks, its exact value, and α applied to a channel count.

Every floor of α·c lives here (α itself is checked by :func:`archcalc.model.resolve.check_alpha`,
the one check every α passes, the command line's too). ``truncate`` (TF-Slim's ``int(α·c)``) is computed
exactly, on α as a rational number:

- a ``float`` is the shortest decimal that reads back as that float (its ``repr``): 0.7 is 7/10,
  1.4 is 7/5, 0.49999999999999 is 49999999999999/10¹⁴ (an ``int`` is itself). That is the number
  as it was written, so the papers' α = 0.75, 0.5, 0.35, 1.4 give exactly the published channel
  counts, α·c that is a whole number in decimal gives that number (⌊0.29·100⌋ = 29, where the
  float product 28.999999999999996 would floor to 28), and α just below a step gives the channels
  below it (⌊0.49999999999999·32⌋ = 15, where a float product plus a tolerance would give 16);
- the command line reads ``--alpha`` as the exact decimal of the typed text, and refuses text that
  a float would not carry exactly (more than about 15 significant digits), so the α a result
  reports is the α it was computed at.

``round_divisible`` is torchvision's ``_make_divisible`` in torchvision's own float arithmetic, so
its channel counts are torchvision's.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from archcalc.errors import ArchcalcError
from archcalc.spec.fields import WidthMode, WidthRule


def exact_alpha(alpha: float) -> Fraction:
    """α as an exact rational: a float as the shortest decimal that reads back as it (``repr``: 0.7 →
    7/10; see the module docstring), an int as itself."""
    return Fraction(repr(float(alpha))) if isinstance(alpha, float) else Fraction(alpha)


def alpha_from_text(text: str | float) -> float:
    """Typed ``--alpha`` text → α. The float it gives must carry the typed decimal exactly (its
    shortest repr is that decimal), so that ⌊α·c⌋ of the float is ⌊α·c⌋ of what was typed; text
    with more digits than that is refused. Non-finite and non-positive values are left to
    :func:`archcalc.model.resolve.check_alpha`, which names them."""
    if not isinstance(text, str):
        return float(text)
    try:
        typed = Decimal(text.strip())
    except InvalidOperation:
        raise ArchcalcError(f"{text!r} is not a number") from None
    value = float(typed)
    if typed.is_finite() and value != 0 and math.isfinite(value) and Decimal(repr(value)) != typed:
        raise ArchcalcError(
            f"{text} has more digits than α keeps exactly (it would be read as {value!r}); "
            "give at most 15 significant digits"
        )
    return value


def truncate(channels: int, alpha: Fraction) -> int:
    """⌊α·c⌋, exact (α a rational: :func:`exact_alpha`)."""
    return channels * alpha.numerator // alpha.denominator


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision's ``_make_divisible``: round to the nearest multiple of ``divisor``, at least
    ``min_value`` (default ``divisor``), and never more than 10 % below ``value``."""
    floor = divisor if min_value is None else min_value
    new = max(floor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def scale_channels(
    channels: int, alpha: float, rule: WidthRule, mode: WidthMode = "scaled", exact: Fraction | None = None
) -> int:
    """Channels after the width multiplier.

    ``fixed`` rows ignore α; ``grow_only`` rows use max(α, 1) (kept for α < 1).
    ``truncate``: max(⌊α·c⌋, min_value), exact on ``exact`` (default: :func:`exact_alpha` of ``alpha``);
    ``round_divisible``: make_divisible(α·c, d, min_value) on the float α.
    """
    if mode == "fixed":
        return channels
    if rule.rule == "truncate":
        a = exact_alpha(alpha) if exact is None else exact
        if mode == "grow_only":
            a = max(a, Fraction(1))
        return max(truncate(channels, a), rule.min_value or 0)
    a_float = max(alpha, 1.0) if mode == "grow_only" else alpha
    return make_divisible(channels * a_float, rule.divisor, rule.min_value)
