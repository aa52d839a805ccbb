"""Lowerings: the TFLM Signal custom ops (audio front end).

Their parameters arrive as flexbuffer maps in the operator's custom_options. TFLM reads them by
position in the alphabetically sorted key list (FlexbufferWrapper::ElementAsInt32(i)), so a map
whose keys are not exactly the expected set would be read wrongly by TFLM: we reject it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ModelError
from ..graph import Operator, Tensor
from ..plan import PlanBuilder, register
from .common import unsupported

QK_OP_SIGNAL_WINDOW = 100
QK_OP_SIGNAL_FFT_AUTO_SCALE = 101
QK_OP_SIGNAL_RFFT = 102
QK_OP_SIGNAL_ENERGY = 103
QK_OP_SIGNAL_FILTER_BANK = 104
QK_OP_SIGNAL_FILTER_BANK_SQRT = 105
QK_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION = 106
QK_OP_SIGNAL_PCAN = 107
QK_OP_SIGNAL_FILTER_BANK_LOG = 108

I16, I32, U32, U64 = (np.dtype(t) for t in (np.int16, np.int32, np.uint32, np.uint64))
TFLITE_INT16 = 7  # TensorType code in the RFFT 'T' option
PCAN_LUT_MIN = 125  # WideDynamicFunction reads lut[4 * 32 - 6 + 2]


# -- helpers ---------------------------------------------------------------------------------
def custom_options(op: Operator, keys: tuple[str, ...], bools: tuple[str, ...] = ()) -> dict[str, int]:
    """Decode op.custom_options as a flexbuffer map with exactly `keys` (ints; `bools` may be bool)."""
    from flatbuffers import flexbuffers

    raw = op.custom_options
    if not raw:
        raise ModelError(f"{op.describe()}: missing custom options (expected {sorted(keys)})")
    try:
        root: Any = flexbuffers.Loads(bytes(raw))
    except Exception as e:  # the flexbuffers decoder raises assorted errors on bad bytes
        raise ModelError(f"{op.describe()}: custom options are not a valid flexbuffer: {e}") from e
    if not isinstance(root, dict):
        raise ModelError(f"{op.describe()}: custom options must be a flexbuffer map")
    if set(root) != set(keys):
        raise ModelError(f"{op.describe()}: custom option keys {sorted(root)} != {sorted(keys)}")
    out = {}
    for k in keys:
        v = root[k]
        if isinstance(v, bool):
            if k not in bools:
                raise ModelError(f"{op.describe()}: option {k!r} must be an integer, got {v!r}")
            v = int(v)
        if not isinstance(v, int) or not -(2**31) <= v < 2**31:
            raise ModelError(f"{op.describe()}: option {k!r} must be an int32, got {v!r}")
        out[k] = v
    return out


def custom_options_optional(op: Operator) -> None:
    """Ops without parameters: accept no options or an empty map."""
    if op.custom_options:
        custom_options(op, ())


def _io(op: Operator, n_in: int, n_out: int) -> tuple[list[Tensor], list[Tensor]]:
    if len(op.inputs) != n_in or any(t is None for t in op.inputs) or len(op.outputs) != n_out:
        raise ModelError(f"{op.describe()}: expected {n_in} inputs and {n_out} outputs")
    return [t for t in op.inputs if t is not None], list(op.outputs)


def _dtype(op: Operator, t: Tensor, dt: np.dtype[Any], rank: int | None = None) -> None:
    if t.dtype != dt:
        raise unsupported(op, f"{t.describe()} must be {dt.name}")
    if rank is not None and len(t.shape) != rank:
        raise ModelError(f"{op.describe()}: {t.describe()} must have rank {rank}")


# -- ops -------------------------------------------------------------------------------------
@register("CUSTOM:SignalWindow")
def lower_window(op: Operator, pb: PlanBuilder) -> None:
    (x, w), (out,) = _io(op, 2, 1)
    opts = custom_options(op, ("shift",))
    for t in (x, w, out):
        _dtype(op, t, I16)
    if len(x.shape) < 1 or len(w.shape) != 1 or len(out.shape) != len(x.shape):
        raise ModelError(f"{op.describe()}: bad ranks")
    if out.size != x.size or w.size == 0 or x.size % w.size:
        raise ModelError(f"{op.describe()}: input size {x.size} is not a multiple of the window "
                         f"size {w.size}, or output size {out.size} differs")
    if not 0 <= opts["shift"] <= 31:
        raise ModelError(f"{op.describe()}: shift {opts['shift']} outside [0, 31]")
    pb.in_place(out, x)  # out[i] depends on in[i] only
    pb.emit(QK_OP_SIGNAL_WINDOW, [pb.tensor(x), pb.tensor(w), pb.tensor(out), x.size, w.size,
                                  opts["shift"]])


@register("CUSTOM:SignalFftAutoScale")
def lower_fft_auto_scale(op: Operator, pb: PlanBuilder) -> None:
    (x,), (out, scale) = _io(op, 1, 2)
    custom_options_optional(op)
    _dtype(op, x, I16, 1)
    _dtype(op, out, I16, 1)
    _dtype(op, scale, I32, 0)
    if out.shape != x.shape:
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} != input shape")
    pb.in_place(out, x)  # the kernel reads every input (peak) before writing
    pb.emit(QK_OP_SIGNAL_FFT_AUTO_SCALE, [pb.tensor(x), pb.tensor(out), pb.tensor(scale), x.size])


def kiss_factors(n: int) -> list[tuple[int, int]]:
    """kissfft v130's kf_factor: radix 4 first, then 2, 3, 5, 7...; (p, n/p) per stage."""
    out = []
    p = 4
    floor_sqrt = math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = n
        n //= p
        out.append((p, n))
        if n <= 1:
            return out


