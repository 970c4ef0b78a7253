"""The cold-start shortcuts change nothing a user sees (:mod:`archcalc.cli.startup` lists them).

``archcalc CMD …`` builds the click command of CMD only (:func:`archcalc.cli.click_app`): its help,
usage line and errors must be byte for byte those of the full group typer builds for the app. The
built-in specs' parsed YAML is cached as JSON (:mod:`archcalc.spec.cache`): a hit gives the same
spec, and every kind of damage or an unusable directory falls back to parsing the YAML. A spec is
validated row kind by row kind (:mod:`archcalc.spec.fast_validate`): what it accepts equals what
``NetworkSpec.model_validate`` gives, and it accepts nothing the schema refuses. pydantic's plugin
scan is skipped only when ``importlib.metadata`` would find no plugin either.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pydantic
import pytest
import typer.main
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from test_fuzz_specs import leaf, parent_and_key, paths

import archcalc
import archcalc._version
from archcalc import paths as own_files
from archcalc.cli import click_app, command_name, main
from archcalc.cli.app import app
from archcalc.cli.startup import pydantic_plugins_may_be_installed
from archcalc.model.blocks import BLOCKS
from archcalc.spec import cache as spec_cache
from archcalc.spec import catalog, fast_validate, trusted
from archcalc.spec.catalog import builtin_names, load_spec, specs_dir
from archcalc.spec.schema import NetworkSpec

NAMES = [command_name(c) for c in app.registered_commands]


def run_group(group, argv: list[str]) -> tuple[object, str, str]:
    """What a click group does with ``argv``, as :func:`main` calls it: result or error message."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            outcome: object = group(args=argv, prog_name="archcalc", standalone_mode=False)
        except Exception as e:
            fmt = getattr(e, "format_message", None)
            outcome = (type(e).__name__, fmt() if fmt else str(e), getattr(e, "exit_code", None))
    return outcome, out.getvalue(), err.getvalue()


def test_every_command_is_found_by_its_invoked_name() -> None:
    assert len(NAMES) == len(set(NAMES)) == len(typer.main.get_group(app).commands)
    assert set(NAMES) == set(typer.main.get_group(app).commands)
    assert "time" in NAMES and "list" in NAMES  # registered as time_cmd / list_networks


@pytest.mark.parametrize("name", NAMES)
def test_a_named_command_builds_that_command_only(name: str) -> None:
    assert list(click_app([name, "--help"]).commands) == [name]


def needs_argument(name: str) -> bool:
    cmd = typer.main.get_group(app).commands[name]
    return any(p.required for p in cmd.params if p.param_type_name == "argument")


@pytest.fixture(autouse=True)
def _no_saved_profile(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path / "config"))


# Five words the parser refuses for a command with a required argument (too many arguments, or a
# missing one); a command without one would accept them and run (calibrate measures for minutes).
CASES = [
    (name, rest)
    for name in NAMES
    for rest in (["--help"], [], ["--no-such-option"], ["--format"], ["x", "y", "z", "w", "v", "u"])
    if rest[:1] in (["--help"], ["--no-such-option"], ["--format"]) or needs_argument(name)
]


@pytest.mark.parametrize(("name", "rest"), CASES)
def test_lean_group_behaves_as_the_full_group(name: str, rest: list[str]) -> None:
    """Help text, usage line, and the parser's errors (missing argument, unknown option …)."""
    argv = [name, *rest]
    full = run_group(typer.main.get_group(app), argv)
    lean = run_group(click_app(argv), argv)
    assert lean == full
    if rest != ["--help"]:
        assert isinstance(full[0], tuple)  # the parser stopped it, with an error
    else:
        assert f"Usage: archcalc {name} [OPTIONS]" in lean[1]


