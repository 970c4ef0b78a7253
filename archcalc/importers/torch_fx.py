"""``import_torch``: a ``torch.nn.Module`` → a spec, by torch.fx symbolic tracing.

The module is traced (``torch.fx.symbolic_trace``), then run once on a random input of the given
shape (batch 2, so that a layer that mixes the batch into other dimensions shows) with every
node's value recorded. Each node is mapped to one primitive row: modules by their type
(``nn.Conv2d`` → ``conv2d`` …), functions and methods by their target (``F.relu6``,
``torch.cat``, ``x + y``, ``x * s``, ``x.mean((2, 3), keepdim=True)``, ``chunk``, ``view`` /
``transpose`` / ``reshape``, ``F.interpolate``, ``@``, ``torch.softmax`` …). Shape arithmetic
(``x.size()``, ``x.shape[-2:]``, ``c // g``), ``contiguous``, identity and dropout cost nothing and
go to the ledger. Anything else is an error naming every unmapped node at once.

Where fx cannot trace (data-dependent control flow), ``torch.export`` is tried, and its ATen
graph is mapped the same way (:mod:`archcalc.importers.torch_export`).

Parameters are counted per use, from each layer's shape: a module called twice counts twice
(torch's ``sum(p.numel())`` counts it once; the ledger says so).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from archcalc.errors import ArchcalcError, require
from archcalc.importers.rows import ImportResult, RowBuilder, conv_args, identifier
from archcalc.model.graph import INPUT

BATCH = 2


def _require_torch() -> None:
    require(("torch",), "importing a torch module", "validate")


def _check_input_shape(input_shape: object) -> tuple[int, int, int]:
    if (
        not isinstance(input_shape, tuple | list)
        or len(input_shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in input_shape)
    ):
        raise ArchcalcError(f"input_shape must be (channels, height, width), got {input_shape!r}")
    c, h, w = input_shape
    return (c, h, w)


def trace_module(
    module: Any,
    input_shape: tuple[int, int, int] | list[int],
    *,
    name: str | None = None,
    width: str = "truncate",
) -> ImportResult:
    """Trace ``module`` on a (C, H, W) input and map it to a spec (with the import ledger)."""
    _require_torch()
    import torch
    from torch import nn

    if not isinstance(module, nn.Module):
        raise ArchcalcError(f"expected a torch.nn.Module, got {type(module).__name__}")
    shape = _check_input_shape(input_shape)
    title = type(module).__name__
    net = name or identifier(title, "model").lower()
    was_training = module.training
    module.eval()
    try:
        x = torch.randn(BATCH, *shape)
        try:
            import torch.fx as fx

            gm = fx.symbolic_trace(module)
        except Exception as e:  # fx cannot trace: control flow on shapes, unsupported Python
            gm, how = _export(module, x, net, e), "torch.export"
        else:
            how = "torch.fx"
        b = RowBuilder(shape)
        output = _map(gm, x, b)
    finally:
        module.train(was_training)
    b.check_mapped(net)
    spec = b.spec(net, title, f"imported from torch module {title} ({how})", output, width)
    b.check_shapes(spec)
    params = sum(p.numel() for p in module.parameters())
    return ImportResult(spec=spec, ledger=b.ledger, source_params=params)


def _export(module: Any, x: Any, net: str, fx_error: Exception) -> Any:
    """The module's ATen graph by ``torch.export`` (where fx cannot trace), as a GraphModule whose
    parameters are attributes; its ops map through the same table (``aten.conv2d`` → conv2d …)."""
    import torch

    try:
        ep = torch.export.export(module, (x,), strict=False)
    except Exception as e:
        why = [
            str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            for err in (fx_error, e)
        ]
        raise ArchcalcError(
            f"{net}: neither torch.fx ({why[0]}) nor torch.export ({why[1]}) can trace this module"
        ) from None
    return ep.module()


class _Value:
    """What an fx node evaluates to, for the importer: a tensor (its spec name), several tensors
    (a split's parts), or a plain Python value (shape arithmetic, constants)."""

    __slots__ = ("parts", "tensor", "value")

    def __init__(self, tensor: str | None = None, parts: list[str] | None = None, value: Any = None) -> None:
        self.tensor, self.parts, self.value = tensor, parts, value


def _record(gm: Any, x: Any) -> dict[Any, Any]:
    """Run the traced module once, keeping every node's result."""
    import torch
    import torch.fx as fx

    results: dict[Any, Any] = {}

    class Recorder(fx.Interpreter):
        def run_node(self, n: Any) -> Any:
            out = super().run_node(n)
            results[n] = out
            return out

    with torch.no_grad():
        Recorder(gm).run(x)
    return results


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in t.shape[1:])


