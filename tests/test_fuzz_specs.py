"""Random mutations of the built-in specs, loaded through the CLI (``archcalc table FILE``), and the
safe-YAML guarantees: a spec is data, it never runs code or reads another file.

Every outcome is a valid result (exit 0, JSON on stdout) or a one-line refusal (exit 2) that names
the file, and the field or the layer, as the loader and resolver word it.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archcalc.cli import main
from archcalc.spec.catalog import MAX_DEPTH, builtin_names, specs_dir

SPECS = {name: yaml.safe_load((specs_dir() / f"{name}.yaml").read_text()) for name in builtin_names()}
LEAVES: list[Any] = [
    0, -1, -8, 1, 2, 3, 7, 10**9, 10**30, 1.5, float("nan"), float("inf"), -0.0,
    "", "abc", "$nope", "$", "same", "relu9", None, True, False, [], {}, [1, 2], {"k": 1},
]  # fmt: skip
HOSTILE_NUMBERS: list[Any] = [
    True, False, 10**160, 10**200, -(10**160), 2**22, 2**22 + 1, 1_000_000, 1_000_001, 5_000_000,
    2**31, 2**63, 1e308, -1e308, float("nan"), float("inf"), float("-inf"), 5e-324, 3.0, 0.5, "3",
    "1e3", "0x10", 1001.0, 1000.0, 1e-9,
]  # fmt: skip
"""Numbers past every limit, and values that are numbers only to a lax reader (issue 17, class 2)."""


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_result_or_refusal(path: Path, code: int, out: str, err: str) -> None:
    assert "Traceback" not in err
    if code == 0:
        data = json.loads(out)
        assert isinstance(data["totals"]["macs"], int) and data["totals"]["macs"] >= 0
        return
    assert code == 2, (code, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("archcalc: error: ")
    assert str(path) in lines[0], lines[0]


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested mappings and lists."""
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += paths(v, (*prefix, i))
    return out


def parent_and_key(data: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    node = data
    for k in path[:-1]:
        node = node[k]
    return node, path[-1]


def leaf(draw: st.DrawFn) -> Any:
    """A fresh copy of one of :data:`LEAVES`: the lists and mappings among them are never shared, so
    a later mutation cannot write into :data:`LEAVES` itself, or put a mapping inside itself."""
    return copy.deepcopy(draw(st.sampled_from(LEAVES)))


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(SPECS)))
    data = copy.deepcopy(SPECS[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(data)[1:]))
        parent, key = parent_and_key(data, path)
        action = draw(st.sampled_from(["drop", "extra", "leaf", "stride", "channels", "nest", "number"]))
        if action == "drop":
            del parent[key]
        elif action == "extra":
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(["extra", "kind", "repeat", "stride", "out", "x-y"]))] = leaf(
                    draw
                )
        elif action == "leaf":
            parent[key] = leaf(draw)
        elif action == "number":
            parent[key] = draw(st.sampled_from(HOSTILE_NUMBERS))
        elif action in ("stride", "channels"):
            sections = [data.get(s) for s in ("stem", "body", "head")]  # a mutation may have made one a leaf
            entries = [e for s in sections if isinstance(s, list) for e in s if isinstance(e, dict)]
            if entries:
                e = draw(st.sampled_from(entries))
                field = "stride" if action == "stride" else "out"
                e[field] = draw(
                    st.sampled_from([0, -2, 1, 2, 64, 10**6] if field == "stride" else [0, -1, 1, 3])
                )
        else:
            nested: Any = leaf(draw)
            for _ in range(draw(st.integers(1, 80))):
                nested = [nested]
            parent[key] = nested
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))  # PyYAML's representer recurses a few frames per level
    try:
        text = yaml.safe_dump(data, sort_keys=False)
    finally:
        sys.setrecursionlimit(limit)
    damage = draw(st.sampled_from(["none", "none", "truncate", "bytes", "tag"]))
    if damage == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(min_size=1, max_size=8)) + text[at:]
    elif damage == "tag":
        text = (
            draw(st.sampled_from(["!!python/object:os.system\n", "!include x.yaml\n", "%YAML 9.9\n---\n"]))
            + text
        )
    return text


