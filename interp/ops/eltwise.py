"""Lowerings: ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM, QUANTIZE, DEQUANTIZE, CAST.

Parameters are computed exactly as TFLM's Prepare functions compute them (add_common.cc,
sub_common.cc, mul_common.cc, div.cc, quantize_common.cc, dequantize_common.cc), in double
arithmetic on the float32 scales (the oracle build does so for SUB and DIV too, although some
revisions of sub_common.cc / div.cc compute in float32).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import quant, schema
from ..errors import ModelError
from ..graph import Operator, Tensor
from ..plan import PlanBuilder, register
from .common import need, quantized, unsupported

QK_OP_ADD, QK_OP_SUB, QK_OP_MUL, QK_OP_DIV = 60, 61, 62, 63
QK_OP_MINIMUM, QK_OP_MAXIMUM, QK_OP_QUANTIZE, QK_OP_DEQUANTIZE, QK_OP_CAST = 64, 65, 66, 67, 68

MAX_DIMS = 6
I8, U8, I16, I32, I64, F32 = (np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.int32,
                                                     np.int64, np.float32))
FLT_MAX = float(np.finfo(np.float32).max)


def dtype_code(dt: np.dtype) -> int:
    """TensorType code (the numbering qk.h's dtype enum uses)."""
    return schema.DTYPE_TO_TYPE[np.dtype(dt)]


def _per_tensor(op: Operator, t: Tensor) -> None:
    if t.quant is not None and t.quant.per_channel:
        raise unsupported(op, f"{t.describe()} is quantized per channel")


def _f32_bits(x: float) -> int:
    return int(np.array([x], np.float32).view(np.int32)[0])


def _f64_words(x: float) -> list[int]:
    return [int(w) for w in np.array([x], "<f8").view("<i4")]


def broadcast_header(op: Operator, pb: PlanBuilder, a: Tensor, b: Tensor, out: Tensor) -> list[int]:
    """Binary-op header words: tensor ids, dtype, 6-D output dims and per-input element strides."""
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ModelError(f"{op.describe()}: shapes {list(a.shape)} and {list(b.shape)} "
                         "do not broadcast") from None
    if tuple(shape) != tuple(out.shape):
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} is not the broadcast "
                         f"shape {list(shape)}")
    if len(shape) > MAX_DIMS:
        raise unsupported(op, f"{len(shape)}-D broadcast (at most {MAX_DIMS}-D)")
    rank = len(shape)

    def strides(t: Tensor) -> list[int]:
        tdims = [1] * (rank - len(t.shape)) + list(t.shape)
        st, acc = [0] * rank, 1
        for k in range(rank - 1, -1, -1):
            st[k] = 0 if tdims[k] == 1 else acc
            acc *= tdims[k]
        return st

    # Coalesce: drop size-1 dims and merge neighbours that both inputs walk the same way
    # (contiguously or not at all), so the C row loop gets the longest rows it can.
    dims, st1, st2 = [], [], []
    for d, x, y in zip(shape, strides(a), strides(b)):
        if d == 1:
            continue
        if dims and st1[-1] == x * d and st2[-1] == y * d:
            dims[-1] *= d
            st1[-1], st2[-1] = x, y
        else:
            dims.append(d)
            st1.append(x)
            st2.append(y)
    pad = MAX_DIMS - len(dims)
    header = [pb.tensor(a), pb.tensor(b), pb.tensor(out), dtype_code(out.dtype)]
    # A non-broadcast input walks exactly like the output and each row reads element i before
    # writing out[i], so the output may take over that input's bytes.
    for src in (a, b):
        if src.size == out.size and src.dtype == out.dtype:
            pb.in_place(out, src)
            break
    return (header
            + [1] * pad + dims + [0] * pad + st1 + [0] * pad + st2)


def _float_act(activation: int) -> list[int]:
    """CalculateActivationRange<float> as float bit patterns."""
    lo, hi = {1: (0.0, FLT_MAX), 2: (-1.0, 1.0), 3: (0.0, 6.0)}.get(activation, (-FLT_MAX, FLT_MAX))
    return [_f32_bits(lo), _f32_bits(hi)]


def _int32_act(activation: int) -> list[int]:
    """CalculateActivationRange<int32_t>."""
    return list({1: (0, 2**31 - 1), 2: (-1, 1), 3: (0, 6)}.get(activation, (-(2**31), 2**31 - 1)))


