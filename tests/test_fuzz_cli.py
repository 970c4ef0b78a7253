"""Hypothesis over the whole CLI: random commands, options and values, in-process.

The commands and their options are read from the typer app, so a command added later is fuzzed too.
Every outcome must be one of:

* exit 0 with output on stdout;
* exit 1 with output (``paper`` / ``validate`` report a mismatch);
* exit 2 with exactly one ``archcalc: error: …`` line on stderr and nothing on stdout;

never an exception out of :func:`archcalc.cli.main`.

The rule that keeps this fast: torch and fvcore are hidden from the import system while the fuzzer
runs (``sys.modules[name] = None``), so a command that would build a torch model refuses in one line
("needs torch: install the `validate` extra") instead of tracing a network. That refusal is itself a
path a user without the extra takes. Everything else runs for real, and the sizes drawn keep each call
to milliseconds (the largest is ``--res 100000`` / ``--alpha 100``, both closed form).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archcalc
from archcalc.cli import main
from archcalc.cli.app import app
from archcalc.spec.catalog import builtin_names

COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]

VALUES = [
    "0", "-1", "-0.5", "1", "2", "3", "8", "0.5", "1.4", "100", "224", "100000", "1000001",
    "nan", "-nan", "inf", "-inf", "1e308", "1e-308", "4.9e-324", "99999999999999999999",
    "1.5", "abc", "", " ", "ü∂漢", "\x00", "--", "-", "true", "false",
    "json", "csv", "markdown", "table", "xml", "paper", "fvcore", "torch", "thop",
    "fp32", "fp16", "bf16", "int8", "fp64",
    "shallow=true", "separable=false", "groups=8", "num_classes=1001", "k5=5", "nope=1", "x", "=1",
    "standard", "dwsep", "group", "fire", "shuffle", "inverted_residual", "spatial", "depthwise",
    "/nonexistent/spec.yaml", "specs", "README.md",
    *[
        "1e999999", "1e5000", "-1e5000", "1,5M", "568740351.99999999999999999999999", "2147483648",
        "4294967297", "1e-400", "1_000", "0x10", "1e30", "1e31", "+5", "5e-324", "Infinity", "1" + "0" * 400,
        "2MiB", "10ms", "1.5G", "-0", "1e100", "١٢٣", "1000.0000000000001", "0.49999999999999",
    ],
]  # fmt: skip
"""Ordinary values, and numbers past every limit (issue 17, class 1), for every option."""
NAMES = [*builtin_names(), "mobilnet_v1", "resnet", "", "ü", "../etc/passwd", "/dev/null", "x.yaml"]


@pytest.fixture(autouse=True, scope="module")
def _in_a_scratch_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run the fuzzed commands in a folder of their own: those that write a file (``export -o
    -0.5``, ``--plot 1``) wrote it into the checkout, where ``git add -A`` took a 5 MB ONNX model
    named ``-0.5``. The relative paths the fuzz names (``README.md``, ``specs``) are links there to
    the checkout's, so they read as before."""
    root = Path(__file__).resolve().parent.parent
    scratch = tmp_path_factory.mktemp("fuzz-cwd")
    for name in ("README.md", "specs"):
        (scratch / name).symlink_to(root / name)
    before = os.getcwd()
    os.chdir(scratch)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def without_torch() -> Iterator[None]:
    """Hide torch and fvcore (and any archcalc module already holding them) for the duration."""
    hidden = [
        "torch",
        "fvcore",
        "archcalc.measure.torch_build",
        "archcalc.measure.validate",
        "archcalc.measure.torch_modules",
    ]
    saved_modules = {k: sys.modules[k] for k in list(sys.modules) if k.split(".")[0] in ("torch", "fvcore")}
    saved_modules.update({k: sys.modules[k] for k in hidden if k in sys.modules})
    saved_attrs = {
        k: getattr(archcalc, k) for k in ("torch_build", "validate", "torch_modules") if hasattr(archcalc, k)
    }
    for k in saved_modules:
        del sys.modules[k]
    sys.modules["torch"] = None  # type: ignore[assignment]
    sys.modules["fvcore"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for k in (
            "torch",
            "fvcore",
            "archcalc.measure.torch_build",
            "archcalc.measure.validate",
            "archcalc.measure.torch_modules",
        ):
            sys.modules.pop(k, None)
        sys.modules.update(saved_modules)
        for k, v in saved_attrs.items():
            setattr(archcalc, k, v)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), without_torch():
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def check_outcome(argv: list[str], code: int, out: str, err: str) -> None:
    assert "Traceback" not in err, (argv, err)
    if code == 0:
        assert out.strip(), (argv, "exit 0 without output")
    elif code == 1:
        assert out.strip(), (argv, "exit 1 without a report")
    else:
        assert code == 2, (argv, code, err)
        assert out == "", (argv, "nothing may be written to stdout on an error", out[:200])
        lines = err.splitlines()
        assert len(lines) == 1, (argv, err)
        assert lines[0].startswith("archcalc: error: ") and len(lines[0]) > len("archcalc: error: "), argv


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    command = COMMANDS[name]
    argv = [name]
    for p in command.params:
        if p.param_type_name == "argument":
            count = (
                draw(st.integers(0, 3))
                if p.nargs == -1
                else draw(st.integers(0, 1) if not p.required else st.just(1))
            )
            argv += [draw(st.sampled_from(NAMES + VALUES)) for _ in range(count)]
        elif draw(st.integers(0, 3)) == 0:  # each option present one time in four
            opt = draw(st.sampled_from(p.opts))
            if getattr(p, "is_flag", False):
                argv.append(opt)
            else:
                repeats = draw(st.integers(1, 2)) if getattr(p, "multiple", False) else 1
                for _ in range(repeats):
                    argv += [opt, draw(st.sampled_from(VALUES))]
    if draw(st.integers(0, 9)) == 0:
        argv.insert(
            draw(st.integers(0, len(argv))), draw(st.sampled_from(["--bogus", "-x", "--help", "extra"]))
        )
    return argv


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv=argvs())
def test_fuzz_cli(argv: list[str]) -> None:
    check_outcome(argv, *run(argv))


