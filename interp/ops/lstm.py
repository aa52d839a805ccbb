"""Lowerings: UNIDIRECTIONAL_SEQUENCE_LSTM (integer: int8 activations/weights, int16 cell state).

Follows TFLM's current kernel (unidirectional_sequence_lstm.cc + lstm_eval_common.cc, "standard"
LSTM only): every gate is FC(input) + FC(hidden) into Q3.12 (scale 2^-12), then a Q0.15 sigmoid or
tanh; the cell state update and the hidden state use element-wise int16 MULs. The integer
parameters TFLM derives at Prepare time are computed here:

* gate FCs: QuantizeMultiplier(input_scale * weight_scale / 2^-12), one per input/recurrent FC;
* forget x cell: 2^-15 * cell_scale / cell_scale; input x cell gate: 2^-15 * 2^-15 / cell_scale;
  tanh(cell) x output gate -> hidden: 2^-15 * 2^-15 / hidden_scale (hidden zero point added);
* cell tanh input scaling from cell_state_scale_power = round(log2(cell_scale)) (CheckedLog2,
  whose result TFLM ignores, so non-power-of-two cell scales are accepted and rounded);
* quantized cell clip = int16(clamp(cell_clip / cell_scale)) truncated toward zero.

TFLM copies the new hidden state into the output, so the output tensor's own quantization is not
used; the hidden state tensor's scale and zero point are.
"""
from __future__ import annotations

import weakref

import numpy as np

from .. import quant
from ..errors import ModelError
from ..graph import Operator, Tensor
from ..plan import PlanBuilder, register
from .common import quantized, unsupported

QK_OP_LSTM = 30

# TFLite's sigmoid(i / 24) table in unsigned Q0.16 (tensorflow/lite/kernels/internal/common.h,
# `sigmoid_table_uint16`), shared by the int16 LOGISTIC and TANH reference kernels. The values
# are the published constants (they are not exactly reproducible from a closed formula).
SIGMOID_TABLE_UINT16 = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794,
    41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443,
    48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374,
    54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544,
    58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279,
    61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990,
    63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030,
    64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652,
    64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019,
    65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234,
    65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476,
    65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498, 65500, 65501,
    65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516,
    65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529,
    65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532,
    65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535], np.uint16)
assert SIGMOID_TABLE_UINT16.shape == (256,)

# Input tensor slots (tensorflow/lite/micro/kernels/lstm_shared.h).
IN_X = 0
W_X = (1, 2, 3, 4)  # input-to-{input, forget, cell, output} weights
W_H = (5, 6, 7, 8)  # recurrent-to-{input, forget, cell, output} weights
PEEPHOLE = (9, 10, 11)
BIAS = (12, 13, 14, 15)
PROJECTION = (16, 17)
H_STATE, C_STATE = 18, 19
LAYER_NORM = (20, 21, 22, 23)

GATE_SCALE = 2.0 ** -12  # Q3.12 gate pre-activations
ACT_SCALE = 2.0 ** -15  # Q0.15 gate activations
ACT_TANH = 4  # schema ActivationFunctionType code
MAX_DEPTH = 33000  # keeps |sum (w - zw)(x - zx)| < 2^31, as the C kernel checks


# One copy of the table per plan, however many LSTM ops use it.
_TABLE_IDS: weakref.WeakKeyDictionary[PlanBuilder, int] = weakref.WeakKeyDictionary()


def _sigmoid_table(pb: PlanBuilder) -> int:
    if pb not in _TABLE_IDS:
        _TABLE_IDS[pb] = pb.const(SIGMOID_TABLE_UINT16, "sigmoid_table_uint16")
    return _TABLE_IDS[pb]


def _checked_log2(x: float) -> int:
    """TFLite's CheckedLog2 result: round-half-away(logf(x) * (1 / logf(2))) in float32."""
    f = np.float32
    log2 = f(np.log(f(x))) * (f(1.0) / f(np.log(f(2.0))))
    return quant.round_half_away(float(log2))


