"""Requantization math on the Python side, in one place: multipliers, shifts, activation ranges.

Mirrors TFLite's QuantizeMultiplier / CalculateActivationRangeQuantized exactly, so the integer
parameters handed to C are the ones TFLM computes at Prepare time.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ModelError

INT_RANGES = {np.dtype(np.int8): (-128, 127), np.dtype(np.int16): (-32768, 32767),
              np.dtype(np.uint8): (0, 255), np.dtype(np.int32): (-(2**31), 2**31 - 1)}


def round_half_away(x: float) -> int:
    """std::round: halves go away from zero (Python's round() goes to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(Q31 multiplier, shift) with real == mult * 2^(shift - 31), as TFLite's QuantizeMultiplier,
    with shifts above 30 saturated to (2^31 - 1, 30) as qk__requant needs."""
    q, shift = quantize_multiplier_unclamped(real)
    return ((1 << 31) - 1, 30) if shift > 30 else (q, shift)


def per_channel_multipliers(input_scale: float, filter_scales: tuple[float, ...] | list[float],
                            output_scale: float, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Q31 multipliers and shifts per output channel for conv-like ops (per-tensor broadcasts)."""
    scales = list(filter_scales) if len(filter_scales) > 1 else [filter_scales[0]] * channels
    if len(scales) != channels:
        raise ModelError(f"{len(scales)} filter scales for {channels} output channels")
    pairs = [quantize_multiplier(input_scale * s / output_scale) for s in scales]
    return (np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int32))


def quantize_value(x: float, scale: float, zero_point: int) -> int:
    """TFLite's Quantize(): zero_point + round(x / scale), the division in float32.

    TFLite casts the rounded value to int32; outside that range the cast is undefined and TFLM
    refuses the model at allocation, so we reject it too.
    """
    q = round_half_away(float(np.float32(x) / np.float32(scale)))
    if not -(2**31) <= q < 2**31:
        raise ModelError(f"activation bound {x} at scale {scale:g} is outside the int32 range")
    return zero_point + q


def activation_range(activation: int, scale: float, zero_point: int, dtype: np.dtype) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for a fused activation code (schema ActivationFunctionType)."""
    qmin, qmax = INT_RANGES[np.dtype(dtype)]
    if activation == 0:  # NONE
        return qmin, qmax
    if activation == 1:  # RELU
        return max(qmin, quantize_value(0.0, scale, zero_point)), qmax
    if activation == 3:  # RELU6
        return (max(qmin, quantize_value(0.0, scale, zero_point)),
                min(qmax, quantize_value(6.0, scale, zero_point)))
    if activation == 2:  # RELU_N1_TO_1
        return (max(qmin, quantize_value(-1.0, scale, zero_point)),
                min(qmax, quantize_value(1.0, scale, zero_point)))
    raise ModelError(f"fused activation {activation} is not supported on quantized tensors")


def quantize_multiplier_smaller_than_one_exp(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplierSmallerThanOneExp: QuantizeMultiplier for 0 < real < 1, shift <= 0.

    TFLite aborts (TFLITE_CHECK) outside that range; we raise ModelError instead.
    """
    if not 0.0 < real < 1.0:
        raise ModelError(f"requantization scale {real} is not in (0, 1)")
    mult, shift = quantize_multiplier(real)
    if shift > 0:
        raise ModelError(f"requantization scale {real} rounds to a shift > 0")
    return mult, shift


# -- helpers for the activation and pooling families (appended) ----------------------------------

def quantize_multiplier_unclamped(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier exactly (double rounding build): no clamp of shifts above 30.

    Softmax's PreprocessSoftmaxScaling caps its multiplier at 2^31 - 1, which gives shift 31 here
    where quantize_multiplier would saturate to (2^31 - 1, 30).
    """
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real):
        raise ModelError(f"non-finite requantization scale {real}")
    frac, shift = math.frexp(real)
    q = round_half_away(frac * (1 << 31))
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q, shift


def round_f32(x: float | np.floating) -> float:
    """TfLiteRound on a float32 value (half away from zero), returned as float32-exact float."""
    v = float(x)
    return math.floor(abs(v) + 0.5) * (1.0 if v >= 0 else -1.0)


def checked_log2(x: float) -> tuple[bool, int]:
    """TFLite CheckedLog2 (float math): (x is a power of two within 1e-3 in log2, rounded log2)."""
    f32 = np.float32
    x_log2 = f32(f32(math.log(float(f32(x)))) * (f32(1.0) / f32(math.log(2.0))))
    rounded = f32(round_f32(x_log2))
    return bool(abs(float(x_log2 - rounded)) < 1e-3), int(rounded)


def gen_lut_int16(func, input_min: float, input_max: float, output_min: float,
                  output_max: float) -> np.ndarray:
    """TFLM's gen_lut<float, int16_t, int16_t>: 513-entry int16 table, float32 arithmetic.

    `func` maps a float32 to a float32 (it must reproduce the C++ float function, e.g. expf).
    """
    f32 = np.float32
    nb_steps = 512
    lo, hi = f32(input_min), f32(input_max)
    step = f32(f32(hi - lo) / f32(nb_steps))
    half_step = f32(step / f32(2))
    inv = f32(f32(65536) / f32(f32(output_max) - f32(output_min)))
    lut = np.zeros(nb_steps + 1, np.int16)
    for i in range(nb_steps):
        x = f32(lo + f32(f32(i) * step))
        val = f32(func(x))
        val_mid = f32(func(f32(x + half_step)))
        val_next = f32(func(f32(lo + f32(f32(i + 1) * step))))
        sample = f32(round_f32(f32(val * inv)))
        mid_interp = f32(round_f32(f32(f32(f32(val_next * inv) + sample) / f32(2))))
        mid_val = f32(round_f32(f32(val_mid * inv)))
        bias = f32(round_f32(f32(f32(mid_interp - mid_val) / f32(2))))
        lut[i] = int(min(max(float(f32(sample - bias)), -32768.0), 32767.0))
    lut[nb_steps] = int(min(max(round_f32(f32(f32(func(hi)) * inv)), -32768.0), 32767.0))
    return lut
