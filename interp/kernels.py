"""The one importer of the compiled C library, and the one place a C status becomes an exception."""
from __future__ import annotations

import numpy as np

from .errors import KernelError

try:
    from ._kernels import ffi, lib
except ImportError as e:  # pragma: no cover - only without a build
    raise ImportError("interp's C extension is not built; run `pip install .` from the project root") from e


def run_plan(words: np.ndarray, consts: np.ndarray, arena: np.ndarray, op_names: list[str],
             guards: np.ndarray | None = None) -> None:
    """Run a plan in `arena` (uint8, writable). Raises KernelError naming the failing op.

    With `guards` (int32 [n, 4]: offset, bytes, first op, last op), runs in debug mode checking
    them after every op.
    """
    failed = ffi.new("int32_t *")
    args = (ffi.cast("const int32_t *", ffi.from_buffer(words)), len(words),
            ffi.cast("const uint8_t *", ffi.from_buffer(consts)), consts.nbytes,
            ffi.cast("uint8_t *", ffi.from_buffer(arena, require_writable=True)), arena.nbytes)
    if guards is None or len(guards) == 0:
        status = lib.qk_plan_run(*args, failed)
    else:
        flat = np.ascontiguousarray(guards, np.int32)
        status = lib.qk_plan_run_guarded(*args, ffi.cast("const int32_t *", ffi.from_buffer(flat)),
                                         len(flat), failed)
    if status != 0:
        detail = ffi.string(lib.qk_status_str(status)).decode("ascii")
        at = failed[0]
        where = f"op {at} ({op_names[at]})" if 0 <= at < len(op_names) else "plan"
        raise KernelError(f"{where}: {detail} (status {status})", status, at)
