"""What the fork server of :mod:`archcalc.measure.fresh` imports before it forks a child: the
modules a child measures with and the CLI's (each child runs its parent's main script again, the
``archcalc`` entry point: Python before 3.13 cannot preload ``__main__`` in the fork server,
CPython gh-126631, so what that script imports and the server has not costs every child).

Each is imported if it can be: a module of a missing optional stack (torch, onnxruntime) refuses
with an :class:`~archcalc.errors.ArchcalcError`, which the fork server, passing over only an
``ImportError``, would die of; such a module is left to the child, which then refuses itself.
"""

from __future__ import annotations

import contextlib
import importlib

from archcalc.errors import ArchcalcError

MODULES = (
    "archcalc.cli.app",
    "archcalc.measure.benches",
    "archcalc.measure.timing",
    "archcalc.measure.torch_build",
    "archcalc.measure.ort_run",
)

for _name in MODULES:
    with contextlib.suppress(ImportError, ArchcalcError):
        importlib.import_module(_name)
