"""import_onnx: the zoo's torch.onnx.export files against fvcore on the deployed (BN-folded) module,
hand-built ONNX graphs for each pattern (counts worked by hand), the CLI, and the refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from test_import_torch import fvcore_total
from torch.fx.experimental.optimization import fuse
from zoo import ZOO, make

import archcalc
from archcalc.count.closed_form import report
from archcalc.errors import ArchcalcError
from archcalc.importers.onnx_graph import import_onnx_file
from archcalc.model.resolve import resolve


def export(model: torch.nn.Module, shape: tuple[int, ...], path: Path) -> Path:
    """torch.onnx.export with the TorchScript exporter (dynamo=False: the dynamo exporter needs
    onnxscript, which is not a dependency); eval mode, so BN is folded into the convs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.randn(1, *shape),), str(path), dynamo=False)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("onnx")
    return {name: export(*make(name), d / f"{name}.onnx") for name in ZOO}


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_exports_count_like_fvcore_on_the_deployed_module(name: str, exported: dict[str, Path]) -> None:
    """The exporter folds eval BN into the conv before it, so the file is the module after
    torch.fx's conv-BN fusion: fvcore on that, and its parameters, are what the import counts."""
    import onnxruntime as ort

    model, shape = make(name)
    deployed = fuse(model)
    spec = import_onnx_file(exported[name]).spec
    resolved = resolve(spec)
    assert report(resolved, "fvcore").totals.macs == fvcore_total(deployed, shape)
    assert report(resolved, "torch").totals.params == sum(p.numel() for p in deployed.parameters())
    sess = ort.InferenceSession(str(exported[name]), providers=["CPUExecutionProvider"])
    (out,) = sess.run(None, {sess.get_inputs()[0].name: np.zeros((1, *shape), np.float32)})
    assert resolved.graph.output.out_shape == tuple(out.shape[1:])
    assert "batch norm" in spec.source


def test_cli_import_writes_a_spec_that_reloads_to_the_same_numbers(
    cli, exported: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "unet.yaml"
    r = cli("import", str(exported["unet"]), "-o", str(out))
    assert r.code == 0, r.err
    assert "wrote" in r.err and out.read_text().count("\n  - {name: ") == len(
        import_onnx_file(exported["unet"]).spec.body
    )
    a = json.loads(cli("table", str(out), "--convention", "fvcore", "--format", "json").out)
    b = json.loads(cli("table", str(exported["unet"]), "--convention", "fvcore", "--format", "json").out)
    assert a["totals"] == b["totals"]
    assert a["totals"]["macs"] == fvcore_total(fuse(make("unet")[0]), (3, 64, 48))
    for cmd in (["memory"], ["size"], ["sweep", "--res", "64x48,32x24", "--no-latency"]):
        r = cli(*cmd, str(exported["unet"]), "--format", "csv")
        assert r.code == 0, (cmd, r.err)
    v = cli("validate", str(out), "--format", "json")
    assert v.code == 0 and json.loads(v.out)["ok"], v.out[-500:]


def test_cli_ledger(cli, exported: dict[str, Path]) -> None:
    r = cli("import", str(exported["shuffle"]), "--ledger", "--format", "csv")
    assert r.code == 0, r.err
    assert "merged" in r.out and "channel shuffle" in r.out and "folded" in r.out
    j = json.loads(cli("import", str(exported["shuffle"]), "--format", "json").out)
    assert {e["action"] for e in j["ledger"]} >= {"folded", "merged"}
    assert j["spec"]["body"][0]["kind"] == "conv2d"


# --- hand-built graphs: every count worked by hand ----------------------------------------------


def _model(nodes: list, inits: list, shape: tuple[int, ...], out: str, out_shape: list) -> onnx.ModelProto:
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *shape])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_shape)],
        initializer=inits,
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _w(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.ones(shape, np.float32), name)


def _c(name: str, value: object, dtype: object = np.float32) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(value, dtype=dtype), name)


