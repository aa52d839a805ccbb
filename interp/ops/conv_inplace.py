"""In-place DEPTHWISE_CONV_2D (csrc/src/qk_conv_inplace.c): the planner switches a depthwise
convolution to this form when it sits at the arena's peak and its input dies there, so the
output reuses the input's bytes (TinyEngine's trick). Same outputs, bit for bit."""
from __future__ import annotations

import numpy as np

from .. import quant
from ..graph import Operator
from ..plan import PlanBuilder

QK_OP_DEPTHWISE_CONV2D_INPLACE = 13


def eligible(op: Operator) -> bool:
    """int8, depth multiplier 1, constant filter, int32 or no bias: what the kernel implements."""
    if op.name != "DEPTHWISE_CONV_2D" or len(op.outputs) != 1 or len(op.inputs) < 2:
        return False
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    return (x is not None and w is not None and w.is_const and x.dtype == np.int8
            and y.dtype == np.int8 and len(x.shape) == 4 and len(y.shape) == 4
            and x.shape[3] == y.shape[3] and y.size <= x.size
            and (b is None or b.dtype == np.int32))


def lower_depthwise_in_place(op: Operator, pb: PlanBuilder, out_size_and_pad) -> None:
    """Emit the in-place kernel; `out_size_and_pad` is the conv family's TFLM padding rule."""
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    assert x is not None and w is not None
    o = op.options
    n, ih, iw, ch = x.shape
    _, kh, kw, _ = w.shape
    top, bottom, left, right = o.get("fused_pad", (0, 0, 0, 0))
    oh, ph = out_size_and_pad(op, o["padding"], o["stride_h"], o["dilation_h_factor"], ih + top + bottom, kh)
    ow, pw = out_size_and_pad(op, o["padding"], o["stride_w"], o["dilation_w_factor"], iw + left + right, kw)
    mult, shift = quant.per_channel_multipliers(x.scale, w.quant.scale, y.scale, ch)
    lo, hi = quant.activation_range(o["fused_activation_function"], y.scale, y.zero_point, y.dtype)
    pb.in_place(y, x)
    pb.emit(QK_OP_DEPTHWISE_CONV2D_INPLACE, [
        pb.tensor(x), pb.tensor(w), pb.tensor(b), pb.const(mult), pb.const(shift), pb.tensor(y),
        pb.scratch(oh * ow, "dw_in_place_plane"), n, ih, iw, ch, kh, kw, oh, ow,
        o["stride_h"], o["stride_w"], o["dilation_h_factor"], o["dilation_w_factor"],
        ph + top, pw + left, x.zero_point, y.zero_point, lo, hi])
