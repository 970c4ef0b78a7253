"""The fast paths give the same objects and numbers as the slow ones they replace."""

from __future__ import annotations

import pytest

from archcalc.count.closed_form import LayerCost, _constructor, report
from archcalc.count.conventions import CONVENTIONS
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import builtin_names, load_spec

ROW = {
    "name": "body.0.conv",
    "kind": "conv2d",
    "category": "Conv 1×1",
    "row": "body.0",
    "args": "1×1×32×64",
    "inputs": ["input"],
    "input_shapes": [[32, 56, 56]],
    "output_shape": [64, 56, 56],
    "params": 2048,
    "params_without_bn": 2048,
    "params_with_bn": 2176,
    "macs": 6422528,
    "flops": 12845056,
    "weight_bytes": 8704,
    "bytes_read": 410112,
    "bytes_written": 802816,
    "intensity": 5.3,
}


def test_fast_rows_are_model_construct_rows() -> None:
    fast = _constructor(LayerCost)(**ROW)
    slow = LayerCost.model_construct(**ROW)
    validated = LayerCost(**ROW)
    assert type(fast) is LayerCost
    assert fast == slow == validated
    assert fast.model_fields_set == slow.model_fields_set == validated.model_fields_set
    assert fast.model_dump() == validated.model_dump()
    assert fast.model_dump_json() == validated.model_dump_json()
    assert fast.model_extra is None and fast.__pydantic_private__ is None


@pytest.mark.parametrize("net", builtin_names())
@pytest.mark.parametrize("convention", list(CONVENTIONS))
def test_by_convention_totals_are_the_rule_sums(net: str, convention: str) -> None:
    """The report sums each counting rule once and reuses its rows' sums; every convention's total
    must equal the rule summed node by node over the graph."""
    resolved = resolve(load_spec(net), 0.75, 160)
    r = report(resolved, convention)

    def total(per_node: list[int | None]) -> int | None:
        return None if None in per_node else sum(per_node)  # type: ignore[arg-type]

    for name, c in CONVENTIONS.items():
        got = r.by_convention[name]
        assert got.macs == total([c.macs(n) for n in resolved.graph]), name
        assert got.flops == total([c.flops(n) for n in resolved.graph]), name
        assert got.params == total([c.params(n) for n in resolved.graph]), name
        assert got.trainable_params == total([c.trainable(n) for n in resolved.graph]), name
    assert r.totals.macs == r.by_convention[convention].macs
    assert r.totals.flops == r.by_convention[convention].flops
    assert r.totals.params == r.by_convention[convention].params


def test_report_rows_are_built_on_first_use_and_round_trip() -> None:
    """Totals come first; the rows are built once, on first use, and survive a JSON round trip."""
    from archcalc.count.closed_form import Report

    r = report(resolve(load_spec("mobilenet_v1")))
    summary = r.model_dump_json(exclude={"layers"})
    assert "layers" not in r.__dict__
    assert '"layers":[' not in summary
    rows = r.layers
    assert r.layers is rows and len(rows) == r.totals.layers
    assert sum(x.macs for x in rows) == r.totals.macs == 568_740_352  # 569 M, MobileNet V1 Table 8
    assert sum(x.params for x in rows) == r.totals.params
    back = Report.model_validate_json(r.model_dump_json())
    assert back.layers == rows
    assert back.model_dump() == r.model_dump()


@pytest.mark.parametrize("net", builtin_names())
def test_column_pass_matches_asking_every_op(net: str) -> None:
    """The one-pass columns skip the methods an op kind leaves at the base default; every row must
    still equal what asking the op every question gives."""
    from math import prod

    resolved = resolve(load_spec(net), 0.5, 192)
    for convention, c in CONVENTIONS.items():
        rows = report(resolved, convention, "fp16").layers
        for row, n in zip(rows, resolved.graph, strict=True):
            op = n.op
            weights_read = op.weight_params() + op.norm_params() + op.buffer_elems()
            assert row.macs == c.macs(n), (convention, n.name)
            assert row.flops == c.flops(n), (convention, n.name)
            assert row.params == c.params(n), (convention, n.name)
            assert row.params_with_bn == op.weight_params() + op.norm_params()
            assert row.weight_bytes == 2 * weights_read
            assert row.bytes_read == 2 * (sum(prod(s) for s in n.in_shapes) + weights_read)
            assert row.bytes_written == 2 * prod(n.out_shape)
            assert row.category == op.category()


@pytest.mark.parametrize("net", builtin_names())
def test_materialize_peak_on_nodes_matches_the_step_path(net: str) -> None:
    """``peak_activation_bytes`` walks the nodes themselves under ``materialize`` (no step objects);
    ``memory_report`` builds its steps for every rule. Both must give the same peak."""
    from archcalc.count.memory import RULES, memory_report, peak_activation_bytes

    resolved = resolve(load_spec(net), 0.5, 160)
    for rule in RULES:
        assert (
            peak_activation_bytes(resolved.graph, 2, rule) == memory_report(resolved, "fp16", rule).peak_bytes
        )
