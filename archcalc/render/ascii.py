"""ASCII stand-ins for the symbols archcalc prints, for an output stream that cannot encode them
(``PYTHONIOENCODING=ascii``, ``LC_ALL=C`` without UTF-8 mode): α → alpha, ρ → rho, × → x, — → -,
≤ → <=, ⌊ → floor( … Any other character goes to its accent-free letter (é → e), else ``?``.

:func:`degrade` installs them on a stream as its encoding-error handler, so every format degrades
instead of failing. No stand-in holds a quote, a backslash, a comma or a ``|``: JSON, CSV and
Markdown stay valid. :func:`ascii_table` applies them to a rich table's cells before it is laid
out, so its columns still line up. Imported only when a stream needs it.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
from typing import Any

SYMBOLS: dict[str, str] = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "Δ": "Delta", "θ": "theta",
    "λ": "lambda", "µ": "u", "μ": "u", "Μ": "M", "π": "pi", "ρ": "rho", "σ": "sigma", "Σ": "sum",
    "×": "x", "·": "*", "÷": "/", "−": "-", "–": "-", "—": "-", "…": "...", "≤": "<=", "≥": ">=",
    "≈": "~", "≠": "!=", "±": "+/-", "→": "->", "←": "<-", "⌊": "floor(", "⌋": ")",
    "⌈": "ceil(", "⌉": ")", "√": "sqrt", "∞": "inf", "∈": " in ", "∪": " or ", "∘": "o",
    "‖": "//", "′": "'", "″": "''", "‘": "'", "’": "'", "“": "'", "”": "'", "§": "S",
    "½": "1/2", "✓": "yes", "✗": "no", "◆": "*", "◀": "<", "▶": ">", "•": "*",
    "⁰": "^0", "¹": "^1", "²": "^2", "³": "^3", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7",
    "⁸": "^8", "⁹": "^9", "⁻": "^-", "₀": "0", "₁": "1", "₂": "2", "₃": "3", "ₓ": "x",
    "\u00a0": " ",
}  # fmt: skip
"""The symbols archcalc's tables, formulas and notes use, and what each becomes."""

ERRORS = "archcalc.ascii"
"""The codec error handler's name (``codecs.register_error``)."""
_UNSAFE = frozenset('"\\,|')


def stand_in(ch: str) -> str:
    """The ASCII text for one character."""
    if ch in SYMBOLS:
        return SYMBOLS[ch]
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    return plain if plain and plain.isprintable() and not _UNSAFE & set(plain) else "?"


def transliterate(text: str) -> str:
    """``text`` in ASCII, each character that is not replaced by :func:`stand_in`."""
    return text if text.isascii() else "".join(c if c.isascii() else stand_in(c) for c in text)


def _handler(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return "".join(stand_in(c) for c in err.object[err.start : err.end]), err.end


def can_encode(stream: Any, sample: str = "α×—≤⌊") -> bool:
    """Whether ``stream`` (a text stream) encodes the symbols archcalc prints."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True  # StringIO and the like hold str
    try:
        sample.encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return True


def degrade(stream: Any) -> Any:
    """``stream``, set to write ASCII stand-ins for what its encoding cannot hold; the stream itself
    when it can (``reconfigure``), a new wrapper over its buffer otherwise, or unchanged."""
    if can_encode(stream):
        return stream
    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _handler)
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(errors=ERRORS)
        return stream
    if hasattr(stream, "buffer"):
        return io.TextIOWrapper(stream.buffer, encoding=stream.encoding, errors=ERRORS, line_buffering=True)
    return stream


def ascii_table(table: Any) -> None:
    """Replace, in place, every string of ``table`` (a rich ``Table`` or a
    :class:`archcalc.render.fit.FitTable`: title, caption, notes, headers, footers, cells) by its
    ASCII text, so the columns are sized to what is printed."""
    from rich.table import Table
    from rich.text import Text

    def fix(cell: Any) -> Any:
        if isinstance(cell, str):
            return transliterate(cell)
        if isinstance(cell, Text):
            return Text(transliterate(cell.plain), style=cell.style, justify=cell.justify)
        return cell

    table.title = fix(table.title)
    table.caption = fix(table.caption)
    if isinstance(getattr(table, "notes", None), list):
        table.notes = [fix(n) for n in table.notes]
    for column in table.columns:
        column.header = fix(column.header)
        if isinstance(table, Table):
            column.footer = fix(column.footer)
            column._cells = [fix(c) for c in column._cells]
        else:
            column.cells = [fix(c) for c in column.cells]
