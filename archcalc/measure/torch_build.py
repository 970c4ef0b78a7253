"""The resolved graph as a real ``torch.nn.Module``: one submodule per graph node, same names.

Nothing here is a second definition of any network: every module comes from its node's
``op.torch_module()``, and the forward pass walks the graph's nodes in order, feeding each one the
tensors its node names. Import this module only when torch is wanted.
"""

from __future__ import annotations

import time
from typing import Any

from archcalc.count.liveness import last_reads
from archcalc.errors import ArchcalcError
from archcalc.errors import require as require_extra
from archcalc.model.graph import INPUT, Graph


def require(*modules: str) -> None:
    """Refuse clearly when the optional torch stack is missing, naming the pinned install."""
    require_extra(modules, "this command", "validate")


def run_failed(network: str, e: BaseException) -> ArchcalcError:
    """A torch RuntimeError / MemoryError while running ``network``, as one line: its first line."""
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return ArchcalcError(f"{network}: the torch model could not be run: {first}")


require("torch")

import torch  # noqa: E402
from torch import nn  # noqa: E402


def _attach(root: nn.Module, dotted: str, module: nn.Module) -> None:
    """Register ``module`` at ``a.b.c`` below ``root``, creating plain containers on the way."""
    *parents, leaf = dotted.split(".")
    parent = root
    for part in parents:
        child = parent._modules.get(part)
        if child is None:
            child = nn.Module()
            parent.add_module(part, child)
        parent = child
    if leaf in parent._modules:
        raise ArchcalcError(f"layer {dotted}: two layers map to the same torch module name")
    parent.add_module(leaf, module)


class GraphModule(nn.Module):
    """A network built from a resolved :class:`~archcalc.model.graph.Graph`, in eval mode."""

    def __init__(self, graph: Graph) -> None:
        super().__init__()
        self.input_shape = graph.input_shape
        steps: list[tuple[str, nn.Module, tuple[str, ...]]] = []
        for node in graph:
            try:
                module = node.op.torch_module()
            except (ValueError, RuntimeError) as e:
                raise ArchcalcError(
                    f"layer {node.name} ({node.kind}) cannot be built in torch: {e}"
                ) from None
            _attach(self, node.name, module)
            steps.append((node.name, module, node.inputs))
        # tensors no later step reads are dropped after step i (keeps memory at the live set, the
        # liveness archcalc.count.memory counts)
        last = last_reads(graph.nodes)
        self._steps = steps
        self._free_after = [
            tuple(t for t in inputs if last[t] == i) for i, (_, _, inputs) in enumerate(steps)
        ]
        self.eval()

    def forward(
        self,
        x: torch.Tensor,
        shapes: dict[str, tuple[int, ...]] | None = None,
        seconds: dict[str, list[float]] | None = None,
    ) -> torch.Tensor:
        """Run the layers in graph order; if ``shapes`` is given, record each layer's output shape
        (batch dimension dropped) in it; if ``seconds`` is, append each layer's wall seconds in
        this pass to its list there (its call and the freeing of the tensors no later layer
        reads: a layer's time inside the network, ``time.perf_counter`` around each step)."""
        env: dict[str, torch.Tensor] = {INPUT: x}
        out = x
        clock = time.perf_counter
        for (name, module, inputs), free in zip(self._steps, self._free_after, strict=True):
            t0 = clock() if seconds is not None else 0.0
            out = module(*(env[t] for t in inputs))
            env[name] = out
            for t in free:
                del env[t]
            if seconds is not None:
                seconds.setdefault(name, []).append(clock() - t0)
            if shapes is not None:
                shapes[name] = tuple(out.shape[1:])
        return out

    def output_shapes(self, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
        """Every layer's output shape (batch dimension dropped) for input ``x``."""
        shapes: dict[str, tuple[int, ...]] = {}
        with torch.no_grad():
            self(x, shapes)
        return shapes

    def example_input(self, batch: int = 1) -> torch.Tensor:
        return torch.randn(batch, *self.input_shape)


def build(graph: Graph) -> GraphModule:
    """The torch model of ``graph`` (eval mode, default initialisation)."""
    return GraphModule(graph)


def param_counts(model: nn.Module) -> dict[str, int]:
    """Parameters per leaf module, by qualified name (torch convention: every nn.Parameter)."""
    out: dict[str, int] = {}
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if not list(module.children()):
            out[name] = own
    return out


def total_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__: list[Any] = ["GraphModule", "build", "param_counts", "require", "total_params"]
