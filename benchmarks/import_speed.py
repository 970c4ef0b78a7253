"""Issue 14 target: importing and costing a 200-node ONNX file in ≤ 0.3 s, in-process.

Run from a checkout with the test extras: ``python benchmarks/import_speed.py [--repeat 7]``. Builds a
MobileNet-V2-like torch model with squeeze-and-excite gates, a hand-written channel shuffle and a
flatten (so the file has the shape sub-graphs exporters emit), exports it with
``torch.onnx.export(dynamo=False)`` to a temporary file, and prints the node count and the median
wall time of

* ``archcalc.cost(path)``: reading the file with the onnx package, folding its constants, mapping
  it to a spec, validating the spec, resolving and costing it (a fresh import every run: nothing
  is cached between runs);
* ``onnxruntime.InferenceSession(path)``: onnxruntime's own session creation on the same file,
  for scale.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from torch import nn

import archcalc


class Block(nn.Module):
    def __init__(self, c: int, e: int = 4) -> None:
        super().__init__()
        self.expand = nn.Conv2d(c, c * e, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c * e)
        self.dw = nn.Conv2d(c * e, c * e, 3, padding=1, groups=c * e, bias=False)
        self.bn2 = nn.BatchNorm2d(c * e)
        self.se1 = nn.Conv2d(c * e, c, 1)
        self.se2 = nn.Conv2d(c, c * e, 1)
        self.project = nn.Conv2d(c * e, c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn1(self.expand(x)))
        y = F.hardswish(self.bn2(self.dw(y)))
        s = F.hardsigmoid(self.se2(F.relu(self.se1(y.mean((2, 3), keepdim=True)))))
        y = self.bn3(self.project(y * s))
        b, c, h, w = y.size()
        y = y.view(b, 2, c // 2, h, w).transpose(1, 2).reshape(b, c, h, w)
        return x + y


class Net(nn.Module):
    def __init__(self, blocks: int = 9, c: int = 32) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, stride=2, padding=1)
        self.blocks = nn.Sequential(*[Block(c) for _ in range(blocks)])
        self.fc = nn.Linear(c * 7 * 7, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(F.relu(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 7)
        return self.fc(x.view(x.size(0), -1))


def median_time(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="runs of each (median reported)")
    ap.add_argument("--blocks", type=int, default=9, help="blocks in the model (9: ~210 ONNX nodes)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "net.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Net(args.blocks).eval(), (torch.randn(1, 3, 224, 224),), str(path), dynamo=False
            )
        nodes = len(onnx.load(str(path)).graph.node)
        archcalc.cost(path)  # first call: imports onnx, numpy, pydantic schemas; not a per-file cost
        ours = median_time(lambda: archcalc.cost(path), args.repeat)
        rep = archcalc.cost(path)
        opts = ort.SessionOptions()
        theirs = median_time(
            lambda: ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"]), args.repeat
        )
    print(f"ONNX file: {nodes} nodes, {len(rep.layers)} archcalc layers, {rep.totals.macs:,} MACs (paper)")
    print(f"archcalc.cost(path)            median {ours * 1e3:7.1f} ms  (target ≤ 300 ms)")
    print(f"onnxruntime.InferenceSession   median {theirs * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
