"""Fresh processes to measure in (archcalc.measure.fresh): each call a new process, started from the
fork server's state and not from its caller's, and the measurement the benchmark makes there."""

from __future__ import annotations

import math
import multiprocessing
import os
import subprocess
import sys

import pytest

from archcalc.measure import fresh
from archcalc.measure.fresh import forwards_ms, in_fresh_process
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import Activation, Conv2d

STATE = {"calls": 0}


def _bump() -> int:
    """The number of times this module's :func:`_bump` ran in this process, this one included."""
    STATE["calls"] += 1
    return STATE["calls"]


def _fail() -> None:
    raise ValueError("bad network")


def test_each_call_is_a_new_process_that_starts_from_the_fork_server_not_its_caller() -> None:
    """The caller's state is not the child's (a fork of the caller would see calls = 3), and one
    child's history is not the next one's: each counts its first call."""
    for _ in range(3):
        _bump()
    assert STATE["calls"] == 3
    pids = {in_fresh_process(os.getpid) for _ in range(3)}
    assert os.getpid() not in pids and len(pids) == 3
    assert [in_fresh_process(_bump) for _ in range(2)] == [1, 1]


def test_the_fork_server_is_used_where_the_platform_has_one() -> None:
    ctx = fresh.fresh_context()
    has_server = "forkserver" in multiprocessing.get_all_start_methods()
    assert ctx.get_start_method() == ("forkserver" if has_server else "spawn")


def test_an_exception_in_the_child_is_raised_in_the_caller() -> None:
    with pytest.raises(ValueError, match="bad network"):
        in_fresh_process(_fail)


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_forwards_of_a_small_network_in_a_fresh_process(backend: str) -> None:
    """Two forward medians (each of 3 calls after 1), back to back in one fresh process: finite
    and positive (no timing is asserted: benchmarks/ measures speed)."""
    b = GraphBuilder((3, 16, 16))
    b.op("conv", Conv2d, in_channels=3, out_channels=8, kernel=(3, 3), stride=(1, 1))
    b.op("relu", Activation, fn="relu")
    times = in_fresh_process(forwards_ms, b.graph, backend, 1, 1, 3, 2)
    assert len(times) == 2 and all(math.isfinite(t) and t > 0 for t in times)


def test_the_fork_servers_preload_survives_a_missing_torch() -> None:
    """archcalc's torch modules refuse with an ArchcalcError when torch is missing, and the fork
    server passes over an ImportError only: the preload module must not raise, and it must leave
    the modules it could not import out."""
    script = (
        "import sys; sys.modules['torch'] = None\n"
        "import archcalc.measure.preload\n"
        "print('archcalc.measure.timing' in sys.modules, 'archcalc.measure.benches' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"]
