"""Charts for ``--plot FILE.png`` (the optional ``plot`` extra: matplotlib).

One module per chart family. Each imports matplotlib through :func:`pyplot`, which selects the
non-interactive Agg backend and, when matplotlib is missing, raises a one-line error naming the extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archcalc.errors import ArchcalcError


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, or a one-line error if matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        raise ArchcalcError(
            '--plot needs matplotlib: pip install "archcalc[plot]" (or pip install matplotlib)'
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_plot_path(path: str | Path) -> Path:
    """The ``--plot`` target: a ``.png`` file whose folder exists."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise ArchcalcError(f"--plot {str(path)!r}: the file name must end in .png")
    if not p.parent.exists():
        raise ArchcalcError(f"--plot {str(path)!r}: folder {str(p.parent)!r} does not exist")
    return p