def kiss_twiddles(ncfft: int) -> tuple[np.ndarray, np.ndarray]:
    """Q15 twiddles of kissfft (FIXED_POINT=16): floor(0.5 + 32767 * cos/sin(phase))."""
    def q15(phase: float) -> tuple[int, int]:
        return math.floor(0.5 + 32767 * math.cos(phase)), math.floor(0.5 + 32767 * math.sin(phase))
    tw = [q15(-2 * math.pi * i / ncfft) for i in range(ncfft)]
    stw = [q15(-math.pi * ((i + 1) / ncfft + 0.5)) for i in range(ncfft // 2)]
    return np.array(tw, np.int16).reshape(-1), np.array(stw, np.int16).reshape(-1)


@register("CUSTOM:SignalRfft")
def lower_rfft(op: Operator, pb: PlanBuilder) -> None:
    (x,), (out,) = _io(op, 1, 1)
    opts = custom_options(op, ("T", "fft_length"))
    if opts["T"] != TFLITE_INT16:
        raise unsupported(op, f"RFFT type code {opts['T']} (only int16 is supported)")
    _dtype(op, x, I16)
    _dtype(op, out, I16)
    n = opts["fft_length"]
    if len(x.shape) < 1 or len(out.shape) != len(x.shape):
        raise ModelError(f"{op.describe()}: input and output ranks must match")
    if n < 4 or n % 2:
        raise unsupported(op, f"fft_length {n} (TFLM needs an even length >= 4)")
    ncfft = n // 2
    factors = kiss_factors(ncfft)
    if any(p not in (2, 3, 4, 5) for p, _ in factors):
        # kissfft's generic butterfly allocates, which TFLM's patched build cannot do
        raise unsupported(op, f"fft_length {n}: fft_length/2 has a prime factor above 5")
    in_len = x.shape[-1]
    batches = x.size // in_len if in_len else 0
    if in_len == 0 or in_len > n:
        raise ModelError(f"{op.describe()}: frame length {in_len} must be in [1, fft_length={n}]")
    if out.shape[-1] != 2 * (ncfft + 1) or out.size != batches * 2 * (ncfft + 1):
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} does not hold "
                         f"{ncfft + 1} complex bins per frame")
    tw, stw = kiss_twiddles(ncfft)
    fac = np.array(factors, np.int32).reshape(-1)
    pb.emit(QK_OP_SIGNAL_RFFT, [
        pb.tensor(x), pb.tensor(out), pb.const(tw, "rfft_twiddles"),
        pb.const(stw, "rfft_super_twiddles"), pb.const(fac, "rfft_factors"),
        pb.scratch(4 * n, "rfft_work"), batches, in_len, n, len(factors)])


@register("CUSTOM:SignalEnergy")
def lower_energy(op: Operator, pb: PlanBuilder) -> None:
    (x,), (out,) = _io(op, 1, 1)
    opts = custom_options(op, ("end_index", "start_index"))
    _dtype(op, x, I16, 1)
    _dtype(op, out, U32, 1)
    if x.size % 2 or out.size != x.size // 2:
        raise ModelError(f"{op.describe()}: output must hold one energy per complex input")
    start, end = opts["start_index"], opts["end_index"]
    if not 0 <= start <= end <= out.size:
        raise ModelError(f"{op.describe()}: bins [{start}, {end}) outside [0, {out.size}]")
    pb.emit(QK_OP_SIGNAL_ENERGY, [pb.tensor(x), pb.tensor(out), out.size, start, end])


@register("CUSTOM:SignalFilterBank")
def lower_filter_bank(op: Operator, pb: PlanBuilder) -> None:
    (x, w, uw, fstart, wstart, width), (out,) = _io(op, 6, 1)
    opts = custom_options(op, ("num_channels",))
    n_ch = opts["num_channels"]
    _dtype(op, x, U32, 1)
    for t in (w, uw, fstart, wstart, width):
        _dtype(op, t, I16, 1)
    _dtype(op, out, U64, 1)
    if n_ch < 0 or out.size != n_ch:
        raise ModelError(f"{op.describe()}: output size {out.size} != num_channels {n_ch}")
    if uw.size != w.size or any(t.size != n_ch + 1 for t in (fstart, wstart, width)):
        raise ModelError(f"{op.describe()}: weights/unweights sizes differ or channel tables "
                         f"are not num_channels + 1 = {n_ch + 1} long")
    if all(t.is_const for t in (fstart, wstart, width)):
        assert fstart.data is not None and wstart.data is not None and width.data is not None
        fs, ws, wd = (t.data.astype(np.int64) for t in (fstart, wstart, width))
        used = wd > 0
        if np.any(used & ((fs < 0) | (ws < 0) | (fs + wd > x.size) | (ws + wd > w.size))):
            raise ModelError(f"{op.describe()}: a channel reaches outside the input or weights")
    pb.emit(QK_OP_SIGNAL_FILTER_BANK, [
        pb.tensor(x), pb.tensor(w), pb.tensor(uw), pb.tensor(fstart), pb.tensor(wstart),
        pb.tensor(width), pb.tensor(out), x.size, w.size, n_ch])


