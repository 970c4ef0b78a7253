"""Finding and loading spec files: built-in networks by name, or a user's YAML file by path.

A built-in spec is cached as JSON once it validated (:mod:`archcalc.spec.cache`), and a hit is rebuilt
without validating again (:mod:`archcalc.spec.trusted`), so a warm start neither imports PyYAML nor
builds a pydantic validator; a spec file given by path is parsed and validated on every load.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archcalc.errors import ArchcalcError, ArchcalcTypeError
from archcalc.spec import cache as spec_cache
from archcalc.spec import trusted
from archcalc.spec.schema import ENTRY_KINDS, NetworkSpec


@lru_cache(maxsize=1)
def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest *safe* loader (no object construction), imported on first use."""
    import yaml

    try:  # the C loader is much faster
        from yaml import CSafeLoader as loader
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        from yaml import SafeLoader as loader  # type: ignore[assignment]
    return yaml, loader


def specs_dir() -> Path:
    """The built-in specs: packaged as ``archcalc/specs`` in a wheel, ``specs/`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "specs"
    return packaged if packaged.is_dir() else package.parent / "specs"


@lru_cache(maxsize=1)
def _builtin_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in specs_dir().glob("*.yaml")))


def builtin_names() -> list[str]:
    """The built-in networks' names (the spec directory is listed once per process)."""
    return list(_builtin_names())


def _is_path(net: str) -> bool:
    return net.endswith((".yaml", ".yml", ".onnx")) or "/" in net or "\\" in net


def is_onnx(net: object) -> bool:
    """A path (str or Path) to an ONNX file, by its suffix."""
    return isinstance(net, str | Path) and str(net).lower().endswith(".onnx")


def format_validation_error(source: str, err: ValidationError) -> str:
    """One line naming every problem: ``file: field.path: reason (got …)``, joined by ``; ``
    (``file: 2 problems: a.b: …; c.d: …``). A field that fails every branch of a union (a number
    or a ``$knob``) is named once, with the first branch's reason."""
    problems: dict[str, str] = {}
    for e in err.errors():
        where = _where(e["loc"])
        got = e.get("input")
        shown = isinstance(got, str | int | float | bool) and len(repr(got)) < 40
        detail = f" (got {got!r})" if shown else ""
        problems.setdefault(where, f"{where}: {e['msg']}{detail}")
    if len(problems) == 1:
        return f"{source}: {next(iter(problems.values()))}"
    return f"{source}: {len(problems)} problems: " + "; ".join(problems.values())


_UNION_TAGS = frozenset({"int", "float", "str", "bool", "none"})


