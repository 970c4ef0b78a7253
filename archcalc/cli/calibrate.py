"""`archcalc calibrate`: measure this machine and save a device profile for the latency model."""

from __future__ import annotations

from typing import Annotated

import typer

from archcalc.cli.app import app
from archcalc.cli.options import FormatOpt, ProfileOpt, ThreadsOpt, WideOpt
from archcalc.cli.progress import progress


@app.command()
def calibrate(
    profile: ProfileOpt = None,
    threads: ThreadsOpt = None,
    quick: Annotated[bool, typer.Option("--quick", help="a few shapes, short runs (seconds, rough)")] = False,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """Measure MAC rates, copy bandwidth and per-call overheads per layer kind; save the profile.

    The profile is JSON in the config directory ($ARCHCALC_CONFIG_DIR, else
    $XDG_CONFIG_HOME/archcalc, else ~/.config/archcalc), under profiles/NAME.json.
    """
    from archcalc.arguments import whole
    from archcalc.count.latency import DEFAULT_PROFILE, check_profile_writable, save_profile
    from archcalc.limits import MAX_THREADS
    from archcalc.render.common import check_format, emit
    from archcalc.render.latency import render_profile

    check_format(fmt)
    if threads is not None:
        whole(threads, "--threads", 1, MAX_THREADS)
    name = DEFAULT_PROFILE if profile is None else profile
    check_profile_writable(name)  # before minutes of measuring, not after
    from archcalc.measure.calibrate import calibrate as run
    from archcalc.measure.timing import default_threads

    n = threads if threads is not None else default_threads()
    result = run(name, n, quick, wrap=lambda jobs: progress(jobs, "calibrating", lambda j: j[0]))
    path = save_profile(result)
    emit(render_profile(result, fmt, path, wide))