def _is_number(p: object) -> bool:
    """Whether the option's type is int or float (``int | None`` too; typer may give it as text)."""
    import re

    try:
        t = p.bare_type()  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return False
    words = re.split(r"[^a-z]+", t if isinstance(t, str) else repr(t))
    return "list" not in words and bool({"int", "float"} & set(words))


NUMBER_TEXT_OPTIONS = {
    "--max-macs", "--max-params", "--max-bytes", "--max-peak-memory", "--max-latency", "--alpha", "--res",
}  # fmt: skip
"""Options read as text and parsed by archcalc (budget limits, the sweep / budget grid lists)."""
NUMBER_OPTIONS = sorted(
    (name, p.opts[0])
    for name, command in COMMANDS.items()
    for p in command.params
    if p.param_type_name == "option"
    and (_is_number(p) or p.opts[0] in NUMBER_TEXT_OPTIONS | {"--param", "--layer"})
)
"""Every (command, option) that takes a number, read from the app: every number-parsing path."""
NEEDS = {"compare": ["dwsep"], "calibrate": [], "list": [], "schema": []}


def number_texts() -> st.SearchStrategy[str]:
    """Numbers as a user might type them: signs, separators, fractions, exponents, units, junk."""
    digits = st.text("0123456789", min_size=1, max_size=12)
    grouped = st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=4).map(",".join)
    built = st.builds(
        lambda sign, whole, frac, exp, unit: f"{sign}{whole}{frac}{exp}{unit}",
        st.sampled_from(["", "-", "+", " "]),
        st.one_of(digits, grouped, st.just("")),
        st.one_of(st.just(""), digits.map(lambda d: "." + d)),
        st.one_of(st.just(""), st.integers(-400, 400).map(lambda e: f"e{e}"), st.just("e999999")),
        st.sampled_from(["", "K", "M", "G", "T", "MiB", "ms", "s", "us", "µs", "B", "x"]),
    )
    return st.one_of(
        built,
        st.sampled_from(VALUES),
        st.integers(-(2**70), 2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    target=st.sampled_from(NUMBER_OPTIONS),
    net=st.sampled_from(["mobilenet_v1", "squeezenet1_0"]),
)
def test_fuzz_every_number_option(data: st.DataObject, target: tuple[str, str], net: str) -> None:
    """Each option that takes a number, alone, with numbers past every limit and text that only looks
    like one: an exact answer or a one-line refusal, and never a number read other than as written."""
    name, opt = target
    value = data.draw(number_texts())
    if opt == "--param":
        value = (
            data.draw(st.sampled_from(["groups=", "shallow=", "num_classes=", "k5=", "separable="])) + value
        )
    elif opt == "--layer":
        value = data.draw(st.sampled_from(["fc:density=", "fc:bits=", "conv1:index_bits="])) + value
    argv = [name, *NEEDS.get(name, [net]), opt, value]
    if name == "budget" and not opt.startswith("--max-"):
        argv += ["--max-macs", "300M"]
    if name in ("table", "compare", "size", "memory", "sweep", "budget"):
        argv += ["--format", "json"]
    code, out, err = run(argv)
    check_outcome(argv, code, out, err)
    if code == 0 and "--format" in argv:
        json.loads(out)


def test_every_number_option_is_fuzzed() -> None:
    """The list above is read from the app; these must be among it (a renamed option would drop out)."""
    found = set(NUMBER_OPTIONS)
    for expected in [
        ("table", "--alpha"), ("table", "--res"), ("table", "--rho"), ("compare", "--m"),
        ("size", "--density"), ("size", "--workers"), ("time", "--threads"), ("time", "--batch"),
        ("calibrate", "--threads"), ("budget", "--max-latency"), ("sweep", "--res"),
    ]:  # fmt: skip
        assert expected in found, expected


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["budget", "mobilenet_v1", "--max-params", "1e999999"], "--max-params"),
        (["budget", "mobilenet_v1", "--max-macs", "1e5000"], "--max-macs"),
        (["budget", "mobilenet_v1", "--max-macs", "1,5M"], "--max-macs '1,5M'"),
        (["time", "mobilenet_v1", "--threads", "2147483648"], "--threads"),
        (["calibrate", "--threads", "2147483648"], "--threads"),
        (["time", "mobilenet_v1", "--repeats", "10000000000"], "--repeats"),
        (["size", "mobilenet_v1", "--workers", "99999999999999999999"], "--workers"),
        (["table", "mobilenet_v1", "--param", "shallow=1" + "0" * 5000], "--param"),
        (["sweep", "mobilenet_v1", "--param", "num_classes=" + "9" * 30], None),
    ],
)
def test_issue_17_numbers_are_refused_in_one_line(argv: list[str], fragment: str | None) -> None:
    code, out, err = run(argv)
    check_outcome(argv, code, out, err)
    assert code == 2 and (fragment is None or fragment in err), err


