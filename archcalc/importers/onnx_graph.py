"""``import_onnx``: an ONNX file → a spec, with the ``onnx`` package only (no torch, no runtime).

The graph is walked in its (topological) node order with two kinds of values:

* **constants**: initializers, ``Constant`` nodes, and everything computed from constants and
  from the shapes of activations (``Shape`` / ``Gather`` / ``Unsqueeze`` / ``Concat`` / ``Div`` …,
  the shape sub-graphs exporters emit for ``view`` and ``interpolate``). These are evaluated
  with numpy here and go to the ledger as *folded*;
* **activations**: the image and everything computed from it, each with its shape (batch first,
  left out of the spec), computed by the same rules archcalc's layers use.

Each node on activations maps to one primitive row (``Conv`` → ``conv2d``, ``Gemm`` and
``MatMul`` with a constant weight → ``linear``, ``MatMul`` + ``Add`` of a constant vector →
``linear`` with its bias, ``Clip(0, 6)`` → ``relu6``, the exporters' erf pattern
``x·(1 + erf(x/√2))/2`` → ``gelu``, ``x·sigmoid(x)`` → ``swish``, ``Resize`` → ``upsample`` …).
``Identity`` (also of initializers) and ``Dropout`` pass their input through (ledger: *alias*).
Anything else is an error naming every unmapped op type and node at once.

Exporters fold an eval-mode batch norm into the convolution before it, so the counts of an ONNX
file are those of the deployed graph: no batch norm layers (nor their fvcore MACs and γ, β), and
each such convolution has a bias.

Parameters are counted at each use: layers' parameters come from their shapes, so two layers
that share one stored initializer (exporters store equal tensors once) are still two layers'.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archcalc.errors import ArchcalcError
from archcalc.importers.rows import ImportResult, RowBuilder, conv_args, identifier
from archcalc.model.graph import INPUT
from archcalc.model.ops import (
    Conv2d,
    ConvTranspose2d,
    MatMul,
    Pool2d,
    Upsample,
    broadcast_shapes,
)

BN_NOTE = (
    "exporters fold eval-mode batch norm into the conv before it, so these are the deployed "
    "graph's counts (no BN layers; those convs have a bias)"
)

INSTALL = "pip install 'archcalc[onnx]' (onnx==1.23.2)"


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ArchcalcError(f"reading an .onnx file needs the onnx package: {INSTALL}") from None
    return onnx


class _Skip(Exception):
    """The node cannot be mapped; ``why`` says what is missing."""

    def __init__(self, why: str = "") -> None:
        super().__init__(why)
        self.why = why


def import_onnx_file(
    path: str | Path,
    input_shape: tuple[int, int, int] | None = None,
    *,
    name: str | None = None,
    width: str = "truncate",
) -> ImportResult:
    """Read ``path`` and map its graph to a spec (see the module docstring)."""
    onnx = _require_onnx()
    p = Path(path)
    try:
        model = onnx.load(str(p), load_external_data=False)
    except FileNotFoundError:
        raise ArchcalcError(f"ONNX file {p} does not exist") from None
    except Exception as e:  # a protobuf decode error: not an ONNX model
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ArchcalcError(f"{p}: not a readable ONNX model ({first})") from None
    net = name or identifier(p.stem, "model").lower()
    return _Importer(model, net, p.name, input_shape, width).run()


class _Dims:
    """A constant's shape without its values (a weight is only ever asked for its shape)."""

    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class _Consts:
    """Constant values by ONNX name: initializers, converted to numpy on first use, and folded
    values. :meth:`dims` answers a shape without converting (most initializers are weights)."""

    def __init__(self, initializers: Any) -> None:
        self._protos = {t.name: t for t in initializers}
        self._arrays: dict[str, Any] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._arrays or name in self._protos

    def __getitem__(self, name: str) -> Any:
        a = self._arrays.get(name)
        if a is None:
            from onnx import numpy_helper

            a = self._arrays[name] = numpy_helper.to_array(self._protos[name])
        return a

    def __setitem__(self, name: str, value: Any) -> None:
        self._arrays[name] = value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default  # noqa: SIM401 (dict.get would skip __getitem__)

    def dims(self, name: str) -> _Dims | None:
        """The constant's shape (None if ``name`` is no constant)."""
        if name in self._arrays:
            return _Dims(tuple(int(d) for d in self._arrays[name].shape))
        t = self._protos.get(name)
        return None if t is None else _Dims(tuple(int(d) for d in t.dims))


