"""`archcalc export`: the ONNX file is valid (onnx.checker), runs on onnxruntime with the right
output shape and the same numbers as the torch model given the same weights, and its parameters and
MACs, counted here from the ONNX graph alone, equal the spec's. No torch is imported by export."""

from __future__ import annotations

import subprocess
import sys
from math import prod
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper, shape_inference

from archcalc.count.closed_form import report
from archcalc.export.onnx_model import to_onnx
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import builtin_names, load_spec


def onnx_counts(model: onnx.ModelProto) -> tuple[int, int]:
    """(learnable parameters, MACs) read off the ONNX graph: Conv / Gemm weights and biases,
    BatchNormalization scale and bias, and learnt tensors used as data (an initializer an
    ``Identity`` reads: a layer scale γ); Conv MACs = |output| · (C_in / group) · k_h · k_w from the
    inferred output shape at batch 1, Gemm MACs = in · out of its weight, MatMul MACs = |output| · K
    (K the last side of its first input: attention's q·kᵀ and a·v)."""
    m = shape_inference.infer_shapes(model)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    shapes = {}
    for vi in [*m.graph.value_info, *m.graph.output]:
        dims = vi.type.tensor_type.shape.dim
        shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else 1 for d in dims]
    params = macs = 0
    for n in m.graph.node:
        if n.op_type == "Conv":
            w = inits[n.input[1]]
            params += w.size + (inits[n.input[2]].size if len(n.input) > 2 else 0)
            macs += prod(shapes[n.output[0]]) * prod(w.shape[1:])
        elif n.op_type == "Gemm":
            w = inits[n.input[1]]
            params += w.size + (inits[n.input[2]].size if len(n.input) > 2 else 0)
            macs += w.size
        elif n.op_type == "BatchNormalization":
            params += inits[n.input[1]].size + inits[n.input[2]].size
        elif n.op_type == "MatMul":
            macs += prod(shapes[n.output[0]]) * shapes[n.input[0]][-1]
        elif n.op_type == "Identity" and n.input[0] in inits:
            params += inits[n.input[0]].size
    return params, macs


@pytest.mark.parametrize("net", builtin_names())
def test_every_builtin_network_exports_valid_onnx_with_the_specs_counts(net: str, tmp_path: Path) -> None:
    """Valid ONNX; its params and MACs counted off the graph equal the spec's; and re-imported by
    ``archcalc.import_onnx``, the same layers with the same counts under every convention, but for
    one exact difference: an adaptive average pool to o > 1 is written as the fixed-window
    ``AveragePool`` it computes at this size, which fvcore does not count, where it counts the
    adaptive one as 1 MAC per input element (AlexNet's and VGG's 6×6 and 7×7 pools)."""
    import archcalc

    resolved = resolve(load_spec(net), 1.0)
    model = to_onnx(resolved.graph, net)
    onnx.checker.check_model(model, full_check=True)
    rep = report(resolved, "torch")
    assert onnx_counts(model) == (rep.totals.params_with_bn, report(resolved, "paper").totals.macs)
    names = {n.name for n in model.graph.node}
    assert {n.name for n in resolved.graph} <= names
    path = tmp_path / f"{net}.onnx"
    onnx.save(model, str(path))
    back = resolve(archcalc.import_onnx(path), 1.0)
    assert len(back.graph) == len(resolved.graph)
    from archcalc.model.ops import AdaptivePool2d

    fixed_window = sum(
        prod(n.in_shapes[0])
        for n in resolved.graph
        if isinstance(n.op, AdaptivePool2d) and n.op.op == "avg" and n.op.output > 1
    )
    for convention in ("paper", "fvcore", "torch"):
        a, b = report(resolved, convention).totals, report(back, convention).totals
        lost = fixed_window if convention == "fvcore" else 0
        assert (b.params, b.macs + lost, b.params_with_bn) == (a.params, a.macs, a.params_with_bn), convention


