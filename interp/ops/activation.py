"""Lowerings: SOFTMAX, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU, RELU6, RELU_N1_TO_1.

Parameters are computed exactly as TFLM's Prepare functions do (including their float32
arithmetic where TFLM uses float), so the C kernels reproduce its reference kernels bit for bit.
"""
from __future__ import annotations

import math
import weakref

import numpy as np

from .. import quant
from ..errors import ModelError
from ..graph import Operator, Tensor
from ..plan import DTYPE_CODES, PlanBuilder, register
from .common import need, quantized, unsupported
from .lstm import _sigmoid_table

QK_OP_SOFTMAX = 43
QK_OP_LOGISTIC = 44
QK_OP_TANH = 45
QK_OP_HARD_SWISH = 46
QK_OP_LEAKY_RELU = 47
QK_OP_RELU = 48

f32 = np.float32

# The int16 LOGISTIC / TANH kernels interpolate in TFLite's sigmoid_table_uint16; the LSTM family
# already carries it, and one copy per plan serves every op that uses it.


def _expf(x: np.float32) -> np.float32:
    return f32(math.exp(float(x)))


def _one_over_one_plus(x: np.float32) -> np.float32:
    return f32(f32(1.0) / f32(f32(1.0) + x))


_LUTS: dict[str, np.ndarray] = {}
_LUT_IDS: weakref.WeakKeyDictionary[PlanBuilder, tuple[int, int]] = weakref.WeakKeyDictionary()


def _softmax_luts() -> tuple[np.ndarray, np.ndarray]:
    """The two int16 softmax tables TFLM builds in SoftmaxPrepare (the same for every op)."""
    if not _LUTS:
        _LUTS["exp"] = quant.gen_lut_int16(_expf, -10.0, 0.0, -1.0, 1.0)
        _LUTS["recip"] = quant.gen_lut_int16(_one_over_one_plus, 0.0, 1.0, -1.0, 1.0)
    return _LUTS["exp"], _LUTS["recip"]


def _unary(op: Operator, *dtypes: type) -> tuple[Tensor, Tensor]:
    """The op's one input and one output: quantized per tensor, same element count."""
    need(op, 1)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    quantized(op, x, *dtypes)
    quantized(op, out, *dtypes)
    if x.quant.per_channel or out.quant.per_channel:
        raise unsupported(op, "per-channel quantization")
    if x.size != out.size:
        raise ModelError(f"{op.describe()}: output {list(out.shape)} does not match input "
                         f"{list(x.shape)}")
    return x, out


def _same_type(op: Operator, x: Tensor, out: Tensor) -> None:
    if x.dtype != out.dtype:
        raise unsupported(op, f"input {x.dtype.name} with output {out.dtype.name}")


def _shift_ok(op: Operator, what: str, shift: int) -> None:
    if not -31 <= shift <= 30:
        raise unsupported(op, f"{what} requantization shift {shift} is out of range")


