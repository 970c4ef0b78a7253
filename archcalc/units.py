"""Budgets written with units: counts (``150M``), sizes in bytes (``2MiB``) and times (``10ms``).

The rule for prefixes:

* **decimal** (SI): ``K`` = 10³, ``M`` = 10⁶, ``G`` = 10⁹, ``T`` = 10¹², with or without a trailing
  ``B`` for bytes: ``2MB`` = ``2M`` = 2 000 000 bytes;
* **binary** (IEC): ``Ki`` = 2¹⁰, ``Mi`` = 2²⁰, ``Gi`` = 2³⁰, ``Ti`` = 2⁴⁰, for bytes only:
  ``2MiB`` = ``2Mi`` = 2 · 1024² = 2 097 152 bytes;
* counts take only decimal prefixes (``1.5G`` = 1 500 000 000), thousands separators
  (``2,000,000``) and exponents (``2e6``);
* times: ``us`` / ``µs``, ``ms``, ``s``; a bare number is milliseconds.

Counts and bytes are whole numbers: a fractional limit is rounded down, since an integer quantity
is ≤ x exactly when it is ≤ ⌊x⌋. Every value must be finite and > 0; anything else is a one-line
error naming the option.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from archcalc.errors import ArchcalcError

DECIMAL: dict[str, int] = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
BINARY: dict[str, int] = {"KI": 2**10, "MI": 2**20, "GI": 2**30, "TI": 2**40}
TIME_MS: dict[str, Decimal] = {
    "": Decimal(1),
    "MS": Decimal(1),
    "S": Decimal(1000),
    "US": Decimal("0.001"),
    "ΜS": Decimal("0.001"),  # "µs" upper-cased (µ → Greek capital mu)
}

_NUMBER = r"(?P<num>[0-9][0-9,_]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"
_SPLIT = re.compile(rf"^\s*(?P<sign>[+-]?)\s*{_NUMBER}\s*(?P<unit>[A-Za-zµ]*)\s*$")


def _split(text: object, option: str, what: str) -> tuple[Decimal, str]:
    """``"1.5 GiB"`` → (Decimal('1.5'), 'GIB'); errors name the option."""
    if isinstance(text, bool):
        raise ArchcalcError(f"{option} must be {what}, got {text!r}")
    if isinstance(text, int | float):
        if not math.isfinite(text):
            raise ArchcalcError(f"{option} must be a finite number > 0, got {text}")
        text = repr(text)
    if not isinstance(text, str):
        raise ArchcalcError(f"{option} must be {what}, got {text!r}")
    m = _SPLIT.match(text)
    if not m:
        raise ArchcalcError(f"{option} {text!r} is not {what}")
    num = m["num"].replace(",", "").replace("_", "")
    try:
        value = Decimal(num)
    except InvalidOperation:
        raise ArchcalcError(f"{option} {text!r} is not {what}") from None
    if m["sign"] == "-":
        value = -value
    if value <= 0:
        raise ArchcalcError(f"{option} must be > 0, got {text!r}")
    return value, m["unit"].upper()


def _whole(value: Decimal, option: str, text: object) -> int:
    n = int(value.to_integral_value(rounding=ROUND_FLOOR))
    if n < 1:
        raise ArchcalcError(f"{option} {text!r} is less than 1")
    return n


def parse_count(text: object, option: str = "count") -> int:
    """A count with an optional decimal prefix: ``150M`` → 150 000 000, ``1.5G``, ``2,000,000``, ``2e6``."""
    what = "a count such as 150M, 1.5G, 2,000,000 or 2e6"
    value, unit = _split(text, option, what)
    if unit not in DECIMAL:
        raise ArchcalcError(f"{option} {text!r}: unknown unit {unit!r}; use K, M, G or T (powers of 1000)")
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
            f"{option} {text!r}: unknown unit {unit!r}; use B, KB/MB/GB (powers of 1000) "
            "or KiB/MiB/GiB (powers of 1024)"
        )
    return _whole(value * scale, option, text)


def parse_time_ms(text: object, option: str = "time") -> float:
    """A time in milliseconds: ``10ms`` → 10.0, ``1.5s`` → 1500.0, ``200us`` → 0.2; bare numbers are ms."""
    what = "a time such as 10ms, 1.5s or 200us"
    value, unit = _split(text, option, what)
    if unit not in TIME_MS:
        raise ArchcalcError(f"{option} {text!r}: unknown unit {unit!r}; use us, ms or s")
    ms = float(value * TIME_MS[unit])
    if not math.isfinite(ms):
        raise ArchcalcError(f"{option} {text!r} is too large")
    return ms


def parse_list(text: str, option: str) -> list[str]:
    """``"0.25,0.5, 1"`` → ``["0.25", "0.5", "1"]``; an empty item is an error naming the option."""
    items = [t.strip() for t in text.split(",")]
    if not items or any(not t for t in items):
        raise ArchcalcError(f"{option} {text!r}: expected a comma-separated list such as 0.5,0.75,1")
    return items
