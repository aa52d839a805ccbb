"""Command line: `python -m interp run [MODEL] [--target BOARD]`, `inspect MODEL`, `export`, `bench`."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import default_model
from .cli_io import load_inputs, report_outputs
from .cortexm import add_cli as add_target_cli
from .budget import BOARDS
from .errors import InterpError
from .interpreter import Interpreter
from .plan import OPTIMIZE
from .loader import load


def _model_source(path: str | None) -> bytes | Path:
    return default_model.build() if path is None else Path(path)


def cmd_run(a: argparse.Namespace) -> int:
    it = Interpreter(_model_source(a.model), ram_budget=a.ram, flash_budget=a.flash, board=a.board,
                     optimize=a.optimize)
    details = it.get_input_details()
    arrays = load_inputs(a.input, details, a.seed)
    times = []
    for _ in range(max(a.repeat, 1)):
        for d, x in zip(details, arrays):  # the arena reuses input buffers, as TFLM's does
            it.set_tensor(d["index"], x)
        t0 = time.perf_counter()
        it.invoke()
        times.append(time.perf_counter() - t0)
    outs = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
    report_outputs(outs, it.arena_bytes, it.const_bytes, a.output)
    print(f"latency: median {np.median(times) * 1e6:.1f} us over {len(times)} invokes")
    return 0


def cmd_inspect(a: argparse.Namespace) -> int:
    if a.memory or a.plot:
        it = Interpreter(_model_source(a.model), optimize=a.optimize)
        print(it.memory_report())
        if a.plot:
            plot_memory(it, a.plot)
            print(f"saved memory timeline to {a.plot}")
        return 0
    g = load(_model_source(a.model))
    print(f"{len(g.operators)} ops, {len(g.tensors)} tensors; description: {g.description!r}")
    print("inputs: " + ", ".join(t.describe() for t in g.inputs))
    print("outputs: " + ", ".join(t.describe() for t in g.outputs))
    print("\nops:")
    for op in g.operators:
        ins = ", ".join(str(t.index) if t else "-" for t in op.inputs)
        outs = ", ".join(str(t.index) for t in op.outputs)
        opts = ", ".join(f"{k}={v}" for k, v in op.options.items())
        print(f"  {op.index:3d} {op.name} v{op.version}  in[{ins}] -> out[{outs}]  {opts}")
    print("\ntensors:")
    for t in g.tensors:
        q = ""
        if t.quant:
            sc = t.quant.scale
            q = (f" scale={sc[0]:.6g} zp={t.quant.zero_point[0]}" if len(sc) == 1 else
                 f" per-channel({len(sc)}, axis {t.quant.axis}) scale=[{min(sc):.3g}..{max(sc):.3g}]")
        kind = "const" if t.is_const else ("var" if t.is_variable else "act")
        print(f"  {t.index:3d} {kind:5s} {t.dtype.name}{list(t.shape)} {t.name!r}{q}")
    return 0


def plot_memory(it: Interpreter, path: str) -> None:
    """Arena offset vs op step, one rectangle per buffer; the peak step is marked."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InterpError("--plot needs matplotlib (pip install matplotlib)") from None
    plan = it._plan
    fig, ax = plt.subplots(figsize=(10, 5))
    for b in plan.buffers:
        if b.in_arena:
            ax.add_patch(plt.Rectangle((b.first - 0.45, b.offset), b.last - b.first + 0.9, b.nbytes,
                                       alpha=0.6, edgecolor="k", linewidth=0.4))
    ax.axvline(plan.peak_step, color="r", linestyle="--", label=f"peak (op step {plan.peak_step})")
    ax.axhline(plan.arena_bytes, color="k", label=f"arena {plan.arena_bytes} B")
    ax.set_xlim(-1, max(len(plan.ops), 1))
    ax.set_ylim(0, max(plan.arena_bytes, 1) * 1.05)
    ax.set_xlabel("op step")
    ax.set_ylabel("arena offset (bytes)")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m interp", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a model (default: the bundled anomaly detector)")
    run.add_argument("model", nargs="?", help=".tflite file (default: bundled model)")
    run.add_argument("--input", action="append", help=".npy/.npz input(s), in input order")
    run.add_argument("--output", help="save outputs (.npy for one output, else .npz)")
    run.add_argument("--repeat", type=int, default=20, help="invokes to time (default 20)")
    run.add_argument("--seed", type=int, default=0, help="seed for random inputs")
    run.add_argument("--ram", help="RAM budget, e.g. 64k: fail before running if the arena is larger")
    run.add_argument("--flash", help="flash budget, e.g. 256k")
    run.add_argument("--board", help="board preset for both budgets: " + ", ".join(sorted(BOARDS)))
    run.add_argument("--optimize", choices=OPTIMIZE, default="speed",
                     help="speed: fast kernels (default); memory: the smallest arena")
    run.set_defaults(fn=cmd_run)
    ins = sub.add_parser("inspect", help="print ops, tensors and quantization parameters")
    ins.add_argument("model", nargs="?", help=".tflite file (default: bundled model)")
    ins.add_argument("--memory", action="store_true", help="per-op live arena bytes")
    ins.add_argument("--plot", help="draw the memory timeline to this .png (needs matplotlib)")
    ins.add_argument("--optimize", choices=OPTIMIZE, default="speed",
                     help="with --memory: plan for speed (default) or the smallest arena")
    ins.set_defaults(fn=cmd_inspect)
    add_target_cli(sub)  # export, bench, run --target (Cortex-M boards under QEMU)
    a = ap.parse_args(argv)
    try:
        return int(a.fn(a))
    except InterpError as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
