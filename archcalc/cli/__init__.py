"""The ``archcalc`` command line: one module per command, registered on :data:`archcalc.cli.app.app`.

Analytic commands (table, compare, list, schema) never import torch. :func:`main` turns every input
error into one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys

import typer

from archcalc.cli import (  # noqa: F401  (registers the commands)
    budget,
    calibrate,
    check,
    compare,
    memory,
    networks,
    size,
    sweep,
    table,
    time,
)
from archcalc.cli.app import app
from archcalc.errors import ArchcalcError


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(f"archcalc: error: {' '.join(message.split())}\n")
    return code


def _parser_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """Click's usage-error and abort classes: typer ≥ 0.2x vendors its own click, older ones use click."""
    errors: list[type[BaseException]] = []
    aborts: list[type[BaseException]] = [KeyboardInterrupt, typer.Abort]
    if hasattr(typer, "TyperException"):
        errors.append(typer.TyperException)
    try:
        import click

        errors.append(click.ClickException)
        aborts.append(click.exceptions.Abort)
    except ImportError:  # pragma: no cover - click is not needed by newer typer
        pass
    return tuple(errors), tuple(aborts)


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input → one line on stderr and exit code 2, never a traceback."""
    errors, aborts = _parser_errors()
    try:
        result = app(args=argv, prog_name="archcalc", standalone_mode=False)
    except ArchcalcError as e:
        return _fail(str(e))
    except aborts:
        return _fail("interrupted", 130)
    except errors as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # bare `archcalc`: show the help
            sys.stdout.write(e.ctx.get_help() + "\n")  # type: ignore[attr-defined]
            return 0
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        return _fail(message, getattr(e, "exit_code", 2) or 2)
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())
