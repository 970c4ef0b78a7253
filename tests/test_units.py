"""Budgets with units: every value worked by hand from the decimal / binary rule."""

from __future__ import annotations

import math

import pytest

from archcalc.errors import ArchcalcError
from archcalc.units import parse_bytes, parse_count, parse_list, parse_time_ms


@pytest.mark.parametrize(
    "text,value",
    [
        ("150M", 150 * 1000 * 1000),
        ("1.5G", 1_500_000_000),
        ("2,000,000", 2_000_000),
        ("2e6", 2_000_000),
        ("2.5K", 2_500),
        ("300", 300),
        ("0.3K", 300),
        ("1234.9", 1234),  # a fractional limit on a whole quantity rounds down
        (" 7 m ", 7_000_000),
        (4096, 4096),
    ],
)
def test_counts(text: object, value: int) -> None:
    assert parse_count(text, "--max-macs") == value


@pytest.mark.parametrize(
    "text,value",
    [
        ("2MiB", 2 * 1024 * 1024),
        ("2MB", 2 * 1000 * 1000),
        ("2M", 2_000_000),
        ("512KiB", 512 * 1024),
        ("512kib", 524_288),
        ("1.5GiB", 3 * 2**29),
        ("1GB", 10**9),
        ("1000000", 1_000_000),
        ("100B", 100),
        ("1Ki", 1024),
    ],
)
def test_bytes(text: str, value: int) -> None:
    assert parse_bytes(text, "--max-bytes") == value


@pytest.mark.parametrize(
    "text,ms",
    [("10ms", 10.0), ("1.5s", 1500.0), ("200us", 0.2), ("200µs", 0.2), ("12", 12.0), ("0.5 ms", 0.5)],
)
def test_times(text: str, ms: float) -> None:
    assert math.isclose(parse_time_ms(text, "--max-latency"), ms)


@pytest.mark.parametrize(
    "fn,option,text,fragment",
    [
        (parse_count, "--max-macs", "-5M", "must be > 0"),
        (parse_count, "--max-macs", "0", "must be > 0"),
        (parse_count, "--max-macs", "nan", "is not a count"),
        (parse_count, "--max-macs", float("nan"), "finite"),
        (parse_count, "--max-macs", "abc", "is not a count"),
        (parse_count, "--max-macs", "2MiB", "unknown unit 'MIB'"),
        (parse_count, "--max-params", "0.4", "less than 1"),
        (parse_bytes, "--max-bytes", "2XB", "unknown unit"),
        (parse_bytes, "--max-bytes", "", "is not a size"),
        (parse_time_ms, "--max-latency", "10h", "unknown unit"),
        (parse_time_ms, "--max-latency", "-1ms", "must be > 0"),
        (parse_time_ms, "--max-latency", "inf", "is not a time"),
        (parse_count, "--max-macs", True, "must be a count"),
    ],
)
def test_bad_values_name_the_option(fn, option: str, text: object, fragment: str) -> None:
    with pytest.raises(ArchcalcError) as e:
        fn(text, option)
    assert option in str(e.value) and fragment in str(e.value)
    assert "\n" not in str(e.value)


def test_lists() -> None:
    assert parse_list("0.25, 0.5,1", "--alpha") == ["0.25", "0.5", "1"]
    with pytest.raises(ArchcalcError, match="--alpha"):
        parse_list("0.25,,1", "--alpha")
