"""The cold-start shortcuts change nothing a user sees.

``archcalc CMD …`` builds the click command of CMD only (:func:`archcalc.cli.click_app`): its help,
usage line and errors must be byte for byte those of the full group typer builds for the app.
"""

from __future__ import annotations

import contextlib
import io

import pytest
import typer.main

from archcalc.cli import click_app, command_name, main
from archcalc.cli.app import app

NAMES = [command_name(c) for c in app.registered_commands]


def run_group(group, argv: list[str]) -> tuple[object, str, str]:
    """What a click group does with ``argv``, as :func:`main` calls it: result or error message."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            outcome: object = group(args=argv, prog_name="archcalc", standalone_mode=False)
        except Exception as e:
            fmt = getattr(e, "format_message", None)
            outcome = (type(e).__name__, fmt() if fmt else str(e), getattr(e, "exit_code", None))
    return outcome, out.getvalue(), err.getvalue()


def test_every_command_is_found_by_its_invoked_name() -> None:
    assert len(NAMES) == len(set(NAMES)) == len(typer.main.get_group(app).commands)
    assert set(NAMES) == set(typer.main.get_group(app).commands)
    assert "time" in NAMES and "list" in NAMES  # registered as time_cmd / list_networks


@pytest.mark.parametrize("name", NAMES)
def test_a_named_command_builds_that_command_only(name: str) -> None:
    assert list(click_app([name, "--help"]).commands) == [name]


def needs_argument(name: str) -> bool:
    cmd = typer.main.get_group(app).commands[name]
    return any(p.required for p in cmd.params if p.param_type_name == "argument")


@pytest.fixture(autouse=True)
def _no_saved_profile(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path / "config"))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "rest", [["--help"], [], ["--no-such-option"], ["--format"], ["x", "y", "z", "w", "v", "u"]]
)
def test_lean_group_behaves_as_the_full_group(name: str, rest: list[str]) -> None:
    """Help text, usage line, and the parser's errors (missing argument, unknown option …)."""
    if rest[:1] not in (["--help"], ["--no-such-option"], ["--format"]) and not needs_argument(name):
        pytest.skip("the parser would accept it and run the command (calibrate measures for minutes)")
    argv = [name, *rest]
    full = run_group(typer.main.get_group(app), argv)
    lean = run_group(click_app(argv), argv)
    assert lean == full
    if rest != ["--help"]:
        assert isinstance(full[0], tuple)  # the parser stopped it, with an error
    else:
        assert f"Usage: archcalc {name} [OPTIONS]" in lean[1]


@pytest.mark.parametrize(
    "argv", [[], ["--help"], ["tabel", "mobilenet_v2"], ["TABLE"], ["--", "table"], ["-h"], ["lis"]]
)
def test_anything_but_a_command_name_gets_every_command(argv: list[str]) -> None:
    assert set(click_app(argv).commands) == set(NAMES)


def test_typo_and_help_unchanged(cli) -> None:
    r = cli("tabel", "mobilenet_v2")
    assert (r.code, r.out) == (2, "")
    assert r.err == "archcalc: error: No such command 'tabel'. Did you mean 'table'?\n"
    r = cli("--help")
    assert r.code == 0 and all(n in r.out for n in NAMES)
    r = cli()
    assert r.code == 0 and all(n in r.out for n in NAMES)


def test_main_runs_the_lean_group(cli) -> None:
    r = cli("table", "mobilenet_v2", "--format", "json", "--summary")
    assert r.code == 0 and r.out.startswith("{") and r.err == ""
    assert main(["table", "--alpha"]) == 2
