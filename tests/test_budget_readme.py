"""The README's "Budgeting from Python and the shell" example runs, prints what the README shows,
and its figures match the hand count of MobileNet V1 (Table 1, eq. 6) and the paper's Table 6."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from test_mobilenet_v1_paper import hand_count

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks() -> tuple[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Budgeting from Python and the shell", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    shown = re.search(r"```text\n(.*?)```", section, re.S)
    assert code and shown
    return code.group(1), shown.group(1)


def test_readme_budget_example() -> None:
    code, shown = _blocks()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == shown
    # Independent figures: the hand count, and the paper's Table 6 accuracy for 0.5 MobileNet-224.
    macs, params = hand_count(0.5, 224)
    assert f"0.5-224: {macs:,} MACs, {params:,} params, top-1 63.7%" in shown
    for alpha, res in [(0.5, 160), (0.5, 224), (1.0, 160), (1.0, 224)]:
        assert f"{alpha:g}-{res}: {hand_count(alpha, res)[0] / 1e6:.2f} M MACs" in shown
    assert shown.splitlines()[-1] == str(hand_count(0.5, 160)[0])
    # Peak memory, materialize rule at fp32: the BN after the first pointwise conv holds its input and
    # output, 2·(64α)·(r/2)² elements of 4 bytes.
    assert "1-224: 568.74 M MACs, peak 6,422,528 B" in shown and 2 * 64 * 112 * 112 * 4 == 6_422_528
    assert "0.5-160: 76.52 M MACs, peak 1,638,400 B" in shown and 2 * 32 * 80 * 80 * 4 == 1_638_400