@register("SOFTMAX")
def lower_softmax(op: Operator, pb: PlanBuilder) -> None:
    x, out = _unary(op, np.int8, np.int16)
    if len(x.shape) < 1 or tuple(x.shape) != tuple(out.shape):
        raise ModelError(f"{op.describe()}: input and output shapes must match")
    beta = float(op.options.get("beta", 0.0))
    depth = x.shape[-1]
    if depth < 1:
        raise unsupported(op, "empty last axis")
    outer = x.size // depth
    exp_id = recip_id = -1
    if x.dtype == np.int16:
        if out.dtype != np.int16:
            raise unsupported(op, f"int16 input with {out.dtype.name} output")
        if out.zero_point != 0 or abs(f32(out.scale) - f32(1 / 32768)) > f32(0.001) * f32(1 / 32768):
            raise unsupported(op, "int16 output must have zero point 0 and scale 1/32768")
        real = float(f32(x.scale)) * beta / (10.0 / 65535.0)
        mult, shift = quant.quantize_multiplier_unclamped(real)
        _shift_ok(op, "input", shift)
        diff_min = 0
        if pb not in _LUT_IDS:  # one copy of the tables per plan
            exp_lut, recip_lut = _softmax_luts()
            _LUT_IDS[pb] = (pb.const(exp_lut, "softmax_exp_lut"),
                            pb.const(recip_lut, "softmax_recip_lut"))
        exp_id, recip_id = _LUT_IDS[pb]
    else:
        if out.dtype == np.int16:
            if out.zero_point != -32768 or \
                    abs(f32(out.scale) - f32(1 / 65536)) > f32(0.001) * f32(1 / 65536):
                raise unsupported(op, "int16 output must have zero point -32768 and scale 1/65536")
        elif out.zero_point != -128 or f32(out.scale) != f32(1 / 256):
            raise unsupported(op, "int8 output must have zero point -128 and scale 1/256")
        # PreprocessSoftmaxScaling with 5 integer bits, then CalculateInputRadius
        real = min(beta * float(f32(x.scale)) * float(1 << 26), float((1 << 31) - 1))
        if not real > 1.0:
            raise unsupported(op, f"beta * input scale {beta * x.scale} is too small for TFLM")
        mult, shift = quant.quantize_multiplier_unclamped(real)
        if not 0 <= shift <= 31:
            raise unsupported(op, f"input shift {shift} is out of range")
        diff_min = -int(math.floor(31.0 * float(1 << 26) / float(1 << shift)))
    if x.dtype == out.dtype:
        # row-wise, and each output element is written only after its own input was read for
        # the last time (max, sum, then the result pass), so out may overwrite x
        pb.in_place(out, x)
    pb.emit(QK_OP_SOFTMAX, [pb.tensor(x), pb.tensor(out), DTYPE_CODES[x.dtype],
                            DTYPE_CODES[out.dtype], outer, depth, mult, shift, diff_min,
                            exp_id, recip_id])


def _sigmoid_params(op: Operator, x: Tensor, out: Tensor, is_tanh: bool) -> list[int]:
    """[in_zp, radius, mult, shift] as TFLM's logistic/tanh Prepare computes them."""
    if x.dtype == np.int8:
        real = float(f32(x.scale)) * float(1 << 27)  # 4 integer bits
        q, shift = math.frexp(real)
        mult = quant.round_half_away(q * (1 << 31))
        if mult == 1 << 31:  # static_cast<int32_t> of 2^31 wraps on the targets TFLM runs on
            mult = -(1 << 31)
        if shift < 0:
            raise unsupported(op, f"input scale {x.scale} is too small")
        radius = int(math.floor(15.0 * float(1 << 27) / float(1 << shift)))
        return [x.zero_point, radius, mult, shift]
    if x.zero_point != 0 or out.zero_point != 0:
        raise unsupported(op, "int16 needs zero points 0")
    pot, log2 = quant.checked_log2(x.scale)
    shift = 12 + log2
    pot = pot and (shift in (0, 1) if is_tanh else shift == 0)
    if pot:
        mult, shift = 3 << shift, 0
    else:
        m = float(f32(x.scale)) * 4096.0 * 3.0
        shift = 0
        while m <= 32767.0 / 2.0 and shift <= 30:
            shift += 1
            m *= 2.0
        mult = int(m)
    if mult > 32767:
        raise unsupported(op, f"input scale {x.scale} is too large for the int16 table")
    out_pot, out_log2 = quant.checked_log2(out.scale)
    if not out_pot or out_log2 != -15:
        raise unsupported(op, "int16 output scale must be 2^-15")
    return [0, 0, mult, shift]


@register("LOGISTIC", "TANH")
def lower_sigmoid(op: Operator, pb: PlanBuilder) -> None:
    x, out = _unary(op, np.int8, np.int16)
    _same_type(op, x, out)
    is_tanh = op.name == "TANH"
    if x.dtype == np.int8 and not is_tanh and out.zero_point != -128:
        raise unsupported(op, "int8 output zero point must be -128")
    params = _sigmoid_params(op, x, out, is_tanh)
    table = _sigmoid_table(pb) if x.dtype == np.int16 else -1
    pb.in_place(out, x)  # out[i] depends on in[i] only
    pb.emit(QK_OP_TANH if is_tanh else QK_OP_LOGISTIC,
            [pb.tensor(x), pb.tensor(out), DTYPE_CODES[x.dtype], x.size, *params, table])


def _downscale16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    return 32767 if m >= (2**31 - 1) - (1 << 15) else (m + (1 << 15)) >> 16


