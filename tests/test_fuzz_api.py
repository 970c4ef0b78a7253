"""Hypothesis over the library API: every public function of ``archcalc`` (its ``__all__``), called
with random argument types and values.

Every call must either return a result or raise :class:`archcalc.errors.ArchcalcError` with a
one-line message; never a bare ``AttributeError``, ``TypeError``, ``KeyError``, ``OverflowError`` …
(issue 17, class 7). A wrong *type* is an ``ArchcalcTypeError``, which is a ``TypeError`` too. Values
are drawn per argument from two pools: plausible ones (so that calls get past the first check and
reach the deeper ones) and hostile ones (every Python type, numpy scalars, numbers past every limit,
endless iterables).
"""

from __future__ import annotations

import inspect
import itertools
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_latency import make_profile
from test_mobilenet_v1_paper import hand_count

import archcalc
from archcalc.count.latency import save_profile
from archcalc.errors import ArchcalcError, ArchcalcTypeError
from archcalc.export.onnx_model import save, to_onnx
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec, specs_dir

_ONNX_DIR = tempfile.TemporaryDirectory(prefix="archcalc-fuzz-")  # removed when the run ends
_ONNX = Path(_ONNX_DIR.name) / "squeezenet1_1.onnx"
save(to_onnx(resolve(load_spec("squeezenet1_1"), resolution=64).graph), _ONNX)
_MODULE = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.BatchNorm2d(8), torch.nn.ReLU())

FUNCTIONS = {name: getattr(archcalc, name) for name in archcalc.__all__ if name != "__version__"}

HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1, 3, 2**31, 2**63, 10**30, 10**400, 0.0, -0.5, 1e-320, 1e308,
    float("nan"), float("inf"), "", " ", "x", "ü∂", "\x00", "1,5M", "1e999999", b"mobilenet_v1",
    [], [1], ["fp32"], [None], {}, {"a": 1}, (1, 2), set(), object(), len, 1j,
    np.int64(160), np.int8(-3), np.uint64(2**63), np.float32(0.5), np.float64("nan"), np.bool_(True),
    np.array([1, 2]), Fraction(1, 3), Decimal("0.5"), Decimal("NaN"), range(3),
]  # fmt: skip
"""Values of every kind, none of them meant for any argument in particular."""

