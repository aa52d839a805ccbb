"""Our planned arena vs its lower bound and TFLM's minimal arena, for every model with a golden.

    python benchmarks/arena_table.py [--csv out.csv]
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from pathlib import Path

import interp

MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"
TINYENGINE = {"mcunet-10fps_vww": 59 * 1024, "mcunet-5fps_vww": 92 * 1024}  # peak SRAM, their README


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--csv")
    a = ap.parse_args()
    rows = []
    print("arena bytes: optimize='memory' (the smallest plan), its lower bound, TFLM's minimal arena,")
    print("their ratio, and the default optimize='speed' plan (fast-path scratch, no in-place depthwise)")
    print(f"{'model':36} {'ours':>9} {'bound':>9} {'TFLM min':>9} {'ratio':>6} {'speed':>9} {'ratio':>6}")
    for meta_path in sorted((MODELS / "golden").glob("*.json")):
        meta = json.loads(meta_path.read_text())
        name = meta_path.stem
        try:
            it = interp.Interpreter(MODELS / meta["model"], optimize="memory")
            fast = interp.Interpreter(MODELS / meta["model"])
        except interp.InterpError as e:
            print(f"{name:36} unsupported: {str(e).splitlines()[0]}")
            continue
        tflm = meta["tflm_min_arena_bytes"]
        ratio = it.arena_bytes / tflm
        rows.append({"model": name, "arena": it.arena_bytes, "lower_bound": it.arena_lower_bound,
                     "tflm_min_arena": tflm, "ratio": round(ratio, 3), "speed_arena": fast.arena_bytes,
                     "speed_ratio": round(fast.arena_bytes / tflm, 3)})
        extra = f"  (TinyEngine {TINYENGINE[name]})" if name in TINYENGINE else ""
        print(f"{name:36} {it.arena_bytes:9d} {it.arena_lower_bound:9d} {tflm:9d} {ratio:6.3f} "
              f"{fast.arena_bytes:9d} {fast.arena_bytes / tflm:6.3f}{extra}")
    if rows:
        for key, label in (("ratio", "memory"), ("speed_ratio", "speed")):
            print(f"{label}: median ratio {statistics.median(r[key] for r in rows):.3f} over {len(rows)} "
                  f"models; max {max(r[key] for r in rows):.3f}")
    if a.csv and rows:
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
