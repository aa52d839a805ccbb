"""Lowerings: FULLY_CONNECTED, SVDF (TFLM reference integer kernels)."""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import ModelError
from ..graph import Operator, Tensor
from ..plan import PlanBuilder, register
from . import conv
from .common import need, quantized, unsupported

QK_OP_FULLY_CONNECTED = 20
QK_OP_SVDF = 21
QK_I16, QK_I8 = 7, 9


def _wrap32(v: np.ndarray) -> np.ndarray:
    """int64 values reduced mod 2^32 into int32 (TFLM's int32 accumulators wrap the same way)."""
    return ((v.astype(np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


def _fc_multipliers(op: Operator, x: Tensor, w: Tensor, out: Tensor,
                    out_depth: int) -> tuple[np.ndarray, np.ndarray]:
    assert w.quant is not None
    if w.quant.per_channel:
        # TFLM: per-channel FC, double(input scale) * double(filter scale) / double(output scale)
        if x.dtype != np.int8:
            raise unsupported(op, "per-channel weights need int8 activations (as in TFLM)")
        if w.quant.axis != 0:
            raise unsupported(op, f"per-channel weights quantized along axis {w.quant.axis}")
        return quant.per_channel_multipliers(x.scale, w.quant.scale, out.scale, out_depth)
    # TFLM per-tensor (GetQuantizedConvolutionMultipler): double(input) * double(filter) /
    # double(output). A float32 product differs in rare ties: 250 of 51,200 outputs in a sweep
    # of scales with power-of-two ratios, 0 with the double product.
    return quant.per_channel_multipliers(x.scale, w.quant.scale, out.scale, out_depth)


@register("FULLY_CONNECTED")
def lower_fully_connected(op: Operator, pb: PlanBuilder) -> None:
    need(op, 2)
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    bias = op.inputs[2] if len(op.inputs) > 2 else None
    assert x is not None and w is not None
    quantized(op, x, np.int8, np.int16)
    quantized(op, w, np.int8)
    quantized(op, out, np.int8, np.int16)
    if out.dtype != x.dtype:
        raise unsupported(op, f"input {x.dtype.name} with output {out.dtype.name}")
    if op.options.get("weights_format", 0) != 0:
        raise unsupported(op, "shuffled weights format")
    is16 = x.dtype == np.int16
    bias_type = np.int64 if is16 else np.int32
    if bias is not None and bias.dtype != bias_type:
        raise unsupported(op, f"bias type {bias.dtype.name} with {x.dtype.name} activations")
    if len(w.shape) != 2:
        raise ModelError(f"{op.describe()}: weights must be 2-D, got {list(w.shape)}")
    out_depth, depth = w.shape
    # TFLM takes batches and depth from the output shape (keep_num_dims keeps the input's leading
    # dims, otherwise [batches, out_depth]); the weights give the accumulation depth.
    if len(out.shape) < 1 or out.shape[-1] != out_depth:
        raise ModelError(f"{op.describe()}: output {list(out.shape)} does not end in {out_depth}")
    if depth == 0 or x.size % depth:
        raise ModelError(f"{op.describe()}: input size {x.size} is not a multiple of {depth}")
    batches = x.size // depth
    if out.size != batches * out_depth:
        raise ModelError(f"{op.describe()}: output size {out.size} != {batches} x {out_depth}")
    if op.options.get("keep_num_dims", False) and tuple(out.shape[:-1]) != tuple(x.shape[:-1]):
        raise ModelError(f"{op.describe()}: keep_num_dims output {list(out.shape)} "
                         f"does not keep the input dims {list(x.shape)}")
    if bias is not None and bias.size != out_depth:
        raise ModelError(f"{op.describe()}: bias size {bias.size} != {out_depth}")
    if w.quant is not None and w.quant.per_channel and len(w.quant.scale) != out_depth:
        raise ModelError(f"{op.describe()}: {len(w.quant.scale)} weight scales for {out_depth} rows")
    mult, shift = _fc_multipliers(op, x, w, out, out_depth)
    lo, hi = quant.activation_range(op.options.get("fused_activation_function", 0), out.scale,
                                    out.zero_point, out.dtype)
    # TFLM's per-channel kernel ignores the weight zero points; the per-tensor ones apply it.
    filter_zp = 0 if w.quant is not None and w.quant.per_channel else w.zero_point
    if not -128 <= filter_zp <= 127:
        raise ModelError(f"{op.describe()}: weight zero point {filter_zp} outside int8")

    if is16:
        if x.zero_point != 0 or out.zero_point != 0:
            raise unsupported(op, "int16 FULLY_CONNECTED with a non-zero zero point")
        if int(shift.max()) > 14:
            raise unsupported(op, "int16 FULLY_CONNECTED requantization scale too large")
        pb.emit(QK_OP_FULLY_CONNECTED, [
            pb.tensor(x), pb.tensor(w), pb.tensor(bias), pb.const(mult), pb.const(shift),
            pb.tensor(out), batches, depth, out_depth, 0, filter_zp, 0, lo, hi, QK_I16])
        return

    in_zp = x.zero_point
    if not -128 <= in_zp <= 127:
        raise ModelError(f"{op.describe()}: input zero point {in_zp} outside int8")
    bias_id = None
    if filter_zp == 0 and w.is_const and (bias is None or bias.is_const) and in_zp != -128:
        # sum_d w * (x - zp) + b == sum_d w * (x + 128) + (b - (zp + 128) * sum_d w), exactly
        # (mod 2^32, as TFLM's int32 accumulator wraps): move the input zero point into an
        # effective bias so C runs its u8 x s8 dot-product fast path (in_zp == -128).
        assert w.data is not None
        eff = -(in_zp + 128) * w.data.astype(np.int64).sum(axis=1)
        if bias is not None:
            assert bias.data is not None
            eff = eff + bias.data.astype(np.int64).reshape(-1)
        bias_id = pb.const(_wrap32(eff), "fc_effective_bias")
        in_zp = -128
    if bias_id is None:
        bias_id = pb.tensor(bias)
    tail = []
    if conv.HOST_GEMM and pb.host_simd and in_zp == -128 and filter_zp == 0 and w.is_const and depth <= 16384:
        # host SIMD GEMV (qk__fc_vnni): the filter packed as CONV_2D's GEMM wants it
        assert w.data is not None
        tail = [pb.const(conv.gemm_pack(w.data), "gemm_filter")]
    pb.emit(QK_OP_FULLY_CONNECTED, [
        pb.tensor(x), pb.tensor(w), bias_id, pb.const(mult), pb.const(shift), pb.tensor(out),
        batches, depth, out_depth, in_zp, filter_zp, out.zero_point, lo, hi, QK_I8] + tail)


@register("SVDF")
def lower_svdf(op: Operator, pb: PlanBuilder) -> None:
    if len(op.inputs) != 5 or len(op.outputs) != 1:
        raise ModelError(f"{op.describe()}: SVDF takes 5 inputs (bias may be absent) and 1 output")
    x, wf, wt, bias, state = op.inputs
    out = op.outputs[0]
    if x is None or wf is None or wt is None or state is None:
        raise ModelError(f"{op.describe()}: missing a required input")
    quantized(op, x, np.int8)
    quantized(op, wf, np.int8)
    quantized(op, wt, np.int8, np.int16)
    quantized(op, state, np.int8, np.int16)
    quantized(op, out, np.int8)
    if wt.dtype != state.dtype:
        raise unsupported(op, f"weights_time {wt.dtype.name} with state {state.dtype.name}")
    if bias is not None:
        quantized(op, bias, np.int32)
    for t in (x, wf, wt, state, out) + ((bias,) if bias is not None else ()):
        assert t.quant is not None
        if t.quant.per_channel:
            raise unsupported(op, f"per-channel quantization on {t.describe()}")
    if not state.is_variable:
        raise ModelError(f"{op.describe()}: the activation state {state.describe()} is not a variable")
    rank = int(op.options.get("rank", 0))
    if (len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(state.shape) != 2
            or len(out.shape) != 2):
        raise ModelError(f"{op.describe()}: SVDF tensors must be 2-D")
    batches, n_input = x.shape
    n_filter, n_memory = wt.shape
    if rank < 1 or n_filter % rank:
        raise ModelError(f"{op.describe()}: rank {rank} does not divide {n_filter} filters")
    n_unit = n_filter // rank
    if wf.shape != (n_filter, n_input):
        raise ModelError(f"{op.describe()}: weights_feature {list(wf.shape)} != {[n_filter, n_input]}")
    if n_memory < 1:
        raise ModelError(f"{op.describe()}: memory size must be positive")
    if state.shape != (batches, n_memory * n_filter):
        raise ModelError(f"{op.describe()}: state {list(state.shape)} != "
                         f"{[batches, n_memory * n_filter]}")
    if out.shape != (batches, n_unit):
        raise ModelError(f"{op.describe()}: output {list(out.shape)} != {[batches, n_unit]}")
    if bias is not None and bias.size != n_unit:
        raise ModelError(f"{op.describe()}: bias size {bias.size} != {n_unit}")
    # The installed TFLM matches double arithmetic here (its source reads as float32 products):
    # a sweep of power-of-two scale ratios gave 0 mismatches in double, 14 in float32.
    s1 = x.scale * wf.scale / state.scale
    s2 = state.scale * wt.scale / out.scale
    if not (np.isfinite(s1) and np.isfinite(s2)) or s1 < 0 or s2 < 0:
        raise ModelError(f"{op.describe()}: invalid SVDF scales")
    mult1, shift1 = quant.quantize_multiplier(float(s1))
    mult2, shift2 = quant.quantize_multiplier(float(s2))
    lo, hi = quant.INT_RANGES[state.dtype]
    for name, zp, (a, b) in (("input", x.zero_point, (-128, 127)), ("state", state.zero_point, (lo, hi)),
                             ("output", out.zero_point, (-128, 127))):
        if not a <= zp <= b:
            raise ModelError(f"{op.describe()}: {name} zero point {zp} out of range")
    pb.emit(QK_OP_SVDF, [
        pb.tensor(x), pb.tensor(wf), pb.tensor(wt), pb.tensor(bias), pb.tensor(state), pb.tensor(out),
        batches, n_input, n_filter, n_memory, rank, x.zero_point, state.zero_point, out.zero_point,
        mult1, shift1, mult2, shift2, QK_I16 if state.dtype == np.int16 else QK_I8])