def _per_tensor(op: Operator, t: Tensor) -> None:
    assert t.quant is not None
    if t.quant.per_channel:
        raise unsupported(op, f"{t.describe()} is per-channel quantized")


def _tanh_input_scaling(cell_scale_power: int) -> tuple[int, int]:
    """(multiplier, right shift) reference_integer_ops::Tanh applies to the cell state."""
    left_shift = 15 + cell_scale_power - 3
    if left_shift >= 0:  # input_multiplier 0: the power-of-two case, 3 << left_shift
        return 3 << left_shift, 0
    return 3, -left_shift


@register("UNIDIRECTIONAL_SEQUENCE_LSTM")
def lower_unidirectional_sequence_lstm(op: Operator, pb: PlanBuilder) -> None:
    if len(op.inputs) != 24 or len(op.outputs) != 1:
        raise ModelError(f"{op.describe()}: expected 24 inputs and 1 output, got "
                         f"{len(op.inputs)} and {len(op.outputs)}")
    ins = list(op.inputs)
    x, out, h, c = ins[IN_X], op.outputs[0], ins[H_STATE], ins[C_STATE]
    if x is None or h is None or c is None:
        raise ModelError(f"{op.describe()}: input, hidden state and cell state are required")
    if ins[W_X[0]] is None or ins[W_H[0]] is None:
        raise unsupported(op, "CIFG (coupled input and forget gate) LSTM")
    if any(ins[i] is not None for i in PEEPHOLE):
        raise unsupported(op, "peephole connections")
    if any(ins[i] is not None for i in PROJECTION):
        raise unsupported(op, "projection")
    if any(ins[i] is not None for i in LAYER_NORM):
        raise unsupported(op, "layer normalization")
    wx = [ins[i] for i in W_X]
    wh = [ins[i] for i in W_H]
    bias = [ins[i] for i in BIAS]
    if any(t is None for t in wx + wh + bias):
        raise ModelError(f"{op.describe()}: every gate needs input and recurrent weights and a bias")
    if not (h.is_variable and c.is_variable):
        raise ModelError(f"{op.describe()}: hidden and cell states must be variable tensors")

    # Types: the fully integer 8x8_16 kernel only.
    if x.dtype != np.int8:
        raise unsupported(op, f"{x.describe()} has type {x.dtype.name} (only int8 activations)")
    for t in (x, out, h):
        quantized(op, t, np.int8)
    quantized(op, c, np.int16)
    for t in wx + wh:
        quantized(op, t, np.int8)
        _per_tensor(op, t)
    for t in bias:
        assert t is not None
        if t.dtype != np.int32:
            raise unsupported(op, f"{t.describe()}: bias type {t.dtype.name} (only int32)")
    for t in (x, h, c):
        _per_tensor(op, t)
    if not (-128 <= x.zero_point <= 127 and -128 <= h.zero_point <= 127):
        raise ModelError(f"{op.describe()}: int8 zero point out of range")

    # Options.
    opts = op.options
    time_major = bool(opts.get("time_major", False))
    cell_clip = float(opts.get("cell_clip", 0.0))
    act = int(opts.get("fused_activation_function", 0))
    if opts.get("diagonal_recurrent_tensors", False):
        raise unsupported(op, "diagonal recurrent weights")
    if act != ACT_TANH:
        # TFLM maps the flatbuffer code to TfLiteFusedActivation and handles only tanh (and
        # sigmoid, which the schema cannot express); for any other code its gate switch hits an
        # assert that release builds compile out, leaving the Q3.12 cell gate un-activated.
        raise unsupported(op, f"cell gate activation {act} (only TANH)")
    if not cell_clip >= 0.0:
        raise ModelError(f"{op.describe()}: negative cell_clip {cell_clip}")

    # Shapes (CreateLstmSizeInfo / ValidateTensorSize).
    if len(x.shape) != 3:
        raise ModelError(f"{op.describe()}: input must be 3-D, got {list(x.shape)}")
    if len(h.shape) != 2:
        raise unsupported(op, f"{h.describe()}: hidden state must be 2-D")
    batch, steps = (x.shape[1], x.shape[0]) if time_major else (x.shape[0], x.shape[1])
    n_input, n_state = x.shape[2], h.shape[1]
    for t in wx:
        assert t is not None
        if t.shape != (n_state, n_input):
            raise ModelError(f"{op.describe()}: {t.describe()} must be [{n_state}, {n_input}]")
    for t in wh:
        assert t is not None
        if t.shape != (n_state, n_state):
            raise ModelError(f"{op.describe()}: {t.describe()} must be [{n_state}, {n_state}]")
    for t in bias:
        assert t is not None
        if t.shape != (n_state,):
            raise ModelError(f"{op.describe()}: {t.describe()} must be [{n_state}]")
    if h.size != batch * n_state or c.size != batch * n_state:
        raise ModelError(f"{op.describe()}: state tensors must hold {batch} x {n_state} values")
    if len(out.shape) != 3 or out.shape != (x.shape[0], x.shape[1], n_state):
        raise ModelError(f"{op.describe()}: output must be {[x.shape[0], x.shape[1], n_state]}, "
                         f"got {list(out.shape)}")
    if n_input > MAX_DEPTH or n_state > MAX_DEPTH:
        raise unsupported(op, f"input/state depth above {MAX_DEPTH}")

    # Gate FCs (CreateGateParams): input FC carries the bias, the recurrent FC none.
    x_scale, h_scale, c_scale = x.scale, h.scale, c.scale
    if not (x_scale > 0 and h_scale > 0 and c_scale > 0):
        raise ModelError(f"{op.describe()}: non-positive activation or state scale")
    gate_params = []
    for g in range(4):
        wxg, whg = wx[g], wh[g]
        assert wxg is not None and whg is not None
        xm, xs = quant.quantize_multiplier(x_scale * wxg.scale / GATE_SCALE)
        hm, hs = quant.quantize_multiplier(h_scale * whg.scale / GATE_SCALE)
        gate_params.append([xm, xs, hm, hs, wxg.zero_point, whg.zero_point])
    for row in gate_params:
        if not all(-128 <= z <= 127 for z in row[4:]):
            raise ModelError(f"{op.describe()}: weight zero point outside int8")

    # Inter-gate MULs (CreateInterGateMulParams), all in double from the float32 scales.
    fc_mult, fc_shift = quant.quantize_multiplier(ACT_SCALE * c_scale / c_scale)
    ig_mult, ig_shift = quant.quantize_multiplier(ACT_SCALE * ACT_SCALE / c_scale)
    hid_mult, hid_shift = quant.quantize_multiplier(ACT_SCALE * ACT_SCALE / h_scale)

    # Cell state info (CreateLstmCellStateInfo).
    power = _checked_log2(c_scale)
    tanh_mult, tanh_shift = _tanh_input_scaling(power)
    if tanh_mult > 3 << 14 or tanh_shift > 30:
        raise unsupported(op, f"cell state scale {c_scale} (2^{power}) is out of range")
    clip = -1
    if cell_clip > 0.0:
        clip = int(min(max(cell_clip / c_scale, -32768.0), 32767.0))  # C++ cast truncates

    pb.emit(QK_OP_LSTM, [
        pb.tensor(x), pb.tensor(out), pb.tensor(h), pb.tensor(c),
        _sigmoid_table(pb),
        pb.const(np.array(gate_params, np.int32), "lstm_gate_params"),
        *[pb.tensor(t) for t in wx], *[pb.tensor(t) for t in wh], *[pb.tensor(t) for t in bias],
        batch, steps, n_input, n_state, int(time_major), x.zero_point, h.zero_point,
        fc_mult, fc_shift, ig_mult, ig_shift, hid_mult, hid_shift, tanh_mult, tanh_shift, clip])