def _where(loc: tuple[int | str, ...]) -> str:
    """``stem.0.out`` from pydantic's location, without the tags it adds: the row kind after a list
    index, and a union branch (``constrained-int``, ``function-after[…]``)."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        prev = loc[i - 1] if i else None
        if isinstance(prev, int) and part in ENTRY_KINDS:
            continue  # the discriminator tag pydantic inserts after a list index
        if isinstance(part, str) and (part in _UNION_TAGS or "-" in part or "[" in part):
            continue
        parts.append(str(part))
    return ".".join(parts) or "(top level)"


MAX_SPEC_BYTES = 4 << 20
"""Largest spec file read (4 MiB; the built-in specs are under 20 KiB)."""
MAX_DEPTH = 64
"""Deepest nesting of YAML collections accepted (the built-in specs nest 5 deep)."""


def _check_depth(text: str, source: str) -> None:
    """Refuse collections nested deeper than :data:`MAX_DEPTH`.

    libyaml's composer recurses once per level and overflows the C stack (a segfault, not an
    exception) somewhere past 20,000 levels. The parser's event stream does not recurse, so the depth
    is counted from events before anything is composed. Deep nesting needs a flow bracket, a block
    ``-`` or a ``?`` per level (indentation alone costs depth² bytes, far past the size limit), so
    texts with few of them skip the event pass.
    """
    if sum(text.count(c) for c in "[{-?") <= 2 * MAX_DEPTH * 16:
        return
    yaml, loader = _yaml()
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else "?"
                    raise ArchcalcError(
                        f"{source}: collections nested more than {MAX_DEPTH} levels deep at line {line}"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as e:
        # PyYAML ≥ 6.0.4 has a nesting limit of its own (1,000 levels) that its scanner enforces
        # while reading ahead, before the events above reach ours: the same refusal, in our words.
        problem = str(getattr(e, "problem", "") or "")
        if "nesting depth" in problem or "nesting level" in problem:
            mark = getattr(e, "problem_mark", None)
            line = mark.line + 1 if mark else "?"
            raise ArchcalcError(
                f"{source}: collections nested more than {MAX_DEPTH} levels deep at line {line}"
            ) from None
        return  # the loader reports the syntax error with its position


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """Parse YAML text (safe loader only) into the mapping a spec is; errors name ``source``."""
    _check_depth(text, source)
    yaml, loader = _yaml()
    try:
        data = yaml.load(text, Loader=loader)
    except RecursionError:  # the pure-Python loader, where PyYAML was built without libyaml
        raise ArchcalcError(f"{source}: collections nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ArchcalcError(f"{source}: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ArchcalcError(f"{source}: a spec must be a YAML mapping (name, title, width, body …)")
    return data


def validate_spec(data: dict[str, Any], source: str) -> NetworkSpec:
    """Validate parsed spec data as a :class:`NetworkSpec`; an error is one line naming ``source``.

    Valid data takes the fast path (:mod:`archcalc.spec.fast_validate`); whatever it does not accept
    is validated by :class:`NetworkSpec` itself, which words the error."""
    from archcalc.spec import fast_validate  # not on a warm start, which validates nothing

    spec = fast_validate.validate(data)
    if spec is not None:
        return spec
    try:
        return NetworkSpec.model_validate(data)
    except ValidationError as e:
        raise ArchcalcError(format_validation_error(source, e)) from None
    except RecursionError:
        raise ArchcalcError(f"{source}: collections nested too deeply") from None


def parse_spec(text: str, source: str) -> NetworkSpec:
    """Parse YAML text (safe loader only) and validate it as a :class:`NetworkSpec`."""
    return validate_spec(parse_yaml(text, source), source)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)  # bounded: /dev/zero or a huge file never fills memory
    except FileNotFoundError:
        raise ArchcalcError(f"spec file {path} does not exist") from None
    except OSError as e:
        raise ArchcalcError(f"spec file {path} cannot be read: {e.strerror}") from None
    except ValueError:  # a NUL byte in the path
        raise ArchcalcError(f"spec file {str(path)!r}: not a valid path") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise ArchcalcError(f"spec file {path} is larger than the {MAX_SPEC_BYTES:,}-byte limit")
    return raw


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchcalcError(f"{path}: not a UTF-8 text file") from None


def load_file(path: Path) -> NetworkSpec:
    return parse_spec(_decode(_read(path), path), str(path))


@lru_cache(maxsize=64)
def _load_builtin(name: str) -> NetworkSpec:
    path = specs_dir() / f"{name}.yaml"
    raw = _read(path)
    data = spec_cache.load(name, raw)
    if data is not None:
        try:
            return trusted.construct(NetworkSpec, data)
        except Exception:  # not what this archcalc stores: a miss
            pass
    spec = validate_spec(parse_yaml(_decode(raw, path), str(path)), str(path))
    spec_cache.store(name, raw, trusted.dump(spec))
    return spec


def load_spec(net: str | os.PathLike[str] | NetworkSpec | Mapping[str, Any]) -> NetworkSpec:
    """A built-in name (``mobilenet_v1``), a path to a YAML spec or an ONNX file (imported), a spec
    object, or a spec's data as a mapping (what the YAML file would hold), validated as a file is."""
    if isinstance(net, NetworkSpec):
        return net
    if isinstance(net, Mapping):
        return validate_spec(dict(net), "net (a spec mapping)")
    if is_onnx(net):
        from archcalc.importers.onnx_graph import import_onnx_file

        return import_onnx_file(net).spec  # type: ignore[arg-type]
    if isinstance(net, os.PathLike) and isinstance(os.fspath(net), str):
        return load_file(Path(net))
    if not isinstance(net, str):
        raise ArchcalcTypeError(
            "net must be a built-in network name, a spec file path, a NetworkSpec or a spec mapping, "
            f"got {type(net).__name__}"
        )
    if _is_path(net):
        return load_file(Path(net))
    names = _builtin_names()
    if net in names:
        return _load_builtin(net)
    import difflib

    close = difflib.get_close_matches(net, names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ArchcalcError(f"unknown network {net!r}{hint} (`archcalc list` shows the built-in ones)")