GOOD: dict[str, list[Any]] = {
    "net": ["mobilenet_v1", "squeezenet1_0", "mobilenet_v2", str(specs_dir() / "mobilenet_v1.yaml")],
    "alpha": [1.0, 0.5, 0.25, np.float64(0.75), 1000.0],
    "resolution": [None, 224, 160, np.int64(128), 1_000_000, (224, 160), (np.int64(160), 128), "224x160"],
    "rho": [None, 0.5, np.float32(0.5)],
    "convention": ["paper", "fvcore", "torch"],
    "dtype": ["fp32", "fp16", "int8"],
    "alphas": [None, [0.5, 1.0], (np.float64(0.25),), np.array([0.75])],
    "resolutions": [None, [160, 224], [np.int32(128)], range(100, 200, 50)],
    "memory_rule": ["materialize", "fused", "streamed", None],
    "rule": ["materialize", "fused", "streamed"],
    "profile": [None, "hand", make_profile("object")],
    "max_macs": [None, "300M", 150_000_000, np.int64(10**9), "568740351.99999999999999999999999"],
    "max_params": [None, "2M", 2e6, Fraction(5, 2) * 10**6],
    "max_bytes": [None, "2MiB", "2MB"],
    "max_peak_memory": [None, "512KiB", 10**7],
    "max_latency_ms": [None, "10ms", 300, "0.2ms", Decimal("1e3")],
    "bits": [None, 5, np.int8(8)],
    "density": [1.0, 0.5, 1e-9, 5e-324, np.float64(0.09)],
    "index_bits": [4, 1, 32, np.int16(5)],
    "workers": [1, 4, np.int64(8)],
    "huffman": [False, True, np.bool_(True)],
    "layers": [None, {"fc": {"density": 0.1, "bits": 5}}, {"fc": {"density": np.float32(0.5)}}],
    "batch": [1, 8, np.int64(2)],
    "kinds": [["dwsep"], ["standard", "dwsep"], ("svd",), ["fire", "shuffle"]],
    "nets": [
        ["mobilenet_v1"],
        [("mobilenet_v1", {"alpha": 0.5, "resolution": 160}), "squeezenet1_0"],
        (("mobilenet_v2", {"resolution": np.int64(160)}),),
    ],
    "dk": [3, 5, np.int64(3)],
    "m": [512, np.int64(32)],
    "n": [512, 64, np.int32(128)],
    "df": [14, 7, 10**5],
    "rank": [8, 16],
    "t": [6, 1],
    "groups": [1, 2, 4],
    "shallow": [True, False, np.bool_(False), "yes"],
    "separable": [True, "false"],
    "source": [_MODULE, _ONNX, str(_ONNX)],
    "module": [_MODULE],
    "path": [_ONNX, str(_ONNX)],
    "input_shape": [None, (3, 32, 32), (np.int64(3), 40, 24)],
    "name": [None, "mine"],
    "width": ["truncate", "round8"],
}
"""Values each argument takes (and knobs, and compare's sizes), so that calls reach deeper checks."""
BAD: dict[str, list[Any]] = {
    "alpha": [1000.5, 1e-300, "0.5", Decimal("1e999")],
    "resolution": [1_000_001, 0, np.int64(-5), 2**63, (0, 5), (1, 2, 3), "224x", (224, 2.5)],
    "rho": [1e6, -1.0],
    "convention": ["thop", "PAPER"],
    "dtype": ["fp64", "FP32"],
    "alphas": [[], itertools.count(1), [0.5] * 20_000, "0.5,1"],
    "resolutions": [[0], [10**7], [1.5]],
    "memory_rule": ["x"],
    "rule": ["x", None],
    "profile": ["nope", "../etc/passwd", "x" * 300, "hand\n"],
    "max_macs": ["1,5M", "1e999999", -1, "2MiB"],
    "max_latency_ms": ["10h", 1e300],
    "bits": [33, 0, 5.0],
    "density": [1.5, 0.0, -0.1],
    "index_bits": [0, 64],
    "workers": [1_000_001, 0],
    "huffman": ["yes", 1],
    "layers": [{"nope": {}}, {"fc": {"density": 2}}, {"fc": {"x": 1}}, {1: {}}, {"fc": None}],
    "batch": [2**20 + 1, 0],
    "kinds": [["bogus"], "dwsep", [], [1]],
    "nets": [
        [],
        "mobilenet_v1",
        [("x",)],
        [("mobilenet_v1", 5)],
        itertools.count(),
        [None],
        [("mobilenet_v1", {"alpha": "x"})],
        [("mobilenet_v1", {"res": 160})],
    ],
    "dk": [4, 10**7],
    "m": [10**6 + 1],
    "rank": [10**9],
    "t": [10**6],
    "groups": [5, 2**40, "3"],
    "num_classes": [10**30, "x"],
    "input_shape": [(3,), (0, 32, 32), (3, 2**40, 32), "3x32x32", (3.5, 32, 32)],
    "name": ["", 5, "x" * 10_000],
    "width": ["round7", None],
    "path": ["/nonexistent.onnx", str(specs_dir() / "mobilenet_v1.yaml"), "/dev/null"],
    "nope": [1],
}


def _arguments(fn: Any) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(fn).parameters.values() if p.kind is not p.VAR_KEYWORD]


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """A function, and for each argument its default, a good value, or (for 0–2 of them) a bad
    value meant for it or any value at all; sometimes knobs (compare: sizes) as keywords."""
    name = draw(st.sampled_from(sorted(FUNCTIONS)))
    fn = FUNCTIONS[name]
    params = [p.name for p in _arguments(fn)]
    can_be_positional = {p.name for p in _arguments(fn) if p.kind is p.POSITIONAL_OR_KEYWORD}
    required = {p.name for p in _arguments(fn) if p.default is p.empty}
    if "knobs" in inspect.signature(fn).parameters:
        knobs = ["shallow", "separable", "groups", "num_classes"]
        params += draw(st.lists(st.sampled_from(knobs), max_size=2))
    elif name == "compare":
        sizes = ["dk", "m", "n", "df", "rank", "t", "groups"]
        params += draw(st.lists(st.sampled_from(sizes), max_size=4))
    params = list(dict.fromkeys(params))
    faulty = set(draw(st.lists(st.sampled_from(params), max_size=2))) if draw(st.integers(0, 2)) else set()
    positional = draw(st.booleans())
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for i, p in enumerate(params):
        if p in faulty:
            value = draw(st.sampled_from(BAD.get(p, []) + HOSTILE))
        elif p in GOOD and (i == 0 or p in required or draw(st.integers(0, 2))):
            value = draw(st.sampled_from(GOOD[p]))
        else:
            continue  # its default (every required argument has a value: one left out is Python's TypeError)
        if positional and i == len(args) and p in can_be_positional and not kwargs:
            args.append(value)
        else:
            kwargs[p] = value
    return name, tuple(args), kwargs