@pytest.mark.parametrize(
    "argv", [[], ["--help"], ["tabel", "mobilenet_v2"], ["TABLE"], ["--", "table"], ["-h"], ["lis"]]
)
def test_anything_but_a_command_name_gets_every_command(argv: list[str]) -> None:
    assert set(click_app(argv).commands) == set(NAMES)


def test_typo_and_help_unchanged(cli) -> None:
    r = cli("tabel", "mobilenet_v2")
    assert (r.code, r.out) == (2, "")
    assert r.err == "archcalc: error: No such command 'tabel'. Did you mean 'table'?\n"
    r = cli("--help")
    assert r.code == 0 and all(n in r.out for n in NAMES)
    r = cli()
    assert r.code == 0 and all(n in r.out for n in NAMES)


def test_main_runs_the_lean_group(cli) -> None:
    r = cli("table", "mobilenet_v2", "--format", "json", "--summary")
    assert r.code == 0 and r.out.startswith("{") and r.err == ""
    assert main(["table", "--alpha"]) == 2


# --- the built-in specs' JSON cache (archcalc.spec.cache) ---


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache directory, and the in-process spec memo cleared before and after."""
    d = tmp_path / "cache"
    monkeypatch.setenv("ARCHCALC_CACHE_DIR", str(d))
    catalog._load_builtin.cache_clear()
    yield d
    catalog._load_builtin.cache_clear()


def fresh(name: str) -> NetworkSpec:
    catalog._load_builtin.cache_clear()
    return load_spec(name)


def from_yaml(name: str) -> NetworkSpec:
    return catalog.parse_spec((specs_dir() / f"{name}.yaml").read_text(), name)


def no_yaml(monkeypatch) -> None:
    def refuse() -> None:
        raise AssertionError("YAML parsed although the cache holds the spec")

    monkeypatch.setattr(catalog, "_yaml", refuse)


def test_every_builtin_round_trips_through_the_cache(cache, monkeypatch) -> None:
    for name in builtin_names():
        assert fresh(name) == from_yaml(name)  # a miss: parsed, then stored
    cached = sorted(p.stem for p in (cache / "specs").glob("*.json"))
    # shufflenet_v1's channel table has integer keys (groups → width), which JSON cannot hold
    assert cached == [n for n in builtin_names() if n != "shufflenet_v1"]
    expected = {name: from_yaml(name) for name in builtin_names()}
    no_yaml(monkeypatch)
    for name in cached:
        assert fresh(name) == expected[name]  # a hit: no YAML at all


def same(a: Any, b: Any, where: str = "spec") -> None:
    """``a`` and ``b`` hold equal values of the same types, and every model the same fields set."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, pydantic.BaseModel):
        assert a.model_fields_set == b.model_fields_set, where
        for k in a.__dict__.keys() | b.__dict__.keys():
            same(a.__dict__.get(k), b.__dict__.get(k), f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("name", builtin_names())
def test_a_cached_spec_is_the_validated_spec(name: str) -> None:
    """What a cache hit rebuilds without validating (archcalc.spec.trusted) is what validating the
    YAML gives: the stored data goes through JSON, as the cache file does (when JSON holds it
    exactly; shufflenet_v1's integer keys do not go in the cache, and are rebuilt from the dump)."""
    validated = from_yaml(name)
    stored = trusted.dump(validated)
    assert stored == validated.model_dump(by_alias=True, exclude_unset=True)
    if spec_cache._json_exact(stored):
        stored = json.loads(json.dumps(stored))
    else:
        assert name == "shufflenet_v1"
    rebuilt = trusted.construct(NetworkSpec, stored)
    same(rebuilt, validated)
    assert rebuilt == validated
    assert rebuilt.model_dump_json() == validated.model_dump_json()


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b"",
        lambda b: b"not json\n{}",
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:-1] + b" " + b[-1:],  # the same data, other bytes: checksum
        lambda b: b.replace(b'"out":320', b'"out":321', 1),  # valid JSON, wrong data: checksum
        lambda b: b.replace(b"archcalc ", b"archcalc 9", 1),  # another version's entry
        lambda b: b"\xff\xfe" + b,
        lambda b: b'{"key": 1}\n[]',
    ],
)
def test_a_damaged_entry_is_a_miss_and_is_rewritten(cache, damage) -> None:
    good = fresh("mobilenet_v2")
    entry = cache / "specs" / "mobilenet_v2.json"
    intact = entry.read_bytes()
    assert damage(intact) != intact
    entry.write_bytes(damage(intact))
    assert fresh("mobilenet_v2") == good
    assert entry.read_bytes() == intact


