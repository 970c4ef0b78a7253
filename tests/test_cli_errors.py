"""Bad input: a one-line message naming the problem, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD_SPEC = """
name: tiny
title: Tiny
source: a test
width: {rule: truncate}
body:
  - {kind: conv, out: 8, k: 7, stride: 2, padding: 0}
  - {kind: conv, out: 8, k: 7, stride: 2, padding: 0}
head:
  - {kind: global_pool}
  - {kind: flatten}
  - {kind: linear, out: 10, width: fixed}
"""


def assert_refused(result, *fragments: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert result.out == "", "nothing may be written to stdout on an error"
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("archcalc: error: ")
    assert "Traceback" not in result.err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["table", "mobilnet_v1"], ["unknown network 'mobilnet_v1'", "did you mean mobilenet_v1"]),
        (["table", "mobilenet_v1", "--alpha", "0"], ["--alpha", "> 0", "got 0.0"]),
        (["table", "mobilenet_v1", "--alpha", "-0.5"], ["--alpha", "got -0.5"]),
        (["table", "mobilenet_v1", "--alpha", "nan"], ["--alpha", "nan"]),
        (["table", "mobilenet_v1", "--alpha", "inf"], ["--alpha", "inf"]),
        (["table", "mobilenet_v1", "--alpha", "abc"], ["'--alpha'"]),
        (["table", "mobilenet_v1", "--res", "0"], ["--res", "≥ 1"]),
        (["table", "mobilenet_v1", "--res", "1.5"], ["'--res'"]),
        (["table", "mobilenet_v1", "--rho", "-1"], ["--rho"]),
        (["table", "mobilenet_v1", "--rho", "0.001"], ["--rho", "pixel"]),
        (["table", "mobilenet_v1", "--res", "160", "--rho", "0.5"], ["--res or --rho"]),
        (["table", "mobilenet_v1", "--format", "xml"], ["--format 'xml'", "json"]),
        (
            ["table", "mobilenet_v1", "--convention", "flopth"],
            ["--convention 'flopth'", "fvcore", "thop", "keras"],
        ),
        (["table", "mobilenet_v1", "--dtype", "fp64"], ["--dtype 'fp64'", "int8"]),
        (["table", "mobilenet_v1", "--param", "shalow=true"], ["shalow", "did you mean shallow"]),
        (["table", "mobilenet_v1", "--param", "shallow=maybe"], ["shallow=maybe", "bool"]),
        (["table", "mobilenet_v1", "--param", "shallow"], ["NAME=VALUE"]),
        (["table", "mobilenet_v1", "--alpah", "1"], ["--alpah"]),
        (["table", "--alpha", "0.001", "mobilenet_v1", "--param", "separable=false"], []),
        (["compare", "standard", "--m", "0"], ["--m", "≥ 1"]),
        (["compare", "standard", "--df", "-3"], ["--df"]),
        (["compare", "standard", "--dk", "0"], ["--dk"]),
        (["compare", "standard", "--dk", "4"], ["--dk 4 is even"]),
        (["compare", "group", "--m", "512", "--n", "512", "--groups", "3"], ["groups=3", "512"]),
        (["compare", "group", "--groups", "0"], ["--groups"]),
        (["compare", "dwsep", "--alpha", "0.001"], ["--alpha", "channels"]),
        (["compare", "dwsep", "--rho", "0.01"], ["--rho", "pixel"]),
        (["compare", "dwsepp"], ["unknown design 'dwsepp'", "did you mean dwsep"]),
        (["compare", "fire", "--n", "63"], ["fire", "--n 63 is odd"]),
        (["compare", "shuffle", "--m", "96", "--n", "96", "--groups", "5"], ["shuffle", "groups=5"]),
        (["compare", "inverted_residual", "--t", "0"], ["--t"]),
        (["compare", "fire", "--squeeze", "-1"], ["--squeeze"]),
        (["compare", "standard", "--format", "yaml"], ["--format"]),
        (["compare"], ["Missing argument"]),
        (["table", "mobilenet_v2", "--alpha", "1e308"], ["--alpha", "supported maximum"]),
        (["table", "mobilenet_v1", "--rho", "1e308"], ["--rho", "supported maximum"]),
        (["table", "mobilenet_v1", "--res", "2000000"], ["--res", "supported maximum"]),
        (["compare", "standard", "--alpha", "1e308"], ["--alpha", "supported maximum"]),
        (["compare", "standard", "--m", "99999999999"], ["--m", "supported maximum"]),
        (["validate", "mobilenet_v1", "--res", "60000"], ["validate runs the real model", "GiB"]),
        (["nosuchcommand"], ["nosuchcommand"]),
    ],
)
def test_refused(cli, args: list[str], fragments: list[str]) -> None:
    result = cli(*args)
    if args[:2] == ["table", "--alpha"]:  # α = 0.001 is valid: TF-Slim's min_depth keeps 8 channels
        assert result.code == 0
        return
    assert_refused(result, *fragments)


def test_collapsed_layer_is_named(cli, tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(GOOD_SPEC)
    assert cli("table", str(spec), "--summary").code == 0
    # 16 px → 5 px after the first 7×7/2 valid conv → the second one has nothing to convolve.
    assert_refused(
        cli("table", str(spec), "--res", "16"), "layer body.1.conv", "collapses to zero size", "5×5"
    )


def test_zero_channels_are_named(cli, tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(GOOD_SPEC)
    assert_refused(cli("table", str(spec), "--alpha", "0.1"), "body.0.out", "leaves 0 channels")


@pytest.mark.parametrize(
    "text,fragments",
    [
        ("name: [unclosed", ["not valid YAML", "line"]),
        ("- just\n- a list\n", ["must be a YAML mapping"]),
        (GOOD_SPEC.replace("out: 8, k: 7", "out: -8, k: 7", 1), ["body.0.out", "greater than or equal to 1"]),
        (GOOD_SPEC.replace("kind: conv", "kind: convv", 1), ["body.0", "convv"]),
        (GOOD_SPEC.replace("padding: 0}", "padding: 0, colour: red}", 1), ["body.0.colour", "Extra inputs"]),
        (GOOD_SPEC.replace("width: {rule: truncate}", ""), ["width", "Field required"]),
        (GOOD_SPEC.replace("out: 8, k: 7", "out: $depth, k: 7", 1), ["unknown knob $depth"]),
        (GOOD_SPEC.replace("stride: 2", "stride: two", 1), ["body.0.stride"]),
        (GOOD_SPEC.replace("k: 7, stride: 2, padding: 0", "k: 4", 1), ["body.0", "odd kernel"]),
        (GOOD_SPEC.replace("  - {kind: flatten}\n", ""), ["head.1 (linear)", "needs a vector", "flatten"]),
        ("\xff\xfe binary", ["not a UTF-8"]),
        (
            GOOD_SPEC.replace("head:", "  - {kind: xception, widths: [$nope, 8], stride: 2}\nhead:"),
            ["unknown knob $nope"],
        ),
        (
            GOOD_SPEC + "published:\n  - {source: s, label: l, macs: 1M, macs_unit: '0'}\n",
            ["published.0", "precision unit must be > 0"],
        ),
    ],
)
def test_bad_spec_file(cli, tmp_path: Path, text: str, fragments: list[str]) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    assert_refused(cli("table", str(spec)), str(spec), *fragments)


def test_missing_spec_file(cli, tmp_path: Path) -> None:
    assert_refused(cli("table", str(tmp_path / "nope.yaml")), "nope.yaml", "does not exist")


def test_real_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it."""
    p = subprocess.run(
        [sys.executable, "-m", "archcalc", "table", "mobilenet_v1", "--alpha", "nan"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.count("\n") == 1 and "--alpha" in p.stderr


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_a_reader_that_goes_away_is_not_an_error(fmt: str) -> None:
    """``archcalc table … | head -1``: exit 0, nothing on stderr (rich alone would exit 1)."""
    alphas = ",".join(f"{0.25 + 0.01 * i:.2f}" for i in range(76))
    # a sweep prints ~200 KB, more than a pipe holds, so a write fails, not only the exit's flush
    for argv in (
        ["table", "mobilenet_v2"],
        ["sweep", "mobilenet_v2", "--alpha", alphas, "--res", "96,128,160"],
    ):
        p = subprocess.Popen(
            [sys.executable, "-m", "archcalc", *argv, "--format", fmt],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert p.stdout is not None and p.stderr is not None
        assert p.stdout.readline()
        p.stdout.close()
        err = p.stderr.read()
        assert p.wait(timeout=120) == 0, err
        assert err == b""