def check_within_limits(out: str) -> None:
    """What a spec path answers obeys the limits ``--alpha`` / ``--res`` obey (README, Limits)."""
    data = json.loads(out)
    assert 1 <= data["resolution"] <= 1_000_000
    for layer in data["layers"]:
        assert all(isinstance(d, int) for d in layer["output_shape"])
        if len(layer["output_shape"]) == 3:
            assert layer["output_shape"][0] <= 2**22, layer


def number_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a number (int, float or bool) in the spec, and to each mapping (a new key)."""
    return [p for p in paths(data, prefix) if p and isinstance(_at(data, p), int | float)]


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for k in path:
        data = data[k]
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(SPECS)))
def test_hostile_numbers_in_any_number_field(data: st.DataObject, name: str) -> None:
    """Every number of a built-in spec (channels, kernels, strides, repeats, knob defaults, the
    input, the sweep grid, published settings and top-1, storage settings) replaced by a number past
    a limit or by a lax one: a one-line refusal naming the field, or an answer within the limits."""
    spec = copy.deepcopy(SPECS[name])
    targets = number_paths(spec)
    for _ in range(data.draw(st.integers(1, 2))):
        path = data.draw(st.sampled_from(targets))
        parent, key = parent_and_key(spec, path)
        parent[key] = data.draw(st.sampled_from(HOSTILE_NUMBERS))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "hostile.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        for command in (["table", str(path), "--format", "json"], ["sweep", str(path), "--format", "json"]):
            code, out, err = run_cli(*command)
            if command[0] == "sweep" and code == 0:
                continue  # the grid's own points are checked by `table` above
            assert_result_or_refusal(path, code, out, err)
            if code == 0:
                check_within_limits(out)


def _setting(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["published"][0].setdefault("setting", {})


@pytest.mark.parametrize(
    "edit,fragment",
    [
        (lambda d: d["head"][-1].update(out=10**160, width="fixed"), "head.2.out"),
        (lambda d: d["input"].update(resolution=10**200), "input.resolution"),
        (lambda d: d["input"].update(resolution=5_000_000), "input.resolution"),
        (lambda d: d["input"].update(resolution=True), "input.resolution"),
        (lambda d: d["stem"][0].update(k=True), "stem.0.k"),
        (lambda d: d["stem"][0].update(out="32"), "stem.0.out"),
        (lambda d: d["stem"][0].update(k=3.0), "stem.0.k"),
        (lambda d: d["published"][0].update(top1=float("nan")), "published.0.top1"),
        (lambda d: d["published"][0].update(top1=float("inf")), "published.0.top1"),
        (lambda d: d["published"][0].update(top1=170.0), "published.0.top1"),
        (lambda d: _setting(d).update(resolution=5_000_000), "published.0.setting"),
        (lambda d: _setting(d).update(alpha=True), "published.0.setting.alpha"),
        (lambda d: d["sweep"]["resolutions"].append(10**7), "sweep.resolutions"),
        (lambda d: d["sweep"]["alphas"].append(1e308), "sweep.alphas"),
        (lambda d: d["knobs"]["shallow"].update(default=1), None),
        (lambda d: d["body"][0].update(repeat=10**9), "body.0.repeat"),
    ],
)
def test_issue_17_spec_numbers(tmp_path: Path, edit, fragment: str | None) -> None:
    """The issue's examples: `k: true` silently became a 1×1 conv, `resolution: true` a 1-pixel input,
    `out: 10**160` crashed the renderers, `resolution: 5000000` passed (`--res 5000000` is refused),
    a published `top1: .nan` ordered the Pareto front."""
    spec = copy.deepcopy(SPECS["mobilenet_v1"])
    edit(spec)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    for command in ("table", "budget"):
        code, out, err = run_cli(command, str(path), "--format", "json")
        assert_result_or_refusal(path, code, out, err)
        assert code == 2, (command, out[:200])
        assert fragment is None or fragment in err, err


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_specs(), alpha=st.sampled_from(["1", "0.25", "0.001", "100"]))
def test_mutated_specs_give_a_result_or_one_line(text: str, alpha: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "mutant.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        code, out, err = run_cli("table", str(path), "--alpha", alpha, "--format", "json")
        assert_result_or_refusal(path, code, out, err)
        if code == 0:
            check_within_limits(out)


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("!!python/object/apply:os.system ['touch {marker}']\n", "python/object/apply:os.system"),
        ("name: !!python/object/apply:os.system ['touch {marker}']\n", "python/object/apply"),
        ("name: !!python/object/new:os.system ['touch {marker}']\n", "python/object/new"),
        ("name: !!python/name:os.system\n", "python/name:os.system"),
        ("name: !!python/module:os\n", "python/module:os"),
        ("name: x\ntitle: !include {marker}\n", "'!include'"),
        ("{base}title: !!set {{a, b}}\n", "title: Input should be a valid string"),
        ("{base}title: !!timestamp 2001-12-14\n", "title: Input should be a valid string"),
    ],
)
def test_specs_never_run_code_or_read_files(tmp_path: Path, text: str, fragment: str) -> None:
    marker = tmp_path / "marker"
    secret = tmp_path / "secret.yaml"
    secret.write_text("title: SECRET-CONTENT\n")
    path = tmp_path / "evil.yaml"
    base = "\n".join(
        line
        for line in (specs_dir() / "mobilenet_v1.yaml").read_text().splitlines()
        if not line.startswith("title:")
    )
    path.write_text(text.format(marker=marker if "include" not in text else secret, base=base + "\n"))
    code, out, err = run_cli("table", str(path), "--format", "json")
    assert_result_or_refusal(path, code, out, err)
    assert code == 2 and fragment in err, err
    assert not marker.exists(), "a spec ran a command"
    assert "SECRET-CONTENT" not in err + out, "a spec read another file"


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """A billion-laughs document: aliases are shared references, never expanded into 9⁹ strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = (specs_dir() / "mobilenet_v1.yaml").read_text()
    for where in ("title: *a9", "knobs: *a9", "body: *a9", "defaults: {conv: {out: *a9}}"):
        key = where.split(":")[0]
        path = tmp_path / f"bomb_{key}.yaml"
        body = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key}:"))
        path.write_text("\n".join(lines) + "\n" + where + "\n" + body)
        code, out, err = run_cli("table", str(path), "--format", "json")
        assert_result_or_refusal(path, code, out, err)
        assert code == 2