class _Importer:
    def __init__(self, model: Any, net: str, source: str, input_shape: Any, width: str) -> None:
        import numpy as np

        self.np = np
        self.model, self.net, self.source, self.width = model, net, source, width
        g = model.graph
        self.const = _Consts(g.initializer)
        for t in getattr(g, "sparse_initializer", []):
            raise ArchcalcError(f"{source}: sparse initializers ({t.values.name}) are not supported")
        inputs = [i for i in g.input if i.name not in self.const]
        if len(inputs) != 1:
            raise ArchcalcError(
                f"{source}: the graph has {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                "one image input is supported"
            )
        dims = inputs[0].type.tensor_type.shape.dim
        declared = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims]
        if len(declared) != 4:
            raise ArchcalcError(
                f"{source}: the input {inputs[0].name} must be N×C×H×W, it has {len(declared)} dims"
            )
        chw = list(declared[1:])
        if input_shape is not None:
            chw = list(input_shape)
        if any(d is None for d in chw):
            raise ArchcalcError(
                f"{source}: the input {inputs[0].name} has symbolic sizes {_dims_text(dims)}; "
                "give input_shape (C, H, W) (CLI: --input-shape C,H,W)"
            )
        self.batch = declared[0] or 1
        self.b = RowBuilder((chw[0], chw[1], chw[2]))
        self.tensor: dict[str, str] = {inputs[0].name: INPUT}  # ONNX name → spec tensor name
        self.nodes = list(g.node)
        self.readers: dict[str, int] = {}
        for n in self.nodes:
            for i in n.input:
                if i:
                    self.readers[i] = self.readers.get(i, 0) + 1
        for o in g.output:
            self.readers[o.name] = self.readers.get(o.name, 0) + 1
        self.outputs = [o.name for o in g.output]
        self.producer: dict[str, Any] = {o: n for n in self.nodes for o in n.output}
        self.poisoned: set[str] = set()  # outputs of unmapped nodes and of what reads them
        self.merged: set[int] = set()  # ids of nodes absorbed into a pattern
        self.bias_of: dict[str, str] = {}  # MatMul output → the constant its Add adds (its bias)
        self.mm_add: dict[str, Any] = {}  # MatMul output → that Add node
        self.gelu_at: dict[int, tuple[str, list[Any]]] = {}  # last Mul of an erf GELU → (x, nodes)
        self.swish_at: dict[int, str] = {}  # the Mul of x·sigmoid(x) → x
        self.cuts: dict[tuple[str, int], list[tuple[int, int]]] = {}  # (tensor, axis) → its slices

    # values -------------------------------------------------------------------------------

    def shape(self, onnx_name: str) -> tuple[int, ...]:
        return self.b.shapes[self.tensor[onnx_name]]

    def is_act(self, name: str) -> bool:
        return name in self.tensor

    def scalar(self, name: str) -> float | None:
        v = self.const.get(name)
        if v is None or v.size != 1:
            return None
        return float(v.reshape(-1)[0])

    def run(self) -> ImportResult:
        self._find_patterns()
        for n in self.nodes:
            if id(n) in self.merged:
                continue
            ins = [i for i in n.input if i]
            if any(i in self.poisoned for i in ins):  # after an unmapped op: listed there already
                self.poisoned.update(n.output)
                continue
            if all(i in self.const for i in ins) or (n.op_type == "Shape" and ins and self.is_act(ins[0])):
                self._fold(n)
                continue
            handler = _HANDLERS.get(n.op_type)
            try:
                if handler is None:
                    raise _Skip()
                handler(self, n)
            except _Skip as s:
                self.b.unmapped(n.name or n.output[0], n.op_type, s.why)
                self.poisoned.update(n.output)  # keep walking: every unmapped op is listed at once
        self.b.check_mapped(self.source)
        if len(self.outputs) != 1 or not self.is_act(self.outputs[0]):
            raise ArchcalcError(f"{self.source}: the graph must have one output computed from the input")
        out = self.tensor[self.outputs[0]]
        spec = self.b.spec(
            self.net, self.net, f"imported from ONNX file {self.source}; {BN_NOTE}", out, self.width
        )
        self.b.check_shapes(spec)
        return ImportResult(spec=spec, ledger=self.b.ledger, source_params=self._param_count())

    def _param_count(self) -> int:
        used = {i for n in self.nodes for i in n.input if i in self.const}
        g = self.model.graph
        return sum(self.const.dims(t.name).size for t in g.initializer if t.name in used)  # type: ignore[union-attr]

    def _fold(self, n: Any) -> None:
        try:
            outs = _evaluate(self, n)
        except _Skip as s:
            self.b.unmapped(
                n.name or n.output[0], n.op_type, s.why or "a constant op archcalc cannot evaluate"
            )
            return
        for o, v in zip(n.output, outs, strict=False):
            self.const[o] = v
        self.b.note(n.name or n.output[0], n.op_type, "folded", "a constant (shape arithmetic or a weight)")

    # patterns -----------------------------------------------------------------------------

    def _find_patterns(self) -> None:
        """MatMul + Add(bias); x·sigmoid(x); the erf GELU: marked here, mapped at their last node."""
        for n in self.nodes:  # the patterns' constants (1, 0.5, √2) are Constant nodes
            if n.op_type == "Constant":
                with contextlib.suppress(_Skip):
                    self.const[n.output[0]] = _evaluate(self, n)[0]
        by_input: dict[str, list[Any]] = {}
        for n in self.nodes:
            for i in n.input:
                by_input.setdefault(i, []).append(n)
        for n in self.nodes:
            if n.op_type == "MatMul" and len(n.input) == 2 and n.input[1] in self.const:
                readers = by_input.get(n.output[0], [])
                if len(readers) == 1 and readers[0].op_type == "Add":
                    add = readers[0]
                    other = add.input[1] if add.input[0] == n.output[0] else add.input[0]
                    w = self.const.dims(n.input[1])
                    o = self.const.dims(other)
                    if w is not None and o is not None and o.shape in ((w.shape[-1],), (1, w.shape[-1])):
                        self.bias_of[n.output[0]] = other
                        self.merged.add(id(add))
                        self.mm_add[n.output[0]] = add
            if n.op_type == "Slice" and all(i in self.const for i in n.input[1:] if i):
                bounds = [self.const[i].reshape(-1) if i else None for i in list(n.input[1:4]) + [None] * 3][
                    :3
                ]
                if bounds[0] is not None and bounds[1] is not None and len(bounds[0]) == 1:
                    axis = int(bounds[2][0]) if bounds[2] is not None else 0
                    cut = (int(bounds[0][0]), int(bounds[1][0]))
                    self.cuts.setdefault((n.input[0], axis), []).append(cut)
            if n.op_type == "Sigmoid":
                readers = by_input.get(n.output[0], [])
                if len(readers) == 1 and readers[0].op_type == "Mul" and n.input[0] in readers[0].input:
                    mul = readers[0]
                    if sorted(mul.input) == sorted([n.input[0], n.output[0]]):
                        self.merged.add(id(n))
                        self.swish_at[id(mul)] = n.input[0]
            if n.op_type == "Erf":
                chain = self._gelu_chain(n, by_input)
                if chain is not None:
                    x, nodes = chain
                    for m in nodes[:-1]:
                        self.merged.add(id(m))
                    self.gelu_at[id(nodes[-1])] = (x, nodes)

    def _gelu_chain(self, erf: Any, by_input: dict[str, list[Any]]) -> tuple[str, list[Any]] | None:
        """Div(x, √2) | Mul(x, 1/√2) → Erf → Add 1 → Mul x → Mul 0.5 (or Mul 0.5 then Mul x)."""
        pre = self.producer.get(erf.input[0])
        if pre is None or pre.op_type not in ("Div", "Mul") or len(by_input.get(pre.output[0], [])) != 1:
            return None
        x, c = pre.input[0], self.scalar(pre.input[1])
        want = math.sqrt(2) if pre.op_type == "Div" else 1 / math.sqrt(2)
        if c is None or abs(c - want) > 1e-3:
            return None

        def single(t: str) -> Any:
            r = by_input.get(t, [])
            return r[0] if len(r) == 1 else None

        add = single(erf.output[0])
        if add is None or add.op_type != "Add":
            return None
        one = add.input[1] if add.input[0] == erf.output[0] else add.input[0]
        if self.scalar(one) != 1.0:
            return None
        m1 = single(add.output[0])
        if m1 is None or m1.op_type != "Mul":
            return None
        other = m1.input[1] if m1.input[0] == add.output[0] else m1.input[0]
        m2 = single(m1.output[0])
        if m2 is None or m2.op_type != "Mul":
            return None
        last_other = m2.input[1] if m2.input[0] == m1.output[0] else m2.input[0]
        if other == x and self.scalar(last_other) == 0.5:
            return x, [pre, erf, add, m1, m2]
        half = self.producer.get(other)  # (x·0.5)·(1 + erf): the 0.5 applied first
        if half is not None and half.op_type == "Mul" and x in half.input:
            k = half.input[1] if half.input[0] == x else half.input[0]
            if self.scalar(k) == 0.5 and len(by_input.get(half.output[0], [])) == 1:
                return None  # not the exporters' pattern; keep it general
        return None

    # rows ---------------------------------------------------------------------------------

    def emit(
        self, n: Any, kind: str, inputs: list[str], out_shape: tuple[int, ...], var: bool = False, **args: Any
    ) -> str:
        t = self.b.row(n.name or n.output[0], kind, [self.tensor[i] for i in inputs], out_shape, var, **args)
        self.tensor[n.output[0]] = t
        return t

    def alias(self, n: Any, src: str, why: str) -> None:
        self.tensor[n.output[0]] = self.tensor[src]
        self.b.note(n.name or n.output[0], n.op_type, "alias", why)


