"""What every renderer shares: the formats, the console, plain-text rows, CSV / Markdown grids, output.

rich is imported only when a rich table is drawn, so ``--format json|csv|markdown`` never loads it
(a third of a cold start's import time).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from archcalc.errors import ArchcalcError, OutputError
from archcalc.inputs.resolution import fmt_resolution
from archcalc.model.ops import fmt_shape

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from archcalc.count.header import Configured
    from archcalc.render.fit import FitTable

FORMATS: tuple[str, ...] = ("table", "json", "csv", "markdown")


def check_format(fmt: str) -> str:
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ArchcalcError(f"--format {fmt!r} is not known; choose one of {', '.join(FORMATS)}")
    return fmt


def console() -> Console:
    """A console that does not squeeze tables to 80 columns when output is piped, and leaves a closed
    pipe (``archcalc table … | head``) to the CLI's exit code."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            """rich exits with code 1 when the reader goes away; let :func:`archcalc.cli.main` decide."""
            self.quiet = True
            raise BrokenPipeError

    return PipeConsole(width=_width(), soft_wrap=False)


def _width() -> int | None:
    """The table width: a positive ``COLUMNS``, else the terminal's (None: rich asks it), else 220
    when piped. ``COLUMNS=0``, ``-5`` or ``abc`` are ignored (rich would print nothing at width 0)."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isascii() and columns.isdigit() and int(columns) > 0:
        return None  # rich reads COLUMNS
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return 220
    if columns is None:
        return None  # rich asks the terminal
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or 80
    except (OSError, ValueError):
        return 80


def add_row(t: Table, *cells: object) -> None:
    """Add a row of plain text (no rich markup: "[paper]" must print as is)."""
    from rich.markup import escape

    t.add_row(*(escape(str(c)) for c in cells))


def shape_str(s: Sequence[int]) -> str:
    return fmt_shape(list(s))


def mega(x: int) -> str:
    return f"{x / 1e6:,.3f} M"


def with_total_column(
    header: Sequence[str], rows: Sequence[Sequence[object]], totals: int, fmt: str
) -> tuple[list[str], list[list[object]]]:
    """CSV only: a last column ``total``, ``yes`` on the last ``totals`` rows (sums of the rows above,
    not data rows) and ``no`` on the others, so a reader can tell them apart without knowing the
    ``TOTAL`` name. Other formats are returned as they are."""
    if fmt != "csv":
        return list(header), [list(r) for r in rows]
    first_total = len(rows) - totals
    return [*header, "total"], [[*r, "yes" if i >= first_total else "no"] for i, r in enumerate(rows)]


def grid(header: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def emit(obj: str | Table | FitTable | Sequence[Table | FitTable]) -> None:
    """Write text as is; print rich renderables uncropped (a :class:`FitTable` that cannot fit
    the terminal without cutting a number is printed wider than it, for the terminal to wrap).
    A stream that cannot take the output (disk full, a closed descriptor) is an
    :class:`OutputError`; a closed pipe stays a ``BrokenPipeError``. Tables on an output that
    cannot encode archcalc's symbols are laid out in ASCII (:mod:`archcalc.render.ascii`)."""
    try:
        if isinstance(obj, str):
            sys.stdout.write(obj)
            return
        con = console()
        tables = obj if isinstance(obj, Sequence) else [obj]
        if not con.encoding.lower().startswith("utf"):
            from archcalc.render.ascii import ascii_table, can_encode

            if not can_encode(sys.stdout):
                for t in tables:
                    ascii_table(t)
        for t in tables:
            con.print(t, crop=False)
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OutputError(e) from None


def emit_json(data: object) -> None:
    emit(json.dumps(data, indent=2) + "\n")


def settings(r: Configured) -> str:
    """A result's configuration in a title: ``α=0.5, 160×160, classes=1000``."""
    knobs = ", ".join(f"{k}={json.dumps(v)}" for k, v in r.knobs.items())
    return f"α={r.alpha:g}, {fmt_resolution(r.resolution)}" + (f", {knobs}" if knobs else "")
