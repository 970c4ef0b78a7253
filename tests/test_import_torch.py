"""import_torch on a zoo of modules written in different styles, checked against the real counters
(fvcore's FlopCountAnalysis and torch's FlopCounterMode on the ORIGINAL module, sum(p.numel()),
the module's own output shape), plus α, ρ and the refusals."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from zoo import ZOO, UNet, make

import archcalc
from archcalc.count.closed_form import report
from archcalc.errors import ArchcalcError
from archcalc.importers.torch_fx import trace_module
from archcalc.importers.writer import to_yaml
from archcalc.measure.validate import validate
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import parse_spec


def fvcore_total(model: nn.Module, shape: tuple[int, ...]) -> int:
    from fvcore.nn import FlopCountAnalysis

    logging.getLogger("fvcore").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = FlopCountAnalysis(model.eval(), (torch.randn(1, *shape),))
        f.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return int(f.total())


def counter_flops(model: nn.Module, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        out = model.eval()(torch.randn(1, *shape))
    return int(fc.get_total_flops()), tuple(out.shape[1:])


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_counts_like_the_real_counters(name: str) -> None:
    model, shape = make(name)
    result = trace_module(model, shape)
    resolved = resolve(result.spec)
    fv, torch_conv = report(resolved, "fvcore"), report(resolved, "torch")
    assert fv.totals.macs == fvcore_total(model, shape)
    flops, out_shape = counter_flops(model, shape)
    assert 2 * torch_conv.totals.macs == flops
    assert torch_conv.totals.params == sum(p.numel() for p in model.parameters()) == result.source_params
    assert fv.totals.params == torch_conv.totals.params
    assert resolved.graph.output.out_shape == out_shape
    # the written spec reloads to the same numbers
    again = parse_spec(to_yaml(result), f"{name}.yaml")
    assert report(resolve(again), "fvcore").totals == fv.totals


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_validates(name: str) -> None:
    """`archcalc validate` on the imported spec: the torch model built from it agrees with fvcore and
    FlopCounterMode layer by layer."""
    model, shape = make(name)
    v = validate(resolve(trace_module(model, shape).spec))
    assert v.ok, [c for c in v.layers if not c.ok]
    # ... and equals the ORIGINAL module's counters
    assert v.fvcore_total == fvcore_total(model, shape)
    flops, out_shape = counter_flops(model, shape)
    assert v.flop_counter_flops == flops
    assert v.torch_params == v.fvcore_params == sum(p.numel() for p in model.parameters())
    assert tuple(v.layers[-1].torch_shape) == out_shape


def test_hand_written_shuffle_and_chunk_become_primitives() -> None:
    model, shape = make("shuffle")
    result = trace_module(model, shape)
    kinds = [e.kind for e in result.spec.body]
    assert kinds.count("shuffle") == 1 and "reshape" not in kinds and "transpose" not in kinds
    assert "split" in kinds
    assert any(e.action == "merged" and "channel shuffle" in e.why for e in result.ledger)
    assert any(e.op == "Tensor.contiguous" and e.action == "alias" for e in result.ledger)


def test_rows_name_their_step_in_a_written_out_shuffle() -> None:
    """What the importer's shuffle merge asks each row kind (worked by hand on 12 channels in 3
    groups of a 4×4 map): the reshape 12×4×4 → 3×4×4×4 splits, one to 4×4×12×1 does not, a
    reshape or a flatten back from four dimensions merges, the transpose [1, 0, 2, 3] swaps and
    [0, 2, 1, 3] does not; a row of any other kind (a batch norm) is no step."""
    from archcalc.model.blocks import BLOCKS

    reshape, transpose = BLOCKS["reshape"].entry, BLOCKS["transpose"].entry
    assert reshape.shuffle_step({}, [(12, 4, 4)], (3, 4, 4, 4)) == "split"
    assert reshape.shuffle_step({}, [(12, 4, 4)], (4, 4, 12, 1)) is None
    assert reshape.shuffle_step({}, [(4, 3, 4, 4)], (12, 4, 4)) == "merge"
    assert BLOCKS["flatten"].entry.shuffle_step({}, [(4, 3, 4, 4)], (12, 4, 4)) == "merge"
    assert transpose.shuffle_step({"perm": [1, 0, 2, 3]}, [(3, 4, 4, 4)], (4, 3, 4, 4)) == "swap"
    assert transpose.shuffle_step({"perm": [0, 2, 1, 3]}, [(3, 4, 4, 4)], (3, 4, 4, 4)) is None
    assert BLOCKS["batchnorm2d"].entry.shuffle_step({}, [(12, 4, 4)], (12, 4, 4)) is None


def test_alpha_on_an_imported_unet_is_the_narrower_unet() -> None:
    """α = 0.5 on UNet(w=16) counts exactly what fvcore counts on UNet(w=8): the skips' concat sums,
    the transposed convs and the depthwise-free blocks keep their equalities; the 2 output channels
    and the 3 input channels stay."""
    torch.manual_seed(0)
    shape = (3, 64, 48)
    spec = archcalc.import_torch(UNet(16), shape)
    rep = report(resolve(spec, alpha=0.5), "fvcore")
    narrow = UNet(8)
    assert rep.totals.macs == fvcore_total(narrow, shape)
    assert report(resolve(spec, alpha=0.5), "torch").totals.params == sum(
        p.numel() for p in narrow.parameters()
    )
    assert rep.output_shape == [2, 64, 48]


@pytest.mark.parametrize("res", [(32, 40), (96, 64)])
def test_resolution_on_imported_graphs_recomputes_every_shape(res: tuple[int, int]) -> None:
    for name in ("unet", "interpolation", "attention", "squeeze_excite"):
        model, shape = make(name)
        rep = archcalc.cost(model, input_shape=shape, resolution=res, convention="fvcore")
        assert rep.totals.macs == fvcore_total(model, (3, *res)), name


def test_flatten_of_a_map_refuses_another_resolution_naming_the_layer() -> None:
    model, shape = make("sequential")
    assert archcalc.cost(model, input_shape=shape).totals.macs > 0
    with pytest.raises(ArchcalcError, match=r"layer layer_7 \(flatten\): flattens a 4×4 map, here 5×5"):
        archcalc.cost(model, input_shape=shape, resolution=40)


def test_alpha_on_attention_is_refused_naming_a_layer() -> None:
    model, shape = make("attention")
    with pytest.raises(ArchcalcError, match=r"layer \w+ \(reshape\): its sizes .* α does not scale"):
        archcalc.cost(model, input_shape=shape, alpha=0.5)


class _Unmappable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)
        self.rnn_like = nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cumsum(self.c(x), dim=1)
        x = F.pad(x, (1, 1, 1, 1))
        return self.rnn_like(x.abs())


def test_unmapped_ops_are_one_error_listing_every_one() -> None:
    with pytest.raises(ArchcalcError) as e:
        archcalc.import_torch(_Unmappable(), (3, 16, 16))
    msg = str(e.value)
    assert "3 op(s) cannot be mapped" in msg
    for what in ("cumsum at cumsum", "pad at pad", "Tensor.abs at abs"):
        assert what in msg, msg
    assert "\n" not in msg


def test_a_module_is_a_net_everywhere() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)
    )
    with pytest.raises(ArchcalcError, match="needs input_shape"):
        archcalc.cost(model)
    rep = archcalc.cost(model, input_shape=(3, 32, 32))
    assert rep.totals.macs == 8 * 3 * 9 * 32 * 32 + 8 * 10  # hand-worked: C_out·C_in·K²·H·W + in·out
    assert archcalc.size(model, input_shape=(3, 32, 32)).totals.params == 8 * 27 + 8 + 8 * 10 + 10
    mem = archcalc.activation_memory(model, input_shape=(3, 32, 32))
    assert mem.peak_bytes > 0
    sweep = archcalc.sweep(model, [1.0, 0.5], [32, 16], input_shape=(3, 32, 32), memory_rule=None)
    # α scales the hidden 8 channels (⌊0.5·8⌋ = 4), never the image's 3 or the 10 outputs
    assert [p.macs for p in sweep.points] == [
        8 * 27 * 32 * 32 + 80,
        8 * 27 * 16 * 16 + 80,
        4 * 27 * 32 * 32 + 40,
        4 * 27 * 16 * 16 + 40,
    ]
    with pytest.raises(ArchcalcError, match="input_shape is for a torch module"):
        archcalc.cost("mobilenet_v1", input_shape=(3, 224, 224))
    with pytest.raises(ArchcalcError, match="got int"):
        archcalc.cost(3)


def test_round8_width_rule_is_selectable() -> None:
    model = nn.Sequential(nn.Conv2d(3, 24, 3), nn.ReLU(), nn.Conv2d(24, 10, 1))
    spec = archcalc.import_torch(model, (3, 16, 16), width="round8")
    rep = report(resolve(spec, alpha=0.5))
    # _make_divisible(0.5·24, 8): 12 rounds to 16; truncate gives ⌊12⌋ = 12; the output's 10 stay
    assert [row.output_shape[0] for row in rep.layers] == [16, 16, 10]
    plain = report(resolve(archcalc.import_torch(model, (3, 16, 16)), alpha=0.5))
    assert [row.output_shape[0] for row in plain.layers] == [12, 12, 10]


class _ShapeBranch(nn.Module):
    """Control flow on a size: torch.fx cannot trace it, torch.export specialises it."""

    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.ln = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn(self.c(x)))
        if y.shape[-1] > 16:
            y = F.max_pool2d(y, 2)
        a, b = y.chunk(2, 1)
        y = torch.cat([b, a], 1) * torch.sigmoid(y.mean((2, 3), keepdim=True))
        y = F.interpolate(y, scale_factor=2.0) + self.up(y)
        y = y[:, 2:6]
        t = self.ln(torch.cat([y, y], 1).flatten(2).transpose(1, 2))
        return self.fc(F.gelu(t).mean(1))


def test_torch_export_where_fx_cannot_trace() -> None:
    torch.manual_seed(0)
    model, shape = _ShapeBranch().eval(), (3, 32, 32)
    with pytest.raises(Exception):  # noqa: B017 - fx's own error type varies
        torch.fx.symbolic_trace(model)
    result = trace_module(model, shape)
    assert "torch.export" in result.spec.source
    resolved = resolve(result.spec)
    assert report(resolved, "fvcore").totals.macs == fvcore_total(model, shape)
    flops, out_shape = counter_flops(model, shape)
    assert 2 * report(resolved, "torch").totals.macs == flops
    assert report(resolved, "torch").totals.params == sum(p.numel() for p in model.parameters())
    assert resolved.graph.output.out_shape == out_shape
