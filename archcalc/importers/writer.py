"""An imported spec as readable YAML: the header as blocks, one flow mapping per row (one line per
layer), and the ledger as comments. It reloads (``archcalc table FILE.yaml``) to the same numbers.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from archcalc.importers.rows import ImportResult

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "none", "y", "n", "~"}


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        text = repr(v)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(v, str):
        return v if _PLAIN.match(v) and v.lower() not in _RESERVED else json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_scalar(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} to a spec")


def row_data(entry: Any) -> dict[str, Any]:
    """A row's fields as written: name, kind and from first, then what differs from the defaults."""
    data = entry.model_dump(exclude_defaults=True, by_alias=True)
    first = {k: data.pop(k) for k in ("name", "kind", "from") if k in data}
    first.setdefault("kind", entry.kind)
    return {**first, **data}


def to_yaml(result: ImportResult) -> str:
    """The spec of ``result`` as YAML text, ledger first as comments."""
    spec = result.spec
    lines = [f"# {spec.title}: {spec.source}", "# written by `archcalc import`; one row per layer."]
    if result.ledger:
        lines.append("# Dropped or merged (they cost nothing; `archcalc import --ledger` lists each):")
        lines.extend(
            f"#   {e.node} ({e.op}): {e.action}: {e.why}" for e in result.ledger if e.action != "folded"
        )
        folded = Counter(e.op for e in result.ledger if e.action == "folded")
        if folded:
            ops = ", ".join(f"{op} ×{n}" for op, n in folded.most_common())
            lines.append(f"#   folded: {sum(folded.values())} constant or shape-arithmetic nodes ({ops})")
    lines += [
        f"name: {_scalar(spec.name)}",
        f"title: {_scalar(spec.title)}",
        f"source: {_scalar(spec.source)}",
        f"input: {_scalar(spec.input.model_dump(exclude_defaults=True))}",
        f"width: {_scalar({'rule': spec.width.rule} | spec.width.model_dump(exclude_defaults=True))}",
        "body:",
    ]
    lines.extend(f"  - {_scalar(row_data(e))}" for e in spec.body)
    return "\n".join(lines) + "\n"
