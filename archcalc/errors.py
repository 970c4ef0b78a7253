"""The one exception type users see: a one-line message, exit code 2 at the CLI."""

from __future__ import annotations


class ArchcalcError(ValueError):
    """Bad input (option, spec file, knob, size). The message is one line and names the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class CollapseError(ArchcalcError):
    """A layer's output has zero (or negative) spatial size at the requested resolution."""


class ArchcalcWarning(UserWarning):
    """A result that is exact but probably not what was meant (a classifier α shrinks). The CLI
    prints it as one line, ``archcalc: warning: …``."""
