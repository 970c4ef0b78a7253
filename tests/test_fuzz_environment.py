"""What archcalc runs into rather than what it is told (issue 17, classes 4, 5 and 8): the home
directory, locale and encodings, closed and full streams, ``COLUMNS``, files in the way of its own
cache and profiles, and ``--plot`` targets.

Streams and encodings are a process's own, so those cases run ``python -m archcalc`` in a
subprocess; the rest run in-process. Every outcome is an answer (exit 0) or exit 2 with one line on
stderr (when there is a stderr to write to), never a traceback, never a hang, and nothing of the
user's is overwritten.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_latency import make_profile

from archcalc.cli import main
from archcalc.count import latency
from archcalc.errors import ArchcalcError
from archcalc.spec import cache as spec_cache
from archcalc.spec import catalog

V1_MACS = "568,740,352"  # MobileNet V1 at α = 1, 224 px (hand_count(1, 224), the paper's 569 M)


def run_process(
    *argv: str,
    env: dict[str, str | None] | None = None,
    stdout: str = "pipe",
    stderr: str = "pipe",
    cwd: Path | None = None,
    timeout: float = 120,
) -> tuple[int, bytes, bytes]:
    """``python -m archcalc ARGV`` with ``env`` changes (None unsets) and stdout / stderr each
    ``pipe``, ``closed``, ``full`` (/dev/full) or ``null``."""
    full_env = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    files: list[Any] = []

    def target(kind: str) -> Any:
        if kind == "pipe":
            return subprocess.PIPE
        if kind in ("full", "null"):
            f = open("/dev/full" if kind == "full" else os.devnull, "wb")  # noqa: SIM115
            files.append(f)
            return f
        return subprocess.DEVNULL  # replaced by a closed descriptor below

    closed = [fd for fd, kind in ((1, stdout), (2, stderr)) if kind == "closed"]

    def close_fds() -> None:
        for fd in closed:
            os.close(fd)

    try:
        p = subprocess.run(
            [sys.executable, "-m", "archcalc", *argv],
            stdout=target(stdout),
            stderr=target(stderr),
            env=full_env,
            cwd=cwd,
            timeout=timeout,
            preexec_fn=close_fds if closed else None,
            check=False,
        )
    finally:
        for f in files:
            f.close()
    return p.returncode, p.stdout or b"", p.stderr or b""


def assert_no_traceback(code: int, err: bytes, encoding: str = "utf-8") -> None:
    text = err.decode(encoding, "replace")
    assert "Traceback" not in text and "Exception ignored" not in text, text
    assert code in (0, 2), (code, text)
    if code == 2 and err:
        lines = text.splitlines()
        assert len(lines) == 1 and lines[0].startswith("archcalc: error: "), text


# ---------------------------------------------------------------------------------------------
# Output streams.


@pytest.mark.parametrize(
    "argv",
    [
        ["table", "mobilenet_v1", "--format", "json"],
        ["table", "mobilenet_v1", "--summary"],
        ["sweep", "mobilenet_v1", "--format", "csv"],
        ["list"],
    ],
)
def test_a_closed_stdout_is_refused_before_the_work(argv: list[str]) -> None:
    code, _, err = run_process(*argv, stdout="closed")
    assert_no_traceback(code, err)
    assert code == 2 and b"standard output is closed" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["table", "mobilenet_v1", "--format", "json"],
        ["table", "mobilenet_v1", "--summary"],
        ["table", "vgg16"],
        ["compare", "standard", "dwsep", "--format", "markdown"],
    ],
)
def test_a_full_stdout_is_exit_2_in_one_line(argv: list[str]) -> None:
    code, _, err = run_process(*argv, stdout="full")
    assert_no_traceback(code, err)
    assert code == 2 and b"No space left on device" in err, err


@pytest.mark.parametrize("stderr", ["closed", "full"])
def test_a_closed_or_full_stderr_keeps_the_exit_code(stderr: str) -> None:
    code, out, err = run_process("table", "nope", stderr=stderr)
    assert (code, out, err) == (2, b"", b"")
    code, out, err = run_process("table", "mobilenet_v1", "--summary", "--format", "csv", stderr=stderr)
    assert code == 0 and b"568740352" in out


@pytest.mark.parametrize("columns", ["0", "-5", "abc", "", "٣"])
def test_columns_that_are_not_a_width_are_ignored(columns: str) -> None:
    """COLUMNS=0 printed nothing, with exit code 0."""
    code, out, err = run_process("table", "mobilenet_v1", "--summary", env={"COLUMNS": columns})
    assert_no_traceback(code, err)
    assert code == 0 and V1_MACS.encode() in out


ASCII_ENVS = [
    {"PYTHONIOENCODING": "ascii"},
    {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": None},
    {"PYTHONIOENCODING": "latin-1"},
]


@pytest.mark.parametrize("env", ASCII_ENVS, ids=["ascii", "C-locale", "latin-1"])
@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_an_output_that_cannot_encode_the_symbols_degrades(env: dict[str, str | None], fmt: str) -> None:
    """α, ρ, × and — become alpha, rho, x and -: in every format, JSON valid, tables aligned."""
    for argv in (
        ["table", "mobilenet_v1", "--alpha", "0.5", "--rho", "0.5", "--format", fmt],
        ["compare", "standard", "dwsep", "--format", fmt],
    ):
        code, out, err = run_process(*argv, env=env)
        assert_no_traceback(code, err)
        assert code == 0
        if env.get("PYTHONIOENCODING") != "latin-1":
            assert out.isascii(), out[:300]
        text = out.decode("latin-1")
        assert "α" not in text
        if fmt == "json":
            data = json.loads(text)
            assert "alpha" in json.dumps(data) or argv[0] == "compare"
        if fmt == "table" and argv[0] == "table":
            assert "alpha=0.5" in text
            tables: list[set[int]] = [set()]
            for line in text.splitlines():  # each table: consecutive lines of its box
                if line.startswith(("|", "+")):
                    tables[-1].add(len(line))
                elif tables[-1]:
                    tables.append(set())
            assert len(tables) > 1 and all(len(w) <= 1 for w in tables), "columns line up"
    if fmt == "table":  # an error message with α in it
        code, out, err = run_process("table", "mobilenet_v1", "--alpha", "0", env=env)
        assert code == 2 and err.isascii() and b"Traceback" not in err


# ---------------------------------------------------------------------------------------------
# Home directory, cache and profiles.


@pytest.mark.parametrize("home", [None, "", "relative/home"])
def test_no_usable_home_directory(home: str | None, tmp_path: Path) -> None:
    """HOME unset, empty or relative: no cache, no default profile, and nothing written where
    archcalc happens to run."""
    env = {"HOME": home, "ARCHCALC_CACHE_DIR": None, "XDG_CACHE_HOME": "rel", "ARCHCALC_CONFIG_DIR": None}
    env["XDG_CONFIG_HOME"] = None
    for argv in (
        ["sweep", "mobilenet_v1", "--format", "csv"],
        ["table", "mobilenet_v1", "--traffic", "--summary", "--format", "csv"],
        ["budget", "mobilenet_v1", "--max-macs", "150M", "--format", "json"],
    ):
        code, out, err = run_process(*argv, env=env, cwd=tmp_path)
        assert_no_traceback(code, err)
        assert code == 0 and out, err
    code, _, err = run_process("table", "mobilenet_v1", "--latency", env=env, cwd=tmp_path)
    assert code == 2 and b"no device profile" in err
    assert list(tmp_path.iterdir()) == [], "nothing may be written in the working directory"


def test_no_home_and_no_passwd_entry(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    """A uid with no passwd entry and no HOME: Path.home() raises; sweep and table --traffic ended in
    a traceback."""
    for var in ("HOME", "ARCHCALC_CACHE_DIR", "XDG_CACHE_HOME", "ARCHCALC_CONFIG_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(Path, "home", lambda: (_ for _ in ()).throw(RuntimeError("no home")))
    catalog._load_builtin.cache_clear()
    r = cli("sweep", "mobilenet_v1", "--format", "csv")
    assert r.code == 0 and r.out
    r = cli("table", "mobilenet_v1", "--traffic", "--summary", "--format", "csv")
    assert r.code == 0 and "568740352" in r.out
    r = cli("calibrate", "--quick")
    assert r.code == 2 and "ARCHCALC_CONFIG_DIR" in r.err
    catalog._load_builtin.cache_clear()


def test_a_fifo_in_the_cache_is_a_miss_not_a_hang(tmp_path: Path) -> None:
    specs = tmp_path / "cache" / "specs"
    specs.mkdir(parents=True)
    os.mkfifo(specs / "mobilenet_v1.json")
    code, out, err = run_process(
        "table",
        "mobilenet_v1",
        "--summary",
        "--format",
        "csv",
        env={"ARCHCALC_CACHE_DIR": str(tmp_path / "cache")},
        timeout=60,
    )
    assert code == 0 and b"568740352" in out, err
    assert (specs / "mobilenet_v1.json").is_fifo()


def test_a_folder_of_the_users_own_files_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ARCHCALC_CACHE_DIR pointing at a folder of one's own files: specs/mobilenet_v1.json was
    overwritten by the cache entry."""
    mine = tmp_path / "mine"
    (mine / "specs").mkdir(parents=True)
    own = {"mobilenet_v1.json": b'{"my": "own file"}\n', "notes.txt": b"keep me\n"}
    for name, data in own.items():
        (mine / "specs" / name).write_bytes(data)
    monkeypatch.setenv("ARCHCALC_CACHE_DIR", str(mine))
    catalog._load_builtin.cache_clear()
    for name in ("mobilenet_v1", "mobilenet_v2"):
        assert catalog.load_spec(name).name == name
        catalog._load_builtin.cache_clear()
    assert sorted(p.name for p in (mine / "specs").iterdir()) == sorted(own)
    for name, data in own.items():
        assert (mine / "specs" / name).read_bytes() == data
    # a folder archcalc makes is its own: tagged, and used
    ours = tmp_path / "ours"
    monkeypatch.setenv("ARCHCALC_CACHE_DIR", str(ours))
    catalog.load_spec("mobilenet_v1")
    catalog._load_builtin.cache_clear()
    assert (
        (ours / "specs" / "CACHEDIR.TAG")
        .read_bytes()
        .startswith(b"Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert (ours / "specs" / "mobilenet_v1.json").exists()


@pytest.mark.parametrize("kind", ["fifo", "dir", "symlink"])
def test_a_cache_entry_that_is_not_a_file_is_not_replaced(kind: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ARCHCALC_CACHE_DIR", str(tmp_path))
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "CACHEDIR.TAG").write_bytes(spec_cache.TAG)
    entry = tmp_path / "specs" / "mobilenet_v2.json"
    target = tmp_path / "elsewhere.json"
    target.write_text("mine")
    {"fifo": lambda: os.mkfifo(entry), "dir": entry.mkdir, "symlink": lambda: entry.symlink_to(target)}[
        kind
    ]()
    catalog._load_builtin.cache_clear()
    assert catalog.load_spec("mobilenet_v2").name == "mobilenet_v2"
    catalog._load_builtin.cache_clear()
    assert entry.is_symlink() if kind == "symlink" else (entry.is_fifo() or entry.is_dir())
    assert target.read_text() == "mine"


# ---------------------------------------------------------------------------------------------
# Profiles.


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "config"
    monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(d))
    return d


@pytest.mark.parametrize("name", ["x\n", "x" * 300, "a" * 65, "", "-x", "a/b", "\x00", "é"])
def test_bad_profile_names_are_refused(
    name: str, cli, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trailing newline was accepted; 300 characters crashed (file name too long)."""
    import archcalc.measure.calibrate as measure

    def measured(*args: object, **kwargs: object) -> None:
        raise AssertionError("calibrate measured with a bad profile name")

    monkeypatch.setattr(measure, "calibrate", measured)
    for argv in (["calibrate", "--profile", name], ["table", "mobilenet_v1", "--latency", "--profile", name]):
        r = cli(*argv)
        assert r.code == 2 and r.out == "" and "--profile" in r.err and len(r.err.splitlines()) == 1, r.err
    assert latency.check_profile_name("a" * 64) == "a" * 64


@pytest.mark.parametrize(
    "path,value",
    [
        (("kinds", "dense", "mac_rate"), "Infinity"),
        (("kinds", "dense", "mac_rate"), "1e308"),
        (("kinds", "dense", "overhead"), "1e308"),
        (("forward", "scale"), "NaN"),
        (("forward", "node_seconds"), "-Infinity"),
        (("bandwidth_curve",), "[[1000.0, 1e308]]"),
        (("kinds", "copy", "bw_efficiency"), "1e-320"),
        (("threads",), "true"),
        (("threads",), "2147483648"),
        (("peak_mac_rate",), '"1e9"'),
    ],
)
def test_a_profile_with_numbers_past_its_bounds_is_refused(
    path: tuple[str, ...], value: str, config_dir, cli
) -> None:
    """Infinity or 1e308 in a profile gave null / inf latencies."""
    data = json.loads(make_profile("bad").model_dump_json())
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = "__VALUE__"
    (config_dir / "profiles").mkdir(parents=True)
    (config_dir / "profiles" / "bad.json").write_text(json.dumps(data).replace('"__VALUE__"', value))
    with pytest.raises(ArchcalcError, match="not a valid device profile"):
        latency.load_profile("bad")
    r = cli("table", "mobilenet_v1", "--latency", "--profile", "bad", "--format", "json")
    assert r.code == 2 and "not a valid device profile" in r.err and r.out == ""


def test_every_prediction_within_the_bounds_is_finite(config_dir) -> None:
    """The extreme corners of a valid profile, on the largest network archcalc accepts."""
    import archcalc

    slow = make_profile("slow", mac_rate=1.0, byte_rate=1.0, eff=1e-6, overhead=10.0, curve=[(1e30, 1.0)])
    slow = slow.model_copy(
        update={"forward": slow.forward.model_copy(update={"scale": 1e3, "node_seconds": 10.0})}
    )
    p = archcalc.predict_latency("vgg16", 1000, 1_000_000, profile=slow, batch=2**20)
    assert p.total_ms < float("inf") and all(x.seconds < float("inf") for x in p.layers)


def test_a_file_that_is_not_a_profile_is_not_replaced(config_dir: Path, cli) -> None:
    (config_dir / "profiles").mkdir(parents=True)
    mine = config_dir / "profiles" / "default.json"
    mine.write_text('{"my": "settings"}\n')
    with pytest.raises(ArchcalcError, match="not written by archcalc"):
        latency.save_profile(make_profile("default"))
    r = cli("calibrate", "--quick")
    assert r.code == 2 and "not written by archcalc" in r.err
    assert mine.read_text() == '{"my": "settings"}\n'
    assert sorted(p.name for p in mine.parent.iterdir()) == ["default.json"], "no temporary file left"
    latency.save_profile(make_profile("other"))  # a new name is written; an archcalc profile replaced
    latency.save_profile(make_profile("other", mac_rate=2e9))
    assert latency.load_profile("other").kinds["dense"].mac_rate == 2e9


@pytest.mark.parametrize("where", ["under-a-file", "a-directory", "unwritable"])
def test_calibrate_checks_where_it_will_write_before_measuring(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    """calibrate measured for minutes and only then found it could not save."""
    import archcalc.measure.calibrate as measure

    def measured(*args: object, **kwargs: object) -> None:
        raise AssertionError("calibrate measured before checking where it will write")

    monkeypatch.setattr(measure, "calibrate", measured)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    if where == "under-a-file":
        monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(blocker / "config"))
    elif where == "a-directory":
        monkeypatch.setenv("ARCHCALC_CONFIG_DIR", str(tmp_path / "c"))
        (tmp_path / "c" / "profiles" / "default.json").mkdir(parents=True)
    else:
        monkeypatch.setenv("ARCHCALC_CONFIG_DIR", "/proc/archcalc-cannot-be-made")
    r = cli("calibrate", "--quick")
    assert r.code == 2 and r.out == "" and "cannot save profile" in r.err, r.err


def test_the_optimiser_never_overflows() -> None:
    """`calibrate --quick` failed 2 runs in 10 with OverflowError: math range error (exp of a far
    simplex vertex). Kernels far faster or slower than any rate the fit may reach drive it to its
    bounds: the constants stay within what a profile may hold."""
    from archcalc.count.closed_form import layer_costs
    from archcalc.count.kernels import group_kernels
    from archcalc.measure.calibrate import fit_roofline
    from archcalc.model.graph import GraphBuilder
    from archcalc.model.ops import Conv2d

    b = GraphBuilder((64, 56, 56))
    b.op("c", Conv2d, in_channels=64, out_channels=64, kernel=(3, 3), padding=(1, 1))
    (kernel,) = group_kernels(layer_costs(b.graph), "torch")
    for t in (1e-300, 1e-30, 1e30):
        m = fit_roofline("dense", [(kernel, t)] * 3, make_profile())
        assert m.mac_rate is not None and 1.0 <= m.mac_rate <= 1e30


# ---------------------------------------------------------------------------------------------
# --plot and --threads, before the work.


@pytest.mark.parametrize(
    "target,fragment",
    [
        ("{tmp}", "must end in .png"),
        ("{tmp}/dir.png", "not a regular file"),
        ("{tmp}/file/x.png", "is not a folder"),
        ("{tmp}/missing/x.png", "does not exist"),
        ("/proc/archcalc-x.png", "cannot write there"),
    ],
)
@pytest.mark.parametrize(
    "command", [["sweep", "mobilenet_v1"], ["budget", "mobilenet_v1", "--max-macs", "1G"]]
)
def test_plot_targets_are_checked_before_the_work(
    target: str, fragment: str, command: list[str], tmp_path: Path, cli
) -> None:
    (tmp_path / "dir.png").mkdir()
    (tmp_path / "file").write_text("x")
    r = cli(*command, "--format", "json", "--plot", target.format(tmp=tmp_path))
    assert r.code == 2 and r.out == "" and fragment in r.err and len(r.err.splitlines()) == 1, r.err


@pytest.mark.parametrize("threads", ["2147483648", "4097", "0", "-1"])
def test_threads_are_bounded_before_torch(threads: str, cli) -> None:
    for argv in (["time", "mobilenet_v1", "--threads", threads], ["calibrate", "--threads", threads]):
        r = cli(*argv)
        assert r.code == 2 and "--threads" in r.err and len(r.err.splitlines()) == 1, r.err


# ---------------------------------------------------------------------------------------------
# In-process streams (the fuzzers run main() in-process, so it must cope with any sys.stdout).


class FullStream(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError(28, "No space left on device")


def test_in_process_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        monkeypatch.setattr(sys, "stdout", None)
        assert main(["table", "mobilenet_v1"]) == 2
        monkeypatch.setattr(sys, "stdout", FullStream())
        assert main(["table", "mobilenet_v1", "--format", "json"]) == 2
        assert main(["table", "mobilenet_v1", "--summary"]) == 2
    lines = err.getvalue().splitlines()
    assert lines[0] == (
        "archcalc: error: standard output is closed, so there is nowhere to write the result (use >/dev/null)"
    )
    assert lines[1:] == ["archcalc: error: cannot write the output: No space left on device"] * 2
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["table", "nope"]) == 2
    assert (
        main(["table", "mobilenet_v1", "--summary", "--format", "csv"]) == 0 and "568740352" in out.getvalue()
    )


def test_ascii_stand_ins_keep_every_format_valid() -> None:
    """No stand-in holds a character that means something in JSON, CSV or Markdown."""
    from archcalc.render.ascii import SYMBOLS, stand_in

    for ch, text in SYMBOLS.items():
        assert text.isascii() and not set(text) & set('"\\,|\n'), ch
    for ch in "é∀😀\u200b":
        assert stand_in(ch).isascii() and not set(stand_in(ch)) & set('"\\,|\n')


# ---------------------------------------------------------------------------------------------
# Random environments.


@st.composite
def environments(draw: st.DrawFn) -> tuple[list[str], dict[str, str | None], str, str]:
    argv = draw(
        st.sampled_from(
            [
                ["table", "mobilenet_v1", "--format", "json"],
                ["table", "shufflenet_v2", "--summary"],
                ["compare", "standard", "dwsep", "--format", "csv"],
                ["sweep", "mobilenet_v1", "--format", "markdown"],
                ["budget", "mobilenet_v1", "--max-macs", "150M"],
                ["size", "squeezenet1_0", "--density", "0.1", "--summary"],
                ["memory", "mobilenet_v2", "--format", "json"],
                ["paper", "mobilenet_v1"],
                ["list"],
                ["table", "mobilenet_v1", "--alpha", "0"],
                ["table", "mobilenet_v1", "--traffic", "--latency"],
            ]
        )
    )
    env: dict[str, str | None] = {}
    env["HOME"] = draw(st.sampled_from([None, "", "rel", "/nonexistent-home", os.environ.get("HOME", "/")]))
    for var in ("ARCHCALC_CACHE_DIR", "ARCHCALC_CONFIG_DIR", "XDG_CACHE_HOME"):
        env[var] = draw(st.sampled_from([None, "", "/dev/null/x", os.environ.get(var) or "/tmp"]))
    env.update(draw(st.sampled_from([{}, *ASCII_ENVS, {"PYTHONIOENCODING": "utf-16"}])))
    env["COLUMNS"] = draw(st.sampled_from([None, "0", "-5", "abc", "1", "40", "100000"]))
    stdout = draw(st.sampled_from(["pipe", "pipe", "closed", "full", "null"]))
    stderr = draw(st.sampled_from(["pipe", "pipe", "closed", "full"]))
    return argv, env, stdout, stderr


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=environments())
def test_random_environments(case: tuple[list[str], dict[str, str | None], str, str]) -> None:
    argv, env, stdout, stderr = case
    code, out, err = run_process(*argv, env=env, stdout=stdout, stderr=stderr)
    encoding = env.get("PYTHONIOENCODING") or ("ascii" if env.get("LC_ALL") == "C" else "utf-8")
    assert_no_traceback(code, err, encoding)
    if stdout == "closed":
        assert code == 2
    elif stdout == "full":
        assert code == 2 or out == b""
    if code == 0 and stdout == "pipe":
        assert out
        if "json" in argv:
            json.loads(out.decode(encoding))
        if env.get("PYTHONIOENCODING") == "ascii" or env.get("LC_ALL") == "C":
            assert out.isascii()
