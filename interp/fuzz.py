"""Mutation fuzzing of .tflite loading and running: the harness behind tests/test_fuzz.py and
tools/fuzz_models.py.

`mutate` derives hostile files from a real model (bit flips, truncation, splices, offsets pointed
out of range, huge lengths). `check_file` loads one file and, if it loads, runs it once on
random inputs: an InterpError is the expected outcome for a bad file; any other exception is a
bug. Crashes, hangs and memory blow-ups are caught by running `worker` in a subprocess with
resource limits (see tools/fuzz_models.py).
"""
from __future__ import annotations

import struct
import sys
import traceback

import numpy as np

from .errors import InterpError
from .cli_io import random_inputs
from .interpreter import Interpreter

MUTATIONS = ("bitflip", "truncate", "splice", "offset", "huge_length", "zero_run", "byte_set")


def mutate(data: bytes, rng: np.random.Generator, kind: str | None = None) -> bytes:
    """One hostile variant of `data`."""
    buf = bytearray(data)
    n = len(buf)
    kind = kind or MUTATIONS[int(rng.integers(len(MUTATIONS)))]
    if kind == "bitflip":
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(n))
            buf[i] ^= 1 << int(rng.integers(8))
    elif kind == "truncate":
        del buf[int(rng.integers(0, n)):]
    elif kind == "splice":
        a, b = sorted(int(x) for x in rng.integers(0, n, 2))
        c = int(rng.integers(0, n))
        chunk = buf[a:b][:256]
        buf[c:c + len(chunk)] = chunk
    elif kind in ("offset", "huge_length"):
        # Overwrite an aligned word in the flatbuffer's tables (the first part of the file):
        # an out-of-range offset, or a vector length near 2^31 / 2^32.
        limit = max(4, min(n, 4096 if rng.random() < 0.5 else n) - 4)
        i = int(rng.integers(0, limit)) & ~3
        value = (int(rng.integers(n, n + 1 << 20)) if kind == "offset"
                 else int(rng.choice([0x7FFFFFFF, 0xFFFFFFFF, 0x40000000, 0x10000001])))
        buf[i:i + 4] = struct.pack("<I", value & 0xFFFFFFFF)
    elif kind == "zero_run":
        i = int(rng.integers(n))
        buf[i:i + int(rng.integers(1, 64))] = bytes(min(64, n - i))[:int(rng.integers(1, 64))]
    else:  # byte_set: interesting single bytes (type codes, enum edges)
        i = int(rng.integers(n))
        buf[i] = int(rng.choice([0, 1, 0x7F, 0x80, 0xFF, 9, 7, 2, 17]))
    return bytes(buf)


def check_file(data: bytes, seed: int = 0) -> str:
    """'rejected', 'ran' or raises AssertionError describing an unexpected exception."""
    try:
        it = Interpreter(model_content=data)
        details = it.get_input_details()
        for d, x in zip(details, random_inputs(details, seed)):
            it.set_tensor(d["index"], x)
        it.invoke()
        return "ran"
    except InterpError:
        return "rejected"
    except Exception as e:  # any other exception is a verifier gap
        raise AssertionError(f"{type(e).__name__}: {e}\n{traceback.format_exc()}") from e


def worker(paths: list[str]) -> int:
    """Subprocess entry: check every file; print one status line each; exit 3 on a bug."""
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        try:
            status = check_file(data)
        except AssertionError as e:
            print(f"BUG {p}: {e}", flush=True)
            return 3
        print(f"{status} {p}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(worker(sys.argv[1:]))
