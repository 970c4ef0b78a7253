"""The exception types users see: a one-line message, exit code 2 at the CLI."""

from __future__ import annotations


class ArchcalcError(ValueError):
    """Bad input (option, spec file, knob, size). The message is one line and names the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class ArchcalcTypeError(ArchcalcError, TypeError):
    """An argument of the wrong type (``cost(None)``, ``dtype=["fp32"]``): an :class:`ArchcalcError`
    that is also a :class:`TypeError`, so ``except TypeError`` catches it too."""


class OutputError(ArchcalcError):
    """Standard output cannot be written (disk full, a closed descriptor): nothing more can be said
    there, so the CLI says it on stderr and exits 2."""

    def __init__(self, error: OSError) -> None:
        super().__init__(f"cannot write the output: {error.strerror or error}")


class CollapseError(ArchcalcError):
    """A layer's output has zero (or negative) spatial size at the requested resolution."""


class ArchcalcWarning(UserWarning):
    """A result that is exact but probably not what was meant (a classifier α shrinks). The CLI
    prints it as one line, ``archcalc: warning: …``."""
