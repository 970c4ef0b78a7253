"""Element sizes of the dtypes traffic can be priced at."""

from __future__ import annotations

from archcalc.errors import ArchcalcError, ArchcalcTypeError

DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}


def dtype_bytes(name: str) -> int:
    if not isinstance(name, str):
        raise ArchcalcTypeError(f"--dtype must be one of {', '.join(DTYPE_BYTES)}, got {name!r}")
    try:
        return DTYPE_BYTES[name]
    except KeyError:
        raise ArchcalcError(
            f"--dtype {name!r} is not known; choose one of {', '.join(DTYPE_BYTES)}"
        ) from None
