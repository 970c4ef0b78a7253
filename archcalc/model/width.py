"""The width multiplier α applied to a channel count, by the spec's declared rule."""

from __future__ import annotations

import math

from archcalc.spec.fields import WidthMode, WidthRule


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision's ``_make_divisible``: round to the nearest multiple of ``divisor``, at least
    ``min_value`` (default ``divisor``), and never more than 10 % below ``value``."""
    floor = divisor if min_value is None else min_value
    new = max(floor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


def scale_channels(channels: int, alpha: float, rule: WidthRule, mode: WidthMode = "scaled") -> int:
    """Channels after the width multiplier.

    ``fixed`` rows ignore α; ``grow_only`` rows use max(α, 1) (kept for α < 1).
    ``truncate``: max(⌊α·c⌋, min_value); ``round_divisible``: make_divisible(α·c, d, min_value).
    """
    if mode == "fixed":
        return channels
    a = max(alpha, 1.0) if mode == "grow_only" else alpha
    value = channels * a
    if rule.rule == "truncate":
        # ⌊α·c⌋ without binary-float surprises: 0.75·512 is exact, but 0.7·10 is 7.000000000000001
        scaled = math.floor(value + 1e-9)
        return max(scaled, rule.min_value or 0)
    return make_divisible(value, rule.divisor, rule.min_value)