def test_deep_nesting_is_refused_before_the_yaml_composer(tmp_path: Path) -> None:
    """libyaml's composer recurses per level and segfaults somewhere past 20,000 levels."""
    for text in (
        "name: x\ntitle: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "name: x\ntitle: " + "{a: " * 30_000 + "1" + "}" * 30_000 + "\n",
        "name: x\ntitle:\n" + "- " * 60_000 + "x\n",
    ):
        path = tmp_path / "deep.yaml"
        path.write_text(text)
        code, out, err = run_cli("table", str(path), "--format", "json")
        assert_result_or_refusal(path, code, out, err)
        assert f"more than {MAX_DEPTH} levels" in err


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\x00garbage",
        bytes(range(256)),
        b"name: x\x00\n",
        b"",
        b"- a\n- b\n",
        b"just a string",
        b"{{{",
    ],
)
def test_non_yaml_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bytes.yaml"
    path.write_bytes(raw)
    code, out, err = run_cli("table", str(path), "--format", "json")
    assert_result_or_refusal(path, code, out, err)
    assert code == 2


def test_collapsing_map_names_the_layer(tmp_path: Path) -> None:
    """16 px → ⌊(16 − 7)/2⌋ + 1 = 5 → ⌊(5 − 7)/2⌋ + 1 = 0: the second conv collapses the map."""
    path = tmp_path / "collapse.yaml"
    path.write_text(
        "name: tiny\ntitle: Tiny\nsource: a test\nwidth: {rule: truncate}\nbody:\n"
        "  - {name: c1, kind: conv, out: 8, k: 7, stride: 2, padding: 0}\n"
        "  - {name: c2, kind: conv, out: 8, k: 7, stride: 2, padding: 0}\n"
    )
    code, out, err = run_cli("table", str(path), "--res", "16", "--format", "json")
    assert_result_or_refusal(path, code, out, err)
    assert code == 2 and "collapses" in err and "layer c2" in err, err
    code, out, err = run_cli("table", str(path), "--res", "17", "--format", "json")  # 6 → 0: still
    assert code == 2 and "layer c2" in err
    code, out, err = run_cli("table", str(path), "--res", "19", "--format", "json")  # 7 → 1
    assert code == 0 and json.loads(out)["output_shape"] == [8, 1, 1]