@pytest.mark.parametrize(
    ("net", "alpha", "res"),
    [("mobilenet_v3_small", 0.75, 96), ("efficientnet_b0", 0.5, 64), ("shufflenet_v1", 0.5, 64),
     ("shufflenet_v2_x0_5", 1.0, 64), ("squeezenet1_0", 1.0, 97), ("xception", 0.5, 71),
     ("googlenet", 0.5, 64), ("resnet50", 0.25, 64)],
)  # fmt: skip
def test_onnxruntime_computes_what_torch_computes(net: str, alpha: float, res: int) -> None:
    """The same random weights in the torch model (GraphModule: state-dict keys are the ONNX
    initializer names) and in onnxruntime give the same logits, batch 2."""
    import torch

    from archcalc.measure.torch_build import build

    resolved = resolve(load_spec(net), alpha, res)
    model = to_onnx(resolved.graph, net, seed=3)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal((2, *resolved.graph.input_shape)).astype(np.float32)
    (y,) = sess.run(None, {"input": x})
    assert y.shape == (2, *resolved.graph.output.out_shape)
    tm = build(resolved.graph)
    state = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    missing, _ = tm.load_state_dict({k: v for k, v in state.items() if k in tm.state_dict()}, strict=False)
    assert not [k for k in missing if not k.endswith("num_batches_tracked")]
    with torch.inference_mode():
        ref = tm.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-3, atol=1e-3 * float(np.abs(ref).max()))


def test_cli_export_alpha_rho_param(cli, tmp_path: Path) -> None:
    out = tmp_path / "v1.onnx"
    r = cli("export", "mobilenet_v1", "-o", str(out), "--alpha", "0.5", "--rho", "0.714")
    assert r.code == 0, r.err
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    inp = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in inp[1:]] == [3, 160, 160]  # round(0.714 · 224)
    first = next(i for i in model.graph.initializer if i.name == "conv0.conv.weight")
    assert list(first.dims) == [16, 3, 3, 3]  # ⌊0.5 · 32⌋ output channels
    r = cli("export", "mobilenet_v2", "-o", str(tmp_path / "v2.onnx"), "--param", "nonexistent=1")
    assert r.code == 2 and "nonexistent" in r.err and len(r.err.strip().splitlines()) == 1


def test_cli_export_bad_output(cli, tmp_path: Path) -> None:
    r = cli("export", "mobilenet_v1", "-o", str(tmp_path / "no" / "such" / "x.onnx"))
    assert r.code == 2 and "-o" in r.err and len(r.err.strip().splitlines()) == 1
    r = cli("export", "mobilenet_v1", "-o", str(tmp_path))
    assert r.code == 2 and "directory" in r.err


def test_export_is_seeded(tmp_path: Path) -> None:
    g = resolve(load_spec("squeezenet1_1"), 1.0, 64).graph
    a, b, c = (to_onnx(g, seed=s).SerializeToString() for s in (0, 0, 1))
    assert a == b and a != c


def test_export_does_not_import_torch(tmp_path: Path) -> None:
    out = tmp_path / "m.onnx"
    code = (
        "import sys; from archcalc.cli import main; "
        f"rc = main(['export', 'mobilenet_v2', '-o', {str(out)!r}]); "
        "assert rc == 0; print('torch' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "False"
    assert out.stat().st_size > 1_000_000


def test_cli_export_spec_file_with_param(cli, tmp_path: Path) -> None:
    """A spec file (a copy of ShuffleNet V1's) with ``--param groups=8``: every grouped 1×1 conv has
    group 8, and the counts off the ONNX graph equal the spec's at that knob."""
    import shutil

    from archcalc.spec.catalog import specs_dir

    src = tmp_path / "my_shufflenet.yaml"
    shutil.copy(specs_dir() / "shufflenet_v1.yaml", src)
    out = tmp_path / "s.onnx"
    r = cli("export", str(src), "-o", str(out), "--param", "groups=8", "--alpha", "0.5")
    assert r.code == 0, r.err
    model = onnx.load(str(out))
    groups = {
        onnx.helper.get_attribute_value(a)
        for n in model.graph.node
        if n.op_type == "Conv"
        for a in n.attribute
        if a.name == "group"
    }
    assert 8 in groups
    resolved = resolve(load_spec(str(src)), 0.5, knobs={"groups": 8})
    assert onnx_counts(model) == (
        report(resolved, "torch").totals.params_with_bn,
        report(resolved, "paper").totals.macs,
    )
