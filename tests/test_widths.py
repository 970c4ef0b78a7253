"""At every terminal width from 60 columns up, no rich table cuts a number.

Every command is rendered at COLUMNS = 60, 80, 100 and 120. The independent check: the integers the
command's own JSON output holds for the columns a table always shows (every row's params and MACs,
every total, every figure's count …) must each appear whole in the rich output, as a token of its
own, as many times as the JSON has them; no line may be wider than the terminal; nothing may end in
``…`` after a digit; and columns left out are named in a note, which ``--wide`` does away with.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from test_latency import make_profile

from archcalc.count.latency import save_profile

WIDTHS = (60, 80, 100, 120)


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path / "config"))
    save_profile(make_profile("default"))
    return tmp_path


def each(items: Iterable[dict[str, Any]], *keys: str) -> list[int]:
    return [x[k] for x in items for k in keys]


Shown = Callable[[Any], list[int]]

# command → the integers of its JSON that its rich tables always show (columns never left out)
CASES: dict[str, tuple[list[str], Shown]] = {
    "table": (["table", "mobilenet_v1"], lambda d: each(d["layers"], "params", "macs")),
    "table-primitives": (
        ["table", "googlenet", "--view", "primitives"],
        lambda d: [*each(d["layers"], "params", "macs"), *each(d["by_convention"].values(), "macs")],
    ),
    "table-blocks": (
        ["table", "mobilenet_v2", "--view", "blocks"],
        lambda d: each(d["layers"], "params", "macs"),
    ),
    "table-totals": (
        ["table", "vgg16", "--summary", "--convention", "fvcore"],
        lambda d: [
            *(d["totals"][k] for k in ("flops", "params_without_bn", "params_with_bn", "weight_bytes")),
            *(d["totals"][k] for k in ("bytes_read", "bytes_written")),
            *each(d["by_convention"].values(), "macs"),
            *each(d["breakdown"], "macs", "params"),
        ],
    ),
    "table-networks": (
        ["table", "mobilenet_v1", "googlenet", "vgg16", "mobilenet_v1@alpha=0.5,res=160"],
        lambda d: each(d["networks"], "macs", "params"),
    ),
    "table-traffic": (
        ["table", "xception", "--traffic", "--latency"],
        lambda d: each(d["layers"], "macs"),
    ),
    "compare": (
        [
            "compare",
            "standard",
            "depthwise",
            "pointwise",
            "dwsep",
            "group",
            "fire",
            "shuffle",
            "inverted_residual",
            "spatial",
            "svd",
            "--groups",
            "4",
            "--rank",
            "64",
            "--m",
            "1024",
            "--n",
            "2048",
        ],
        lambda d: each(d["designs"], "params", "macs"),
    ),
    "paper": (["paper", "vgg16"], lambda d: [c["computed"] for c in d]),
    "size": (
        ["size", "alexnet", "--bits", "5", "--density", "0.3", "--huffman", "--workers", "4"],
        lambda d: [
            *each(d["layers"], "params", "dense_bytes", "compressed_bytes"),
            *(d["totals"][k] for k in ("params", "dense_fp32_bytes", "compressed_bytes", "allreduce_bytes")),
        ],
    ),
    "memory": (
        ["memory", "mobilenet_v2", "--rule", "streamed"],
        lambda d: [*each(d["rows"], "channels", "bytes"), d["peak_bytes"], *each(d["peak_live"], "bytes")],
    ),
    "sweep": (["sweep", "mobilenet_v1"], lambda d: each(d["points"], "macs", "params")),
    "budget": (
        ["budget", "mobilenet_v2", "--max-macs", "300M"],
        lambda d: each([*d["front"], *d["others"]], "macs", "params"),
    ),
    "validate": (
        ["validate", "mobilenet_v1", "--alpha", "0.25", "--res", "64"],
        lambda d: [
            *each(d["layers"], "macs", "fvcore_macs", "params", "fvcore_params"),
            d["macs"],
            d["params"],
        ],
    ),
    "time": (
        ["time", "mobilenet_v1", "--alpha", "0.25", "--res", "64", "--repeats", "1", "--warmup", "0"],
        lambda d: each(d["measured"]["layers"], "macs"),
    ),
    "reconcile": (
        ["reconcile", "mobilenet_v1", "--res", "224x160"],
        lambda d: [*each(d["figures"], "count", "params"), *each(d["params"], "params")],
    ),
    "list": (["list"], lambda d: [x["resolution"] for x in d]),
}


def whole(n: int, text: str) -> int:
    """How many times ``n`` (written with thousands commas) stands whole in ``text``."""
    return len(re.findall(rf"(?<![\d,.]){re.escape(f'{n:,}')}(?![\d,]|\.\d)", text))


@pytest.mark.parametrize("case", list(CASES))
def test_no_number_is_cut(cli, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    args, shown = CASES[case]
    r = cli(*args, "--format", "json")
    assert r.code == 0, r.err
    # None: the convention counts none of it (tf has no MACs, keras no FLOPs); the table shows no number
    expected = Counter(n for n in shown(json.loads(r.out)) if n is not None)
    assert expected
    for width in WIDTHS:
        monkeypatch.setenv("COLUMNS", str(width))
        r = cli(*args)
        assert r.code == 0, r.err
        out = r.out
        if case != "list":  # plain lines, one per network (for grep and awk), not a table
            assert max(len(line) for line in out.splitlines()) <= width, (case, width)
        assert not re.search(r"[\d,.%×]…", out), (case, width)
        missing = {n: k for n, k in expected.items() if whole(n, out) < k}
        assert not missing, (case, width, missing)
        for note in re.findall(r"Left out to fit (\d+) columns", out):
            assert int(note) == width


def test_wide_keeps_every_column(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    narrow = cli("table", "mobilenet_v1", "--view", "primitives").out
    assert "Left out to fit 60 columns: #, kind, args, input → output, bytes (fp32), MACs/byte" in " ".join(
        narrow.split()
    )
    wide = cli("table", "mobilenet_v1", "--view", "primitives", "--wide").out
    assert "Left out" not in wide
    header = next(line for line in wide.splitlines() if "MACs/byte" in line)
    for column in ("#", "layer", "kind", "args", "bytes (fp32)", "params", "% MACs"):
        assert column in header
    assert re.search(r"│ 3×224×224 → 32×112×112 +│", wide)  # no text wrapped either
