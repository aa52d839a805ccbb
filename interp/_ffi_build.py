"""cffi build script (out-of-line API mode), run by setuptools at build time."""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import cffi

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"

CDEF = """
int32_t qk_plan_check(const int32_t *plan, int32_t plan_words, size_t const_bytes, size_t arena_bytes);
int32_t qk_plan_run(const int32_t *plan, int32_t plan_words, const uint8_t *consts,
                    size_t const_bytes, uint8_t *arena, size_t arena_bytes, int32_t *failed_op);
int32_t qk_plan_run_guarded(const int32_t *plan, int32_t plan_words, const uint8_t *consts,
                            size_t const_bytes, uint8_t *arena, size_t arena_bytes,
                            const int32_t *guards, int32_t n_guards, int32_t *failed_op);
const char *qk_status_str(int32_t status);
"""

C_FLAGS = ["-std=c99", "-O3", "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes"]
# The extension is built on the machine that runs it (pip install from source), so let the compiler
# use that CPU's vector units; the kernels are integer code, so results are identical either way.
# QK_MARCH overrides it (QK_MARCH= for a portable build, e.g. when making wheels for others).
MARCH = os.environ.get("QK_MARCH", "native" if platform.machine().lower() in ("x86_64", "amd64", "aarch64") else "")
if MARCH and sys.platform.startswith("linux"):
    C_FLAGS.append(f"-march={MARCH}")
if os.environ.get("QK_SANITIZE"):
    C_FLAGS += ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]

builder = cffi.FFI()
builder.cdef(CDEF)
builder.set_source(
    "interp._kernels",
    '#include "qk.h"\n',
    sources=[os.path.relpath(p, ROOT) for p in sorted((CSRC / "src").glob("*.c"))],
    include_dirs=[os.path.relpath(CSRC / "include", ROOT), os.path.relpath(CSRC / "src", ROOT)],
    extra_compile_args=C_FLAGS,
    extra_link_args=["-fsanitize=address,undefined"] if os.environ.get("QK_SANITIZE") else [],
)

if __name__ == "__main__":  # in-place build for development: python interp/_ffi_build.py
    builder.compile(tmpdir=str(ROOT), verbose=False)
