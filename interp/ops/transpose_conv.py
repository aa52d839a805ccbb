"""Lowering: TRANSPOSE_CONV (int8 with int32 bias, int16x8 with int64 or int16 bias)."""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import ModelError
from ..graph import Operator
from ..plan import PlanBuilder, register
from .common import need, quantized, unsupported

QK_OP_TRANSPOSE_CONV = 12
QK_I16, QK_I8 = 7, 9


def _padding(stride: int, in_size: int, filter_size: int, same: bool) -> int:
    """TFLM's ComputePaddingHeightWidth with the transpose conv's *output* as the image."""
    out_size = (in_size + stride - 1) // stride if same else (in_size + stride - filter_size) // stride
    total = (out_size - 1) * stride + filter_size - in_size
    return max(total, 0) // 2


@register("TRANSPOSE_CONV")
def lower_transpose_conv(op: Operator, pb: PlanBuilder) -> None:
    need(op, 3)
    shape_t, w, x, out = op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]
    bias = op.inputs[3] if len(op.inputs) > 3 else None
    assert shape_t is not None and w is not None and x is not None
    if x.dtype == np.int8:
        quantized(op, out, np.int8)
        dtype, bias_types = QK_I8, (np.dtype(np.int32),)
    elif x.dtype == np.int16:
        quantized(op, out, np.int16)
        dtype, bias_types = QK_I16, (np.dtype(np.int64), np.dtype(np.int16))
    else:
        raise unsupported(op, f"input type {x.dtype.name}")
    quantized(op, x, x.dtype.type)
    quantized(op, w, np.int8)
    if out.dtype != x.dtype:
        raise ModelError(f"{op.describe()}: output type must match the input type")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(out.shape) != 4:
        raise ModelError(f"{op.describe()}: input, filter and output must be 4-D")
    n, in_h, in_w, in_d = x.shape
    out_d, fh, fw, w_in_d = w.shape
    if w_in_d != in_d or out.shape[0] != n or out.shape[3] != out_d:
        raise ModelError(f"{op.describe()}: filter {list(w.shape)} does not match input "
                         f"{list(x.shape)} and output {list(out.shape)}")
    out_h, out_w = out.shape[1], out.shape[2]
    if shape_t.dtype != np.int32 or shape_t.size != 4:
        raise ModelError(f"{op.describe()}: output_shape must be an int32[4] tensor")
    if shape_t.data is not None and [int(v) for v in shape_t.data.reshape(-1)] != list(out.shape):
        raise ModelError(f"{op.describe()}: output_shape {shape_t.data.tolist()} does not match "
                         f"the output tensor {list(out.shape)}")
    # TFLM ignores input 0 (it has no dynamic shapes): the output tensor's shape rules.
    wq = w.quant
    assert wq is not None
    if len(wq.scale) not in (1, out_d) or (len(wq.scale) > 1 and wq.axis != 0):
        raise ModelError(f"{op.describe()}: filter quantization must be per-tensor or per axis 0")
    if any(z != 0 for z in wq.zero_point):
        raise unsupported(op, "filter zero points other than 0 (TFLM ignores them)")
    if dtype == QK_I16 and (x.zero_point != 0 or out.zero_point != 0):
        raise unsupported(op, "int16 zero points other than 0 (TFLM's 16x8 kernel has none)")
    bias_id = -1
    if bias is not None:
        if bias.dtype not in bias_types:
            raise unsupported(op, f"bias type {bias.dtype.name} with {x.dtype.name} input")
        if bias.size != out_d:
            raise ModelError(f"{op.describe()}: bias has {bias.size} elements, expected {out_d}")
        if bias.dtype == np.int16:  # TFLM widens an int16 bias to int64 at every invoke
            if bias.data is None:
                raise unsupported(op, "non-constant int16 bias")
            bias_id = pb.const(np.asarray(bias.data, np.int64).reshape(-1), "bias64")
        else:
            bias_id = pb.tensor(bias)
    sh, sw = int(op.options.get("stride_h", 0)), int(op.options.get("stride_w", 0))
    if sh < 1 or sw < 1:
        raise ModelError(f"{op.describe()}: strides must be >= 1")
    padding = int(op.options.get("padding", 0))
    if padding not in (0, 1):
        raise ModelError(f"{op.describe()}: unknown padding {padding}")
    pad_h = _padding(sh, out_h, fh, padding == 0)
    pad_w = _padding(sw, out_w, fw, padding == 0)
    act = int(op.options.get("fused_activation_function", 0))
    if act not in (0, 1, 2, 3):
        raise unsupported(op, f"fused activation {act}")
    lo, hi = quant.activation_range(act, out.scale, out.zero_point, out.dtype)
    mult, shift = quant.per_channel_multipliers(x.scale, wq.scale, out.scale, out_d)
    acc_size = 4 if dtype == QK_I8 else 8
    scratch = pb.scratch(out.size * acc_size, "transpose_conv_acc")
    pb.emit(QK_OP_TRANSPOSE_CONV, [
        pb.tensor(x), pb.tensor(w), bias_id, pb.const(mult), pb.const(shift), pb.tensor(out),
        scratch, dtype, n, in_h, in_w, in_d, fh, fw, out_h, out_w, out_d, sh, sw, pad_h, pad_w,
        x.zero_point if dtype == QK_I8 else 0, out.zero_point if dtype == QK_I8 else 0, lo, hi])
