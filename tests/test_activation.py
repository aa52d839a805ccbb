"""SOFTMAX, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU and the RELU family: differential tests
against tflite-micro (the oracle) and LiteRT BUILTIN_REF where the two agree."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import interp
from interp.writer import ModelWriter
from oracles import assert_matches_tflm, run_interp, run_litert

f32 = np.float32


@st.composite
def scales(draw, lo: float = -3.0, hi: float = 1.0) -> float:
    return float(f32(10.0 ** draw(st.floats(lo, hi))))


def zp8() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([-128, -127, 0, 126, 127]), st.integers(-128, 127))


@st.composite
def shapes(draw, max_rank: int = 4) -> tuple[int, ...]:
    rank = draw(st.integers(1, max_rank))
    return tuple(draw(st.lists(st.integers(1, 6), min_size=rank, max_size=rank)))


def random_input(shape, dtype, seed: int, full: bool = True) -> np.ndarray:
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    x = rng.integers(info.min, info.max + 1, shape)
    if not full:  # int16: mostly moderate values so the interesting range is covered
        x = np.where(rng.random(shape) < 0.8, x // 64, x)
    return x.astype(dtype)


def unary_model(name, shape, dtype, s_in, z_in, s_out, z_out, options=None, out_dtype=None):
    mw = ModelWriter()
    x = mw.tensor(shape, dtype, scale=s_in, zero_point=z_in)
    y = mw.tensor(shape, out_dtype or dtype, scale=s_out, zero_point=z_out)
    mw.op(name, [x], [y], options or {})
    mw.inputs, mw.outputs = [x], [y]
    return mw.to_bytes()


# -- SOFTMAX ------------------------------------------------------------------------------------

@given(shapes(), scales(-3.0, 0.5), zp8(), st.floats(0.1, 2.0), st.booleans(),
       st.integers(0, 2**31))
def test_softmax_int8(shape, s_in, z_in, beta, int16_out, seed) -> None:
    beta = float(f32(beta))
    if int16_out:
        model = unary_model("SOFTMAX", shape, np.int8, s_in, z_in, 1 / 65536, -32768,
                            {"beta": beta}, np.int16)
    else:
        model = unary_model("SOFTMAX", shape, np.int8, s_in, z_in, 1 / 256, -128, {"beta": beta})
    assert_matches_tflm(model, [random_input(shape, np.int8, seed)])


@given(shapes(), scales(-4.5, -1.0), st.floats(0.2, 2.0), st.integers(0, 2**31))
def test_softmax_int16(shape, s_in, beta, seed) -> None:
    model = unary_model("SOFTMAX", shape, np.int16, s_in, 0, 1 / 32768, 0, {"beta": float(f32(beta))})
    # LiteRT builds its exp / reciprocal tables with different float code than TFLM's gen_lut,
    # so its results differ from TFLM's by 1 in rare elements: TFLM only.
    assert_matches_tflm(model, [random_input(shape, np.int16, seed, full=False)], litert=False)


# -- LOGISTIC / TANH ----------------------------------------------------------------------------

@given(st.sampled_from(["LOGISTIC", "TANH"]), shapes(), scales(-3.0, 0.0), zp8(),
       st.integers(0, 2**31))
def test_sigmoid_int8(name, shape, s_in, z_in, seed) -> None:
    if name == "LOGISTIC":
        model = unary_model(name, shape, np.int8, s_in, z_in, 1 / 256, -128)
    else:
        model = unary_model(name, shape, np.int8, s_in, z_in, 1 / 128, 0)
    assert_matches_tflm(model, [random_input(shape, np.int8, seed)])


@given(st.sampled_from(["LOGISTIC", "TANH"]), shapes(),
       st.one_of(st.sampled_from([2.0**-12, 2.0**-11, 2.0**-13, 2.0**-10]), scales(-5.0, -2.5)),
       st.integers(0, 2**31))
def test_sigmoid_int16(name, shape, s_in, seed) -> None:
    model = unary_model(name, shape, np.int16, s_in, 0, 2.0**-15, 0)
    assert_matches_tflm(model, [random_input(shape, np.int16, seed, full=False)])


# -- HARD_SWISH ---------------------------------------------------------------------------------

@given(shapes(), scales(-3.0, 0.0), zp8(), st.floats(-1.5, 0.5), zp8(), st.integers(0, 2**31))
def test_hard_swish_int8(shape, s_in, z_in, ratio_exp, z_out, seed) -> None:
    s_out = float(f32(s_in * 10.0 ** ratio_exp))
    model = unary_model("HARD_SWISH", shape, np.int8, s_in, z_in, s_out, z_out)
    assert_matches_tflm(model, [random_input(shape, np.int8, seed)])


# -- LEAKY_RELU ---------------------------------------------------------------------------------

@given(st.sampled_from([np.int8, np.int16]), shapes(), scales(-3.0, 0.0), zp8(),
       st.floats(-1.0, 1.0), zp8(), st.one_of(st.just(0.0), st.floats(0.01, 2.0)),
       st.integers(0, 2**31))
def test_leaky_relu(dtype, shape, s_in, z_in, ratio_exp, z_out, alpha, seed) -> None:
    if dtype == np.int16:
        z_in = z_out = 0
    s_out = float(f32(s_in * 10.0 ** ratio_exp))
    model = unary_model("LEAKY_RELU", shape, dtype, s_in, z_in, s_out, z_out,
                        {"alpha": float(f32(alpha))})
    # TFLM computes the two multipliers in double, LiteRT in float32: their results differ by 1
    # in rare elements (e.g. int16, s_in=1.0, s_out=1.3374, x=26488), so TFLM only.
    assert_matches_tflm(model, [random_input(shape, dtype, seed)], litert=False)


# -- RELU family --------------------------------------------------------------------------------

@given(st.sampled_from([np.int8, np.int16]), shapes(), scales(-3.0, 0.0), zp8(),
       st.floats(-1.0, 1.0), zp8(), st.integers(0, 2**31))
@example(np.int16, (3, 6, 6), 1.0, 0, 0.5731352009719299, 0, 37589)  # TFLM 4618, LiteRT 4617
def test_relu(dtype, shape, s_in, z_in, ratio_exp, z_out, seed) -> None:
    if dtype == np.int16:
        z_in = z_out = 0
    s_out = float(f32(s_in * 10.0 ** ratio_exp))
    model = unary_model("RELU", shape, dtype, s_in, z_in, s_out, z_out)
    # int16: LiteRT's reference RELU rounds a rare element 1 LSB away from TFLM (found by this
    # test: x=17279 at scale 1 -> 3.742: TFLM 4618, LiteRT 4617); we follow TFLM.
    assert_matches_tflm(model, [random_input(shape, dtype, seed)], litert=dtype == np.int8)


@given(st.sampled_from([np.int8, np.int16]), shapes(), scales(-3.0, -1.0), zp8(),
       st.booleans(), st.integers(0, 2**31))
def test_relu6(dtype, shape, s_in, z_in, same_out, seed) -> None:
    if dtype == np.int16:
        z_in = 0
    s_out, z_out = (s_in, z_in) if same_out else (float(f32(s_in * 1.7)), 0 if dtype == np.int16 else -3)
    model = unary_model("RELU6", shape, dtype, s_in, z_in, s_out, z_out)
    # TFLM's RELU6 clamps in the input's quantization and never requantizes; LiteRT requantizes
    # to the output's, so the two only agree when input and output quantization are equal.
    assert_matches_tflm(model, [random_input(shape, dtype, seed)], litert=same_out)


@given(shapes(), scales(-3.0, -0.5), zp8(), st.floats(-1.0, 1.0), zp8(), st.integers(0, 2**31))
def test_relu_n1_to_1_matches_litert(shape, s_in, z_in, ratio_exp, z_out, seed) -> None:
    """TFLM has no RELU_N1_TO_1 kernel, so LiteRT BUILTIN_REF is the only oracle here."""
    s_out = float(f32(s_in * 10.0 ** ratio_exp))
    model = unary_model("RELU_N1_TO_1", shape, np.int8, s_in, z_in, s_out, z_out)
    x = random_input(shape, np.int8, seed)
    np.testing.assert_array_equal(run_interp(model, [x])[0], run_litert(model, [x])[0])


# -- every int8 input value through each int8 op ------------------------------------------------

@given(st.sampled_from(["LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "RELU", "RELU6"]),
       scales(-3.0, 0.5), zp8(), st.floats(-1.0, 0.5), zp8())
def test_int8_all_values(name, s_in, z_in, ratio_exp, z_out) -> None:
    x = np.arange(-128, 128, dtype=np.int8).reshape(16, 16)
    s_out, options, litert = float(f32(s_in * 10.0 ** ratio_exp)), None, True
    if name == "LOGISTIC":
        s_out, z_out = 1 / 256, -128
        # LiteRT's int8 logistic is a float LUT, TFLM's is fixed-point: they differ by 1 LSB on
        # rare inputs (s_in 0.01688, zp -128: one of 256 values), and TFLM saturates to -128 at
        # its input radius where LiteRT rounds to -127. TFLM is the oracle here.
        litert = False
    elif name == "TANH":
        s_out, z_out = 1 / 128, 0
    elif name == "RELU6":
        s_out, z_out = s_in, z_in
    elif name == "LEAKY_RELU":
        options, litert = {"alpha": 0.25}, False  # see test_leaky_relu
    assert_matches_tflm(unary_model(name, x.shape, np.int8, s_in, z_in, s_out, z_out, options),
                        [x], litert=litert)


# -- a small multi-op graph: the KWS / VWW classifier head -------------------------------------

@given(st.integers(1, 6), st.integers(1, 6), st.integers(2, 8), scales(-2.0, 0.0), zp8(),
       st.integers(0, 2**31))
def test_pool_relu_mean_softmax_head(h, w, c, s_in, z_in, seed) -> None:
    mw = ModelWriter()
    x = mw.tensor((1, h, w, c), np.int8, scale=s_in, zero_point=z_in)
    p = mw.tensor((1, h, w, c), np.int8, scale=s_in, zero_point=z_in)
    r = mw.tensor((1, h, w, c), np.int8, scale=s_in * 0.5, zero_point=-128)
    a = mw.tensor((1, 1, 1, c), np.int8, scale=s_in * 0.5, zero_point=-128)
    m = mw.tensor((1, c), np.int8, scale=s_in * 0.3, zero_point=-100)
    axes = mw.tensor((2,), np.int32, data=np.array([1, 2], np.int32))
    y = mw.tensor((1, c), np.int8, scale=1 / 256, zero_point=-128)
    mw.op("MAX_POOL_2D", [x], [p], {"padding": 0, "stride_h": 1, "stride_w": 1,
                                   "filter_height": 2, "filter_width": 2})
    mw.op("RELU", [p], [r])
    mw.op("AVERAGE_POOL_2D", [r], [a], {"padding": 1, "stride_h": 1, "stride_w": 1,
                                       "filter_height": h, "filter_width": w})
    mw.op("MEAN", [a, axes], [m], {"keep_dims": False})
    mw.op("SOFTMAX", [m], [y], {"beta": 1.0})
    mw.inputs, mw.outputs = [x], [y]
    assert_matches_tflm(mw.to_bytes(), [random_input((1, h, w, c), np.int8, seed)])


# -- errors -------------------------------------------------------------------------------------

def _load(model: bytes) -> None:
    interp.Interpreter(model_content=model)


def test_softmax_bad_output_quant_is_unsupported() -> None:
    with pytest.raises(interp.UnsupportedOperatorError):
        _load(unary_model("SOFTMAX", (1, 4), np.int8, 0.1, 0, 1 / 128, 0, {"beta": 1.0}))


def test_logistic_int16_non_pot_output_is_unsupported() -> None:
    with pytest.raises(interp.UnsupportedOperatorError):
        _load(unary_model("LOGISTIC", (1, 4), np.int16, 2.0**-12, 0, 0.001, 0))


def test_float_activation_is_unsupported() -> None:
    mw = ModelWriter()
    x = mw.tensor((1, 4), np.float32)
    y = mw.tensor((1, 4), np.float32)
    mw.op("TANH", [x], [y])
    mw.inputs, mw.outputs = [x], [y]
    with pytest.raises(interp.UnsupportedOperatorError):
        _load(mw.to_bytes())


def test_mixed_types_are_unsupported() -> None:
    with pytest.raises(interp.UnsupportedOperatorError):
        _load(unary_model("RELU", (1, 4), np.int8, 0.1, 0, 0.1, 0, out_dtype=np.int16))


def test_hard_swish_int16_is_unsupported() -> None:
    with pytest.raises(interp.UnsupportedOperatorError):
        _load(unary_model("HARD_SWISH", (1, 4), np.int16, 0.1, 0, 0.1, 0))


def test_relu_n1_to_1_int16_is_unsupported() -> None:
    with pytest.raises(interp.UnsupportedOperatorError):
        _load(unary_model("RELU_N1_TO_1", (1, 4), np.int16, 0.001, 0, 0.001, 0))


def test_softmax_int16_lut_endpoints() -> None:
    """The exp table ends at exp(0) = 1.0 -> 32767 and 1/(1+x) starts at 1.0 -> 32767."""
    from interp.ops.activation import _softmax_luts
    exp_lut, recip_lut = _softmax_luts()
    assert exp_lut.shape == recip_lut.shape == (513,)
    assert exp_lut[-1] == 32767 and recip_lut[0] == 32767 and recip_lut[-1] == 16384


def test_int16_tables_are_shared_per_plan() -> None:
    """Two int16 SOFTMAX and two int16 LOGISTIC ops: one copy of each table in the plan."""
    mw = ModelWriter()
    t = [mw.tensor((2, 8), np.int16, scale=s, zero_point=0)
         for s in (0.001, 1 / 32768, 1 / 32768, 2.0**-15, 2.0**-15)]
    mw.op("SOFTMAX", [t[0]], [t[1]], {"beta": 1.0})
    mw.op("SOFTMAX", [t[1]], [t[2]], {"beta": 1.0})
    mw.op("LOGISTIC", [t[2]], [t[3]])
    mw.op("LOGISTIC", [t[3]], [t[4]])
    mw.inputs, mw.outputs = [t[0]], [t[4]]
    model = mw.to_bytes()
    names = [b.name for b in interp.Interpreter(model_content=model)._plan.buffers]
    assert names.count("softmax_exp_lut") == names.count("softmax_recip_lut") == 1
    assert names.count("sigmoid_table_uint16") == 1
    assert_matches_tflm(model, [random_input((2, 8), np.int16, 3)], litert=False)
