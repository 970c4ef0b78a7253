"""Budgets written with units: counts (``150M``), sizes in bytes (``2MiB``) and times (``10ms``).

The rule for prefixes:

* **decimal** (SI): ``K`` = 10³, ``M`` = 10⁶, ``G`` = 10⁹, ``T`` = 10¹², with or without a trailing
  ``B`` for bytes: ``2MB`` = ``2M`` = 2 000 000 bytes;
* **binary** (IEC): ``Ki`` = 2¹⁰, ``Mi`` = 2²⁰, ``Gi`` = 2³⁰, ``Ti`` = 2⁴⁰, for bytes only:
  ``2MiB`` = ``2Mi`` = 2 · 1024² = 2 097 152 bytes;
* counts take only decimal prefixes (``1.5G`` = 1 500 000 000), thousands separators
  (``2,000,000``) and exponents (``2e6``);
* times: ``us`` / ``µs``, ``ms``, ``s``; a bare number is milliseconds.

Numbers are read exactly, as rationals: ``568740351.99999999999999999999999`` is below 568 740 352,
and no decimal context rounds it up. Thousands separators come in groups of three (``2,000,000``;
``1,5M`` is refused, not read as 15 M), ``_`` may sit between digits (``2_000_000``). Counts and
bytes are whole numbers: a fractional limit is rounded down, since an integer quantity is ≤ x
exactly when it is ≤ ⌊x⌋. Every value must be > 0 and within the limits of :mod:`archcalc.inputs.limits`
(counts and bytes at most 10³⁰, times at most 10¹² ms, at most 100 digits and |exponent| ≤ 100 as
written, so ``1e999999`` is refused at once); anything else is a one-line error naming the option.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from archcalc.errors import ArchcalcError, ArchcalcTypeError
from archcalc.inputs.arguments import is_real, is_whole
from archcalc.inputs.limits import MAX_BUDGET, MAX_LATENCY_MS, MAX_NUMBER_DIGITS

DECIMAL: dict[str, int] = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
BINARY: dict[str, int] = {"KI": 2**10, "MI": 2**20, "GI": 2**30, "TI": 2**40}
TIME_MS: dict[str, Fraction] = {
    "": Fraction(1),
    "MS": Fraction(1),
    "S": Fraction(1000),
    "US": Fraction(1, 1000),
    "ΜS": Fraction(1, 1000),  # "µs" upper-cased (µ → Greek capital mu)
}

_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_INTEGER = rf"(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+|{_DIGITS})"
_NUMBER = rf"(?P<int>{_INTEGER})?(?:\.(?P<frac>{_DIGITS})?)?(?:[eE](?P<exp>[+-]?[0-9]+))?"
_SPLIT = re.compile(rf"^\s*(?P<sign>[+-]?)\s*{_NUMBER}\s*(?P<unit>[A-Za-zµ]*)\s*$")


def _shown(text: object) -> str:
    """``text`` for a message: its repr, its middle cut out past 40 characters."""
    r = repr(text)
    return r if len(r) <= 40 else f"{r[:20]}…{r[-12:]} ({len(str(text))} characters)"


def _exact(value: object, option: str, what: str) -> tuple[Fraction, str]:
    """A number given as a number (``int``, ``float``, numpy scalar, ``Fraction``, ``Decimal``):
    its exact value."""
    if is_whole(value):
        return Fraction(int(value)), ""  # type: ignore[call-overload]
    try:  # floats, Fractions and Decimals exactly, no rounding; numpy floats through float
        exact = Fraction(value if isinstance(value, float | Fraction | Decimal) else float(value))  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        raise ArchcalcError(f"{option} must be a finite number > 0, got {value}") from None
    return exact, ""


def _split(text: object, option: str, what: str) -> tuple[Fraction, str]:
    """``"1.5 GiB"`` → (Fraction(3, 2), 'GIB'), exactly; errors name the option."""
    if is_real(text):
        value, unit = _exact(text, option, what)
    elif not isinstance(text, str):
        raise ArchcalcTypeError(f"{option} must be {what}, got {_shown(text)}")
    else:
        m = _SPLIT.match(text)
        if not m or not (m["int"] or m["frac"]):
            raise ArchcalcError(f"{option} {_shown(text)} is not {what}")
        whole = (m["int"] or "").replace(",", "").replace("_", "")
        frac = (m["frac"] or "").replace("_", "")
        exp = (m["exp"] or "0").lstrip("+")
        if len(whole) + len(frac) > MAX_NUMBER_DIGITS:
            raise ArchcalcError(
                f"{option} {_shown(text)} has more than the {MAX_NUMBER_DIGITS} digits accepted"
            )
        if len(exp.lstrip("-0")) > 3 or abs(int(exp)) > MAX_NUMBER_DIGITS:
            raise ArchcalcError(
                f"{option} {_shown(text)}: an exponent beyond ±{MAX_NUMBER_DIGITS} is out of range"
            )
        value = Fraction(int(whole + frac or "0")) * Fraction(10) ** (int(exp) - len(frac))
        if m["sign"] == "-":
            value = -value
        unit = m["unit"].upper()
    if value <= 0:
        raise ArchcalcError(f"{option} must be > 0, got {_shown(text)}")
    return value, unit


def _whole(value: Fraction, option: str, text: object) -> int:
    n = value.numerator // value.denominator
    if n < 1:
        raise ArchcalcError(f"{option} {_shown(text)} is less than 1")
    if n > MAX_BUDGET:
        raise ArchcalcError(f"{option} {_shown(text)} is larger than the largest limit accepted, 10^30")
    return n


def parse_count(text: object, option: str = "count") -> int:
    """A count with an optional decimal prefix: ``150M`` → 150 000 000, ``1.5G``, ``2,000,000``, ``2e6``."""
    what = "a count such as 150M, 1.5G, 2,000,000 or 2e6"
    value, unit = _split(text, option, what)
    if unit not in DECIMAL:
        raise ArchcalcError(
            f"{option} {_shown(text)}: unknown unit {_shown(unit)}; use K, M, G or T (powers of 1000)"
        )
    return _whole(value * DECIMAL[unit], option, text)


def parse_bytes(text: object, option: str = "size") -> int:
    """A size in bytes: ``2MiB`` = 2·1024², ``2MB`` = ``2M`` = 2·10⁶, ``512KiB``, or a bare integer."""
    what = "a size such as 2MiB, 2MB, 512KiB or 1000000"
    value, unit = _split(text, option, what)
    key = unit[:-1] if unit.endswith("B") else unit
    if key in DECIMAL:
        scale = DECIMAL[key]
    elif key in BINARY:
        scale = BINARY[key]
    else:
        raise ArchcalcError(
            f"{option} {_shown(text)}: unknown unit {_shown(unit)}; use B, KB/MB/GB (powers of 1000) "
            "or KiB/MiB/GiB (powers of 1024)"
        )
    return _whole(value * scale, option, text)


def parse_time_ms_exact(text: object, option: str = "time") -> Fraction:
    """A time in milliseconds, exactly: ``10ms`` → 10, ``1.5s`` → 1500, ``200us`` → 1/5."""
    what = "a time such as 10ms, 1.5s or 200us"
    value, unit = _split(text, option, what)
    if unit not in TIME_MS:
        raise ArchcalcError(f"{option} {_shown(text)}: unknown unit {_shown(unit)}; use us, ms or s")
    ms = value * TIME_MS[unit]
    if ms > MAX_LATENCY_MS:
        raise ArchcalcError(f"{option} {_shown(text)} is larger than the largest limit accepted, 10^12 ms")
    return ms


def parse_time_ms(text: object, option: str = "time") -> float:
    """A time in milliseconds: ``10ms`` → 10.0, ``1.5s`` → 1500.0, ``200us`` → 0.2; bare numbers are ms.
    (The nearest float; :func:`parse_time_ms_exact` gives the exact value.)"""
    return float(parse_time_ms_exact(text, option))


def parse_list(text: str, option: str) -> list[str]:
    """``"0.25,0.5, 1"`` → ``["0.25", "0.5", "1"]``; an empty item is an error naming the option."""
    items = [t.strip() for t in text.split(",")]
    if not items or any(not t for t in items):
        raise ArchcalcError(f"{option} {_shown(text)}: expected a comma-separated list such as 0.5,0.75,1")
    return items
