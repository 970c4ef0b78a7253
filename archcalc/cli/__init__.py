"""The ``archcalc`` command line: one module per command, registered on :data:`archcalc.cli.app.app`.

Analytic commands (table, compare, list, schema) never import torch. :func:`main` turns every input
error into one line on stderr and exit code 2. It builds the click command of the invoked command
only (:func:`click_app`), not all twelve.
"""

from __future__ import annotations

import copy
import inspect
import os
import sys
import warnings
from typing import TYPE_CHECKING

import typer

from archcalc.cli import (  # noqa: F401  (registers the commands)
    budget,
    calibrate,
    check,
    compare,
    export,
    import_cmd,
    memory,
    networks,
    reconcile,
    size,
    sweep,
    table,
    time,
)
from archcalc.cli.app import PANELS, app
from archcalc.cli.startup import before_command, before_exit
from archcalc.errors import ArchcalcError, ArchcalcWarning, OutputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from typer.models import CommandInfo


def _fail(message: str, code: int = 2) -> int:
    """One line on stderr, and the exit code; a stderr that cannot be written leaves the code alone."""
    try:
        sys.stderr.write(f"archcalc: error: {' '.join(message.split())}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # 2>/dev/full, or a closed stderr
        _to_devnull(sys.stderr)
    return code


def _to_devnull(stream: object) -> None:
    """Point ``stream``'s file descriptor at /dev/null, so what is still buffered in it is dropped at
    exit instead of failing again there (which would change the exit code to 120)."""
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):  # StringIO and the like: nothing to do
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _streams() -> str | None:
    """Make stdout and stderr safe to write, or say why stdout cannot be: a closed stderr
    (``2>&-``) becomes /dev/null (errors are then told by the exit code alone); a stream that cannot
    encode archcalc's symbols (α, ρ, ×, —) writes ASCII stand-ins (:mod:`archcalc.render.ascii`)."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
    if sys.stdout is None:
        return "standard output is closed, so there is nowhere to write the result (use >/dev/null)"
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        encoding = getattr(stream, "encoding", None)
        if encoding and not encoding.lower().replace("-", "").replace("_", "").startswith("utf"):
            from archcalc.render.ascii import degrade

            setattr(sys, name, degrade(stream))
    return None


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


def command_name(info: CommandInfo) -> str:
    """The name a registered command is invoked by (``time_cmd`` registered as ``time``)."""
    assert info.callback is not None
    return info.name or typer.main.get_command_name(info.callback.__name__)


def reflowed(doc: str | None) -> str | None:
    """A docstring's paragraphs each on one line: typer's rich help keeps a docstring's line breaks
    after its first paragraph, so a terminal narrower than the source wrapped it a second time, a
    short line after every long one; rich wraps one-line paragraphs to the terminal itself."""
    if doc is None:
        return None
    return "\n\n".join(" ".join(p.split("\n")) for p in inspect.cleandoc(doc).split("\n\n"))


def _arrange_commands() -> None:
    """Put every command in its ``--help`` panel, in :data:`PANELS` order (not import order), its
    help the docstring :func:`reflowed`."""
    order = [name for names in PANELS.values() for name in names]
    panel = {name: title for title, names in PANELS.items() for name in names}
    app.registered_commands.sort(key=lambda c: order.index(command_name(c)))
    for c in app.registered_commands:
        c.rich_help_panel = panel[command_name(c)]
        if c.help is None and c.callback is not None:
            c.help = reflowed(c.callback.__doc__)


def click_app(args: Sequence[str]) -> typer.core.TyperGroup:
    """The click group that runs ``archcalc ARGS``, the same group typer builds for :data:`app`.

    Typer builds a command's click parameters from its signature and evaluated type hints: 1–2 ms
    per command, about 20 ms of a cold start for all twelve. So when the first word names a
    command, the group holds that command only; its help, usage line and errors are the full
    group's, which never mention the other commands. Anything else (no arguments, ``--help``, a
    mistyped command) gets every command, for the command list and the "No such command … Did you
    mean …" suggestion.

    What it skips: typer's signature reading for the other eleven commands. Checked against the
    full group by ``tests/test_cold_start.py::test_lean_group_behaves_as_the_full_group`` (help,
    usage and parser errors of every command, byte for byte). One of the start-up shortcuts that
    :mod:`archcalc.cli.startup` lists.
    """
    chosen = [c for c in app.registered_commands if args and command_name(c) == args[0]]
    if len(chosen) != 1:
        return typer.main.get_group(app)
    lean = copy.copy(app)
    lean.registered_commands = chosen
    return typer.main.get_group(lean)


_arrange_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input → one line on stderr and exit code 2, never a traceback."""
    errors, aborts = _parser_errors()
    closed = _streams()
    if closed is not None:
        return _fail(closed)
    try:
        group = click_app(sys.argv[1:] if argv is None else argv)
        with warnings.catch_warnings():
            warnings.showwarning = _warn
            result = group(args=argv, prog_name="archcalc", standalone_mode=False)
    except OutputError as e:
        _to_devnull(sys.stdout)
        return _fail(str(e))
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
        return _closed_pipe()
    except OSError as e:  # a write to stdout outside emit (help text) on a full disk, a bad descriptor
        _to_devnull(sys.stdout)
        return _fail(str(OutputError(e)))
    try:
        sys.stdout.flush()  # here, not at the interpreter's exit, where a closed pipe means exit code 1
    except BrokenPipeError:
        return _closed_pipe()
    except OSError as e:  # >/dev/full: what was buffered could not be written
        _to_devnull(sys.stdout)
        return _fail(str(OutputError(e)))
    return result if isinstance(result, int) else 0


def _warn(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """An archcalc warning as one line on stderr (other warnings as Python prints them).
    The signature is :func:`warnings.showwarning`'s."""
    try:
        if issubclass(category, ArchcalcWarning):
            sys.stderr.write(f"archcalc: warning: {' '.join(str(message).split())}\n")
        else:
            sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
    except (OSError, ValueError):  # 2>/dev/full: a warning lost is no reason to fail
        _to_devnull(sys.stderr)


def _closed_pipe() -> int:
    """The reader went away (``archcalc table … | head``): not an error. Point stdout at /dev/null so
    the exit's flush of what is still buffered does not fail too (the recipe in Python's
    ``signal`` docs), and exit 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


def run() -> None:  # pragma: no cover - console-script shim
    """The console script (and ``python -m archcalc``): :func:`main`, with the start-up shortcuts of
    :mod:`archcalc.cli.startup` that change the interpreter (pydantic's plugin scan, the collector)."""
    before_command()
    code = main()
    before_exit()
    sys.exit(code)
