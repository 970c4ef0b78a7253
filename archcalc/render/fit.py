"""Rich tables that fit the terminal without cutting a number.

A :class:`FitTable` is laid out when it is printed, at the console's width:

* a number column is always as wide as its longest cell (its header may wrap), so no digit is
  ever hidden;
* text columns wrap (never end in ``…``), down to a minimum width each;
* when that is still too wide, columns that may go (``drop=`` priority, lowest first) are left
  out, and a note under the table names them; when none may go, text narrows further (to
  :data:`TEXT_FLOOR`);
* ``wide=True`` (``--wide``) keeps every column at its full width, wider than the terminal if
  need be, and so does the rare table whose kept columns cannot fit at all: a line the terminal
  wraps is better than a cut number.

The table's width is Σ column widths + 3 per column + 1 (rich's padding of one space on each
side of a cell, and the borders).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.table import Table

Justify = Literal["left", "right", "center"]

TEXT_MIN_WIDTH = 8
"""A text column wraps down to this many cells (or its own ``min_width``, or its longest word up
to :data:`WORD_MAX`) before a column that may go is left out."""

WORD_MAX = 16
"""A ``whole_words`` column wraps between words, but a word longer than this may still be broken."""

TEXT_FLOOR = 4
"""When nothing more may be left out, text columns give way down to this width before a table
is printed wider than the console."""

WIDE_HINT = "--wide keeps them"
"""How the note under a table says to get the left-out columns back (the CLI's option)."""


def cell_width(text: str) -> int:
    """Terminal cells of the widest line of ``text``."""
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.split("\n")), default=0)


def _longest_word(text: str) -> int:
    return max((cell_width(w) for w in text.split()), default=0)


@dataclass(slots=True)
class Column:
    """One column: numbers keep their width; text wraps, between words (``whole_words``: a word of
    up to :data:`WORD_MAX` cells is not broken); ``drop`` (lower goes first) may go."""

    header: str
    number: bool = False
    justify: Justify | None = None
    drop: int | None = None
    min_width: int | None = None
    whole_words: bool = True
    cells: list[str] = field(default_factory=list)

    def natural(self) -> int:
        """Width at which nothing in the column wraps."""
        return max(cell_width(self.header), max(map(cell_width, self.cells), default=0), 1)

    def least(self) -> int:
        """Narrowest width the column may take: its longest number, or the text minimum."""
        if self.number:
            return max(max(map(cell_width, self.cells), default=0), min(_longest_word(self.header), 6), 1)
        floor = self.min_width if self.min_width is not None else TEXT_MIN_WIDTH
        if self.whole_words:
            floor = max(floor, min(max(map(_longest_word, self.cells), default=0), WORD_MAX))
        return max(min(self.natural(), floor), 1)


def table_width(widths: Sequence[int]) -> int:
    """Terminal cells of a rich table with these column widths: padding 2 and a border each, +1."""
    return sum(widths) + 3 * len(widths) + 1


