"""Budgets with units: every value worked by hand from the decimal / binary rule."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.errors import ArchcalcError
from archcalc.inputs.units import parse_bytes, parse_count, parse_list, parse_time_ms


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


# ---------------------------------------------------------------------------------------------
# Exact reading (issue 17, class 1): no decimal context, no float in between.


def test_a_limit_is_read_exactly_not_rounded_up() -> None:
    """28 nines after the point: a 28-digit decimal context rounded this to 568,740,352, the paper's
    MobileNet V1 count (hand_count(1, 224)), which then "fit" a limit below it."""
    assert parse_count("568740351.99999999999999999999999", "--max-macs") == 568_740_351
    assert parse_count("568740352", "--max-macs") == 568_740_352
    assert parse_count("5.6874035199999999999999999999999999e8", "--max-macs") == 568_740_351
    assert parse_time_ms("0.2ms", "--max-latency") == 0.2


@pytest.mark.parametrize(
    "text,value",
    [("2,000,000", 2_000_000), ("1,000", 1000), ("999", 999), ("2_000_000", 2_000_000), ("1_0K", 10_000)],
)
def test_thousands_separators_in_groups_of_three(text: str, value: int) -> None:
    assert parse_count(text, "--max-macs") == value


@pytest.mark.parametrize("text", ["1,5M", "1,50", "1,0000", ",100", "100,", "1,,000", "1__0", "_1", "1_"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused(text: str) -> None:
    with pytest.raises(ArchcalcError, match="--max-macs"):
        parse_count(text, "--max-macs")


@pytest.mark.parametrize(
    "fn,text,fragment",
    [
        (parse_count, "1e999999", "exponent"),
        (parse_count, "1e5000", "exponent"),
        (parse_count, "1e-5000", "exponent"),
        (parse_count, "9" * 5000, "digits"),
        (parse_count, "1e" + "9" * 5000, "exponent"),
        (parse_bytes, "1e999999GiB", "exponent"),
        (parse_time_ms, "1e999999s", "exponent"),
        (parse_count, "1e31", "largest limit"),
        (parse_count, "1e28T", "largest limit"),
        (parse_bytes, "1e19TiB", "largest limit"),
        (parse_time_ms, "1e10s", "largest limit"),
        (parse_count, 10**31, "largest limit"),
        (parse_count, float("1e300"), "largest limit"),
    ],
)
def test_huge_numbers_are_refused_at_once(fn, text: object, fragment: str) -> None:
    import time

    t0 = time.perf_counter()
    with pytest.raises(ArchcalcError) as e:
        fn(text, "--max-x")
    assert time.perf_counter() - t0 < 0.5
    assert fragment in str(e.value) and "--max-x" in str(e.value)
    assert len(str(e.value)) < 200


def test_numbers_of_every_kind_are_read_exactly() -> None:
    from decimal import Decimal
    from fractions import Fraction

    import numpy as np

    assert parse_count(np.int64(150_000_000), "--max-macs") == 150_000_000
    assert parse_count(np.float32(2.5), "--max-macs") == 2
    assert parse_count(Fraction(7, 2), "--max-macs") == 3
    assert parse_count(Decimal("568740351.99999999999999999999999"), "--max-macs") == 568_740_351
    assert parse_count(1.5e8, "--max-macs") == 150_000_000
    with pytest.raises(ArchcalcError, match="must be a count"):
        parse_count(np.True_, "--max-macs")


decimal_texts = st.builds(
    lambda whole, frac, exp: f"{whole}{'.' + frac if frac else ''}{'e' + str(exp) if exp else ''}",
    st.integers(0, 10**40).map(str),
    st.text("0123456789", max_size=40),
    st.integers(-60, 60),
)


@settings(max_examples=300, deadline=None)
@given(text=decimal_texts)
def test_counts_equal_the_floor_of_the_exact_rational(text: str) -> None:
    """Against an independent reader: ``fractions.Fraction`` parses a decimal string exactly."""
    from fractions import Fraction

    exact = Fraction(text)
    digits = len(text.split("e")[0].replace(".", ""))
    try:
        n = parse_count(text, "--max-macs")
    except ArchcalcError as e:
        assert exact < 1 or exact >= 10**30 + 1 or digits > 100 or "must be > 0" in str(e), (text, e)
        return
    assert n == exact.numerator // exact.denominator and 1 <= n <= 10**30
