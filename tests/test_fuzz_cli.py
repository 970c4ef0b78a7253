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
import sys
from collections.abc import Iterator

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
]  # fmt: skip
NAMES = [*builtin_names(), "mobilnet_v1", "resnet", "", "ü", "../etc/passwd", "/dev/null", "x.yaml"]


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
