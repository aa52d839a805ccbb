"""Lowerings: FULLY_CONNECTED, SVDF."""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import ModelError
from ..graph import Operator
from ..plan import PlanBuilder, register
from .common import need, quantized, unsupported

QK_OP_FULLY_CONNECTED = 20


@register("FULLY_CONNECTED")
def lower_fully_connected(op: Operator, pb: PlanBuilder) -> None:
    need(op, 2)
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    bias = op.inputs[2] if len(op.inputs) > 2 else None
    assert x is not None and w is not None
    for t in (x, w, out):
        quantized(op, t, np.int8)
    if op.options.get("weights_format", 0) != 0:
        raise unsupported(op, "shuffled weights format")
    if bias is not None and bias.dtype != np.int32:
        raise unsupported(op, f"bias type {bias.dtype.name}")
    if len(w.shape) != 2:
        raise ModelError(f"{op.describe()}: weights must be 2-D, got {list(w.shape)}")
    out_depth, depth = w.shape
    if depth == 0 or x.size % depth:
        raise ModelError(f"{op.describe()}: input size {x.size} is not a multiple of {depth}")
    batches = x.size // depth
    if out.size != batches * out_depth or (bias is not None and bias.size != out_depth):
        raise ModelError(f"{op.describe()}: output/bias sizes do not match the weights")
    mult, shift = quant.per_channel_multipliers(x.scale, w.quant.scale, out.scale, out_depth)
    lo, hi = quant.activation_range(op.options["fused_activation_function"], out.scale,
                                    out.zero_point, out.dtype)
    pb.emit(QK_OP_FULLY_CONNECTED, [
        pb.tensor(x), pb.tensor(w), pb.tensor(bias), pb.const(mult), pb.const(shift), pb.tensor(out),
        batches, depth, out_depth, x.zero_point, w.zero_point, out.zero_point, lo, hi])
