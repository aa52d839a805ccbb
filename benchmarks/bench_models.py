"""Latency of interp vs tflite-micro and LiteRT on the same models and inputs, in one run.

Runtimes are interleaved round by round (rotating order) so machine noise hits all alike; each
cell is the median of the per-round medians of single-invoke times (time.perf_counter_ns).

    python benchmarks/bench_models.py [MODEL ...] [--rounds 5] [--csv out.csv]

Default models: the four MLPerf Tiny references. Needs tflite-micro and ai-edge-litert.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import interp

MODELS = Path(__file__).resolve().parent.parent.parent / "shared" / "models"
DEFAULT = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8"]


def make_runners(name: str) -> tuple[dict, list[np.ndarray]]:
    path = MODELS / f"{name}.tflite"
    data = path.read_bytes()
    golden = np.load(MODELS / "golden" / f"{name}.npz")
    ours = interp.Interpreter(model_content=data)
    ins = [golden[f"input_{i}_seed0"] for i in range(len(ours.get_input_details()))]
    runners = {}

    def ours_run() -> None:
        for d, x in zip(ours.get_input_details(), ins):
            ours.set_tensor(d["index"], x)
        t = time.perf_counter_ns()
        ours.invoke()
        return time.perf_counter_ns() - t
    runners["interp"] = ours_run

    from tflite_micro.python.tflite_micro import runtime
    tflm = runtime.Interpreter.from_bytes(data, arena_size=8 << 20)

    def tflm_run() -> None:
        for i, x in enumerate(ins):
            tflm.set_input(x, i)
        t = time.perf_counter_ns()
        tflm.invoke()
        return time.perf_counter_ns() - t
    runners["tflm"] = tflm_run

    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    for label, kind in [("litert_ref", OpResolverType.BUILTIN_REF),
                        ("litert_nodelegate", OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
                        ("litert_xnnpack", OpResolverType.AUTO)]:
        try:
            lt = Interpreter(model_content=data, num_threads=1, experimental_op_resolver_type=kind)
            lt.allocate_tensors()
        except Exception as e:  # LiteRT rejects some models (person_detect)
            print(f"  {name}: {label} unavailable: {e}", file=sys.stderr)
            continue

        def lt_run(lt=lt) -> None:
            for d, x in zip(lt.get_input_details(), ins):
                lt.set_tensor(d["index"], x)
            t = time.perf_counter_ns()
            lt.invoke()
            return time.perf_counter_ns() - t
        runners[label] = lt_run
    return runners, ins


def bench(name: str, rounds: int, budget_s: float) -> dict[str, float]:
    runners, _ = make_runners(name)
    for fn in runners.values():  # warm up
        for _ in range(3):
            fn()
    per_round: dict[str, list[float]] = {k: [] for k in runners}
    keys = list(runners)
    for r in range(rounds):
        order = keys[r % len(keys):] + keys[:r % len(keys)]
        for k in order:
            fn = runners[k]
            first = fn()
            n = int(min(20000, max(3, budget_s * 1e9 / max(first, 1))))
            per_round[k].append(statistics.median([first] + [fn() for _ in range(n - 1)]) / 1e3)
    return {k: statistics.median(v) for k, v in per_round.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", default=DEFAULT)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.1, help="seconds per runtime per round")
    ap.add_argument("--csv", help="write the table as CSV here")
    a = ap.parse_args()
    cols = ["interp", "tflm", "litert_ref", "litert_nodelegate", "litert_xnnpack"]
    rows = []
    print(f"{'model':28} " + " ".join(f"{c + ' us':>19}" for c in cols)
          + f" {'/tflm':>7} {'/ref':>7} {'/nodeleg':>8} {'/xnn':>7}")
    for name in a.models:
        med = bench(name, a.rounds, a.budget)
        ratio = {c: med["interp"] / med[c] if c in med else float("nan") for c in cols[1:]}
        rows.append({"model": name, **{f"{c}_us": round(med.get(c, float("nan")), 1) for c in cols},
                     **{f"ratio_vs_{c}": round(v, 3) for c, v in ratio.items()}})
        print(f"{name:28} " + " ".join(f"{med.get(c, float('nan')):19.1f}" for c in cols)
              + f" {ratio['tflm']:7.3f} {ratio['litert_ref']:7.3f} {ratio['litert_nodelegate']:8.3f}"
              f" {ratio['litert_xnnpack']:7.3f}", flush=True)
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