def test_hand_built_patterns(tmp_path: Path) -> None:
    """Conv sharing one stored weight twice (counted at each use), Identity of an initializer,
    Clip(0, 6), Dropout, Resize by scales, GlobalAveragePool, Reshape by a folded shape sub-graph,
    MatMul + Add (a linear with bias), the erf GELU, Gemm."""
    nodes = [
        helper.make_node("Identity", ["w"], ["w_alias"], name="alias"),
        helper.make_node("Conv", ["x", "w", "b"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c1", "zero", "six"], ["r1"], name="relu6"),
        helper.make_node("Conv", ["r1", "w_alias"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Dropout", ["c2"], ["d"], name="drop"),
        helper.make_node("Resize", ["d", "", "scales"], ["up"], name="up", mode="nearest"),
        helper.make_node("GlobalAveragePool", ["up"], ["gp"], name="gap"),
        helper.make_node("Shape", ["gp"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i0"], ["n"], name="gather"),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["nu"], name="unsq"),
        helper.make_node("Concat", ["nu", "minus1"], ["target"], name="cat_shape", axis=0),
        helper.make_node("Reshape", ["gp", "target"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "fc_w"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "fc_b"], ["fc_out"], name="fc_bias"),
        helper.make_node("Div", ["fc_out", "sqrt2"], ["g0"], name="g_div"),
        helper.make_node("Erf", ["g0"], ["g1"], name="g_erf"),
        helper.make_node("Add", ["g1", "one"], ["g2"], name="g_add"),
        helper.make_node("Mul", ["fc_out", "g2"], ["g3"], name="g_mul"),
        helper.make_node("Mul", ["g3", "half"], ["g4"], name="gelu"),
        helper.make_node("Gemm", ["g4", "head_w", "head_b"], ["y"], name="head", transB=1),
    ]
    inits = [
        _w("w", 4, 4, 3, 3),
        _w("b", 4),
        _c("zero", 0.0),
        _c("six", 6.0),
        _c("scales", [1, 1, 2, 2]),
        _c("i0", 0, np.int64),
        _c("ax0", [0], np.int64),
        _c("minus1", [-1], np.int64),
        _w("fc_w", 4, 8),
        _w("fc_b", 8),
        _c("sqrt2", 1.4142135),
        _c("one", 1.0),
        _c("half", 0.5),
        _w("head_w", 3, 8),
        _w("head_b", 3),
    ]
    path = tmp_path / "hand.onnx"
    onnx.save(_model(nodes, inits, (4, 10, 6), "y", [1, 3]), str(path))
    result = import_onnx_file(path)
    kinds = {e.name: e.kind for e in result.spec.body}
    assert kinds == {
        "conv1": "conv2d",
        "relu6": "activation",
        "conv2": "conv2d",
        "up": "upsample",
        "gap": "global_pool",
        "flatten": "flatten",
        "fc": "linear",
        "gelu": "activation",
        "head": "linear",
    }
    rows = {r.name: r for r in report(resolve(result.spec), "fvcore").layers}
    assert (
        rows["conv1"].params == 4 * 4 * 9 + 4 and rows["conv2"].params == 4 * 4 * 9
    )  # one stored w, two uses
    assert rows["conv1"].macs == rows["conv2"].macs == 4 * 4 * 9 * 10 * 6
    assert rows["up"].output_shape == [4, 20, 12] and rows["up"].macs == 4 * 20 * 12  # fvcore: 1 per output
    assert rows["gap"].macs == 4 * 20 * 12  # fvcore: adaptive avg pool, 1 per input element
    assert rows["fc"].params == 4 * 8 + 8 and rows["fc"].macs == 32
    assert rows["head"].params == 8 * 3 + 3
    actions = {(e.node, e.action) for e in result.ledger}
    assert {("alias", "folded"), ("drop", "alias"), ("fc_bias", "merged"), ("gelu", "merged")} <= actions
    assert ("shape", "folded") in actions and ("cat_shape", "folded") in actions
    spec_fn = {e.name: getattr(e, "fn", None) for e in result.spec.body}
    assert spec_fn["relu6"] == "relu6" and spec_fn["gelu"] == "gelu"


def test_unmapped_onnx_ops_are_one_line_exit_2(cli, tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
        helper.make_node("CumSum", ["c", "axis"], ["cs"], name="running_sum"),
        helper.make_node("Abs", ["cs"], ["a"], name="abs_after"),
        helper.make_node("LpNormalization", ["c"], ["l"], name="lp_norm"),
        helper.make_node("Add", ["a", "l"], ["y"], name="sum"),
    ]
    path = tmp_path / "bad.onnx"
    onnx.save(
        _model(nodes, [_w("w", 2, 3, 1, 1), _c("axis", 1, np.int64)], (3, 4, 4), "y", [1, 2, 4, 4]), str(path)
    )
    with pytest.raises(ArchcalcError) as e:
        import_onnx_file(path)
    msg = str(e.value)
    assert "2 op(s) cannot be mapped" in msg and "(CumSum, LpNormalization)" in msg
    assert "CumSum at running_sum" in msg and "LpNormalization at lp_norm" in msg
    r = cli("table", str(path))
    assert r.code == 2 and r.err.count("\n") == 1 and "CumSum at running_sum" in r.err


def test_symbolic_input_sizes_need_an_input_shape(cli, tmp_path: Path) -> None:
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, "H", "W"])],
        initializer=[_w("w", 2, 3, 1, 1)],
    )
    path = tmp_path / "dyn.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    r = cli("table", str(path))
    assert r.code == 2 and "symbolic sizes N×3×H×W" in r.err
    spec = archcalc.import_onnx(path, (3, 20, 30))
    assert archcalc.cost(spec).totals.macs == 2 * 3 * 20 * 30
    r = cli("import", str(path), "--input-shape", "3,20,30")
    assert r.code == 0 and "input: {height: 20, width: 30}" in r.out


def test_onnx_import_never_imports_torch(exported: dict[str, Path]) -> None:
    code = (
        "import os, sys; sys.modules['torch'] = None; import archcalc; "
        "r = archcalc.cost(os.environ['ONNX_FILE'], convention='fvcore'); print(r.totals.macs)"
    )
    env = {**os.environ, "ONNX_FILE": str(exported["attention"])}  # the path stays off the command line
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == fvcore_total(make("attention")[0], ZOO["attention"][1])


def test_a_missing_onnx_extra_is_one_line_naming_the_pinned_install(tmp_path: Path) -> None:
    code = (
        "import os, sys; sys.modules['onnx'] = None\n"
        "from archcalc.cli import main\n"
        "sys.exit(main(['table', os.environ['ONNX_FILE']]))"
    )
    env = {**os.environ, "ONNX_FILE": str(tmp_path / "x.onnx")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "archcalc: error: reading an .onnx file needs the onnx package: "
        "pip install 'archcalc[onnx]' (onnx==1.23.2)"
    )


def test_alpha_and_resolution_on_an_imported_onnx_unet(exported: dict[str, Path]) -> None:
    """α = 0.5 on the exported UNet(16) is fvcore on the deployed UNet(8); another resolution is
    fvcore on the deployed module at that size."""
    from zoo import UNet

    spec = archcalc.import_onnx(exported["unet"])
    torch.manual_seed(0)
    assert archcalc.cost(spec, alpha=0.5, convention="fvcore").totals.macs == fvcore_total(
        fuse(UNet(8).eval()), (3, 64, 48)
    )
    deployed = fuse(make("unet")[0])
    assert archcalc.cost(spec, resolution=(32, 80), convention="fvcore").totals.macs == fvcore_total(
        deployed, (3, 32, 80)
    )
    assert [e.width for e in spec.body if e.kind == "conv2d"][-1] == "fixed"  # the 2 output channels


@pytest.mark.parametrize("name", list(ZOO))
def test_round_trip_through_archcalc_export(name: str, tmp_path: Path) -> None:
    """A zoo module imported from torch, written as ONNX by archcalc's own exporter (every new
    primitive's ``onnx_nodes``), read back by import_onnx: the same counts under every convention,
    and onnxruntime runs the file to the graph's output shape."""
    import onnxruntime as ort

    from archcalc.export.onnx_model import save, to_onnx
    from archcalc.importers.torch_fx import trace_module

    spec = trace_module(*make(name)).spec
    graph = resolve(spec).graph
    path = save(to_onnx(graph, name), tmp_path / f"{name}.onnx")
    again = resolve(import_onnx_file(path).spec)
    for conv in ("paper", "fvcore", "torch"):
        assert report(again, conv).totals == report(resolve(spec), conv).totals, conv
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = sess.run(None, {sess.get_inputs()[0].name: np.zeros((1, *graph.input_shape), np.float32)})
    assert tuple(out.shape[1:]) == graph.output.out_shape
