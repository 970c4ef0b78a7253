"""archcalc.fit / `archcalc budget`: what fits, the Pareto front and its order, units, errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_mobilenet_v1_paper import hand_count

import archcalc
from archcalc.errors import ArchcalcError
from archcalc.sweeps.budget import pareto_front
from archcalc.sweeps.grid import SweepPoint

V1_GRID = [(a, r) for a in (0.25, 0.5, 0.75, 1.0) for r in (128, 160, 192, 224)]


def test_phone_budget_150m_macs() -> None:
    """150 M mult-adds on MobileNet V1's grid, worked from the hand count of Table 1 / eq. 6."""
    fitting = {(a, r) for a, r in V1_GRID if hand_count(a, r)[0] <= 150_000_000}
    f = archcalc.fit("mobilenet_v1", max_macs="150M")
    assert {(p.alpha, p.resolution) for p in [*f.front, *f.others]} == fitting
    # Front: no fitting configuration at least as wide and at least as large. 0.5-224 (149.50 M) and
    # 0.75-128 (106.77 M); 0.75-160 is 166.40 M and 1.0-128 is 186.40 M, over the budget.
    assert [(p.alpha, p.resolution) for p in f.front] == [(0.5, 224), (0.75, 128)]
    # Best first by published top-1: 63.7 % (paper, Table 6) before 62.1 % (TF-Slim README).
    assert [p.top1 for p in f.front] == [63.7, 62.1]
    assert f.searched == 16 and f.limits.max_macs == 150_000_000


def test_microcontroller_2mb_of_weights() -> None:
    # 2 MB = 2·10⁶ bytes of fp32 weights = 500,000 params: only α = 0.25 (464,600 params by hand).
    f = archcalc.fit("mobilenet_v1", max_bytes="2MB")
    assert {p.alpha for p in [*f.front, *f.others]} == {0.25}
    assert [(p.alpha, p.resolution) for p in f.front] == [(0.25, 224)]
    assert f.front[0].params == hand_count(0.25, 224)[1] == 464_600
    # int8 weights: 2 MiB = 2,097,152 params fit α ≤ 0.5 (1,320,648) but not 0.75 (2,569,144).
    g = archcalc.fit("mobilenet_v1", max_bytes="2MiB", dtype="int8")
    assert {p.alpha for p in [*g.front, *g.others]} == {0.25, 0.5}


def test_peak_memory_limit() -> None:
    # materialize rule, fp32: MobileNet V1's peak is at the batch norm after the first pointwise conv,
    # which reads the 64·(r/2)² pw output and writes another 64·(r/2)² tensor: 2·64·(r/2)²·4 bytes at
    # α = 1 (6,422,528 at 224). A limit of exactly that at 160 admits 160 and 128, not 192.
    f = archcalc.fit("mobilenet_v1", max_peak_memory=2 * 64 * 80 * 80 * 4, alphas=[1.0])
    assert [(p.alpha, p.resolution) for p in [*f.front, *f.others]] == [(1.0, 160), (1.0, 128)]


def test_no_limit_means_everything_fits() -> None:
    f = archcalc.fit("mobilenet_v1")
    assert len(f.front) == 1 and (f.front[0].alpha, f.front[0].resolution) == (1.0, 224)
    assert len(f.others) == 15


def test_nothing_fits() -> None:
    f = archcalc.fit("mobilenet_v1", max_macs=1000)
    assert f.front == [] and f.others == []


def test_latency_limit_needs_a_profile(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path))
    with pytest.raises(ArchcalcError, match="archcalc calibrate"):
        archcalc.fit("mobilenet_v1", max_latency_ms="10ms")


def _point(alpha: float, res: int, macs: int, top1: float | None = None) -> SweepPoint:
    return SweepPoint(
        alpha=alpha,
        resolution=res,
        macs=macs,
        params=1,
        params_without_bn=1,
        params_with_bn=1,
        model_bytes=4,
        weight_bytes=4,
        bytes_read=1,
        bytes_written=1,
        top1=top1,
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.25, 0.5, 0.75, 1.0, 1.4]), st.sampled_from([96, 128, 160, 224])),
        unique=True,
        max_size=20,
    )
)
def test_front_is_the_set_of_undominated_configurations(cfgs: list[tuple[float, int]]) -> None:
    points = [_point(a, r, int(a * a * r * r)) for a, r in cfgs]
    front, others = pareto_front(points)
    brute = {
        (p.alpha, p.resolution)
        for p in points
        if not any(q.alpha >= p.alpha and q.resolution >= p.resolution and q is not p for q in points)
    }
    assert {(p.alpha, p.resolution) for p in front} == brute
    assert len(front) + len(others) == len(points)
    assert [p.macs for p in front] == sorted(
        (p.macs for p in front), reverse=True
    )  # no top-1: most MACs first