@pytest.fixture(autouse=True)
def saved_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path / "config"))
    save_profile(make_profile("hand"))


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(call=calls())
def test_every_public_function_returns_or_refuses_in_one_line(
    call: tuple[str, tuple[Any, ...], dict[str, Any]],
) -> None:
    name, args, kwargs = call
    try:
        result = FUNCTIONS[name](*args, **kwargs)
    except ArchcalcError as e:
        message = str(e)
        assert message and "\n" not in message and len(message) < 1000, (name, message)
        return
    assert result is not None and hasattr(result, "model_dump"), (name, result)


@pytest.mark.parametrize(
    "call",
    [
        lambda: archcalc.cost(None),
        lambda: archcalc.cost(123),
        lambda: archcalc.cost(b"mobilenet_v1"),
        lambda: archcalc.cost("mobilenet_v1", dtype=["fp32"]),
        lambda: archcalc.fit("mobilenet_v1", resolutions=5),
        lambda: archcalc.fit("mobilenet_v1", profile=123),
        lambda: archcalc.size("mobilenet_v1", layers=[1]),
        lambda: archcalc.predict_latency("mobilenet_v1", profile=123),
        lambda: archcalc.compare("dwsep"),
        lambda: archcalc.compare(["dwsep"], bogus=3),
        lambda: archcalc.size("mobilenet_v1", huffman="yes"),
        lambda: archcalc.activation_memory("mobilenet_v1", rule=None),
        lambda: archcalc.sweep("mobilenet_v1", alphas=0.5),
    ],
)
def test_issue_17_wrong_types_are_type_errors(call: Any) -> None:
    """The issue's calls raised bare AttributeError / TypeError; now one line naming the argument,
    an ArchcalcError that is a TypeError."""
    with pytest.raises(ArchcalcTypeError) as e:
        call()
    assert isinstance(e.value, TypeError) and isinstance(e.value, ArchcalcError)
    assert "\n" not in str(e.value)


def test_an_endless_grid_is_refused_not_consumed() -> None:
    with pytest.raises(ArchcalcError, match="more than 10,000"):
        archcalc.sweep("mobilenet_v1", alphas=itertools.count(1))


def test_numpy_numbers_are_numbers() -> None:
    """``resolution=numpy.int64(160)`` was refused with "must be a whole number ≥ 1, got 160"."""
    macs, params = hand_count(0.5, 160)
    r = archcalc.cost("mobilenet_v1", np.float64(0.5), np.int64(160))
    assert (r.totals.macs, r.totals.params_without_bn) == (macs, params)
    r = archcalc.cost("mobilenet_v1", alpha=np.float32(0.5), resolution=np.int32(160))
    assert r.totals.macs == macs
    s = archcalc.sweep("mobilenet_v1", alphas=np.array([0.5]), resolutions=np.array([160]))
    assert [p.macs for p in s.points] == [macs]
    f = archcalc.fit("mobilenet_v1", max_macs=np.int64(macs), alphas=[0.5], resolutions=[160, 192])
    assert [p.resolution for p in f.front] == [160]
    # D_K²·M·D_F² + M·N·D_F², MobileNet eq. 5
    c = archcalc.compare(["dwsep"], m=np.int64(512), n=np.int16(512), df=np.int64(14))
    assert c.designs[0].macs == 9 * 512 * 196 + 512 * 512 * 196
    assert archcalc.cost("mobilenet_v1", shallow=np.bool_(True)).knobs["shallow"] is True


def test_a_spec_mapping_is_a_spec() -> None:
    import yaml

    data = yaml.safe_load((specs_dir() / "mobilenet_v1.yaml").read_text())
    assert archcalc.cost(data, 0.5, 160).totals.macs == hand_count(0.5, 160)[0]
    with pytest.raises(ArchcalcError, match="net"):
        archcalc.cost({"name": "x"})
