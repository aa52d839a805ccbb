"""Latency of interp vs tflite-micro and LiteRT (reference, no-delegate, XNNPACK; 1 thread) on the
same models and golden inputs, interleaved, in one run (see interp/bench.py for the method).

    python benchmarks/bench_models.py [MODEL ...] [--rounds 5] [--csv out.csv]

Default models: the four MLPerf Tiny references. `python -m interp bench MODEL` does one model.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from interp import bench

MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"
DEFAULT = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", default=DEFAULT)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.1, help="seconds per runtime per round")
    ap.add_argument("--optimize", default="speed", choices=["speed", "memory"])
    ap.add_argument("--csv", help="write the table as CSV here")
    a = ap.parse_args()
    rows = []
    print(bench.header())
    for name in a.models:
        golden = np.load(MODELS / "golden" / f"{name}.npz")
        inputs = [golden[k] for k in sorted(golden.files) if k.startswith("input_") and k.endswith("_seed0")]
        med = bench.compare((MODELS / f"{name}.tflite").read_bytes(), inputs, a.rounds, a.budget, a.optimize)
        print(bench.format_row(name, med), flush=True)
        rows.append({"model": name, **{f"{k}_us": round(v, 2) for k, v in med.items()},
                     **{f"ratio_vs_{k}": round(med["interp"] / v, 4) for k, v in med.items() if k != "interp"}})
    if a.csv and rows:
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r}, key=lambda k: (k != "model", k)))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