def test_a_changed_file_or_version_misses(cache, monkeypatch) -> None:
    raw = (specs_dir() / "mobilenet_v2.yaml").read_bytes()
    fresh("mobilenet_v2")
    assert spec_cache.load("mobilenet_v2", raw) is not None
    assert spec_cache.load("mobilenet_v2", raw + b"\n") is None
    assert spec_cache.load("mobilenet_v1", raw) is None
    monkeypatch.setattr(archcalc._version, "__version__", "0.0.0-other")
    assert spec_cache.load("mobilenet_v2", raw) is None


def test_an_edited_builtin_is_reparsed(cache, tmp_path, monkeypatch) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(specs_dir(), specs)
    monkeypatch.setattr(catalog, "specs_dir", lambda: specs)
    assert fresh("mobilenet_v2").title == from_yaml("mobilenet_v2").title
    path = specs / "mobilenet_v2.yaml"
    path.write_text(path.read_text().replace("title: ", "title: Edited ", 1))
    assert fresh("mobilenet_v2").title.startswith("Edited ")


def test_edited_schema_code_misses(cache, tmp_path, monkeypatch) -> None:
    """A cached spec is not validated again, so an edit of the code that defines the spec's models
    (an editable install keeps its version) must miss: the key holds a stamp of those modules."""
    package = Path(archcalc.__file__).parent
    copy_ = tmp_path / "pkg"
    for folder in spec_cache.SCHEMA_CODE:
        shutil.copytree(package / folder, copy_ / folder)
    before = spec_cache.schema_stamp(copy_)
    assert spec_cache.schema_stamp(copy_) == before
    edited = copy_ / "model" / "blocks" / "basic.py"
    edited.write_text(edited.read_text() + "\n")
    assert spec_cache.schema_stamp(copy_) != before
    raw = (specs_dir() / "mobilenet_v2.yaml").read_bytes()
    fresh("mobilenet_v2")
    assert spec_cache.load("mobilenet_v2", raw) is not None
    monkeypatch.setattr(spec_cache, "schema_stamp", lambda: "0" * 12)
    assert spec_cache.load("mobilenet_v2", raw) is None


