"""The one importer of the compiled C library, and the one place a C status becomes an exception."""
from __future__ import annotations

import numpy as np

from .errors import KernelError

try:
    from ._kernels import ffi, lib
except ImportError as e:  # pragma: no cover - only without a build
    raise ImportError("interp's C extension is not built; run `pip install .` from the project root") from e


class PlanRunner:
    """A plan bound to its buffers: the C pointers are made once, so invoke() costs one C call.

    With `guards` (int32 [n, 4]: offset, bytes, first op, last op) it runs in debug mode,
    checking the guard bytes around live buffers after every op. The arrays must stay alive and
    unmoved as long as the runner is used (the Interpreter owns both).
    """

    def __init__(self, words: np.ndarray, consts: np.ndarray, arena: np.ndarray, op_names: list[str],
                 guards: np.ndarray | None = None) -> None:
        self._keep = (words, consts, arena, guards)
        self._op_names = op_names
        self._failed = ffi.new("int32_t *")
        self._args = (ffi.cast("const int32_t *", ffi.from_buffer(words)), len(words),
                      ffi.cast("const uint8_t *", ffi.from_buffer(consts)), consts.nbytes,
                      ffi.cast("uint8_t *", ffi.from_buffer(arena, require_writable=True)), arena.nbytes)
        self._guards = None
        if guards is not None and len(guards):
            flat = np.ascontiguousarray(guards, np.int32)
            self._keep += (flat,)
            self._guards = (ffi.cast("const int32_t *", ffi.from_buffer(flat)), len(flat))

    def run(self) -> None:
        if self._guards is None:
            status = lib.qk_plan_run(*self._args, self._failed)
        else:
            status = lib.qk_plan_run_guarded(*self._args, *self._guards, self._failed)
        if status != 0:
            detail = ffi.string(lib.qk_status_str(status)).decode("ascii")
            at = self._failed[0]
            where = f"op {at} ({self._op_names[at]})" if 0 <= at < len(self._op_names) else "plan"
            raise KernelError(f"{where}: {detail} (status {status})", status, at)
