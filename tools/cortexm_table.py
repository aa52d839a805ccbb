"""Markdown table: models x Cortex-M boards -> bit-exact vs host, instructions per inference
(and per multiply-accumulate of the CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED ops), flash and
RAM (arm-none-eabi-size), measured stack.

    python tools/cortexm_table.py [--models default ad01_int8 ...] [--boards ...] [--json out.json]
                                  [--csv out.csv]

Models other than "default" are <INTERP_MODELS>/<name>.tflite run on its golden inputs (seed 0,
compared with the golden output too); "default" is the bundled model on a seeded random input.
A model too big for the micro:bit is run as Cortex-M0+ code on mps2-an385 (marked "*").
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import interp  # noqa: E402
from interp import cortexm, default_model  # noqa: E402

MODELS = Path(os.environ.get("INTERP_MODELS") or Path(__file__).resolve().parents[2] / "shared" / "models")
BOARDS = ["microbit", "mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547"]


def case(name: str):
    if name == "default":
        it = interp.Interpreter(default_model.build())
        rng = np.random.default_rng(0)
        xs = [rng.integers(-128, 128, d["shape"]).astype(d["dtype"]) for d in it.get_input_details()]
        return it, xs, None
    meta = json.loads((MODELS / "golden" / f"{name}.json").read_text())
    g = np.load(MODELS / "golden" / f"{name}.npz")
    s = meta["seeds"][0]
    it = interp.Interpreter(MODELS / meta["model"])
    return (it, [g[f"input_{i}_seed{s}"] for i in range(len(meta["inputs"]))],
            [g[f"output_{i}_seed{s}"] for i in range(len(meta["outputs"]))])


def macs(it) -> int:
    """Multiply-accumulates of the model's CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops."""
    n = 0
    for op in it._graph.operators:
        if op.name not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        out, f = op.outputs[0], op.inputs[1]
        per_out = int(np.prod(f.shape[1:])) if op.name == "CONV_2D" else (
            int(np.prod(f.shape[1:3])) if op.name == "DEPTHWISE_CONV_2D" else int(f.shape[-1]))
        n += int(np.prod(out.shape)) * per_out
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["default", "ad01_int8"])
    ap.add_argument("--boards", nargs="+", default=BOARDS)
    ap.add_argument("--json")
    ap.add_argument("--csv")
    ap.add_argument("--vs-portable", action="store_true",
                    help="also count the library built without its DSP / Helium paths")
    a = ap.parse_args()
    rows = []
    extra = " portable instr | fast / portable |" if a.vs_portable else ""
    print("| model | board (core) | bit-exact | instructions/inference | instr/MAC | flash B | RAM B | "
          "arena B | stack used B |" + extra)
    print("|---|---|---|---|---|---|---|---|---|" + ("---|---|" if a.vs_portable else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models:
            try:
                it, xs, golden = case(name)
            except interp.UnsupportedOperatorError as e:
                print(f"| {name} | - | unsupported on host: {e.problems[0]} | | | | | | |")
                continue
            host = it.run(xs)
            n_macs = macs(it)
            want = [host[d["name"]] for d in it.get_output_details()]
            for board in a.boards:
                tname = board
                try:
                    ex = cortexm.export(it, tname, Path(tmp) / f"{name}-{tname}")
                    elf = cortexm.build(ex.out_dir)
                except cortexm.TargetTooSmall:
                    tname = "m0plus-an385"
                    ex = cortexm.export(it, tname, Path(tmp) / f"{name}-{tname}")
                    elf = cortexm.build(ex.out_dir)
                res = cortexm.run_firmware(ex, elf, [xs], count=True)
                same = all(np.array_equal(y, w) for y, w in zip(res.outputs[0], want))
                if golden is not None:
                    same = same and all(np.array_equal(y, w) for y, w in zip(res.outputs[0], golden))
                size = cortexm.elf_size(elf)
                assert res.insns is not None
                label = f"{board} ({cortexm.TARGETS[tname].cpu})" + (" *" if tname != board else "")
                per_mac = f"{res.insns[0] / n_macs:.2f}" if n_macs else "-"
                row = {}
                cells = ""
                if a.vs_portable:
                    base = cortexm.run_firmware(ex, cortexm.build(ex.out_dir, portable=True), [xs])
                    same = same and all(np.array_equal(y, w) for y, w in zip(base.outputs[0], want))
                    row["portable_insns"] = base.insns[0]
                    cells = f" {base.insns[0]:,} | {res.insns[0] / base.insns[0]:.3f} |"
                print(f"| {name} | {label} | {'yes' if same else 'NO'} | {res.insns[0]:,} | {per_mac} | "
                      f"{size['flash']:,} | {size['ram']:,} | {size['arena']:,} | {res.stack_used:,} |"
                      + cells, flush=True)
                rows.append({"model": name, "board": board, "ran_on": tname, "bit_exact": same,
                             "insns": res.insns[0], "macs": n_macs, **size,
                             "stack_used": res.stack_used, **row})
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1) + "\n")
    if a.csv and rows:
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
