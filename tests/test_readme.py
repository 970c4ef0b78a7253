"""The README's "Writing a spec" example is a complete spec: it loads, and its counts are the ones
the README quotes and a hand count gives (MobileNet V1 §3's formulas, eq. 6 for α)."""

from __future__ import annotations

import re
from pathlib import Path

import archcalc

README = Path(__file__).resolve().parent.parent / "README.md"


def spec_example() -> tuple[str, str]:
    """(the spec's YAML, the README text after it)."""
    section = README.read_text(encoding="utf-8").split("## Writing a spec", 1)[1]
    m = re.search(r"```yaml\n(.*?)```(.*)", section, re.S)
    assert m
    return m.group(1), m.group(2)


def hand_count(alpha: float, classes: int) -> tuple[int, int]:
    """MACs and params (conv + linear weights and biases, no BN) of the example, worked by hand.

    32×32 input; conv 3×3 s2 → 16×16; dwsep s2 → 8×8; dwsep s1 → 8×8; global pool; FC.
    Conv: D_K²·M·N·D_F²; depthwise: D_K²·M·D_F²; pointwise: M·N·D_F²; channels ⌊α·c⌋."""
    c1, c2, c3 = int(alpha * 16), int(alpha * 32), int(alpha * 64)
    macs = (
        9 * 3 * c1 * 16 * 16  # stem conv, output 16×16
        + 9 * c1 * 8 * 8
        + c1 * c2 * 8 * 8  # first dwsep, stride 2 on the depthwise
        + 9 * c2 * 8 * 8
        + c2 * c3 * 8 * 8  # second dwsep
        + c3 * classes  # classifier (width: fixed)
    )
    params = 9 * 3 * c1 + 9 * c1 + c1 * c2 + 9 * c2 + c2 * c3 + (c3 * classes + classes)
    return macs, params


def test_readme_spec_example(tmp_path: Path) -> None:
    text, after = spec_example()
    path = tmp_path / "tiny_net.yaml"
    path.write_text(text, encoding="utf-8")
    spec = archcalc.load_spec(path)
    assert spec.source and spec.width.rule == "truncate"  # the fields the README calls required
    for alpha, classes in [(1.0, 10), (1.0, 100), (0.5, 10)]:
        r = archcalc.cost(path, alpha=alpha, classes=classes)
        assert (r.totals.macs, r.totals.params_without_bn) == hand_count(alpha, classes)
    quoted = after.strip().split("\n\n", 1)[0]
    assert "302,720 MACs and 4,074 params" in quoted and hand_count(1.0, 10) == (302_720, 4_074)
    assert "308,480 and 9,924" in quoted and hand_count(1.0, 100) == (308_480, 9_924)
    assert "110,400 and 1,402" in quoted and hand_count(0.5, 10) == (110_400, 1_402)
