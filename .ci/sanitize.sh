#!/usr/bin/env bash
# Sanitizer suite: the C library and executor built with ASan + UBSan (QK_SANITIZE=1), running the
# kernel tests and the real models. Works on a copy so the normal in-place build stays untouched.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$src" && git ls-files -z | xargs -0 tar -cf - ) | tar -xf - -C "$work"
ln -s "$src/../shared" "$work/../shared" 2>/dev/null || true
cd "$work"
QK_SANITIZE=1 python3 interp/_ffi_build.py >/dev/null
export INTERP_MODELS="$src/../shared/models"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The Python-level suites that drive C: every kernel family test, the real models, memory/guards.
HYPOTHESIS_PROFILE=dev python3 -m pytest -q -p no:cacheprovider tests \
    --ignore=tests/test_fuzz.py --ignore=tests/test_cortexm.py -k "not cli"
