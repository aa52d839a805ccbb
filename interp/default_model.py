"""The bundled default model: a small vibration anomaly detector the project generates itself.

An int8 fully-connected autoencoder over a 128-bin vibration spectrum (128 -> 32 -> 8 -> 32 -> 128,
ReLU between layers), the shape of MLPerf Tiny's anomaly detection reference. Weights are drawn
from a fixed seed, so the bytes are the same on every machine; `python -m interp run` uses it.
"""
from __future__ import annotations

import numpy as np

from .writer import ModelWriter

LAYERS = (128, 32, 8, 32, 128)
SEED = 20261125


def build() -> bytes:
    rng = np.random.default_rng(SEED)
    w = ModelWriter(description="interp default model: vibration anomaly autoencoder")
    x = w.tensor((1, LAYERS[0]), np.int8, name="spectrum", scale=0.05, zero_point=-3)
    w.inputs = [x]
    in_scale = 0.05
    for i, (n_in, n_out) in enumerate(zip(LAYERS, LAYERS[1:])):
        last = i == len(LAYERS) - 2
        w_scale = 1.0 / (127 * np.sqrt(n_in))
        weights = w.tensor((n_out, n_in), np.int8, name=f"dense{i}/weights",
                           data=rng.integers(-127, 128, (n_out, n_in)), scale=w_scale)
        bias = w.tensor((n_out,), np.int32, name=f"dense{i}/bias",
                        data=rng.integers(-2000, 2000, n_out), scale=in_scale * w_scale)
        out_scale = 0.05
        y = w.tensor((1, n_out), np.int8, name="reconstruction" if last else f"dense{i}/out",
                     scale=out_scale, zero_point=-3 if last else -128)
        w.op("FULLY_CONNECTED", [x, weights, bias], [y],
             {"fused_activation_function": 0 if last else 1}, version=4)
        x, in_scale = y, out_scale
    w.outputs = [x]
    return w.to_bytes()
