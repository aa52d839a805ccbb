"""Per-op micro-benchmarks on realistic MLPerf Tiny layer shapes: MAC/s for interp and tflite-micro.

Each layer is written as a single-op int8 model with interp.writer, run by both runtimes on the
same random input (outputs checked equal first), and timed interleaved.

    python benchmarks/bench_kernels.py [--csv out.csv]
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time

import numpy as np

import interp
import interp.plan
from interp.writer import ModelWriter

# Measure the kernels' fast paths: a single-op depthwise model would otherwise be replanned onto
# the slower in-place kernel, which saves RAM at a model's peak but is not what this compares.
interp.plan.REPLAN = False

# (label, op, input NHWC, kernel (kh, kw), out channels, stride, options)
LAYERS = [
    ("kws conv1 10x4/2", "CONV_2D", (1, 49, 10, 1), (10, 4), 64, 2),
    ("kws dw 3x3", "DEPTHWISE_CONV_2D", (1, 25, 5, 64), (3, 3), 64, 1),
    ("kws pw 1x1", "CONV_2D", (1, 25, 5, 64), (1, 1), 64, 1),
    ("vww dw 3x3/2", "DEPTHWISE_CONV_2D", (1, 48, 48, 16), (3, 3), 16, 2),
    ("vww pw 1x1", "CONV_2D", (1, 24, 24, 32), (1, 1), 64, 1),
    ("resnet conv 3x3", "CONV_2D", (1, 32, 32, 16), (3, 3), 16, 1),
    ("resnet conv 3x3/2", "CONV_2D", (1, 32, 32, 16), (3, 3), 32, 2),
    ("ad fc 640x128", "FULLY_CONNECTED", (1, 640), None, 128, 1),
]


def layer_model(op: str, shape: tuple, k: tuple | None, cout: int, stride: int) -> tuple[bytes, int]:
    rng = np.random.default_rng(0)
    w = ModelWriter()
    x = w.tensor(shape, np.int8, scale=0.05, zero_point=-10)
    if op == "FULLY_CONNECTED":
        wt = w.tensor((cout, shape[1]), np.int8, data=rng.integers(-127, 128, (cout, shape[1])), scale=0.01)
        b = w.tensor((cout,), np.int32, data=rng.integers(-500, 500, cout), scale=0.0005)
        y = w.tensor((1, cout), np.int8, scale=0.1, zero_point=3)
        w.op(op, [x, wt, b], [y], {"fused_activation_function": 1}, version=4)
        macs = shape[1] * cout
    else:
        n, h, wd, cin = shape
        oh, ow = -(-h // stride), -(-wd // stride)
        dw = op == "DEPTHWISE_CONV_2D"
        fshape = (1, *k, cout) if dw else (cout, *k, cin)
        scales = rng.uniform(0.002, 0.02, cout)
        wt = w.tensor(fshape, np.int8, data=rng.integers(-127, 128, fshape), scale=scales,
                      zero_point=[0] * cout, axis=3 if dw else 0)
        b = w.tensor((cout,), np.int32, data=rng.integers(-500, 500, cout), scale=0.05 * scales,
                     zero_point=[0] * cout)
        y = w.tensor((1, oh, ow, cout), np.int8, scale=0.1, zero_point=3)
        opts = {"padding": 0, "stride_h": stride, "stride_w": stride, "fused_activation_function": 3}
        if dw:
            opts["depth_multiplier"] = cout // cin
        w.op(op, [x, wt, b], [y], opts, version=3 if dw else 3)
        macs = oh * ow * cout * k[0] * k[1] * (1 if dw else cin)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes(), macs


def timed(fn, budget: float = 0.2) -> float:
    fn()
    t0 = time.perf_counter()
    n = 0
    samples = []
    while time.perf_counter() - t0 < budget or n < 5:
        t = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t)
        n += 1
    return statistics.median(samples) / 1e3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--csv")
    a = ap.parse_args()
    from tflite_micro.python.tflite_micro import runtime
    rows = []
    print(f"{'layer':22} {'MACs':>9} {'interp us':>10} {'tflm us':>9} {'interp GMAC/s':>14} {'tflm GMAC/s':>12} {'ratio':>6}")
    for label, op, shape, k, cout, stride in LAYERS:
        data, macs = layer_model(op, shape, k, cout, stride)
        x = np.random.default_rng(1).integers(-128, 128, shape, np.int8)
        ours = interp.Interpreter(model_content=data)
        tflm = runtime.Interpreter.from_bytes(data, arena_size=1 << 22)

        def run_ours() -> None:
            ours.set_tensor(0, x)
            ours.invoke()

        def run_tflm() -> None:
            tflm.set_input(x, 0)
            tflm.invoke()
        run_ours()
        run_tflm()
        np.testing.assert_array_equal(ours.get_tensor(ours.get_output_details()[0]["index"]),
                                      tflm.get_output(0))
        t_ours, t_tflm = timed(run_ours), timed(run_tflm)
        rows.append({"layer": label, "macs": macs, "interp_us": round(t_ours, 2), "tflm_us": round(t_tflm, 2),
                     "interp_gmacs": round(macs / t_ours / 1e3, 3), "tflm_gmacs": round(macs / t_tflm / 1e3, 3)})
        print(f"{label:22} {macs:9d} {t_ours:10.1f} {t_tflm:9.1f} {macs / t_ours / 1e3:14.2f} "
              f"{macs / t_tflm / 1e3:12.2f} {t_ours / t_tflm:6.3f}", flush=True)
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            wr = csv.DictWriter(f, fieldnames=list(rows[0]))
            wr.writeheader()
            wr.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