def test_a_limit_below_the_count_does_not_fit() -> None:
    """568,740,352 MACs (MobileNet V1 at 224, the paper's count by hand) is above
    568740351.99999999999999999999999: nothing fits, where a rounded limit let it fit."""
    from test_mobilenet_v1_paper import hand_count

    assert hand_count(1.0, 224)[0] == 568_740_352
    base = ["budget", "mobilenet_v1", "--alpha", "1", "--res", "224", "--format", "json"]
    code, out, err = run([*base, "--max-macs", "568740351.99999999999999999999999"])
    assert code == 0, err
    assert json.loads(out)["front"] == []
    code, out, err = run([*base, "--max-macs", "568740352"])
    assert [p["macs"] for p in json.loads(out)["front"]] == [568_740_352]


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "mobilenet_v1"],
        ["validate", "--all"],
        ["table", "mobilenet_v2", "--alpha", "1e308"],
        ["table", "mobilenet_v2", "--res", "99999999999999999999999"],
        ["table", "mobilenet_v2", "--rho", "nan"],
        ["compare", "standard", "--m", "99999999999999999999", "--n", "1"],
        ["table", "/dev/zero"],
        ["table", "/"],
    ],
)
def test_corner_argv(argv: list[str]) -> None:
    code, out, err = run(argv)
    check_outcome(argv, code, out, err)
    if argv[0] == "validate":  # torch hidden: a one-line refusal naming the extra
        assert code == 2 and "validate` extra" in err, err