def _dims_text(dims: Any) -> str:
    return "×".join(str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?") for d in dims)


def _attrs(n: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


def _pads(a: dict[str, Any], n_sp: int = 2) -> tuple[int, int]:
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"", ""):
        raise _Skip(f"auto_pad={a['auto_pad']!r}")
    p = list(a.get("pads", [0] * (2 * n_sp)))
    if p[:n_sp] != p[n_sp:]:
        raise _Skip(f"asymmetric padding {p}")
    return (int(p[0]), int(p[1]))


def _two(v: Any, default: int) -> tuple[int, int]:
    v = list(v) if v is not None else [default, default]
    return (int(v[0]), int(v[1]))


# handlers ---------------------------------------------------------------------------------------


def _act_input(imp: _Importer, n: Any, i: int = 0) -> str:
    name = n.input[i]
    if not imp.is_act(name):
        raise _Skip("its input is not computed from the image")
    return name


def _conv(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    if n.input[1] not in imp.const:
        raise _Skip("a weight that is not a constant")
    w = imp.const.dims(n.input[1])
    if w is None or w.ndim != 4:
        raise _Skip(f"a {w.ndim - 2 if w else '?'}-d convolution")
    a = _attrs(n)
    k = (int(w.shape[2]), int(w.shape[3]))
    stride, dil, pad = _two(a.get("strides"), 1), _two(a.get("dilations"), 1), _pads(a)
    groups = int(a.get("group", 1))
    bias = len(n.input) > 2 and bool(n.input[2])
    in_ch = imp.shape(x)[0]
    out_ch = int(w.shape[0])
    op = Conv2d(in_ch, out_ch, k, stride, pad, dil, groups, bias)
    args = conv_args(out_ch, k, stride, pad, dil, groups, bias, in_channels=in_ch)
    imp.emit(n, "conv2d", [x], op.out_shape([imp.shape(x)]), True, **args)


def _conv_transpose(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    w = imp.const.dims(n.input[1])
    if w is None or w.ndim != 4:
        raise _Skip("a weight that is not a constant 4-d tensor")
    a = _attrs(n)
    if "output_shape" in a:
        raise _Skip("output_shape instead of pads")
    groups = int(a.get("group", 1))
    k = (int(w.shape[2]), int(w.shape[3]))
    stride, dil, pad = _two(a.get("strides"), 1), _two(a.get("dilations"), 1), _pads(a)
    opad = _two(a.get("output_padding"), 0)
    bias = len(n.input) > 2 and bool(n.input[2])
    out_ch = int(w.shape[1]) * groups
    op = ConvTranspose2d(imp.shape(x)[0], out_ch, k, stride, pad, opad, dil, groups, bias)
    args = conv_args(out_ch, k, stride, pad, dil, groups, bias, output_padding=opad)
    imp.emit(n, "conv_transpose2d", [x], op.out_shape([imp.shape(x)]), True, **args)


def _linear(imp: _Importer, n: Any, x: str, out_f: int, bias: bool) -> None:
    shape = imp.shape(x)
    imp.emit(
        n,
        "linear",
        [x],
        (*shape[:-1], out_f),
        True,
        out=out_f,
        bias=None if bias else False,
        tokens=len(shape) > 1 or None,
    )


def _gemm(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    a = _attrs(n)
    w = imp.const.dims(n.input[1])
    if w is None or a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0 or len(imp.shape(x)) != 1:
        raise _Skip("a Gemm that is not x·Wᵀ + b on a vector with a constant W")
    out_f = int(w.shape[0] if a.get("transB", 0) else w.shape[1])
    bias = len(n.input) > 2 and bool(n.input[2])
    if bias and float(a.get("beta", 1.0)) != 1.0:
        raise _Skip("beta ≠ 1")
    _linear(imp, n, x, out_f, bias)


def _matmul(imp: _Importer, n: Any) -> None:
    a_, b_ = n.input[0], n.input[1]
    w = imp.const.dims(b_)
    if imp.is_act(a_) and w is not None:
        if w.ndim != 2:
            raise _Skip("a matmul with a constant that is not a matrix")
        has_bias = n.output[0] in imp.bias_of
        _linear(imp, n, a_, int(w.shape[1]), has_bias)
        if has_bias:
            add = imp.mm_add[n.output[0]]
            imp.tensor[add.output[0]] = imp.tensor[n.output[0]]
            imp.b.note(
                add.name or add.output[0],
                "Add",
                "merged",
                f"the bias of {n.name or n.output[0]} (MatMul + Add = linear)",
            )
        return
    if imp.is_act(a_) and imp.is_act(b_):
        out = MatMul().out_shape([imp.shape(a_), imp.shape(b_)])
        imp.emit(n, "matmul", [a_, b_], out)
        return
    raise _Skip("a matmul with a constant first operand")


def _binary(imp: _Importer, n: Any) -> None:
    if id(n) in imp.swish_at:
        x = imp.swish_at[id(n)]
        imp.emit(n, "activation", [x], imp.shape(x), fn="swish")
        imp.b.note(
            n.name or n.output[0], "Sigmoid + Mul", "merged", "x·sigmoid(x): one swish (SiLU) activation"
        )
        return
    if id(n) in imp.gelu_at:
        x, nodes = imp.gelu_at[id(n)]
        imp.emit(n, "activation", [x], imp.shape(x), fn="gelu")
        ops = " → ".join(m.op_type for m in nodes)
        imp.b.note(n.name or n.output[0], ops, "merged", "x·(1 + erf(x/√2))/2: one GELU activation")
        return
    a_, b_ = n.input[0], n.input[1]
    op = n.op_type.lower()
    if imp.is_act(a_) and imp.is_act(b_):
        if op not in ("add", "mul"):
            raise _Skip(f"{n.op_type} of two activations")
        out = broadcast_shapes(imp.shape(a_), imp.shape(b_))
        if out is None:
            raise _Skip("operands that do not broadcast")
        imp.emit(n, op, [a_, b_], out)
        return
    x, c = (a_, b_) if imp.is_act(a_) else (b_, a_)
    v = imp.scalar(c)
    if v is None:
        if op not in ("add", "mul"):
            raise _Skip(f"{n.op_type} with a constant tensor of shape {list(imp.const.dims(c).shape)}")  # type: ignore[union-attr]
        shape = imp.const.dims(c).shape  # type: ignore[union-attr]
        rank = len(imp.shape(x))
        if len(shape) == rank + 1 and shape[0] == 1:
            shape = shape[1:]
        elif len(shape) > rank:
            raise _Skip(f"a constant of shape {list(shape)} that does not broadcast over the batch")
        out = broadcast_shapes(imp.shape(x), shape)
        if out is None or out != imp.shape(x):
            raise _Skip(f"a constant of shape {list(shape)} that does not broadcast onto the activation")
        name = imp.b.row(identifier(c, "parameter"), "parameter", [], shape, shape=list(shape))
        imp.tensor[c] = name
        imp.b.note(
            n.name or n.output[0], n.op_type, "merged", f"initializer {c}: a learnt tensor read as data"
        )
        imp.emit(n, op, [x, c], out)
        del imp.tensor[c]
        return
    if x == b_ and op in ("sub", "div"):
        raise _Skip(f"a constant {op} an activation")
    imp.emit(n, "scalar", [x], imp.shape(x), op=op, value=v)


def _activation(fn: str) -> Callable[[_Importer, Any], None]:
    def run(imp: _Importer, n: Any) -> None:
        x = _act_input(imp, n)
        imp.emit(n, "activation", [x], imp.shape(x), fn=fn)

    return run


def _clip(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    a = _attrs(n)
    lo = imp.scalar(n.input[1]) if len(n.input) > 1 and n.input[1] else a.get("min")
    hi = imp.scalar(n.input[2]) if len(n.input) > 2 and n.input[2] else a.get("max")
    if lo == 0.0 and hi == 6.0:
        imp.emit(n, "activation", [x], imp.shape(x), fn="relu6")
    elif lo == 0.0 and hi is None:
        imp.emit(n, "activation", [x], imp.shape(x), fn="relu")
    else:
        raise _Skip(f"Clip({lo}, {hi}) is not ReLU6")


def _hardsigmoid(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    a = _attrs(n)
    if abs(float(a.get("alpha", 0.2)) - 1 / 6) > 1e-6 or abs(float(a.get("beta", 0.5)) - 0.5) > 1e-6:
        raise _Skip("HardSigmoid with other than alpha = 1/6, beta = 1/2")
    imp.emit(n, "activation", [x], imp.shape(x), fn="hsigmoid")


def _gelu(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    approx = _attrs(n).get("approximate", b"none")
    fn = "gelu_tanh" if approx in (b"tanh", "tanh") else "gelu"
    imp.emit(n, "activation", [x], imp.shape(x), fn=fn)


def _softmax(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    axis = int(_attrs(n).get("axis", -1))
    rank = len(imp.shape(x)) + 1
    if axis % rank != rank - 1 and imp.model.opset_import and _opset(imp) < 13:
        raise _Skip("a softmax over several axes (opset < 13)")
    if axis % rank == 0:
        raise _Skip("a softmax over the batch")
    imp.emit(n, "softmax", [x], imp.shape(x), dim=axis - 1 if axis > 0 else axis)


def _opset(imp: _Importer) -> int:
    for o in imp.model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return int(o.version)
    return 0


def _batchnorm(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    if len(imp.shape(x)) != 3:
        raise _Skip("batch norm of a tensor that is not a map")
    imp.emit(n, "batchnorm2d", [x], imp.shape(x))


def _layernorm(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    shape = imp.shape(x)
    axis = int(_attrs(n).get("axis", -1))
    rank = len(shape) + 1
    dims = rank - axis % rank
    if dims > len(shape):
        raise _Skip("a layer norm over the batch")
    bias = len(n.input) > 2 and bool(n.input[2])
    imp.emit(n, "layernorm", [x], shape, dims=None if dims == 1 else dims, bias=None if bias else False)


def _pool(op: str) -> Callable[[_Importer, Any], None]:
    def run(imp: _Importer, n: Any) -> None:
        x = _act_input(imp, n)
        a = _attrs(n)
        k = _two(a.get("kernel_shape"), 1)
        s = _two(a.get("strides"), 1)
        p = _pads(a)
        if list(a.get("dilations", [1, 1])) != [1, 1] or k[0] != k[1] or s[0] != s[1] or p[0] != p[1]:
            raise _Skip("a non-square or dilated pooling window")
        ceil = bool(a.get("ceil_mode", 0))
        out = Pool2d(op, k[0], s[0], p[0], ceil).out_shape([imp.shape(x)])
        imp.emit(
            n,
            "pool",
            [x],
            out,
            op=op,
            k=k[0],
            stride=None if s[0] == k[0] else s[0],
            padding=p[0] or None,
            ceil_mode=ceil or None,
        )

    return run


def _global_pool(op: str) -> Callable[[_Importer, Any], None]:
    def run(imp: _Importer, n: Any) -> None:
        x = _act_input(imp, n)
        c = imp.shape(x)[0]
        imp.emit(n, "global_pool", [x], (c, 1, 1), op=None if op == "avg" else op)

    return run


def _axes(imp: _Importer, n: Any, index: int = 1) -> list[int] | None:
    a = _attrs(n)
    if "axes" in a:
        return [int(v) for v in a["axes"]]
    if len(n.input) > index and n.input[index]:
        if n.input[index] not in imp.const:
            raise _Skip("axes that are not constant")
        return [int(v) for v in imp.const[n.input[index]].reshape(-1)]
    return None


def _reduce_mean(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    shape = imp.shape(x)
    rank = len(shape) + 1
    axes = _axes(imp, n)
    if axes is None or any(a % rank == 0 for a in axes):
        raise _Skip("a mean over the batch")
    keep = bool(_attrs(n).get("keepdims", 1))
    dims = sorted(a % rank - 1 for a in axes)
    out = (
        tuple(1 if i in dims else d for i, d in enumerate(shape))
        if keep
        else tuple(d for i, d in enumerate(shape) if i not in dims)
    )
    imp.emit(n, "mean", [x], out, dims=dims, keepdim=keep or None)


def _resize(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    a = _attrs(n)
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = a.get("coordinate_transformation_mode", b"half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    up_mode = {"nearest": "nearest", "linear": "bilinear", "cubic": "bicubic"}.get(mode)
    if up_mode is None:
        raise _Skip(f"resize mode {mode}")
    shape = imp.shape(x)
    if len(shape) != 3:
        raise _Skip("a resize of a tensor that is not a map")
    scales = imp.const.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
    sizes = imp.const.get(n.input[3]) if len(n.input) > 3 and n.input[3] else None
    if (len(n.input) > 2 and n.input[2] and scales is None) or (
        len(n.input) > 3 and n.input[3] and sizes is None
    ):
        raise _Skip("scales or sizes that are not constant")
    args: dict[str, Any] = {"mode": None if up_mode == "nearest" else up_mode}
    if up_mode != "nearest":
        args["align_corners"] = ctm == "align_corners"
    if sizes is not None and sizes.size:
        s = [int(v) for v in sizes.reshape(-1)]
        if s[:2] != [imp.batch, shape[0]] and s[1] != shape[0]:
            raise _Skip("a resize of the batch or channels")
        hw = (s[2], s[3])
        op = Upsample(up_mode, None, hw)
        args["size"] = hw[0] if hw[0] == hw[1] else list(hw)
    elif scales is not None and scales.size:
        sc = [float(v) for v in scales.reshape(-1)]
        if sc[:2] != [1.0, 1.0]:
            raise _Skip("a resize of the batch or channels")
        op = Upsample(up_mode, (sc[2], sc[3]), None)
        args["scale"] = sc[2] if sc[2] == sc[3] else [sc[2], sc[3]]
    else:
        raise _Skip("a resize without scales or sizes")
    imp.emit(n, "upsample", [x], op.out_shape([shape]), **args)


def _concat(imp: _Importer, n: Any) -> None:
    ins = [i for i in n.input if i]
    if not all(imp.is_act(i) for i in ins):
        raise _Skip("a concat with a constant")
    axis = int(_attrs(n)["axis"])
    rank = len(imp.shape(ins[0])) + 1
    if axis % rank == 0:
        raise _Skip("a concat along the batch")
    d = axis % rank - 1
    if len(ins) == 1:
        imp.alias(n, ins[0], "a concat of one tensor")
        return
    shapes = [imp.shape(i) for i in ins]
    out = list(shapes[0])
    out[d] = sum(s[d] for s in shapes)
    imp.emit(n, "concat", ins, tuple(out), dim=None if d == 0 else d)


def _split_rows(imp: _Importer, n: Any, x: str, d: int, sizes: list[int]) -> list[str]:
    """``x`` cut along dimension ``d`` (batch excluded) into parts of ``sizes``: one split row (the
    same one again for another slice of the same cut); the parts' tensor names."""
    shape = imp.shape(x)
    outs = [tuple(s if i == d else side for i, side in enumerate(shape)) for s in sizes]
    return imp.b.split(n.name or n.output[0], imp.tensor[x], d, sizes, outs)


def _split(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    shape = imp.shape(x)
    a = _attrs(n)
    rank = len(shape) + 1
    axis = int(a.get("axis", 0)) % rank
    if axis == 0:
        raise _Skip("a split of the batch")
    d = axis - 1
    if "split" in a:
        sizes = [int(v) for v in a["split"]]
    elif len(n.input) > 1 and n.input[1]:
        if n.input[1] not in imp.const:
            raise _Skip("split sizes that are not constant")
        sizes = [int(v) for v in imp.const[n.input[1]].reshape(-1)]
    else:
        k = int(a.get("num_outputs", len(n.output)))
        step = -(-shape[d] // k)
        sizes = [min(step, shape[d] - i) for i in range(0, shape[d], step)]
    parts = _split_rows(imp, n, x, d, sizes)
    for o, p in zip(n.output, parts, strict=True):
        imp.tensor[o] = p


def _slice(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    shape = imp.shape(x)
    vals = []
    for i in range(1, 5):
        if len(n.input) > i and n.input[i]:
            if n.input[i] not in imp.const:
                raise _Skip("slice bounds that are not constant")
            vals.append([int(v) for v in imp.const[n.input[i]].reshape(-1)])
        else:
            vals.append(None)
    starts, ends, axes, steps = vals
    if starts is None or ends is None or len(starts) != 1:
        raise _Skip("a slice along several axes")
    rank = len(shape) + 1
    axis = (axes or [0])[0] % rank
    if (steps or [1])[0] != 1 or axis == 0:
        raise _Skip("a strided slice or a slice of the batch")
    d = axis - 1
    size = shape[d]
    start, stop, _ = slice(starts[0], ends[0]).indices(size)
    if (start, stop) == (0, size):
        imp.alias(n, x, "a slice of everything")
        return
    # every slice of this tensor along this axis cuts it: one split at all the cuts (a chunk
    # written as several Slice nodes), when this slice is one of its parts
    cuts = imp.cuts.get((x, (axes or [0])[0]), [])
    edges = sorted({0, size} | {v for a, b in cuts for v in slice(a, b).indices(size)[:2]})
    if start in edges and stop in edges and edges.index(stop) == edges.index(start) + 1:
        sizes = [b - a for a, b in itertools.pairwise(edges) if b > a]
        part = edges.index(start)
    else:
        sizes = [p for p in (start, stop - start, size - stop) if p > 0]
        part = 1 if start > 0 else 0
    imp.tensor[n.output[0]] = _split_rows(imp, n, x, d, sizes)[part]
    imp.b.note(
        n.name or n.output[0], "Slice", "merged", f"[{start}:{stop}] along dim {d}: one part of a split"
    )


def _reshape_to(imp: _Importer, n: Any, x: str, out: tuple[int, ...]) -> None:
    src = imp.shape(x)
    if src == out:
        imp.alias(n, x, "a reshape to the same shape")
        return
    numel = math.prod(src)
    if math.prod(out) != numel:
        raise _Skip("a reshape that mixes the batch into other dimensions")
    for s in range(len(src) - 1):
        if out == (*src[:s], math.prod(src[s:])):
            spatial = list(src[1:]) if s == 0 and len(src) == 3 and src[1:] != (1, 1) else None
            imp.emit(n, "flatten", [x], out, start=s or None, spatial=spatial)
            return
    not_one = [i for i, d in enumerate(out) if d != 1]
    if len(not_one) == 1:
        shape = [-1 if i == not_one[0] else 1 for i in range(len(out))]
        imp.emit(n, "reshape", [x], out, shape=shape, alpha_safe=True)
        return
    imp.emit(n, "reshape", [x], out, shape=list(out))


def _reshape(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    if n.input[1] not in imp.const:
        raise _Skip("a target shape that is not constant")
    target = [int(v) for v in imp.const[n.input[1]].reshape(-1)]
    full = (imp.batch, *imp.shape(x))
    allow_zero = bool(_attrs(n).get("allowzero", 0))
    dims = [full[i] if v == 0 and not allow_zero else v for i, v in enumerate(target)]
    if dims.count(-1) == 1:
        known = math.prod(d for d in dims if d != -1)
        dims[dims.index(-1)] = math.prod(full) // known
    if not dims or dims[0] != imp.batch or math.prod(dims) != math.prod(full):
        raise _Skip(f"a reshape to {target} that moves the batch")
    _reshape_to(imp, n, x, tuple(dims[1:]))


def _flatten(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    axis = int(_attrs(n).get("axis", 1))
    shape = imp.shape(x)
    if axis != 1:
        raise _Skip(f"Flatten(axis={axis})")
    _reshape_to(imp, n, x, (math.prod(shape),))


def _squeeze(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    shape = imp.shape(x)
    rank = len(shape) + 1
    axes = _axes(imp, n)
    if axes is None:
        axes = [i + 1 for i, d in enumerate(shape) if d == 1]
    ax = {a % rank for a in axes}
    if 0 in ax:
        raise _Skip("a squeeze of the batch")
    out = tuple(d for i, d in enumerate(shape) if i + 1 not in ax)
    _reshape_to(imp, n, x, out)


def _unsqueeze(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    shape = list(imp.shape(x))
    axes = _axes(imp, n)
    if axes is None:
        raise _Skip("unsqueeze without axes")
    rank = len(shape) + 1 + len(axes)
    full = [imp.batch, *shape]
    for a in sorted(v % rank for v in axes):
        if a == 0:
            raise _Skip("an unsqueeze before the batch")
        full.insert(a, 1)
    _reshape_to(imp, n, x, tuple(full[1:]))


def _transpose(imp: _Importer, n: Any) -> None:
    x = _act_input(imp, n)
    shape = imp.shape(x)
    perm = [int(v) for v in _attrs(n).get("perm", list(range(len(shape), -1, -1)))]
    if perm[0] != 0:
        raise _Skip("a transpose that moves the batch")
    p = [v - 1 for v in perm[1:]]
    if p == list(range(len(shape))):
        imp.alias(n, x, "the identity permutation")
        return
    imp.emit(n, "transpose", [x], tuple(shape[i] for i in p), perm=p)


def _identity(imp: _Importer, n: Any) -> None:
    imp.alias(n, _act_input(imp, n), "Identity: passes its input through")


def _dropout(imp: _Importer, n: Any) -> None:
    imp.alias(n, _act_input(imp, n), "dropout: the identity at inference")


_HANDLERS: dict[str, Callable[[_Importer, Any], None]] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _binary,
    "Mul": _binary,
    "Sub": _binary,
    "Div": _binary,
    "Relu": _activation("relu"),
    "Sigmoid": _activation("sigmoid"),
    "Tanh": _activation("tanh"),
    "HardSwish": _activation("hswish"),
    "HardSigmoid": _hardsigmoid,
    "Clip": _clip,
    "Gelu": _gelu,
    "Softmax": _softmax,
    "BatchNormalization": _batchnorm,
    "LayerNormalization": _layernorm,
    "MaxPool": _pool("max"),
    "AveragePool": _pool("avg"),
    "GlobalAveragePool": _global_pool("avg"),
    "GlobalMaxPool": _global_pool("max"),
    "ReduceMean": _reduce_mean,
    "Resize": _resize,
    "Upsample": _resize,
    "Concat": _concat,
    "Split": _split,
    "Slice": _slice,
    "Reshape": _reshape,
    "Flatten": _flatten,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Transpose": _transpose,
    "Identity": _identity,
    "Dropout": _dropout,
}


# constant evaluation ----------------------------------------------------------------------------


def _evaluate(imp: _Importer, n: Any) -> list[Any]:
    """The outputs of a node whose inputs are all constants (or a Shape of an activation)."""
    np = imp.np
    from onnx import numpy_helper

    a = _attrs(n)
    op = n.op_type
    ins = [imp.const[i] if i else None for i in n.input] if op != "Shape" else []
    if op == "Constant":
        if "value" in a:
            return [numpy_helper.to_array(a["value"])]
        for k in ("value_float", "value_int"):
            if k in a:
                return [np.array(a[k])]
        for k in ("value_floats", "value_ints"):
            if k in a:
                return [np.array(list(a[k]))]
        raise _Skip("a Constant of an unsupported kind")
    if op == "Shape":
        full = np.array([imp.batch, *imp.shape(n.input[0])], dtype=np.int64)
        start, end = int(a.get("start", 0)), a.get("end")
        return [full[start : None if end is None else int(end)]]
    x = ins[0]
    if op == "Identity":
        return [x]
    if op == "Gather":
        return [np.take(x, ins[1], axis=int(a.get("axis", 0)))]
    if op == "Unsqueeze":
        axes = [int(v) for v in (a["axes"] if "axes" in a else ins[1].reshape(-1))]
        out = x
        for ax in sorted(v % (x.ndim + len(axes)) for v in axes):
            out = np.expand_dims(out, ax)
        return [out]
    if op == "Squeeze":
        axes = a.get("axes") or (list(ins[1].reshape(-1)) if len(ins) > 1 and ins[1] is not None else None)
        return [np.squeeze(x, axis=tuple(int(v) for v in axes) if axes is not None else None)]
    if op == "Concat":
        return [np.concatenate([np.atleast_1d(v) for v in ins], axis=int(a["axis"]))]
    if op == "Slice":
        starts, ends = ins[1].reshape(-1), ins[2].reshape(-1)
        axes = ins[3].reshape(-1) if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = ins[4].reshape(-1) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        idx = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps, strict=False):
            idx[int(ax)] = slice(int(s), int(e), int(st))
        return [x[tuple(idx)]]
    if op == "Cast":
        from onnx import helper

        return [x.astype(helper.tensor_dtype_to_np_dtype(int(a["to"])))]
    if op in ("Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "Max", "Min", "Mod"):
        y = ins[1]
        if op == "Div" and np.issubdtype(x.dtype, np.integer):
            return [np.trunc(x / y).astype(x.dtype)]
        fn = {
            "Add": np.add,
            "Sub": np.subtract,
            "Mul": np.multiply,
            "Div": np.divide,
            "Pow": np.power,
            "Equal": np.equal,
            "Less": np.less,
            "Greater": np.greater,
            "Max": np.maximum,
            "Min": np.minimum,
            "Mod": np.mod,
        }[op]
        return [fn(x, y)]
    if op in ("Floor", "Ceil", "Sqrt", "Neg", "Abs", "Reciprocal", "Not"):
        fn = {
            "Floor": np.floor,
            "Ceil": np.ceil,
            "Sqrt": np.sqrt,
            "Neg": np.negative,
            "Abs": np.abs,
            "Reciprocal": np.reciprocal,
            "Not": np.logical_not,
        }[op]
        return [fn(x)]
    if op == "Where":
        return [np.where(ins[0], ins[1], ins[2])]
    if op == "ConstantOfShape":
        value = numpy_helper.to_array(a["value"]).reshape(-1)[0] if "value" in a else np.float32(0)
        return [np.full([int(v) for v in x.reshape(-1)], value)]
    if op == "Range":
        return [np.arange(x.reshape(-1)[0], ins[1].reshape(-1)[0], ins[2].reshape(-1)[0])]
    if op == "Reshape":
        shape = [int(v) for v in ins[1].reshape(-1)]
        shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Transpose":
        perm = a.get("perm")
        return [np.transpose(x, perm)]
    if op == "Expand":
        return [x * np.ones([int(v) for v in ins[1].reshape(-1)], dtype=x.dtype)]
    raise _Skip(f"a constant {op} (not evaluated)")