@register("HARD_SWISH")
def lower_hard_swish(op: Operator, pb: PlanBuilder) -> None:
    x, out = _unary(op, np.int8)
    hires = f32(f32(1.0 / 128.0) * f32(x.scale))
    out_m, out_e = quant.quantize_multiplier_unclamped(float(f32(hires / f32(out.scale))))
    if out_e > 0 or out_e < -31:
        raise unsupported(op, f"output multiplier exponent {out_e} is out of range")
    relu_m, relu_e = quant.quantize_multiplier_unclamped(
        float(f32(hires / f32(f32(3.0) / f32(32768.0)))))
    if not -31 <= relu_e <= 31:
        raise unsupported(op, f"reluish multiplier exponent {relu_e} is out of range")
    pb.in_place(out, x)  # out[i] depends on in[i] only
    pb.emit(QK_OP_HARD_SWISH, [pb.tensor(x), pb.tensor(out), x.size, x.zero_point,
                               out.zero_point, _downscale16(out_m), out_e,
                               _downscale16(relu_m), relu_e])


@register("LEAKY_RELU")
def lower_leaky_relu(op: Operator, pb: PlanBuilder) -> None:
    x, out = _unary(op, np.int8, np.int16)
    _same_type(op, x, out)
    # in double precision (checked against tflite-micro: float32 math differs in rare elements)
    alpha = float(f32(op.options.get("alpha", 0.0)))
    s_in, s_out = float(f32(x.scale)), float(f32(out.scale))
    m_a, s_a = quant.quantize_multiplier_unclamped(s_in * alpha / s_out)
    m_id, s_id = quant.quantize_multiplier_unclamped(s_in / s_out)
    _shift_ok(op, "alpha", s_a)
    _shift_ok(op, "identity", s_id)
    pb.in_place(out, x)  # out[i] depends on in[i] only
    pb.emit(QK_OP_LEAKY_RELU, [pb.tensor(x), pb.tensor(out), DTYPE_CODES[x.dtype], x.size,
                               x.zero_point, out.zero_point, m_id, s_id, m_a, s_a])


@register("RELU", "RELU6", "RELU_N1_TO_1")
def lower_relu(op: Operator, pb: PlanBuilder) -> None:
    x, out = _unary(op, np.int8, np.int16)
    _same_type(op, x, out)
    qmin, qmax = quant.INT_RANGES[x.dtype]
    if op.name == "RELU6":
        # TFLM's Relu6 clamps the input values to [q(0), q(6)] of the *input* quantization and
        # writes them unchanged (no requantization to the output's scale).
        zero = x.zero_point
        six = int(quant.round_f32(f32(f32(6.0) / f32(x.scale)))) + x.zero_point
        six = min(max(six, qmin), qmax)
        pb.in_place(out, x)  # out[i] depends on in[i] only
        pb.emit(QK_OP_RELU, [pb.tensor(x), pb.tensor(out), DTYPE_CODES[x.dtype], x.size,
                             x.zero_point, out.zero_point, 0, 0, max(zero, qmin), six, 0])
        return
    if x.dtype == np.int16 and (x.zero_point != 0 or out.zero_point != 0):
        raise unsupported(op, "int16 needs zero points 0")
    if op.name == "RELU_N1_TO_1" and x.dtype != np.int8:
        # TFLM has no RELU_N1_TO_1 kernel and LiteRT's is int8-only: no reference to follow
        raise unsupported(op, "int16 RELU_N1_TO_1")
    mult, shift = quant.quantize_multiplier_unclamped(float(f32(x.scale)) / float(f32(out.scale)))
    _shift_ok(op, "output", shift)
    if op.name == "RELU":
        lo, hi = max(qmin, out.zero_point), qmax
    else:  # RELU_N1_TO_1: LiteRT's quantized range for [-1, 1]
        lo, hi = quant.activation_range(2, out.scale, out.zero_point, out.dtype)
    pb.in_place(out, x)  # out[i] depends on in[i] only
    pb.emit(QK_OP_RELU, [pb.tensor(x), pb.tensor(out), DTYPE_CODES[x.dtype], x.size,
                         x.zero_point, out.zero_point, mult, shift, lo, hi, 1])
