"""Where a model's Cortex-M instructions go: executed instructions per function (QEMU plugin
per-block counts mapped to the firmware's symbols; inlined helpers count in their callers).

    python tools/cortexm_profile.py MODEL.tflite [--target cortex-m4] [--top 25]
"""
from __future__ import annotations

import argparse
import bisect
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import interp  # noqa: E402
from interp import cortexm  # noqa: E402


def functions(elf: Path) -> tuple[list[int], list[str]]:
    """Start addresses (sorted, Thumb bit off) and names of the firmware's functions."""
    out = subprocess.run([cortexm.CROSS + "nm", "-n", str(elf)], check=True, capture_output=True,
                         text=True).stdout
    starts, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            starts.append(int(parts[0], 16) & ~1)
            names.append(parts[2])
    return starts, names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--target", default="cortex-m4")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--blocks", type=int, default=0, help="also list the N hottest blocks")
    a = ap.parse_args()
    it = interp.Interpreter(Path(a.model), target="board")
    rng = np.random.default_rng(0)
    runs = [[rng.integers(-128, 128, d["shape"]).astype(d["dtype"])
             for d in it.get_input_details()]]
    with tempfile.TemporaryDirectory() as tmp:
        ex = cortexm.export(it, a.target, Path(tmp) / "fw")
        elf = cortexm.build(ex.out_dir)
        pcs = Path(tmp) / "pcs.txt"
        res = cortexm.run_firmware(ex, elf, runs, count=True, pcs=pcs)
        starts, names = functions(elf)
        per_fn: Counter[str] = Counter()
        per_block: Counter[tuple[int, int]] = Counter()
        for line in pcs.read_text().splitlines():
            addr, n, execs = line.split()
            i = bisect.bisect_right(starts, int(addr, 16)) - 1
            per_fn[names[i] if i >= 0 else "?"] += int(n) * int(execs)
            per_block[(int(addr, 16), int(n))] += int(execs)
    total = sum(per_fn.values())
    print(f"{Path(a.model).name} on {a.target}: {res.total_insns:,} instructions "
          f"(blocks sum {total:,}; blocks left early count in full)")
    for name, n in per_fn.most_common(a.top):
        print(f"  {n:>12,}  {100 * n / total:5.1f}%  {name}")
    if a.blocks:
        print("hottest blocks: instructions, address, function + offset, block length x entries")
        hot = sorted(per_block.items(), key=lambda kv: -kv[0][1] * kv[1])[:a.blocks]
        for (addr, n), execs in hot:
            i = bisect.bisect_right(starts, addr) - 1
            print(f"  {n * execs:>12,}  {addr:#x}  {names[i]}+{addr - starts[i]:#x}  {n} x {execs:,}")


if __name__ == "__main__":
    main()
