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


TORCH_PIN = "torch==2.13.0"
"""The torch the project is tested with (constraints-test.txt, the CPU build on these machines): an
install hint names it, since an unpinned ``pip install torch`` pulls several GB of CUDA packages."""
EXTRAS_WITH_TORCH = frozenset({"validate", "measure", "counters"})
"""The extras (pyproject.toml) that depend on torch: their install hint installs the pin first."""


def require(modules: tuple[str, ...], needed_by: str, extra: str) -> None:
    """Refuse in one line when a module of an optional extra is missing, naming the install (the
    pinned torch first for an extra that pulls torch)."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    if extra in EXTRAS_WITH_TORCH:
        how = (
            f", pinned torch first (a plain `pip install torch` pulls GBs of CUDA): "
            f"pip install {TORCH_PIN} && pip install 'archcalc[{extra}]'"
        )
    else:
        how = f" (pip install 'archcalc[{extra}]')"
    raise ArchcalcError(f"{needed_by} needs {' and '.join(missing)}: install the `{extra}` extra{how}")


class ArchcalcWarning(UserWarning):
    """A result that is exact but probably not what was meant (a classifier α shrinks). The CLI
    prints it as one line, ``archcalc: warning: …``."""