def _map(gm: Any, x: Any, b: RowBuilder) -> str:
    import torch

    try:
        results = _record(gm, x)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ArchcalcError(
            f"the traced module could not be run on a {tuple(x.shape)} input: {first}"
        ) from None
    try:  # a second run at twice the sides shows which sizes follow the resolution (for reshapes)
        results2 = _record(gm, torch.randn(x.shape[0], x.shape[1], 2 * x.shape[2], 2 * x.shape[3]))
    except Exception:
        results2 = {}
    env: dict[Any, _Value] = {}
    modules = dict(gm.named_modules())
    output = INPUT
    for n in gm.graph.nodes:
        res = results.get(n)
        if n.op == "placeholder":
            if any(v.tensor == INPUT for v in env.values()):
                b.unmapped(n.name, "placeholder", "a second input: only one image input is supported")
            env[n] = _Value(tensor=INPUT)
            continue
        if n.op == "output":
            out = n.args[0]
            if isinstance(out, tuple | list) and len(out) == 1:  # torch.export returns a tuple
                out = out[0]
            v = env.get(out) if not isinstance(out, tuple | list) else None
            if v is None or v.tensor is None:
                b.unmapped(n.name, "output", "the module must return one tensor")
            else:
                output = v.tensor
            continue
        if n.op == "get_attr":
            env[n] = _Value(value=res)
            if isinstance(res, torch.Tensor):
                # a parameter or buffer used as data: mapped only if what reads it needs no weights
                env[n] = _Value(value=res)
            continue
        if isinstance(res, torch.Tensor) and res.dim() >= 1 and res.shape[0] != BATCH:
            b.unmapped(n.name, _target_name(n, modules), "its output mixes the batch into another dimension")
            env[n] = _Value(tensor=INPUT)
            continue
        try:
            env[n] = _Mapper(b, env, modules, n, res, results2.get(n)).map()
        except _Unmapped as u:
            b.unmapped(n.name, _target_name(n, modules), u.why)
            env[n] = _Value(tensor=INPUT if isinstance(res, torch.Tensor) else None, value=res)
    return output


def _target_name(n: Any, modules: dict[str, Any]) -> str:
    if n.op == "call_module":
        return f"{type(modules[n.target]).__module__.split('.')[0]}.{type(modules[n.target]).__name__}"
    if n.op == "call_method":
        return f"Tensor.{n.target}"
    t = n.target
    mod = getattr(t, "__module__", None) or ""
    return f"{mod + '.' if mod and mod != '_operator' else ''}{getattr(t, '__name__', str(t))}"


class _Unmapped(Exception):
    def __init__(self, why: str = "") -> None:
        super().__init__(why)
        self.why = why


_ACT_MODULES = {
    "ReLU": "relu",
    "ReLU6": "relu6",
    "Hardswish": "hswish",
    "Hardsigmoid": "hsigmoid",
    "Sigmoid": "sigmoid",
    "SiLU": "swish",
    "Tanh": "tanh",
}


