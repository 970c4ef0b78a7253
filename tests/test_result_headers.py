"""The result models share their header fields (``archcalc.count.header``) and keep the key order their
JSON has always had. The expected orders are the first keys of the JSON the commands printed before
the header was shared (``archcalc table / memory / size / sweep / budget --format json``, ``table
--latency``, ``validate``, ``time``); ``table --latency`` gained ``backend`` after ``profile``, and
``time`` gained ``backend`` and ``versions``, with the onnxruntime backend (issue 18)."""

from __future__ import annotations

import pytest

import archcalc
from archcalc.count.closed_form import Report
from archcalc.count.latency import LatencyPrediction
from archcalc.count.memory import MemoryReport
from archcalc.count.model_size import SizeReport
from archcalc.measure.timing import Timing
from archcalc.measure.validate import Validation
from archcalc.sweeps.budget import Fit
from archcalc.sweeps.grid import Sweep


@pytest.mark.parametrize(
    "model,first",
    [
        (Report, "network title source alpha resolution knobs input_shape output_shape convention dtype"),
        (MemoryReport, "network title alpha resolution knobs dtype dtype_bytes rule"),
        (SizeReport, "network title alpha resolution knobs convention params_rule dtype dtype_bits"),
        (LatencyPrediction, "network alpha resolution profile backend threads batch dtype formula"),
        (Validation, "network alpha resolution knobs layers macs"),
        (
            Timing,
            "network alpha resolution knobs batch threads warmup repeats"
            " backend torch_version versions dtype",
        ),
        (Sweep, "network title knobs convention macs_rule params_rule dtype dtype_bytes peak_memory_rule"),
        (Fit, "network title knobs convention macs_rule params_rule dtype peak_memory_rule"),
    ],
)
def test_header_keys_keep_their_order(model: type, first: str) -> None:
    keys = first.split()
    assert list(model.model_fields)[: len(keys)] == keys


def test_header_is_filled_from_the_configuration() -> None:
    r = archcalc.cost("mobilenet_v1", 0.5, 160, shallow=True)
    m = archcalc.activation_memory("mobilenet_v1", 0.5, 160, shallow=True)
    s = archcalc.size("mobilenet_v1", 0.5, 160, shallow=True)
    for x in (r, m, s):
        assert (x.network, x.title, x.alpha, x.resolution) == ("mobilenet_v1", "MobileNet V1", 0.5, 160)
        assert x.knobs == {"separable": True, "shallow": True, "classes": 1000}
    assert r.source == "Howard et al. 2017, arXiv:1704.04861, Table 1"