def _binary_inputs(op: Operator, allowed: tuple[np.dtype, ...]) -> tuple[Tensor, Tensor, Tensor]:
    need(op, 2)
    a, b, out = op.inputs[0], op.inputs[1], op.outputs[0]
    assert a is not None and b is not None
    if not (a.dtype == b.dtype == out.dtype):
        raise unsupported(op, "inputs and output must share one type")
    if out.dtype not in allowed:
        raise unsupported(op, f"type {out.dtype.name}")
    if out.dtype in (I8, I16):
        for t in (a, b, out):
            quantized(op, t, out.dtype.type)
            _per_tensor(op, t)
    return a, b, out


def _addsub(op: Operator, pb: PlanBuilder, opcode: int) -> None:
    a, b, out = _binary_inputs(op, (I8, I16, I32, F32))
    hdr = broadcast_header(op, pb, a, b, out)
    act = int(op.options.get("fused_activation_function", 0))
    tail = [0] * 10
    if out.dtype == F32:
        lohi = _float_act(act)
    elif out.dtype == I32:
        # TFLM's int32 ADD ignores the fused activation; int32 SUB applies it.
        lohi = _int32_act(act) if opcode == QK_OP_SUB else [-(2**31), 2**31 - 1]
    else:
        left_shift = 15 if out.dtype == I16 else 20
        # add_common.cc / sub_common.cc: double arithmetic on the float scales
        twice_max = 2.0 * max(a.scale, b.scale)
        r1, r2 = a.scale / twice_max, b.scale / twice_max
        ro = twice_max / ((1 << left_shift) * out.scale)
        try:
            m1, s1 = quant.quantize_multiplier_smaller_than_one_exp(r1)
            m2, s2 = quant.quantize_multiplier_smaller_than_one_exp(r2)
            mo, so = quant.quantize_multiplier_smaller_than_one_exp(ro)
        except ModelError as e:  # TFLM aborts on these scales
            raise unsupported(op, f"scales out of range: {e}") from None
        limit = 128 if out.dtype == I8 else 32768
        for t in (a, b):
            if not -limit <= t.zero_point < limit:
                raise ModelError(f"{op.describe()}: zero point {t.zero_point} out of range")
        lohi = list(quant.activation_range(act, out.scale, out.zero_point, out.dtype))
        tail = [-a.zero_point, -b.zero_point, out.zero_point, left_shift, m1, s1, m2, s2, mo, so]
    pb.emit(opcode, hdr + lohi + tail)


@register("ADD")
def lower_add(op: Operator, pb: PlanBuilder) -> None:
    _addsub(op, pb, QK_OP_ADD)


@register("SUB")
def lower_sub(op: Operator, pb: PlanBuilder) -> None:
    _addsub(op, pb, QK_OP_SUB)


def _muldiv(op: Operator, pb: PlanBuilder, opcode: int, types: tuple[np.dtype, ...],
            real_scale: Callable[[Tensor, Tensor, Tensor], float]) -> None:
    a, b, out = _binary_inputs(op, types)
    hdr = broadcast_header(op, pb, a, b, out)
    act = int(op.options.get("fused_activation_function", 0))
    tail = [0] * 5
    if out.dtype == F32:
        lohi = _float_act(act)
    elif out.dtype == I32:
        lohi = _int32_act(act)
    else:
        if out.dtype == I16 and (a.zero_point, b.zero_point, out.zero_point) != (0, 0, 0):
            raise unsupported(op, "int16 needs zero points 0")
        mo, so = quant.quantize_multiplier(real_scale(a, b, out))
        lohi = list(quant.activation_range(act, out.scale, out.zero_point, out.dtype))
        tail = [-a.zero_point, -b.zero_point, out.zero_point, mo, so]
    pb.emit(opcode, hdr + lohi + tail)


@register("MUL")
def lower_mul(op: Operator, pb: PlanBuilder) -> None:
    # mul_common.cc: double arithmetic
    _muldiv(op, pb, QK_OP_MUL, (I8, I16, I32, F32), lambda a, b, o: a.scale * b.scale / o.scale)


@register("DIV")
def lower_div(op: Operator, pb: PlanBuilder) -> None:
    # double arithmetic: the installed TFLM matches this, not the float32 form some div.cc
    # revisions show (checked on scales where the two multipliers differ)
    _muldiv(op, pb, QK_OP_DIV, (I8, I32, F32), lambda a, b, o: a.scale / (b.scale * o.scale))


