"""`archcalc calibrate`: measure this machine and save a device profile for the latency model."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import BackendOpt, FormatOpt, ProfileOpt, ThreadsOpt, WideOpt


@app.command()
def calibrate(
    profile: ProfileOpt = None,
    threads: ThreadsOpt = None,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="8 kernels + 1 adaptive round per type, short runs, 6 small networks"),
    ] = False,
    backend: BackendOpt = "torch",
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """Measure this CPU on a backend and fit the latency model per kernel type; save the profile.

    Times synthetic kernels of every type (adaptively: more where the fit is worst) and seeded
    random synthetic networks, never a built-in network. The profile is JSON in the config
    directory ($ARCHCALC_CONFIG_DIR, else $XDG_CONFIG_HOME/archcalc, else ~/.config/archcalc), under
    profiles/NAME.json (default NAME: default for torch, default-onnxruntime for onnxruntime).
    """
    from archcalc.count.kernels import check_backend
    from archcalc.count.latency import check_profile_writable, default_profile_name, save_profile
    from archcalc.inputs.arguments import whole
    from archcalc.inputs.limits import MAX_THREADS
    from archcalc.render.common import check_format, emit
    from archcalc.render.latency import render_profile

    check_format(fmt)
    check_backend(backend)
    if threads is not None:
        whole(threads, "--threads", 1, MAX_THREADS)
    name = default_profile_name(backend) if profile is None else profile
    check_profile_writable(name)  # before minutes of measuring, not after
    from archcalc.cli.progress import progress
    from archcalc.measure.calibrate import calibrate as run
    from archcalc.measure.timing import default_threads

    n = threads if threads is not None else default_threads()
    result = run(
        name, n, quick, wrap=lambda jobs: progress(jobs, "calibrating", lambda j: j[0]), backend=backend
    )
    path = save_profile(result)
    emit(render_profile(result, fmt, path, wide))