class _Mapper:
    """Maps one fx node (see the module docstring)."""

    def __init__(
        self, b: RowBuilder, env: dict[Any, _Value], modules: dict[str, Any], n: Any, res: Any, res2: Any
    ) -> None:
        self.b, self.env, self.modules, self.n, self.res = b, env, modules, n, res
        self.res2 = res2  # the node's value at twice the input sides (None: unknown)

    # helpers --------------------------------------------------------------------------------

    def arg(self, i: int, key: str, default: Any = None) -> Any:
        """The node's argument ``i`` (or keyword ``key``), evaluated: tensors as _Value, the rest
        as values."""
        if i < len(self.n.args):
            a = self.n.args[i]
        elif key in self.n.kwargs:
            a = self.n.kwargs[key]
        else:
            return default
        return self.value(a)

    def value(self, a: Any) -> Any:
        import torch.fx as fx

        if isinstance(a, fx.Node):
            v = self.env[a]
            return v if (v.tensor is not None or v.parts is not None) else v.value
        if isinstance(a, tuple | list):
            return type(a)(self.value(x) for x in a)
        return a

    def tensor(self, i: int, key: str = "input") -> str:
        v = self.arg(i, key)
        if not isinstance(v, _Value) or v.tensor is None:
            raise _Unmapped("its input is not a tensor archcalc tracks")
        return v.tensor

    def out(self) -> tuple[int, ...]:
        return _shape(self.res)

    def row(self, kind: str, inputs: list[str], var: bool = False, **args: Any) -> _Value:
        name = self.n.target if self.n.op == "call_module" else self.n.name
        return _Value(tensor=self.b.row(str(name), kind, inputs, self.out(), var, **args))

    def alias(self, src: str, why: str) -> _Value:
        self.b.note(self.n.name, _target_name(self.n, self.modules), "alias", why)
        return _Value(tensor=src)

    def fold(self, why: str = "shape arithmetic") -> _Value:
        self.b.note(self.n.name, _target_name(self.n, self.modules), "folded", why)
        return _Value(value=self.res)

    # dispatch --------------------------------------------------------------------------------

    def map(self) -> _Value:
        import torch

        n = self.n
        if n.op == "call_module" and self.res is None:  # torch.export's input guards
            return self.fold("a check on the input (torch.export's guards)")
        if n.op == "call_module":
            return self.module(self.modules[n.target])
        if not isinstance(self.res, torch.Tensor) and not (
            isinstance(self.res, tuple | list)
            and self.res
            and all(isinstance(r, torch.Tensor) for r in self.res)
        ):
            return self.fold()
        name = n.target if n.op == "call_method" else _fn_name(n.target)
        fn = _FUNCTIONS.get(name) if n.op == "call_method" or _is_torch_fn(n.target) else None
        if fn is None:
            raise _Unmapped()
        return fn(self)

    def module(self, m: Any) -> _Value:
        from torch import nn

        x = self.tensor(0)
        t = type(m).__name__
        if isinstance(m, nn.Conv2d):
            return self.conv(x, m)
        if isinstance(m, nn.ConvTranspose2d):
            return self.conv_transpose(x, m)
        if isinstance(m, nn.Linear):
            return self.row(
                "linear",
                [x],
                True,
                out=m.out_features,
                bias=m.bias is not None,
                tokens=len(self.b.shapes[x]) > 1 or None,
            )
        if isinstance(m, nn.BatchNorm2d):
            return self.row("batchnorm2d", [x], affine=None if m.affine else False)
        if isinstance(m, nn.LayerNorm):
            return self.row(
                "layernorm",
                [x],
                dims=len(m.normalized_shape) if len(m.normalized_shape) != 1 else None,
                affine=None if m.elementwise_affine else False,
                bias=None if (m.bias is not None or not m.elementwise_affine) else False,
            )
        if t in _ACT_MODULES:
            return self.row("activation", [x], fn=_ACT_MODULES[t])
        if isinstance(m, nn.GELU):
            return self.row("activation", [x], fn="gelu_tanh" if m.approximate == "tanh" else "gelu")
        if isinstance(m, nn.Hardtanh) and (m.min_val, m.max_val) == (0.0, 6.0):
            return self.row("activation", [x], fn="relu6")
        if isinstance(m, nn.Softmax):
            return self.softmax(x, m.dim)
        if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
            op = "max" if isinstance(m, nn.MaxPool2d) else "avg"
            dil = getattr(m, "dilation", 1)
            return self.pool(x, op, m.kernel_size, m.stride, m.padding, m.ceil_mode, dil)
        if isinstance(m, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
            return self.adaptive(x, "avg" if isinstance(m, nn.AdaptiveAvgPool2d) else "max", m.output_size)
        if isinstance(m, nn.Upsample):
            return self.upsample(x, m.size, m.scale_factor, m.mode, m.align_corners)
        if isinstance(m, nn.Flatten):
            return self.flatten(x, m.start_dim, m.end_dim)
        if isinstance(m, nn.Dropout | nn.Dropout2d | nn.Dropout1d | nn.AlphaDropout):
            return self.alias(x, "dropout: the identity at inference")
        if isinstance(m, nn.Identity):
            return self.alias(x, "identity")
        if isinstance(m, nn.ChannelShuffle):
            return self.row("shuffle", [x], groups=m.groups)
        raise _Unmapped(f"no mapping for module {t}")

    # layers ----------------------------------------------------------------------------------

    def conv(self, x: str, m: Any) -> _Value:
        if m.padding_mode != "zeros" and m.padding_mode:
            pass  # the padding mode changes values, not counts or shapes
        in_ch = self.b.shapes[x][0]
        pad = m.padding
        if isinstance(pad, str):
            if pad == "valid":
                pad = (0, 0)
            else:  # "same" with stride 1: torch pads d·(k−1) in total, the extra pixel at the end
                totals = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size, strict=True)]
                if any(t % 2 for t in totals):
                    raise _Unmapped("padding='same' with an even kernel pads one side more")
                pad = tuple(t // 2 for t in totals)
        has_bias = m.bias is not None
        args = conv_args(
            m.out_channels, m.kernel_size, m.stride, pad, m.dilation, m.groups, has_bias, in_channels=in_ch
        )
        return self.row("conv2d", [x], True, **args)

    def conv_transpose(self, x: str, m: Any) -> _Value:
        if isinstance(m.padding, str):
            raise _Unmapped("string padding on a transposed conv")
        args = conv_args(
            *(m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups, m.bias is not None),
            output_padding=m.output_padding,
        )
        return self.row("conv_transpose2d", [x], True, **args)

    def softmax(self, x: str, dim: int | None) -> _Value:
        if dim is None:
            raise _Unmapped("softmax without a dim")
        return self.row("softmax", [x], dim=_dim(dim))

    def pool(self, x: str, op: str, k: Any, stride: Any, pad: Any, ceil: bool, dil: Any = 1) -> _Value:
        k, s, p, d = _square(k), _square(stride if stride else k), _square(pad), _square(dil)
        if None in (k, s, p) or d != 1:
            raise _Unmapped("a non-square or dilated pooling window")
        return self.row(
            "pool", [x], op=op, k=k, stride=None if s == k else s, padding=p or None, ceil_mode=ceil or None
        )

    def adaptive(self, x: str, op: str, size: Any) -> _Value:
        o = _square(size)
        if o is None:
            raise _Unmapped("a non-square adaptive pooling output")
        if o == 1:
            return self.row("global_pool", [x], op=None if op == "avg" else op)
        return self.row("adaptive_pool", [x], op=None if op == "avg" else op, output=o)

    def upsample(self, x: str, size: Any, scale: Any, mode: str, align: Any) -> _Value:
        if mode not in ("nearest", "bilinear", "bicubic"):
            raise _Unmapped(f"upsample mode {mode!r}")
        args: dict[str, Any] = {"mode": None if mode == "nearest" else mode}
        if mode != "nearest" and align is not None:
            args["align_corners"] = bool(align)
        if scale is not None:
            sc = (scale, scale) if not isinstance(scale, tuple | list) else tuple(scale)
            args["scale"] = float(sc[0]) if sc[0] == sc[1] else [float(sc[0]), float(sc[1])]
        elif size is not None:
            sz = (size, size) if isinstance(size, int) else tuple(int(v) for v in size)
            args["size"] = sz[0] if sz[0] == sz[1] else list(sz)
        else:
            raise _Unmapped("interpolate without size or scale_factor")
        return self.row("upsample", [x], **args)

    def flatten(self, x: str, start: int, end: int) -> _Value:
        shape = self.b.shapes[x]
        n = len(shape) + 1
        s, e = start % n, end % n
        if s == 0:
            raise _Unmapped("flatten into the batch dimension")
        return self.flat_rows(x, s - 1, e - 1)

    def flat_rows(self, x: str, s: int, e: int) -> _Value:
        shape = self.b.shapes[x]
        if s == e:
            return self.alias(x, "flatten of one dimension: a view")
        spatial = list(shape[1:]) if s == 0 and len(shape) == 3 and shape[1:] != (1, 1) else None
        end = None if e == len(shape) - 1 else e
        return self.row("flatten", [x], start=s or None, end=end, spatial=spatial)

    def reshape(self, x: str) -> _Value:
        src, out = self.b.shapes[x], self.out()
        if src == out:
            return self.alias(x, "reshape to the same shape")
        # flatten of trailing dims: C×H×W → (C·H·W,), C×H×W → C×(H·W)
        for s in range(len(src)):
            if out == (*src[:s], _numel(src[s:])) and s < len(src) - 1:
                return self.flat_rows(x, s, len(src) - 1)
        not_one = [i for i, d in enumerate(out) if d != 1]
        if len(not_one) == 1 and _numel(src) == out[not_one[0]]:
            shape = [-1 if i == not_one[0] else 1 for i in range(len(out))]
            return _Value(tensor=self.b.row(self.n.name, "reshape", [x], out, shape=shape, alpha_safe=True))
        return self.row("reshape", [x], shape=resolution_free(out, self.res2))

    def split(self, x: str, sizes_or_chunks: Any, dim: int, chunks: bool) -> _Value:
        import torch

        parts = list(self.res)
        if not all(isinstance(p, torch.Tensor) for p in parts):
            raise _Unmapped()
        d = _dim(dim)
        sizes = [int(p.shape[d + 1 if d >= 0 else d]) for p in parts]
        names = self.b.split(
            self.n.name, x, d if d >= 0 else d % len(self.b.shapes[x]), sizes, [_shape(p) for p in parts]
        )
        return _Value(parts=names)


def resolution_free(out: tuple[int, ...], res2: Any) -> list[int]:
    """A reshape's target with −1 for the one side that follows the input resolution (seen in a
    second run at twice the sides), so the reshape holds at every resolution; as it is otherwise."""
    import torch

    if not isinstance(res2, torch.Tensor) or res2.dim() != len(out) + 1:
        return list(out)
    changed = [i for i, (a, b) in enumerate(zip(out, _shape(res2), strict=True)) if a != b]
    return [-1 if i == changed[0] else d for i, d in enumerate(out)] if len(changed) == 1 else list(out)


def _numel(s: tuple[int, ...]) -> int:
    out = 1
    for d in s:
        out *= d
    return out


def _dim(d: int) -> int:
    """A torch dim (batch counted) → a spec dim (batch excluded); negative dims stay negative."""
    if d == 0:
        raise _Unmapped("an operation along the batch dimension")
    return d - 1 if d > 0 else d


def _square(v: Any) -> int | None:
    if isinstance(v, int):
        return v
    t = tuple(v)
    return t[0] if len(t) == 2 and t[0] == t[1] and isinstance(t[0], int) else None


def _fn_name(target: Any) -> str:
    """A function's name; for an ATen overload (``aten.conv2d.default``) its op name (``conv2d``)."""
    packet = getattr(target, "overloadpacket", None)
    if packet is not None:
        return str(getattr(packet, "__name__", packet)).split(".")[-1]
    return str(getattr(target, "__name__", target))


def _is_torch_fn(target: Any) -> bool:
    mod = getattr(target, "__module__", "") or ""
    return target in _OPERATORS or mod.startswith("torch") or mod == "_operator" or mod is None


_OPERATORS = {
    operator.add,
    operator.iadd,
    operator.mul,
    operator.imul,
    operator.truediv,
    operator.sub,
    operator.matmul,
    operator.getitem,
    operator.floordiv,
}


# functions and methods -------------------------------------------------------------------------


def _as_parameter(m: _Mapper, t: Any, other: Any) -> Any:
    """A module parameter used as data (``x * self.gamma``, ``x + self.pos``) → a ``parameter`` row
    (its leading 1 dropped when it stands for the batch); anything else unchanged."""
    import torch
    from torch import nn

    if not isinstance(t, torch.Tensor) or not isinstance(other, _Value) or other.tensor is None:
        return t
    if not isinstance(t, nn.Parameter) or t.dim() == 0:
        if t.numel() == 1:
            return float(t.reshape(-1)[0])
        raise _Unmapped("a constant tensor (a buffer) used as data")
    rank = len(m.b.shapes[other.tensor])
    shape = tuple(int(d) for d in t.shape)
    if len(shape) == rank + 1 and shape[0] == 1:
        shape = shape[1:]
    elif len(shape) > rank:
        raise _Unmapped("a parameter with more dimensions than the tensor it meets")
    target = next((a.target for a in m.n.args if hasattr(a, "op") and a.op == "get_attr"), "parameter")
    return _Value(tensor=m.b.row(str(target), "parameter", [], shape, shape=list(shape)))


def _binary(op: str, tensors: bool = False, swap_ok: bool = True) -> Callable[[_Mapper], _Value]:
    """``op`` (add, mul, div, sub) of a tensor and a number: a ``scalar`` row (the number second
    unless ``swap_ok``); of two tensors: a row of kind ``op`` when ``tensors`` (add, mul)."""

    def run(m: _Mapper) -> _Value:
        a, b = m.arg(0, "input"), m.arg(1, "other")
        a, b = _as_parameter(m, a, b), _as_parameter(m, b, a)
        if isinstance(a, _Value) and isinstance(b, _Value):
            if not tensors:
                raise _Unmapped(f"{op} of two tensors")
            if m.n.kwargs.get("alpha", 1) != 1:  # torch.add(a, b, alpha=…); mul has no alpha
                raise _Unmapped(f"{op} with alpha")
            return m.row(op, [a.tensor, b.tensor])
        if isinstance(a, _Value) and isinstance(b, int | float):
            return m.row("scalar", [a.tensor], op=op, value=float(b))
        if swap_ok and isinstance(b, _Value) and isinstance(a, int | float):
            return m.row("scalar", [b.tensor], op=op, value=float(a))
        raise _Unmapped("an operand that is neither a tracked tensor nor a number (a parameter?)")

    return run


def _act(fn: str) -> Callable[[_Mapper], _Value]:
    return lambda m: m.row("activation", [m.tensor(0)], fn=fn)


def _gelu(m: _Mapper) -> _Value:
    approx = m.arg(1, "approximate", "none")
    return m.row("activation", [m.tensor(0)], fn="gelu_tanh" if approx == "tanh" else "gelu")


def _hardtanh(m: _Mapper) -> _Value:
    lo, hi = m.arg(1, "min_val", -1.0), m.arg(2, "max_val", 1.0)
    if (lo, hi) != (0.0, 6.0):
        raise _Unmapped(f"hardtanh({lo}, {hi})")
    return m.row("activation", [m.tensor(0)], fn="relu6")


def _softmax(m: _Mapper) -> _Value:
    return m.softmax(m.tensor(0), m.arg(1, "dim"))


def _cat(m: _Mapper) -> _Value:
    ts = m.arg(0, "tensors")
    if not all(isinstance(t, _Value) and t.tensor for t in ts):
        raise _Unmapped("concatenating something other than tracked tensors")
    dim = _dim(m.arg(1, "dim", 0))
    if len(ts) == 1:
        return m.alias(ts[0].tensor, "concatenation of one tensor")
    return m.row("concat", [t.tensor for t in ts], dim=None if dim == 0 else dim)


def _interpolate(m: _Mapper) -> _Value:
    x = m.tensor(0)
    size, scale = m.arg(1, "size"), m.arg(2, "scale_factor")
    mode, align = m.arg(3, "mode", "nearest"), m.arg(4, "align_corners")
    if m.arg(6, "antialias", False):
        raise _Unmapped("antialiased interpolation")
    like = _spatial_size_of(m, m.n.args[1] if len(m.n.args) > 1 else m.n.kwargs.get("size"))
    if like is not None and scale is None:
        args: dict[str, Any] = {"mode": None if mode == "nearest" else mode, "like": like}
        if mode != "nearest" and align is not None:
            args["align_corners"] = bool(align)
        return m.row("upsample", [x], **args)
    return m.upsample(x, size, scale, mode, align)


def _spatial_size_of(m: _Mapper, node: Any) -> str | None:
    """The tensor whose H×W an interpolate's ``size`` is (``t.shape[-2:]``, ``t.size()[2:]``)."""
    import torch.fx as fx

    if not isinstance(node, fx.Node) or node.target is not operator.getitem:
        return None
    src, idx = node.args
    if idx not in (slice(-2, None, None), slice(2, None, None), slice(2, 4, None)) or not isinstance(
        src, fx.Node
    ):
        return None
    is_shape = (src.op == "call_function" and src.target is getattr and src.args[1] == "shape") or (
        src.op == "call_method" and src.target == "size" and len(src.args) == 1
    )
    if not is_shape:
        return None
    v = m.env.get(src.args[0])
    if v is None or v.tensor is None or len(m.b.shapes[v.tensor]) != 3:
        return None
    return v.tensor


def _adaptive_avg(m: _Mapper) -> _Value:
    return m.adaptive(m.tensor(0), "avg", m.arg(1, "output_size"))


def _adaptive_max(m: _Mapper) -> _Value:
    return m.adaptive(m.tensor(0), "max", m.arg(1, "output_size"))


def _max_pool(m: _Mapper) -> _Value:
    k = m.arg(1, "kernel_size")
    return m.pool(
        m.tensor(0),
        "max",
        k,
        m.arg(2, "stride") or k,
        m.arg(3, "padding", 0),
        m.arg(5, "ceil_mode", False),
        m.arg(4, "dilation", 1),
    )


def _avg_pool(m: _Mapper) -> _Value:
    k = m.arg(1, "kernel_size")
    return m.pool(
        m.tensor(0), "avg", k, m.arg(2, "stride") or k, m.arg(3, "padding", 0), m.arg(4, "ceil_mode", False)
    )


def _flatten(m: _Mapper) -> _Value:
    return m.flatten(m.tensor(0), m.arg(1, "start_dim", 0), m.arg(2, "end_dim", -1))


def _reshape(m: _Mapper) -> _Value:
    return m.reshape(m.tensor(0))


def _transpose(m: _Mapper) -> _Value:
    x = m.tensor(0)
    n = len(m.b.shapes[x]) + 1
    a, b = m.arg(1, "dim0") % n, m.arg(2, "dim1") % n
    if 0 in (a, b):
        raise _Unmapped("a transpose of the batch dimension")
    perm = list(range(n - 1))
    perm[a - 1], perm[b - 1] = perm[b - 1], perm[a - 1]
    return m.row("transpose", [x], perm=perm)


def _permute(m: _Mapper) -> _Value:
    x = m.tensor(0)
    dims = [m.arg(i, "dims") for i in range(1, len(m.n.args))] if len(m.n.args) > 2 else m.arg(1, "dims")
    n = len(m.b.shapes[x]) + 1
    dims = [d % n for d in dims]
    if dims[0] != 0:
        raise _Unmapped("a permutation that moves the batch dimension")
    perm = [d - 1 for d in dims[1:]]
    if perm == list(range(n - 1)):
        return m.alias(x, "the identity permutation")
    return m.row("transpose", [x], perm=perm)


def _mean(m: _Mapper) -> _Value:
    x = m.tensor(0)
    dims = m.arg(1, "dim")
    if dims is None:
        raise _Unmapped("a mean over every dimension (batch included)")
    dims = [dims] if isinstance(dims, int) else list(dims)
    keep = bool(m.arg(2, "keepdim", False))
    return m.row("mean", [x], dims=[_dim(d) for d in dims], keepdim=keep or None)


def _chunk(m: _Mapper) -> _Value:
    return m.split(m.tensor(0), m.arg(1, "chunks"), m.arg(2, "dim", 0), True)


def _split(m: _Mapper) -> _Value:
    return m.split(m.tensor(0), m.arg(1, "split_size_or_sections"), m.arg(2, "dim", 0), False)


def _getitem(m: _Mapper) -> _Value:
    src, idx = m.arg(0, "a"), m.arg(1, "b")
    if isinstance(src, _Value) and src.parts is not None and isinstance(idx, int):
        return _Value(tensor=src.parts[idx])
    if isinstance(src, _Value) and src.tensor is not None:
        return _slice(m, src.tensor, idx)
    raise _Unmapped("indexing")


def _slice(m: _Mapper, x: str, idx: Any) -> _Value:
    """``x[:, a:b]``: a slice along one dimension (the others whole)."""
    idx = idx if isinstance(idx, tuple) else (idx,)
    whole = slice(None)
    cut = [(i, s) for i, s in enumerate(idx) if s != whole and s is not Ellipsis]
    if Ellipsis in idx or len(cut) != 1 or not isinstance(cut[0][1], slice) or cut[0][0] == 0:
        raise _Unmapped("indexing other than one slice along one dimension")
    d, s = cut[0][0] - 1, cut[0][1]
    size = m.b.shapes[x][d]
    start, stop, step = s.indices(size)
    if step != 1:
        raise _Unmapped("a strided slice")
    if (start, stop) == (0, size):
        return m.alias(x, "a slice of everything")
    parts = [start, stop - start, size - stop]
    sizes = [p for p in parts if p > 0]
    out_shapes = []
    for p in sizes:
        sh = list(m.b.shapes[x])
        sh[d] = p
        out_shapes.append(tuple(sh))
    names = m.b.split(m.n.name, x, d, sizes, out_shapes)
    m.b.note(m.n.name, "getitem", "merged", f"x[{start}:{stop}] along dim {d}: one part of a split")
    return _Value(tensor=names[1 if start > 0 else 0])


def _shuffle(m: _Mapper) -> _Value:
    return m.row("shuffle", [m.tensor(0)], groups=m.arg(1, "groups"))


def _matmul(m: _Mapper) -> _Value:
    a, b = m.arg(0, "input"), m.arg(1, "other")
    if not (isinstance(a, _Value) and isinstance(b, _Value)):
        raise _Unmapped("a matmul with a parameter (use nn.Linear)")
    return m.row("matmul", [a.tensor, b.tensor])


def _view_alias(why: str) -> Callable[[_Mapper], _Value]:
    return lambda m: m.alias(m.tensor(0), why)


def _dropout(m: _Mapper) -> _Value:
    return m.alias(m.tensor(0), "dropout: the identity at inference")


def _weights(m: _Mapper, i: int, key: str) -> Any:
    import torch

    w = m.arg(i, key)
    if not isinstance(w, torch.Tensor):
        raise _Unmapped("a weight that is not a parameter of the module")
    return w


def _aten_conv(m: _Mapper) -> _Value:
    x, w, bias = m.tensor(0), _weights(m, 1, "weight"), m.arg(2, "bias")
    stride, pad, dil, groups = (
        m.arg(3, "stride", 1),
        m.arg(4, "padding", 0),
        m.arg(5, "dilation", 1),
        m.arg(6, "groups", 1),
    )
    if isinstance(pad, str):
        raise _Unmapped("string padding")
    k = tuple(w.shape[2:])
    args = conv_args(
        int(w.shape[0]),
        k,
        _two(stride),
        _two(pad),
        _two(dil),
        groups,
        bias is not None,
        in_channels=m.b.shapes[x][0],
    )
    return m.row("conv2d", [x], True, **args)


def _aten_conv_transpose(m: _Mapper) -> _Value:
    x, w, bias = m.tensor(0), _weights(m, 1, "weight"), m.arg(2, "bias")
    stride, pad, opad = m.arg(3, "stride", 1), m.arg(4, "padding", 0), m.arg(5, "output_padding", 0)
    groups, dil = m.arg(6, "groups", 1), m.arg(7, "dilation", 1)
    args = conv_args(
        *(
            int(w.shape[1]) * groups,
            tuple(w.shape[2:]),
            _two(stride),
            _two(pad),
            _two(dil),
            groups,
            bias is not None,
        ),
        output_padding=_two(opad),
    )
    return m.row("conv_transpose2d", [x], True, **args)


def _aten_linear(m: _Mapper) -> _Value:
    x, w, bias = m.tensor(0), _weights(m, 1, "weight"), m.arg(2, "bias")
    return m.row(
        "linear",
        [x],
        True,
        out=int(w.shape[0]),
        bias=None if bias is not None else False,
        tokens=len(m.b.shapes[x]) > 1 or None,
    )


def _aten_batch_norm(m: _Mapper) -> _Value:
    x = m.tensor(0)
    if m.arg(5, "training", False):
        raise _Unmapped("batch norm in training mode")
    return m.row("batchnorm2d", [x], affine=None if m.arg(1, "weight") is not None else False)


def _aten_layer_norm(m: _Mapper) -> _Value:
    x, shape, w, bias = m.tensor(0), m.arg(1, "normalized_shape"), m.arg(2, "weight"), m.arg(3, "bias")
    return m.row(
        "layernorm",
        [x],
        dims=len(shape) if len(shape) != 1 else None,
        affine=None if w is not None else False,
        bias=None if (bias is not None or w is None) else False,
    )


def _aten_upsample(mode: str) -> Callable[[_Mapper], _Value]:
    def run(m: _Mapper) -> _Value:
        x, size = m.tensor(0), m.arg(1, "output_size")
        align = m.arg(2, "align_corners") if mode != "nearest" else None
        scales = m.arg(3 if mode != "nearest" else 2, "scale_factors")
        return m.upsample(x, size, scales, mode, align)

    return run


def _aten_slice(m: _Mapper) -> _Value:
    x = m.tensor(0)
    dim, start, end, step = m.arg(1, "dim", 0), m.arg(2, "start"), m.arg(3, "end"), m.arg(4, "step", 1)
    idx: list[Any] = [slice(None)] * (len(m.b.shapes[x]) + 1)
    idx[dim] = slice(start, end, step)
    return _slice(m, x, tuple(idx))


def _two(v: Any) -> tuple[int, int]:
    t = [v] if isinstance(v, int) else list(v)
    return (int(t[0]), int(t[-1])) if len(t) in (1, 2) else (int(t[0]), int(t[1]))


_FUNCTIONS: dict[str, Callable[[_Mapper], _Value]] = {
    "add": _binary("add", tensors=True),
    "iadd": _binary("add", tensors=True),
    "__add__": _binary("add", tensors=True),
    "mul": _binary("mul", tensors=True),
    "imul": _binary("mul", tensors=True),
    "__mul__": _binary("mul", tensors=True),
    "truediv": _binary("div", swap_ok=False),
    "div": _binary("div", swap_ok=False),
    "sub": _binary("sub", swap_ok=False),
    "relu": _act("relu"),
    "relu_": _act("relu"),
    "relu6": _act("relu6"),
    "hardswish": _act("hswish"),
    "hardsigmoid": _act("hsigmoid"),
    "sigmoid": _act("sigmoid"),
    "silu": _act("swish"),
    "tanh": _act("tanh"),
    "gelu": _gelu,
    "hardtanh": _hardtanh,
    "softmax": _softmax,
    "cat": _cat,
    "concat": _cat,
    "interpolate": _interpolate,
    "upsample": _interpolate,
    "adaptive_avg_pool2d": _adaptive_avg,
    "adaptive_max_pool2d": _adaptive_max,
    "max_pool2d": _max_pool,
    "avg_pool2d": _avg_pool,
    "flatten": _flatten,
    "view": _reshape,
    "reshape": _reshape,
    "transpose": _transpose,
    "permute": _permute,
    "mean": _mean,
    "chunk": _chunk,
    "split": _split,
    "getitem": _getitem,
    "channel_shuffle": _shuffle,
    "matmul": _matmul,
    "bmm": _matmul,
    "contiguous": _view_alias("contiguous: a copy at most, no arithmetic"),
    "expand_as": _view_alias("a broadcast view; the layer reading it broadcasts"),
    "dropout": _dropout,
    "clone": _view_alias("a copy, no arithmetic"),
    "alias": _view_alias("an alias"),
    "expand": _view_alias("a broadcast view; the layer reading it broadcasts"),
    "conv2d": _aten_conv,
    "conv_transpose2d": _aten_conv_transpose,
    "linear": _aten_linear,
    "batch_norm": _aten_batch_norm,
    "layer_norm": _aten_layer_norm,
    "upsample_nearest2d": _aten_upsample("nearest"),
    "upsample_bilinear2d": _aten_upsample("bilinear"),
    "slice": _aten_slice,
}
