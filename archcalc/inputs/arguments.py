"""Argument checks shared by the library API and the command line: whole numbers, real numbers,
names from a fixed set, flags and lists, each refused in one line naming the argument.

Numbers are what :mod:`numbers` says they are: ``numpy.int64(160)`` is a whole number and
``numpy.float32(0.5)`` a real one; ``True`` is neither. A value of the wrong type raises
:class:`~archcalc.errors.ArchcalcTypeError` (a ``TypeError``), a value out of range
:class:`~archcalc.errors.ArchcalcError` (a ``ValueError``).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Collection, Iterable
from decimal import Decimal
from itertools import islice

from archcalc.errors import ArchcalcError, ArchcalcTypeError


def shown(value: object) -> str:
    """``value`` for a message: its repr, cut to 60 characters, with its type when that is not plain."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits
        text = f"an integer of {value.bit_length()} bits" if isinstance(value, int) else "?"
    if len(text) > 60:
        text = text[:57] + "..."
    plain = (str, int, float, bool, type(None), list, tuple, dict)
    return text if type(value) in plain else f"{text} ({type(value).__name__})"


def is_bool(value: object) -> bool:
    """``True`` / ``False``, or numpy's boolean scalar (``numpy.bool_``)."""
    return isinstance(value, bool) or (
        type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")
    )


def is_whole(value: object) -> bool:
    """An integer that is not a bool: ``int``, ``numpy.int64`` … (``numbers.Integral``)."""
    return isinstance(value, numbers.Integral) and not is_bool(value)


def is_real(value: object) -> bool:
    """A real number that is not a bool: ``int``, ``float``, ``Fraction``, ``Decimal``, numpy scalars."""
    return isinstance(value, numbers.Real | Decimal) and not is_bool(value)


def whole(value: object, name: str, lo: int = 1, hi: int | None = None) -> int:
    """``value`` as an ``int``, lo ≤ value ≤ hi."""
    if not is_whole(value):
        raise ArchcalcTypeError(f"{name} must be a whole number, got {shown(value)}")
    n = operator.index(value)  # type: ignore[call-overload]
    if n < lo:
        raise ArchcalcError(f"{name} must be at least {lo:,}, got {n}")
    if hi is not None and n > hi:
        raise ArchcalcError(f"{name} must be at most {hi:,}, got {n if n.bit_length() < 200 else 'more'}")
    return n


def real(
    value: object, name: str, lo: float = 0.0, hi: float | None = None, *, lo_open: bool = True
) -> float:
    """``value`` as a finite ``float``, lo < value (lo ≤ value when not ``lo_open``) ≤ hi."""
    if not is_real(value):
        raise ArchcalcTypeError(f"{name} must be a number, got {shown(value)}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ArchcalcError(f"{name} must be a finite number, got {shown(value)}")
    if x < lo or (lo_open and x == lo):
        raise ArchcalcError(f"{name} must be {'>' if lo_open else '≥'} {lo:g}, got {x:g}")
    if hi is not None and x > hi:
        raise ArchcalcError(f"{name} must be at most {hi:g}, got {x:g}")
    return x


def choice(value: object, name: str, choices: Collection[str]) -> str:
    """``value``, a string that is one of ``choices``."""
    if not isinstance(value, str):
        raise ArchcalcTypeError(f"{name} must be one of {', '.join(choices)}, got {shown(value)}")
    if value not in choices:
        raise ArchcalcError(f"{name} {value!r} is not known; choose one of {', '.join(choices)}")
    return value


def text(value: object, name: str) -> str:
    """``value``, a string."""
    if not isinstance(value, str):
        raise ArchcalcTypeError(f"{name} must be a string, got {shown(value)}")
    return value


def flag(value: object, name: str) -> bool:
    """``value``, ``True`` or ``False`` (``numpy.bool_`` too), never a number or a string."""
    if not is_bool(value):
        raise ArchcalcTypeError(f"{name} must be True or False, got {shown(value)}")
    return bool(value)


def items(values: object, name: str, limit: int) -> list[object]:
    """The items of an iterable that is not a string or a mapping, at most ``limit`` of them (an
    endless generator is refused, not consumed)."""
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise ArchcalcTypeError(f"{name} must be a list, got {shown(values)}")
    out = list(islice(values, limit + 1))
    if len(out) > limit:
        raise ArchcalcError(f"{name} has more than {limit:,} items")
    return out


def input_shape(value: object, name: str = "input_shape") -> tuple[int, int, int]:
    """``value`` as (channels, height, width): three whole numbers, channels ≤ ``MAX_CHANNELS``,
    sides ≤ ``MAX_RESOLUTION``."""
    from archcalc.inputs.limits import MAX_CHANNELS, MAX_RESOLUTION

    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ArchcalcTypeError(f"{name} must be (channels, height, width), got {shown(value)}")
    parts = list(islice(value, 4))
    if len(parts) != 3:
        raise ArchcalcError(f"{name} must be (channels, height, width): three numbers, got {shown(value)}")
    c, h, w = parts
    return (
        whole(c, f"{name} channels", 1, MAX_CHANNELS),
        whole(h, f"{name} height", 1, MAX_RESOLUTION),
        whole(w, f"{name} width", 1, MAX_RESOLUTION),
    )