@register("CUSTOM:SignalFilterBankSquareRoot")
def lower_filter_bank_sqrt(op: Operator, pb: PlanBuilder) -> None:
    (x, scale), (out,) = _io(op, 2, 1)
    custom_options_optional(op)
    _dtype(op, x, U64, 1)
    _dtype(op, scale, I32, 0)
    _dtype(op, out, U32, 1)
    if out.size != x.size:
        raise ModelError(f"{op.describe()}: output size {out.size} != input size {x.size}")
    if scale.is_const and scale.data is not None and not 0 <= int(scale.data) <= 31:
        raise ModelError(f"{op.describe()}: scale bits {int(scale.data)} outside [0, 31]")
    pb.emit(QK_OP_SIGNAL_FILTER_BANK_SQRT, [pb.tensor(x), pb.tensor(scale), pb.tensor(out), x.size])


SPECTRAL_KEYS = ("alternate_one_minus_smoothing", "alternate_smoothing", "clamping",
                 "min_signal_remaining", "num_channels", "one_minus_smoothing", "smoothing",
                 "smoothing_bits", "spectral_subtraction_bits")


@register("CUSTOM:SignalFilterBankSpectralSubtraction")
def lower_spectral_subtraction(op: Operator, pb: PlanBuilder) -> None:
    (x,), (out, noise) = _io(op, 1, 2)
    o = custom_options(op, SPECTRAL_KEYS, bools=("clamping",))
    for t in (x, out, noise):
        _dtype(op, t, U32, 1)
    n = o["num_channels"]
    if not x.size == out.size == noise.size == n:
        raise ModelError(f"{op.describe()}: tensor sizes must all equal num_channels {n}")
    if not 0 <= o["smoothing_bits"] <= 31 or not 0 <= o["spectral_subtraction_bits"] <= 63:
        raise ModelError(f"{op.describe()}: smoothing_bits / spectral_subtraction_bits out of range")
    state = pb.state(4 * n, "noise_estimate_state")
    pb.in_place(out, x)  # out[i] depends on in[i] (and the state) only
    pb.emit(QK_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION, [
        pb.tensor(x), pb.tensor(out), pb.tensor(noise), state, n, o["smoothing"],
        o["one_minus_smoothing"], o["alternate_smoothing"], o["alternate_one_minus_smoothing"],
        o["min_signal_remaining"], o["smoothing_bits"], o["spectral_subtraction_bits"],
        1 if o["clamping"] else 0])


@register("CUSTOM:SignalPCAN")
def lower_pcan(op: Operator, pb: PlanBuilder) -> None:
    (x, noise, lut), (out,) = _io(op, 3, 1)
    opts = custom_options(op, ("snr_shift",))
    _dtype(op, x, U32, 1)
    _dtype(op, noise, U32, 1)
    _dtype(op, lut, I16, 1)
    _dtype(op, out, U32, 1)
    if x.size == 0 or not x.size == noise.size == out.size:
        raise ModelError(f"{op.describe()}: input, noise estimate and output sizes must match")
    if lut.size < PCAN_LUT_MIN:
        raise unsupported(op, f"gain LUT of {lut.size} entries (TFLM reads up to {PCAN_LUT_MIN})")
    if not 0 <= opts["snr_shift"] <= 63:
        raise ModelError(f"{op.describe()}: snr_shift {opts['snr_shift']} outside [0, 63]")
    pb.in_place(out, x)  # out[i] depends on in[i] and noise[i] only
    pb.emit(QK_OP_SIGNAL_PCAN, [pb.tensor(x), pb.tensor(noise), pb.tensor(lut), pb.tensor(out),
                                x.size, lut.size, opts["snr_shift"]])


@register("CUSTOM:SignalFilterBankLog")
def lower_filter_bank_log(op: Operator, pb: PlanBuilder) -> None:
    (x,), (out,) = _io(op, 1, 1)
    opts = custom_options(op, ("input_correction_bits", "output_scale"))
    _dtype(op, x, U32, 1)
    _dtype(op, out, I16, 1)
    if out.size != x.size:
        raise ModelError(f"{op.describe()}: output size {out.size} != input size {x.size}")
    bits = opts["input_correction_bits"]
    if not 0 <= bits <= 31:
        raise ModelError(f"{op.describe()}: input_correction_bits {bits} outside [0, 31]")
    pb.emit(QK_OP_SIGNAL_FILTER_BANK_LOG, [pb.tensor(x), pb.tensor(out), x.size,
                                           opts["output_scale"], bits])
