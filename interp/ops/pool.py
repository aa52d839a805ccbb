"""Lowerings: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN (int8 and int16, TFLM reference semantics)."""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import ModelError
from ..graph import Operator
from ..plan import DTYPE_CODES, PlanBuilder, register
from .common import need, quantized, unsupported

QK_OP_AVG_POOL = 40
QK_OP_MAX_POOL = 41
QK_OP_MEAN = 42

MEAN_MAX_DIMS = 5  # TFLM's reduce kernels index with a 5-entry iterator


def out_size(padding: int, size: int, filt: int, stride: int) -> int:
    """TFLite ComputeOutSize (dilation 1): 0 = SAME, 1 = VALID."""
    if padding == 0:
        return (size + stride - 1) // stride
    return (size + stride - filt) // stride


def pad_before(stride: int, size: int, filt: int, out: int) -> int:
    """TFLite ComputePaddingWithOffset: the padding on the top/left edge."""
    return max(0, (out - 1) * stride + filt - size) // 2


@register("AVERAGE_POOL_2D", "MAX_POOL_2D")
def lower_pool(op: Operator, pb: PlanBuilder) -> None:
    need(op, 1)
    x, out = op.inputs[0], op.outputs[0]
    assert x is not None
    quantized(op, x, np.int8, np.int16)
    quantized(op, out, np.int8, np.int16)
    if x.dtype != out.dtype:
        raise unsupported(op, f"input {x.dtype.name} with output {out.dtype.name}")
    if x.quant.per_channel or out.quant.per_channel:
        raise unsupported(op, "per-channel quantization")
    if abs(x.scale - out.scale) > 1e-6 or x.zero_point != out.zero_point:
        raise unsupported(op, "input and output quantization differ (TFLM requires them equal)")
    if len(x.shape) != 4 or len(out.shape) != 4:
        raise ModelError(f"{op.describe()}: pooling needs 4-D NHWC tensors")
    o = op.options
    padding, sh, sw = o.get("padding", 0), o.get("stride_h", 0), o.get("stride_w", 0)
    fh, fw = o.get("filter_height", 0), o.get("filter_width", 0)
    if padding not in (0, 1):
        raise ModelError(f"{op.describe()}: unknown padding {padding}")
    if min(sh, sw, fh, fw) < 1:
        raise ModelError(f"{op.describe()}: strides and filter sizes must be positive")
    b, h, w, c = x.shape
    oh, ow = out_size(padding, h, fh, sh), out_size(padding, w, fw, sw)
    if tuple(out.shape) != (b, oh, ow, c) or oh < 1 or ow < 1:
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} does not match "
                         f"the pooled shape {[b, oh, ow, c]}")
    ph, pw = pad_before(sh, h, fh, oh), pad_before(sw, w, fw, ow)
    if op.name == "AVERAGE_POOL_2D" and fh * fw > (2**31 - 1) // 32768:
        raise unsupported(op, f"filter {fh}x{fw} is too large for an int32 sum")
    if op.name == "AVERAGE_POOL_2D":
        # every window must hold an in-bounds tap (TFLM fails at run time otherwise)
        for n, s, p, f, size in ((oh, sh, ph, fh, h), (ow, sw, pw, fw, w)):
            for i in range(n):
                o0 = i * s - p
                if min(f, size - o0) <= max(0, -o0):
                    raise ModelError(f"{op.describe()}: a pooling window lies outside the input")
    lo, hi = quant.activation_range(o.get("fused_activation_function", 0), out.scale,
                                    out.zero_point, out.dtype)
    code = QK_OP_AVG_POOL if op.name == "AVERAGE_POOL_2D" else QK_OP_MAX_POOL
    pb.emit(code, [pb.tensor(x), pb.tensor(out), DTYPE_CODES[x.dtype],
                   b, h, w, c, oh, ow, fh, fw, sh, sw, ph, pw, lo, hi])


@register("MEAN")
def lower_mean(op: Operator, pb: PlanBuilder) -> None:
    need(op, 2)
    x, axis_t, out = op.inputs[0], op.inputs[1], op.outputs[0]
    assert x is not None and axis_t is not None
    quantized(op, x, np.int8, np.int16)
    quantized(op, out, np.int8, np.int16)
    if x.dtype != out.dtype:
        raise unsupported(op, f"input {x.dtype.name} with output {out.dtype.name}")
    if x.quant.per_channel or out.quant.per_channel:
        raise unsupported(op, "per-channel quantization")
    if axis_t.dtype != np.int32:
        raise ModelError(f"{op.describe()}: axis must be int32")
    if axis_t.data is None:
        raise unsupported(op, "axis is not a constant")
    nd = len(x.shape)
    if nd > MEAN_MAX_DIMS:
        raise unsupported(op, f"{nd}-D input (at most {MEAN_MAX_DIMS})")
    if x.size == 0:
        raise unsupported(op, "empty input")
    axes: list[int] = []
    for a in np.asarray(axis_t.data).reshape(-1).tolist():
        r = a + nd if a < 0 else a
        if not 0 <= r < nd:
            raise ModelError(f"{op.describe()}: axis {a} is out of range for {nd}-D input")
        if r not in axes:
            axes.append(r)
    keep = bool(op.options.get("keep_dims", False))
    want = [1 if d in axes else s for d, s in enumerate(x.shape)] if keep else \
        [s for d, s in enumerate(x.shape) if d not in axes]
    if int(np.prod(want, dtype=np.int64)) != out.size:
        raise ModelError(f"{op.describe()}: output shape {list(out.shape)} does not match {want}")
    n = int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
    if n > (2**31 - 1) // 32768:
        raise unsupported(op, f"reducing {n} elements overflows TFLM's int32 sum")
    mask = sum(1 << d for d in axes)
    # TFLM runs every quantized MEAN through QuantizedMeanOrSum (checked against tflite-micro:
    # even equal input/output quantization takes this path), folding 1/n into the multiplier.
    mult, shift = quant.quantize_multiplier(float(x.scale) / float(out.scale))
    s = min(n.bit_length() - 1, 32, 31 + shift)
    if s < 0:
        raise unsupported(op, "requantization multiplier is too small")
    mult = (mult << s) // n
    shift -= s
    if not -31 <= shift <= 30:
        raise unsupported(op, f"requantization shift {shift} is out of range")
    dims = list(x.shape) + [1] * (6 - nd)
    out_count = out.size
    pb.emit(QK_OP_MEAN, [pb.tensor(x), pb.tensor(out), pb.scratch(4 * out_count, "mean_sum"),
                         DTYPE_CODES[x.dtype], nd, *dims, mask, x.zero_point,
                         out.zero_point, mult, shift])