@pytest.mark.parametrize("where", ["file", "dev-null"])
def test_an_unusable_cache_directory_is_no_cache(where, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    d = blocker / "cache" if where == "file" else Path("/dev/null/archcalc")
    monkeypatch.setenv("ARCHCALC_CACHE_DIR", str(d))
    assert fresh("mobilenet_v2") == from_yaml("mobilenet_v2")
    assert fresh("mobilenet_v2") == from_yaml("mobilenet_v2")
    catalog._load_builtin.cache_clear()


def test_write_and_read_errors_are_a_miss(cache, monkeypatch) -> None:
    """What a read-only or foreign-owned directory gives, even to root: PermissionError."""

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(own_files.os, "replace", denied)
        assert fresh("mobilenet_v2") == from_yaml("mobilenet_v2")
        assert list((cache / "specs").iterdir()) == []  # the temporary file is gone too
    fresh("mobilenet_v2")
    assert (cache / "specs" / "mobilenet_v2.json").exists()
    raw = (specs_dir() / "mobilenet_v2.yaml").read_bytes()
    assert spec_cache.load("mobilenet_v2", raw) is not None
    with monkeypatch.context() as m:
        m.setattr(own_files.os, "open", denied)
        assert spec_cache.load("mobilenet_v2", raw) is None


def test_data_json_cannot_hold_exactly_is_not_stored(cache) -> None:
    for data in (
        {"a": datetime.date(2017, 1, 1)},
        {1: "int key"},
        {"a": (1, 2)},
        {"a": b"bytes"},
        {"a": "\ud800"},
        ["not", "a", "mapping"],
    ):
        spec_cache.store("x", b"raw", data)
        assert not (cache / "specs" / "x.json").exists()
    spec_cache.store("x", b"raw", {"a": [1, 1.5, True, None, "ü", {"b": float("inf")}]})
    assert spec_cache.load("x", b"raw") == {"a": [1, 1.5, True, None, "ü", {"b": float("inf")}]}
    assert type(spec_cache.load("x", b"raw")["a"][2]) is bool
    assert not list((cache / "specs").glob(".*.tmp"))


def test_no_home_means_no_cache(monkeypatch) -> None:
    for var in ("ARCHCALC_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(Path, "home", lambda: (_ for _ in ()).throw(RuntimeError("no home")))
    assert spec_cache.cache_dir() is None
    assert spec_cache.load("mobilenet_v2", b"") is None
    spec_cache.store("mobilenet_v2", b"", {"a": 1})  # no error


def test_cache_directory_order(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ARCHCALC_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert spec_cache.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("ARCHCALC_CACHE_DIR")
    assert spec_cache.cache_dir() == tmp_path / "x" / "archcalc"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert spec_cache.cache_dir() == tmp_path / "h" / ".cache" / "archcalc"


def test_a_warm_cold_start_imports_neither_yaml_nor_torch(tmp_path) -> None:
    """Whole processes: the first run parses the YAML and fills the cache, the second does not
    import PyYAML at all; both print the same JSON."""
    env = dict(os.environ, ARCHCALC_CACHE_DIR=str(tmp_path / "cache"))
    probe = (
        "import sys; from archcalc.cli import main; code = main(sys.argv[1:]); "
        "sys.stderr.write(' '.join(sorted({m.split('.')[0] for m in sys.modules}))); sys.exit(code)"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe, "table", "mobilenet_v2", "--format", "json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout and json.loads(runs[0].stdout)["network"] == "mobilenet_v2"
    first, second = (set(r.stderr.split()) for r in runs)
    assert "yaml" in first and "yaml" not in second
    assert not {"torch", "numpy", "fvcore", "rich", "matplotlib"} & (first | second)


# --- a spec validated row kind by row kind (archcalc.spec.fast_validate) ---


def same_spec(fast: NetworkSpec, slow: NetworkSpec) -> None:
    """Everything pydantic keeps on a validated model, and every dump of it."""
    assert type(fast) is type(slow) is NetworkSpec
    assert fast == slow and fast.__dict__ == slow.__dict__
    assert fast.model_fields_set == slow.model_fields_set
    assert (fast.__pydantic_extra__, fast.__pydantic_private__) == (
        slow.__pydantic_extra__,
        slow.__pydantic_private__,
    )
    for section in ("stem", "body", "head"):
        for a, b in zip(getattr(fast, section), getattr(slow, section), strict=True):
            assert type(a) is type(b) and a.model_fields_set == b.model_fields_set
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
    assert fast.model_dump_json() == slow.model_dump_json()


@pytest.mark.parametrize("name", builtin_names())
def test_fast_validation_equals_the_schema(name: str) -> None:
    data = yaml.safe_load((specs_dir() / f"{name}.yaml").read_text())
    fast = fast_validate.validate(copy.deepcopy(data))
    assert fast is not None  # every built-in spec takes the fast path
    same_spec(fast, NetworkSpec.model_validate(data))
    assert catalog.validate_spec(copy.deepcopy(data), name) == fast


def outcome(data: Any) -> tuple[NetworkSpec | None, NetworkSpec | str]:
    """(the fast path's result or None, the schema's result or its error as validate_spec words it)."""
    fast = fast_validate.validate(copy.deepcopy(data))
    try:
        slow: NetworkSpec | str = NetworkSpec.model_validate(copy.deepcopy(data))
    except ValidationError as e:
        slow = catalog.format_validation_error("x.yaml", e)
    return fast, slow


def check_outcome(data: Any) -> None:
    fast, slow = outcome(data)
    if isinstance(slow, str):  # refused: the fast path leaves it to the schema, which words the error
        assert fast is None
        with pytest.raises(archcalc.errors.ArchcalcError) as err:
            catalog.validate_spec(copy.deepcopy(data), "x.yaml")
        assert str(err.value) == slow
    elif fast is not None:
        same_spec(fast, slow)
    else:  # left to the schema, which accepts it
        same_spec(catalog.validate_spec(copy.deepcopy(data), "x.yaml"), slow)


SPEC_DATA = {name: yaml.safe_load((specs_dir() / f"{name}.yaml").read_text()) for name in builtin_names()}


@st.composite
def mutated_data(draw: st.DrawFn) -> Any:
    """A built-in spec with one to three values dropped, added or replaced (as tests/test_fuzz_specs.py)."""
    data = copy.deepcopy(SPEC_DATA[draw(st.sampled_from(sorted(SPEC_DATA)))])
    for _ in range(draw(st.integers(1, 3))):
        options = paths(data)[1:]
        if not options:
            break
        parent, key = parent_and_key(data, draw(st.sampled_from(options)))
        action = draw(st.sampled_from(["drop", "extra", "leaf", "kind"]))
        if action == "drop":
            del parent[key]
        elif action == "extra" and isinstance(parent[key], dict):
            field = draw(st.sampled_from(["extra", "kind", "repeat", "stride", "out"]))
            parent[key][field] = leaf(draw)
        elif action == "kind" and isinstance(parent[key], dict):
            parent[key]["kind"] = draw(st.sampled_from([*BLOCKS, "nope", 3, None]))
        else:
            parent[key] = leaf(draw)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_data())
def test_fast_validation_refuses_what_the_schema_refuses(data: Any) -> None:
    check_outcome(data)


def test_what_the_fast_path_leaves_to_the_schema() -> None:
    base = copy.deepcopy(SPEC_DATA["mobilenet_v1"])
    spec = NetworkSpec.model_validate(base)
    cases: list[Any] = [
        {**base, "body": tuple(base["body"])},  # a tuple: the schema accepts it, the fast path does not try
        {**base, "body": [*spec.body]},  # rows that are already row models
        {**base, "body": [{**base["body"][0], "kind": "nope"}]},
        {**base, "body": [{k: v for k, v in base["body"][0].items() if k != "kind"}]},
        {**base, "body": ["conv"]},
        {**base, "body": "conv"},
        {**base, "knobs": {}},  # rows name knobs that are not declared: the after-validator refuses
        {**base, "extra": 1},
        [base],
    ]
    for data in cases:
        check_outcome(data)
    assert fast_validate.validate(cases[0]) is None and fast_validate.validate(cases[1]) is None


def test_loading_a_spec_never_builds_the_whole_union(tmp_path) -> None:
    """A whole process: ``archcalc table NET`` validates the spec without building NetworkSpec's own
    validator (the union of every row kind), which is what makes the fast path fast."""
    probe = (
        "import sys; from archcalc.cli import main; code = main(sys.argv[1:]); "
        "from archcalc.spec.schema import NetworkSpec; "
        "sys.stderr.write(str(NetworkSpec.__pydantic_complete__)); sys.exit(code)"
    )
    env = dict(os.environ, ARCHCALC_CACHE_DIR=str(tmp_path / "cache"))
    for net in ("mobilenet_v2", "shufflenet_v1", str(specs_dir() / "xception.yaml")):
        r = subprocess.run(
            [sys.executable, "-c", probe, "table", net, "--format", "json", "--summary"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert (r.returncode, r.stderr) == (0, "False")


# --- pydantic's plugin scan (archcalc.cli.startup) ---


def plugin_layouts(tmp: Path) -> dict[str, tuple[list[str], bool]]:
    """Path layouts as installers leave them, and whether a pydantic plugin is declared in each."""

    def dist(root: Path, name: str, entry_points: str | None) -> None:
        d = root / name
        d.mkdir(parents=True)
        (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.split('-')[0]}\nVersion: 1.0\n")
        if entry_points is not None:
            (d / "entry_points.txt").write_text(entry_points)

    plain, plugin, legacy, upper = tmp / "plain", tmp / "plugin", tmp / "legacy", tmp / "upper"
    dist(plain, "tool-1.0.dist-info", "[console_scripts]\ntool = tool:main\n\n[pytest11]\nx = y\n")
    dist(plain, "quiet-2.0.dist-info", None)
    (plain / "single-1.0.egg-info").write_text("Metadata-Version: 1.0\nName: single\n")  # a file
    dist(plugin, "plug-1.0.dist-info", "[console_scripts]\np = plug:main\n\n[pydantic]\np = plug:plugin\n")
    dist(legacy, "old-0.1.egg-info", "[pydantic]\nold = old:plugin\n")
    dist(upper, "Caps-1.0.DIST-INFO", "  [pydantic]  \ncaps = caps:plugin\n")
    zipped = tmp / "bundle.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("zplug-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zplug\nVersion: 1.0\n")
        z.writestr("zplug-1.0.dist-info/entry_points.txt", "[pydantic]\nz = zplug:plugin\n")
    return {
        "nothing declared": ([str(plain), str(tmp / "missing")], False),
        "a plugin": ([str(plain), str(plugin)], True),
        "an egg-info plugin": ([str(legacy)], True),
        "upper-case suffix, spaced header": ([str(upper)], True),
        "a zip on the path": ([str(zipped)], True),
    }


def test_plugin_check_agrees_with_importlib_metadata(tmp_path) -> None:
    """The cheap check never says "no plugin" where pydantic's own search, importlib.metadata's
    entry points of group ``pydantic``, finds one; and it says so where there is none."""
    for label, (path, declared) in plugin_layouts(tmp_path).items():
        found = [
            ep
            for d in importlib.metadata.distributions(path=path)
            for ep in d.entry_points
            if ep.group == "pydantic"
        ]
        assert bool(found) == declared, label
        assert pydantic_plugins_may_be_installed(path) == declared, label
    # This environment, with its real site-packages: no plugin, and the check agrees.
    assert pydantic_plugins_may_be_installed() == bool(importlib.metadata.entry_points(group="pydantic"))


def test_console_script_keeps_an_installed_plugin(tmp_path) -> None:
    """Whole processes through the console script's entry (``archcalc.cli.run``): without a plugin
    the scan is skipped; with one on the path, pydantic loads it and it sees archcalc's models; a
    value of ``PYDANTIC_DISABLE_PLUGINS`` the user set is kept. The output is the same every time."""
    site = tmp_path / "site"
    (site / "seeplug-1.0.dist-info").mkdir(parents=True)
    (site / "seeplug-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: seeplug\nVersion: 1.0\n"
    )
    (site / "seeplug-1.0.dist-info" / "entry_points.txt").write_text("[pydantic]\nsee = seeplug:plugin\n")
    (site / "seeplug.py").write_text(
        "import os\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):\n"
        "        with open(os.environ['SEEPLUG_LOG'], 'a') as f:\n"
        "            f.write(path.name + '\\n')\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    log = tmp_path / "seen.txt"
    probe = (
        "import atexit, os, sys; "
        "atexit.register(lambda: sys.stderr.write(repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS')))); "
        "from archcalc.cli import run; run()"
    )
    argv = ["table", "mobilenet_v2", "--format", "json", "--summary"]

    def console(extra_path: list[str], cache: str = "cache", **env: str) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
        environ.update(env, SEEPLUG_LOG=str(log), ARCHCALC_CACHE_DIR=str(tmp_path / cache))
        environ["PYTHONPATH"] = os.pathsep.join([*extra_path, *filter(None, [os.environ.get("PYTHONPATH")])])
        return subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, env=environ, cwd=tmp_path
        )

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    plain = console([])
    assert (plain.returncode, plain.stdout, plain.stderr) == (0, out.getvalue(), "'__all__'")
    assert not log.exists()
    with_plugin = console([str(site)], cache="cold")  # a cache hit validates nothing (archcalc.spec.trusted)
    assert (with_plugin.returncode, with_plugin.stdout, with_plugin.stderr) == (0, out.getvalue(), "None")
    seen = set(log.read_text().split())
    assert {"RowsByKind", "ConvEntry", "InvertedResidualEntry", "Report"} <= seen, seen
    log.unlink()
    kept = console([str(site)], PYDANTIC_DISABLE_PLUGINS="see")
    assert (kept.returncode, kept.stdout, kept.stderr) == (0, out.getvalue(), "'see'")
    assert not log.exists()


def test_plugin_loader_stand_in_answers_as_pydantic(tmp_path) -> None:
    """Whole processes: the stand-in for ``pydantic.plugin._loader`` (:func:`archcalc.cli.startup.
    defer_pydantic_plugin_loader`) returns the plugins pydantic's own ``get_plugins`` returns, for
    every value of ``PYDANTIC_DISABLE_PLUGINS``, with and without a plugin installed; it imports
    ``importlib.metadata`` only when pydantic's would search, and then puts pydantic's module in its
    place."""
    site = tmp_path / "site"
    info = site / "countplug-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: countplug\nVersion: 1\n")
    (info / "entry_points.txt").write_text("[pydantic]\ncount = countplug:plugin\n")
    (site / "countplug.py").write_text("class Plugin:\n    pass\nplugin = Plugin()\n")
    probe = (
        "import json, sys; from archcalc.cli.startup import defer_pydantic_plugin_loader; "
        "installed = defer_pydantic_plugin_loader() if sys.argv[1] == 'stand-in' else None; "
        "from pydantic.plugin._loader import get_plugins; "
        "found = [type(p).__module__ for p in get_plugins()]; "
        "loader = sys.modules['pydantic.plugin._loader']; "
        "found += [type(p).__module__ for p in loader.get_plugins()]; "
        "searched = 'importlib.metadata' in sys.modules; "
        "own = not getattr(sys.modules['pydantic.plugin._loader'], '__archcalc_stand_in__', False); "
        "print(json.dumps([installed, found, searched, own]))"
    )

    def run(mode: str, switch: str | None, path: list[str]) -> list[Any]:
        env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
        if switch is not None:
            env["PYDANTIC_DISABLE_PLUGINS"] = switch
        env["PYTHONPATH"] = os.pathsep.join([*path, *filter(None, [os.environ.get("PYTHONPATH")])])
        r = subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    for path in ([], [str(site)]):
        for switch in (None, "__all__", "1", "true", "false", "", "count", "other"):
            installed, found, searched, own = run("stand-in", switch, path)
            _, pydantic_found, pydantic_searched, _ = run("pydantic", switch, path)
            off = switch in ("__all__", "1", "true")
            assert installed is True and found == pydantic_found, (path, switch)
            assert pydantic_searched is True  # pydantic's module imports importlib.metadata, always
            assert searched is own is (not off), (path, switch)
    assert run("pydantic", None, [str(site)])[1] == ["countplug", "countplug"]
    assert run("pydantic", "count", [str(site)])[1] == []