class FitTable:
    """A table of plain text (no rich markup) sized to the console when printed."""

    def __init__(
        self,
        title: str | None = None,
        caption: str | None = None,
        *,
        wide: bool = False,
        notes: Sequence[str] = (),
        notes_column: str | None = None,
        show_header: bool = True,
    ) -> None:
        self.title = title
        self.caption = caption
        self.wide = wide
        self.notes = list(notes)
        self.notes_column = notes_column  # the notes explain this column: left out with it
        self.show_header = show_header
        self.columns: list[Column] = []
        self._sections: list[int] = []

    def column(
        self,
        header: str,
        *,
        number: bool = False,
        justify: Justify | None = None,
        drop: int | None = None,
        min_width: int | None = None,
        whole_words: bool = True,
    ) -> None:
        """Add a column; ``number`` columns are right-aligned and never narrower than a cell."""
        self.columns.append(Column(header, number, justify, drop, min_width, whole_words))

    def row(self, *cells: object) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        for col, c in zip(self.columns, cells, strict=True):
            col.cells.append(str(c))

    def section(self) -> None:
        """A rule under the rows added so far."""
        self._sections.append(len(self.columns[0].cells) if self.columns else 0)

    def layout(self, width: int) -> tuple[list[int], list[int]]:
        """(kept column indices, their widths) for a console ``width`` cells wide."""
        cols = self.columns
        natural = [c.natural() for c in cols]
        if self.wide:
            return list(range(len(cols))), natural
        least = [c.least() for c in cols]
        kept = list(range(len(cols)))
        while table_width([least[i] for i in kept]) > width:
            droppable = [i for i in kept if cols[i].drop is not None]
            if not droppable:
                break
            kept.remove(min(droppable, key=lambda i: (cols[i].drop, -i)))
        widths = [least[i] for i in kept]
        want = [natural[i] for i in kept]
        while table_width(widths) > width:  # still too wide: the widest text column gives way
            text = [j for j, i in enumerate(kept) if not cols[i].number and widths[j] > TEXT_FLOOR]
            if not text:
                break
            widths[max(text, key=lambda j: widths[j])] -= 1
        spare = width - table_width(widths)
        # Text first (so rows do not wrap), then number headers, sharing what is left.
        for group in ([j for j, i in enumerate(kept) if not cols[i].number], list(range(len(kept)))):
            while spare > 0:
                short = [j for j in group if widths[j] < want[j]]
                if not short:
                    break
                share = max(1, spare // len(short))
                for j in short:
                    give = min(share, want[j] - widths[j], spare)
                    widths[j] += give
                    spare -= give
                    if spare == 0:
                        break
        return kept, widths

    def build(self, width: int) -> tuple[Table, list[str], int]:
        """The rich table at console ``width``, the headers of the columns left out, and its width."""
        from rich.table import Table
        from rich.text import Text

        kept, widths = self.layout(width)
        t = Table(
            title=None if self.title is None else Text(self.title),
            caption=None if self.caption is None else Text(self.caption),
            show_header=self.show_header,
            caption_justify="left",
        )
        for i, w in zip(kept, widths, strict=True):
            c = self.columns[i]
            justify = c.justify or ("right" if c.number else "left")
            t.add_column(Text(c.header), justify=justify, width=w, overflow="fold")
        rows = len(self.columns[0].cells) if self.columns else 0
        ends = set(self._sections)
        for r in range(rows):
            t.add_row(*(Text(self.columns[i].cells[r]) for i in kept), end_section=(r + 1) in ends)
        return t, [c.header for i, c in enumerate(self.columns) if i not in kept], table_width(widths)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        width = options.max_width
        table, dropped, need = self.build(width)
        yield table if need <= width else _Unbounded(table, need)
        if dropped:
            yield Text(f"Left out to fit {width} columns: {', '.join(dropped)} ({WIDE_HINT}).", style="dim")
        if self.notes_column not in dropped:
            for note in self.notes:
                yield Text(note)


class _Unbounded:
    """Renders a table at ``width`` cells even where the console is narrower (printed uncropped)."""

    def __init__(self, table: Table, width: int) -> None:
        self.table, self.width = table, width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[object]:
        yield from console.render(self.table, options.update(width=self.width, max_width=self.width))


class Footnotes:
    """Long, repeated texts (a top-1's source) as short marks in the cells, written out under the
    table: ``70.6 [a]`` … ``[a] Howard et al. 2017, Tables 4, 6, 7, 8``."""

    def __init__(self, heading: str) -> None:
        self.heading = heading
        self._marks: dict[str, str] = {}

    def mark(self, text: str) -> str:
        """The mark of ``text`` (``a``, ``b``, … ``z``, ``aa``, ``ab`` …), given on first use."""
        if text not in self._marks:
            i, mark = len(self._marks), ""
            while True:
                mark = chr(ord("a") + i % 26) + mark
                i = i // 26 - 1
                if i < 0:
                    break
            self._marks[text] = mark
        return self._marks[text]

    def lines(self) -> list[str]:
        if not self._marks:
            return []
        return [self.heading, *(f"[{m}] {text}" for text, m in self._marks.items())]
