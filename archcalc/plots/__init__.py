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
    """The ``--plot`` target, checked before any work: a ``.png`` file name in an existing folder
    archcalc can write to, and not a directory or anything but a regular file (an existing file is
    replaced, as asked). Writability is tried, not guessed from permission bits: a temporary file is
    made in the folder and removed."""
    import os
    import stat
    import tempfile

    if not isinstance(path, str | os.PathLike):
        raise ArchcalcError(f"--plot must be a file name, got {path!r}")
    p = Path(path)
    shown = repr(str(path))
    if p.suffix.lower() != ".png":
        raise ArchcalcError(f"--plot {shown}: the file name must end in .png")
    folder = p.parent
    try:
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise ArchcalcError(f"--plot {shown}: {str(folder)!r} {what}")
        try:
            mode = os.stat(p).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            raise ArchcalcError(f"--plot {shown}: exists and is not a regular file")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".archcalc-plot-", suffix=".png")
        os.close(fd)
        os.unlink(tmp)
        if mode is not None and not os.access(p, os.W_OK):
            raise ArchcalcError(f"--plot {shown}: the file is not writable")
    except ArchcalcError:
        raise
    except OSError as e:
        raise ArchcalcError(f"--plot {shown}: cannot write there ({e.strerror or e})") from None
    except ValueError:  # a NUL byte in the name
        raise ArchcalcError(f"--plot {shown}: not a valid file name") from None
    return p


def save(fig: Any, path: Path, **kwargs: Any) -> None:
    """``fig.savefig(path)``; a failure at the last moment (disk full) is one line naming ``--plot``."""
    try:
        fig.savefig(path, **kwargs)
    except OSError as e:
        raise ArchcalcError(f"--plot {str(path)!r}: cannot write it ({e.strerror or e})") from None