def _minmax(op: Operator, pb: PlanBuilder, opcode: int) -> None:
    need(op, 2)
    a, b, out = op.inputs[0], op.inputs[1], op.outputs[0]
    assert a is not None and b is not None
    if not (a.dtype == b.dtype == out.dtype):
        raise unsupported(op, "inputs and output must share one type")
    if out.dtype not in (I8, I16, I32, I64, F32):  # TFLM's maximum_minimum.cc set
        raise unsupported(op, f"type {out.dtype.name}")
    pb.emit(opcode, broadcast_header(op, pb, a, b, out))


@register("MINIMUM")
def lower_minimum(op: Operator, pb: PlanBuilder) -> None:
    _minmax(op, pb, QK_OP_MINIMUM)


@register("MAXIMUM")
def lower_maximum(op: Operator, pb: PlanBuilder) -> None:
    _minmax(op, pb, QK_OP_MAXIMUM)


# (input, output) pairs TFLM's QUANTIZE requantizes (quantize_common.cc), plus float inputs.
_REQUANT_PAIRS = {(I16, I8), (I8, I8), (I8, U8), (U8, I8), (I8, I16), (I8, I32), (I16, I16),
                  (I16, I32), (I32, I8), (I32, I16)}


@register("QUANTIZE")
def lower_quantize(op: Operator, pb: PlanBuilder) -> None:
    need(op, 1)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    if out.quant is None:
        raise ModelError(f"{op.describe()}: output has no quantization parameters")
    _per_tensor(op, out)
    if x.shape != out.shape:
        raise ModelError(f"{op.describe()}: input and output shapes differ")
    if x.dtype == F32 and out.dtype in (I8, I16):
        if not out.scale > 0:
            raise ModelError(f"{op.describe()}: output scale {out.scale} is not positive")
        pb.emit(QK_OP_QUANTIZE, [pb.tensor(x), pb.tensor(out), out.size, dtype_code(x.dtype),
                                 dtype_code(out.dtype), 0, out.zero_point, 0, 0,
                                 _f32_bits(out.scale)])
        return
    if (x.dtype, out.dtype) not in _REQUANT_PAIRS:
        raise unsupported(op, f"{x.dtype.name} -> {out.dtype.name}")
    if x.quant is None:
        raise ModelError(f"{op.describe()}: input has no quantization parameters")
    _per_tensor(op, x)
    if not out.scale > 0:
        raise ModelError(f"{op.describe()}: output scale {out.scale} is not positive")
    mult, shift = quant.quantize_multiplier(x.scale / out.scale)
    pb.emit(QK_OP_QUANTIZE, [pb.tensor(x), pb.tensor(out), out.size, dtype_code(x.dtype),
                             dtype_code(out.dtype), x.zero_point, out.zero_point, mult, shift, 0])


@register("DEQUANTIZE")
def lower_dequantize(op: Operator, pb: PlanBuilder) -> None:
    need(op, 1)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    quantized(op, x, np.int8, np.int16)
    _per_tensor(op, x)
    if out.dtype != F32:
        raise unsupported(op, f"output type {out.dtype.name}")
    if x.shape != out.shape:
        raise ModelError(f"{op.describe()}: input and output shapes differ")
    pb.emit(QK_OP_DEQUANTIZE, [pb.tensor(x), pb.tensor(out), out.size, dtype_code(x.dtype),
                               x.zero_point] + _f64_words(x.scale))


# The types TFLM's CAST handles (uint8, uint16 and int64 make it fail at Invoke).
_CAST_TYPES = {np.dtype(t) for t in (np.int8, np.int16, np.int32, np.uint32, np.float32, np.bool_)}


@register("CAST")
def lower_cast(op: Operator, pb: PlanBuilder) -> None:
    need(op, 1)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    for t in (x, out):
        if t.dtype not in _CAST_TYPES:
            raise unsupported(op, f"type {t.dtype.name}")
    if x.size != out.size:
        raise ModelError(f"{op.describe()}: input and output sizes differ")
    pb.emit(QK_OP_CAST, [pb.tensor(x), pb.tensor(out), out.size, dtype_code(x.dtype),
                         dtype_code(out.dtype)])
