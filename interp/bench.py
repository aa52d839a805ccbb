"""Host latency of interp next to tflite-micro and LiteRT, measured in one run.

Runtimes are interleaved round by round (rotating the order) so machine noise hits all alike; a
cell is the median over rounds of each round's median single-invoke time (perf_counter_ns).
Peers that are not installed (or that reject the model) are left out.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .cli_io import random_inputs
from .interpreter import Interpreter

RUNTIMES = ("interp", "tflm", "litert_ref", "litert_nodelegate", "litert_xnnpack")


def runners(data: bytes, inputs: list[np.ndarray] | None = None,
            optimize: str = "speed") -> dict[str, Callable[[], int]]:
    """One callable per available runtime: sets the inputs, invokes once, returns invoke ns."""
    ours = Interpreter(model_content=data, optimize=optimize)
    xs = inputs if inputs is not None else random_inputs(ours.get_input_details(), 0)
    out: dict[str, Callable[[], int]] = {}

    def timed(set_inputs: Callable[[], None], invoke: Callable[[], None]) -> Callable[[], int]:
        def run() -> int:
            set_inputs()
            t = time.perf_counter_ns()
            invoke()
            return time.perf_counter_ns() - t
        return run

    out["interp"] = timed(lambda: [ours.set_tensor(d["index"], x)
                                   for d, x in zip(ours.get_input_details(), xs)], ours.invoke)
    try:
        from tflite_micro.python.tflite_micro import runtime
        tflm = runtime.Interpreter.from_bytes(data, arena_size=max(8 << 20, 4 * len(data)))
        out["tflm"] = timed(lambda: [tflm.set_input(x, i) for i, x in enumerate(xs)], tflm.invoke)
    except Exception as e:  # not installed, or it rejects the model
        print(f"tflite-micro unavailable: {e}", file=sys.stderr)
    try:
        from ai_edge_litert.interpreter import Interpreter as Lite, OpResolverType
        kinds = {"litert_ref": OpResolverType.BUILTIN_REF,
                 "litert_nodelegate": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                 "litert_xnnpack": OpResolverType.AUTO}
        for label, kind in kinds.items():
            lt = Lite(model_content=data, num_threads=1, experimental_op_resolver_type=kind)
            lt.allocate_tensors()
            out[label] = timed(lambda lt=lt: [lt.set_tensor(d["index"], x)
                                              for d, x in zip(lt.get_input_details(), xs)], lt.invoke)
    except Exception as e:
        print(f"ai-edge-litert unavailable: {e}", file=sys.stderr)
    return out


def compare(data: bytes, inputs: list[np.ndarray] | None = None, rounds: int = 5,
            budget_s: float = 0.1, optimize: str = "speed") -> dict[str, float]:
    """Median microseconds per invoke for each available runtime."""
    fns = runners(data, inputs, optimize)
    for fn in fns.values():  # warm up
        for _ in range(3):
            fn()
    per_round: dict[str, list[float]] = {k: [] for k in fns}
    keys = list(fns)
    for r in range(rounds):
        for k in keys[r % len(keys):] + keys[:r % len(keys)]:
            first = fns[k]()
            n = int(min(20000, max(3, budget_s * 1e9 / max(first, 1))))
            per_round[k].append(statistics.median([first] + [fns[k]() for _ in range(n - 1)]) / 1e3)
    return {k: statistics.median(v) for k, v in per_round.items()}


def format_row(name: str, med: dict[str, float]) -> str:
    cells = " ".join(f"{med[c]:12.1f}" if c in med else f"{'-':>12}" for c in RUNTIMES)
    ratios = " ".join(f"{med['interp'] / med[c]:8.3f}" if c in med else f"{'-':>8}" for c in RUNTIMES[1:])
    return f"{name[:28]:28} {cells} {ratios}"


def header() -> str:
    return (f"{'model':28} " + " ".join(f"{c[:12]:>12}" for c in RUNTIMES)
            + " " + " ".join(f"{'/' + c.replace('litert_', '')[:7]:>8}" for c in RUNTIMES[1:])
            + "\n(us per invoke, medians; ratios are interp / peer)")


def cmd_host_bench(model: str | None, rounds: int, optimize: str) -> int:
    from . import default_model
    data = default_model.build() if model is None else Path(model).read_bytes()
    print(header())
    print(format_row(Path(model).stem if model else "default model", compare(data, rounds=rounds,
                                                                             optimize=optimize)))
    return 0