def test_known_top1_ranks_first() -> None:
    front, _ = pareto_front([_point(1.0, 128, 100), _point(0.5, 224, 90, 63.0), _point(0.75, 160, 95, 65.0)])
    assert [(p.alpha, p.resolution) for p in front] == [(0.75, 160), (0.5, 224), (1.0, 128)]


# ---------------------------------------------------------------------------------------------
# The command.
def test_budget_command(cli, tmp_path) -> None:
    out = tmp_path / "budget.png"
    r = cli(
        "budget",
        "mobilenet_v1",
        "--max-macs",
        "150M",
        "--max-params",
        "2M",
        "--format",
        "json",
        "--plot",
        str(out),
        "--no-latency",
    )
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert [(p["alpha"], p["resolution"]) for p in data["front"]] == [(0.5, 224)]
    assert data["limits"]["max_params"] == 2_000_000 and "Pareto front" in data["rule"]
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_budget_formats(cli, fmt: str) -> None:
    r = cli("budget", "mobilenet_v1", "--max-macs", "1.5e8", "--format", fmt, "--no-latency")
    assert r.code == 0, r.err
    assert "0.5 MobileNet V1-224" in r.out
    if fmt == "csv":
        assert r.out.splitlines()[1].startswith("yes,0.5 MobileNet V1-224,0.5,224,149497088,1320648")


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--max-macs", "-5M"], "--max-macs must be > 0"),
        (["--max-macs", "lots"], "--max-macs 'lots' is not a count"),
        (["--max-params", "2MiB"], "--max-params '2MiB': unknown unit"),
        (["--max-bytes", "2XB"], "--max-bytes '2XB': unknown unit"),
        (["--max-peak-memory", "0"], "--max-peak-memory must be > 0"),
        (["--max-latency", "10h"], "--max-latency '10h': unknown unit"),
        (["--max-latency", "10ms", "--no-latency"], "--max-latency cannot be checked with --no-latency"),
        (["--rule", "lazy"], "--rule 'lazy'"),
    ],
)
def test_budget_errors(cli, args: list[str], fragment: str) -> None:
    r = cli("budget", "mobilenet_v1", *args)
    assert r.code == 2 and r.out == ""
    assert fragment in r.err and r.err.count("\n") == 1


# ---------------------------------------------------------------------------------------------
# Latency: a hand-made profile where every layer is compute-bound at one MAC rate and the data kinds
# cost nothing, so the prediction is MACs / rate + overheads, worked by hand.
def _profile():
    from archcalc.count.kernel_types import KERNEL_TYPES
    from archcalc.count.latency import KINDS, DeviceProfile

    kinds = {
        k: {"mac_rate": 1e9, "bw_efficiency": 1.0, "overhead": 0.0}
        if KERNEL_TYPES[k].on_macs
        else {"byte_rate": 1e30, "bw_efficiency": 1.0, "overhead": 0.0}
        for k in KINDS
    }
    kinds["view"] = {"overhead": 0.0}
    return DeviceProfile.model_validate(
        {
            "format": 4,
            "name": "handmade",
            "created": "2026-01-01T00:00:00",
            "cpu": "none",
            "threads": 1,
            "torch_version": "none",
            "peak_mac_rate": 1e9,
            "copy_bandwidth": 1e30,
            "bandwidth_curve": [[1.0, 1e30]],
            "call_overhead": 0.0,
            "kinds": kinds,
            "forward": {},  # identity: s = 1, no glue / write / cold-weight terms
        }
    )


def test_latency_per_configuration_and_limit() -> None:
    prof = _profile()
    s = archcalc.sweep("mobilenet_v1", [0.5, 1.0], [160, 224], profile=prof)
    for p in s.points:
        # 1e9 MACs/s, memory free: t = MACs / 1e9 s = MACs / 1e6 ms (hand count of Table 1)
        assert abs(p.latency_ms - hand_count(p.alpha, p.resolution)[0] / 1e6) < 1e-9
    assert s.latency_profile == "handmade"
    # 300 ms = 300 M MACs: 1-160 (290.68 M), 0.75-192 (239.27 M), 0.5-224 (149.50 M) are the largest
    # that fit in each direction (1-192 is 418.12 M, 0.75-224 is 325.40 M). Top-1 67.2 (Table 7),
    # 67.2 (TF-Slim), 63.7 (Table 6); the tie goes to more MACs.
    f = archcalc.fit("mobilenet_v1", max_latency_ms="300ms", profile=prof)
    assert [(p.alpha, p.resolution) for p in f.front] == [(1.0, 160), (0.75, 192), (0.5, 224)]
