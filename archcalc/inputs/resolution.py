"""Input resolutions: a side in pixels (square, ``224``) or a height and a width (``224x160``).

A square input is always the plain integer, so every square figure prints as it always has; a
non-square one is the pair ``(height, width)``.
"""

from __future__ import annotations

import re

from archcalc.errors import ArchcalcError

Resolution = int | tuple[int, int]
"""``224`` (224×224) or ``(224, 160)`` (height 224, width 160)."""

_PAIR = re.compile(r"^\s*(\d+)\s*[x×X,]\s*(\d+)\s*$")


def canonical(h: int, w: int) -> Resolution:
    """``h`` when the input is square, else ``(h, w)``."""
    return h if h == w else (h, w)


def sides(res: Resolution) -> tuple[int, int]:
    """(height, width) of a resolution."""
    return (res, res) if isinstance(res, int) else (res[0], res[1])


def area(res: Resolution) -> int:
    """Pixels of the input, height × width: how resolutions are ordered (smaller, larger)."""
    h, w = sides(res)
    return h * w


def fmt_resolution(res: Resolution | list[int]) -> str:
    """``224`` → ``224×224``; ``(224, 160)`` → ``224×160``."""
    h, w = (res, res) if isinstance(res, int) else res
    return f"{h}×{w}"


def fmt_res_short(res: Resolution | list[int]) -> str:
    """``224`` → ``224``; ``(224, 160)`` → ``224x160`` (the way ``--res`` takes it)."""
    return str(res) if isinstance(res, int) else f"{res[0]}x{res[1]}"


def res_cell(res: Resolution | list[int]) -> int | str:
    """A table / CSV cell: the side as a number (square), ``224x160`` otherwise."""
    return res if isinstance(res, int) else f"{res[0]}x{res[1]}"


def parse_resolution(text: object, option: str = "--res") -> Resolution:
    """``"224"`` → 224; ``"224x160"`` (or ``224×160``) → (224, 160); ints and pairs pass through."""
    if isinstance(text, bool):
        raise ArchcalcError(f"{option} must be a whole number of pixels ≥ 1, got {text!r}")
    if isinstance(text, int):
        return text
    if isinstance(text, tuple | list) and len(text) == 2:
        from archcalc.inputs.arguments import is_whole

        h, w = text
        if is_whole(h) and is_whole(w):  # numpy integers too
            return canonical(int(h), int(w))  # type: ignore[call-overload]
    if isinstance(text, str):
        s = text.strip()
        try:
            if s.isdigit():
                return int(s)
            m = _PAIR.match(s)
            if m:
                return canonical(int(m.group(1)), int(m.group(2)))
        except ValueError:  # more digits than int() reads (4,300): past any limit
            raise ArchcalcError(
                f"{option} {s[:20]!r}… ({len(s)} characters) is larger than the supported maximum"
            ) from None
    raise ArchcalcError(
        f"Invalid value for '{option}': {text!r} is not a side in pixels (224) or HEIGHTxWIDTH (224x160)"
    )
