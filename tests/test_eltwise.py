"""Elementwise ops (ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM, QUANTIZE, DEQUANTIZE, CAST) against
tflite-micro (the oracle) and LiteRT BUILTIN_REF."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interp
from interp.writer import ModelWriter
from oracles import assert_matches_tflm, run_interp, run_tflm

INT_RANGE = {np.int8: (-128, 127), np.int16: (-32768, 32767), np.int32: (-(2**31), 2**31 - 1),
             np.uint8: (0, 255), np.uint16: (0, 65535), np.uint32: (0, 2**32 - 1),
             np.int64: (-(2**63), 2**63 - 1)}


# -- strategies ------------------------------------------------------------------------------

@st.composite
def broadcast_shapes(draw, max_rank: int = 4, max_dim: int = 4):
    """(shape1, shape2): NumPy-broadcastable, of possibly different ranks, including scalars."""
    rank = draw(st.integers(0, max_rank))
    out = [draw(st.integers(1, max_dim)) for _ in range(rank)]

    def one():
        r = draw(st.integers(0, rank))
        return tuple(1 if draw(st.booleans()) and draw(st.booleans()) else d
                     for d in out[rank - r:])

    return one(), one()


def scales(lo: float = -3.0, hi: float = 1.0):
    """Scales spanning orders of magnitude, as float32 values."""
    return st.floats(lo, hi).map(lambda e: float(np.float32(10.0 ** e)))


def zero_points(dtype):
    if dtype == np.int16:
        return st.just(0)
    return st.one_of(st.sampled_from([-128, -127, 0, 126, 127]), st.integers(-128, 127))


def rand_data(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return (rng.standard_normal(shape) * 4).astype(np.float32)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    lo, hi = INT_RANGE[dtype.type]
    x = rng.integers(lo, hi, shape, dtype=dtype, endpoint=True)
    # make the range edges show up
    flat = x.reshape(-1)
    if flat.size >= 2:
        flat[0], flat[-1] = lo, hi
    return x


def binary_model(name: str, s1, s2, dtype, q1=None, q2=None, qo=None, options=None,
                 const2: np.ndarray | None = None) -> bytes:
    w = ModelWriter()
    kw = lambda q: {} if q is None else {"scale": q[0], "zero_point": q[1]}  # noqa: E731
    a = w.tensor(s1, dtype, **kw(q1))
    b = w.tensor(s2, dtype, data=const2, **kw(q2))
    out_shape = np.broadcast_shapes(tuple(s1), tuple(s2))
    o = w.tensor(out_shape, dtype, **kw(qo))
    w.op(name, [a, b], [o], options or {})
    w.inputs, w.outputs = ([a] if const2 is not None else [a, b]), [o]
    return w.to_bytes()


def unary_model(name: str, shape, in_dtype, out_dtype, qi=None, qo=None, options=None) -> bytes:
    w = ModelWriter()
    kw = lambda q: {} if q is None else {"scale": q[0], "zero_point": q[1]}  # noqa: E731
    a = w.tensor(shape, in_dtype, **kw(qi))
    o = w.tensor(shape, out_dtype, **kw(qo))
    w.op(name, [a], [o], options or {})
    w.inputs, w.outputs = [a], [o]
    return w.to_bytes()


ACTS = st.sampled_from([0, 1, 2, 3])  # NONE, RELU, RELU_N1_TO_1, RELU6


# -- ADD / SUB -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ADD", "SUB"])
@pytest.mark.parametrize("dtype", [np.int8, np.int16])
@given(data=st.data(), shapes=broadcast_shapes(max_rank=5), act=ACTS, seed=st.integers(0, 2**31))
def test_addsub_quantized(name, dtype, data, shapes, act, seed):
    s1, s2 = shapes
    q = [(data.draw(scales()), data.draw(zero_points(dtype))) for _ in range(3)]
    opts = {"fused_activation_function": act}
    if dtype == np.int16:
        opts["pot_scale_int16"] = False
    model = binary_model(name, s1, s2, dtype, *q, options=opts)
    rng = np.random.default_rng(seed)
    assert_matches_tflm(model, [rand_data(rng, s1, dtype), rand_data(rng, s2, dtype)])


@pytest.mark.parametrize("name", ["ADD", "SUB"])
@given(shapes=broadcast_shapes(), act=ACTS, seed=st.integers(0, 2**31))
def test_addsub_int16_pot_flag(name, shapes, act, seed):
    """pot_scale_int16=True: TFLM ignores the flag (always the general path). LiteRT takes its
    POT path only when every scale is a power of two, so with these scales both agree."""
    s1, s2 = shapes
    model = binary_model(name, s1, s2, np.int16, (0.001, 0), (0.0003, 0), (0.002, 0),
                         {"fused_activation_function": act, "pot_scale_int16": True})
    rng = np.random.default_rng(seed)
    assert_matches_tflm(model, [rand_data(rng, s1, np.int16), rand_data(rng, s2, np.int16)])


@pytest.mark.parametrize("name", ["ADD", "SUB"])
@pytest.mark.parametrize("dtype", [np.int32, np.float32])
@given(shapes=broadcast_shapes(), act=ACTS, seed=st.integers(0, 2**31))
def test_addsub_plain(name, dtype, shapes, act, seed):
    s1, s2 = shapes
    model = binary_model(name, s1, s2, dtype, options={"fused_activation_function": act})
    rng = np.random.default_rng(seed)
    # int32 ADD with an activation: TFLM ignores it, LiteRT applies it.
    litert = not (dtype == np.int32 and name == "ADD" and act != 0)
    assert_matches_tflm(model, [rand_data(rng, s1, dtype), rand_data(rng, s2, dtype)],
                        litert=litert)


def test_add_int8_broadcast_constant():
    """A constant second operand broadcast along the channel axis (as in resnets)."""
    rng = np.random.default_rng(0)
    c = rand_data(rng, (1, 1, 1, 8), np.int8)
    model = binary_model("ADD", (1, 3, 3, 8), (1, 1, 1, 8), np.int8, (0.05, -3), (0.002, 127),
                         (0.06, -128), {"fused_activation_function": 1}, const2=c)
    assert_matches_tflm(model, [rand_data(rng, (1, 3, 3, 8), np.int8)])


# -- MUL -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int8, np.int16])
@given(data=st.data(), shapes=broadcast_shapes(max_rank=5), act=ACTS, seed=st.integers(0, 2**31))
def test_mul_quantized(dtype, data, shapes, act, seed):
    s1, s2 = shapes
    q = [(data.draw(scales()), data.draw(zero_points(dtype))) for _ in range(3)]
    model = binary_model("MUL", s1, s2, dtype, *q, options={"fused_activation_function": act})
    rng = np.random.default_rng(seed)
    assert_matches_tflm(model, [rand_data(rng, s1, dtype), rand_data(rng, s2, dtype)])


@pytest.mark.parametrize("dtype", [np.int32, np.float32])
@given(shapes=broadcast_shapes(), act=ACTS, seed=st.integers(0, 2**31))
def test_mul_plain(dtype, shapes, act, seed):
    s1, s2 = shapes
    model = binary_model("MUL", s1, s2, dtype, options={"fused_activation_function": act})
    rng = np.random.default_rng(seed)
    assert_matches_tflm(model, [rand_data(rng, s1, dtype), rand_data(rng, s2, dtype)])


# -- DIV -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int32, np.float32])
@given(shapes=broadcast_shapes(), act=ACTS, seed=st.integers(0, 2**31))
def test_div_plain(dtype, shapes, act, seed):
    s1, s2 = shapes
    model = binary_model("DIV", s1, s2, dtype, options={"fused_activation_function": act})
    rng = np.random.default_rng(seed)
    x, y = rand_data(rng, s1, dtype), rand_data(rng, s2, dtype)
    if dtype == np.int32:
        y[y == 0] = 7  # x/0 is undefined in TFLM
        x[x == INT_RANGE[np.int32][0]] = 5  # INT_MIN / -1 too
    assert_matches_tflm(model, [x, y])


@given(data=st.data(), shapes=broadcast_shapes(), act=ACTS, seed=st.integers(0, 2**31))
def test_div_int8(data, shapes, act, seed):
    s1, s2 = shapes
    q = [(data.draw(scales()), data.draw(zero_points(np.int8))) for _ in range(3)]
    model = binary_model("DIV", s1, s2, np.int8, *q, options={"fused_activation_function": act})
    rng = np.random.default_rng(seed)
    x, y = rand_data(rng, s1, np.int8), rand_data(rng, s2, np.int8)
    y[y == q[1][1]] = q[1][1] + (1 if q[1][1] < 127 else -1)  # a zero divisor is undefined
    # LiteRT computes DIV's multiplier in float32 (TFLM: double), so it is off by one now and
    # then; see test_prepare_arithmetic_is_double.
    assert_matches_tflm(model, [x, y], litert=False)


# Scale triples where computing the multipliers in float32 instead of double changes them
# enough to flip some outputs: they pin down TFLM's arithmetic at Prepare time.
SCALE_REGRESSIONS = [
    ("SUB", np.int16, (0.001, 0.0003, 0.002)),
    ("ADD", np.int16, (0.001, 0.0003, 0.002)),
    ("MUL", np.int16, None),  # found below
    ("DIV", np.int8, (1.6544036865234375, 0.0035531313624233007, 4.18500280380249)),
    ("DIV", np.int8, (0.26560771465301514, 0.022881068289279938, 0.09992818534374237)),
]


def _mul16_scales():
    from interp import quant
    f, rng = np.float32, np.random.default_rng(1)
    while True:
        s = [float(f(10 ** rng.uniform(-3, 1))) for _ in range(3)]
        if (quant.quantize_multiplier(s[0] * s[1] / s[2])
                != quant.quantize_multiplier(float(f(s[0]) * f(s[1]) / f(s[2])))):
            return tuple(s)


@pytest.mark.parametrize("name,dtype,scales3", SCALE_REGRESSIONS)
def test_prepare_arithmetic_is_double(name, dtype, scales3):
    scales3 = scales3 or _mul16_scales()
    rng = np.random.default_rng(11)
    lo, hi = INT_RANGE[dtype]
    if dtype == np.int8:  # every pair of int8 values
        x = np.repeat(np.arange(lo, hi + 1), 256).astype(dtype).reshape(256, 256)
        y = np.tile(np.arange(lo, hi + 1), 256).astype(dtype).reshape(256, 256)
        y[y == 0] = 1  # no zero divisors
    else:
        x = rng.integers(lo, hi, (256, 256), endpoint=True).astype(dtype)
        y = rng.integers(lo, hi, (256, 256), endpoint=True).astype(dtype)
    q = [(s, 0) for s in scales3]
    opts = {"pot_scale_int16": False} if name in ("ADD", "SUB") else {}
    # LiteRT's DIV does compute its multiplier in float32, so these DIV cases differ there.
    assert_matches_tflm(binary_model(name, x.shape, y.shape, dtype, *q, options=opts), [x, y],
                        litert=name != "DIV")


# -- MINIMUM / MAXIMUM -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["MINIMUM", "MAXIMUM"])
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.float32])
@given(shapes=broadcast_shapes(max_rank=5), seed=st.integers(0, 2**31))
def test_minmax(name, dtype, shapes, seed):
    s1, s2 = shapes
    q = (0.1, 3) if dtype in (np.int8, np.int16) else None
    if dtype == np.int16:
        q = (0.1, 0)
    model = binary_model(name, s1, s2, dtype, q, q, q)
    rng = np.random.default_rng(seed)
    assert_matches_tflm(model, [rand_data(rng, s1, dtype), rand_data(rng, s2, dtype)])


@pytest.mark.parametrize("name", ["MINIMUM", "MAXIMUM"])
def test_minmax_float_nan(name):
    """TFLM compares el1 > el2 / el1 < el2: a NaN first operand loses, a NaN second one wins."""
    x = np.array([np.nan, 1, np.nan, -np.inf, 0.0, -0.0], np.float32)
    y = np.array([1, np.nan, np.nan, 0, -0.0, 0.0], np.float32)
    assert_matches_tflm(binary_model(name, (6,), (6,), np.float32), [x, y])


@pytest.mark.parametrize("name", ["ADD", "SUB"])
@pytest.mark.parametrize("zp", [5, -300, 1000])
def test_addsub_int16_nonzero_zero_point(name, zp):
    """TFLM's int16 general path takes any zero point (LiteRT insists on 0)."""
    rng = np.random.default_rng(zp & 0xFFFF)
    model = binary_model(name, (3, 4), (4,), np.int16, (0.01, zp), (0.02, -zp), (0.03, zp),
                         {"pot_scale_int16": False})
    assert_matches_tflm(model, [rand_data(rng, (3, 4), np.int16), rand_data(rng, (4,), np.int16)],
                        litert=False)


def test_add_6d_broadcast():
    rng = np.random.default_rng(6)
    s1, s2 = (2, 1, 3, 1, 2, 3), (1, 2, 1, 2, 1, 3)
    model = binary_model("ADD", s1, s2, np.int8, (0.03, 7), (0.1, -128), (0.2, 127))
    assert_matches_tflm(model, [rand_data(rng, s1, np.int8), rand_data(rng, s2, np.int8)])


# -- QUANTIZE / DEQUANTIZE -------------------------------------------------------------------

REQUANT = [(np.int8, np.int8), (np.int8, np.int16), (np.int8, np.int32), (np.int16, np.int8),
           (np.int16, np.int16), (np.int16, np.int32), (np.int32, np.int8), (np.int32, np.int16),
           (np.int8, np.uint8), (np.uint8, np.int8)]


@pytest.mark.parametrize("src,dst", REQUANT)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_requantize(src, dst, data, seed):
    def zp(t):
        if t == np.uint8:
            return st.one_of(st.sampled_from([0, 128, 255]), st.integers(0, 255))
        return zero_points(np.int8) if t == np.int8 else st.just(0)

    qi = (data.draw(scales(-7, 1)), data.draw(zp(src)))
    qo = (data.draw(scales(-4, 1)), data.draw(zp(dst)))
    shape = (2, data.draw(st.integers(1, 9)))
    model = unary_model("QUANTIZE", shape, src, dst, qi, qo)
    rng = np.random.default_rng(seed)
    x = rand_data(rng, shape, src)
    if src == np.int32:
        x = (x // (1 << data.draw(st.integers(0, 24)))).astype(np.int32)
    # LiteRT rejects int16->int32 and int8->int32 requantization
    assert_matches_tflm(model, [x], litert=dst != np.int32)


@pytest.mark.parametrize("dst", [np.int8, np.int16])
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_quantize_float(dst, data, seed):
    qo = (data.draw(scales(-4, 1)), data.draw(zero_points(dst)))
    shape = (3, data.draw(st.integers(1, 9)))
    model = unary_model("QUANTIZE", shape, np.float32, dst, qo=qo)
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3)).astype(np.float32)
    # exact halves: round half away from zero
    x.reshape(-1)[0] = np.float32(qo[0] * 2.5)
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("dst,zp", [(np.int8, -5), (np.int8, 5), (np.int16, 0), (np.int16, -7)])
def test_quantize_float_edges(dst, zp):
    """Halves round away from zero; inf, NaN and out-of-int32 values take the x86
    static_cast<int32_t> result (INT32_MIN) before the zero point is added, as TFLM's build."""
    x = np.array([-3.0, -0.5, 0.5, 2.5, -2.5, 1e9, 3e9, 5e9, -1e10, np.inf, -np.inf, np.nan,
                  2147483520.0, 2147483648.0, -2147483648.0, 1e30], np.float32)
    assert_matches_tflm(unary_model("QUANTIZE", x.shape, np.float32, dst, qo=(1.0, zp)), [x])


@pytest.mark.parametrize("src", [np.int8, np.int16])
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_dequantize(src, data, seed):
    qi = (data.draw(scales(-6, 2)), data.draw(zero_points(src)))
    shape = (2, data.draw(st.integers(1, 9)))
    model = unary_model("DEQUANTIZE", shape, src, np.float32, qi=qi)
    rng = np.random.default_rng(seed)
    assert_matches_tflm(model, [rand_data(rng, shape, src)])


# -- CAST ------------------------------------------------------------------------------------

CASTS = [(np.int8, np.int16), (np.int8, np.int32), (np.int8, np.float32), (np.int16, np.int8),
         (np.int16, np.int32), (np.int16, np.float32), (np.int32, np.int8), (np.int32, np.int16),
         (np.int32, np.float32), (np.float32, np.int8), (np.float32, np.int16),
         (np.float32, np.int32), (np.uint32, np.int32), (np.int32, np.uint32)]


@pytest.mark.parametrize("src,dst", CASTS)
def test_cast(src, dst):
    rng = np.random.default_rng(1)
    shape = (4, 7)
    x = rand_data(rng, shape, src)
    if src == np.float32:  # float -> int is only defined in range
        lo, hi = INT_RANGE[dst]
        x = np.clip(rng.uniform(lo, hi, shape), lo, hi).astype(np.float32)
        x.reshape(-1)[:4] = [-2.5, 2.5, -0.7, 0.7]
    model = unary_model("CAST", shape, src, dst)
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("dst", [np.int8, np.int16, np.int32, np.uint32, np.bool_])
def test_cast_float_saturates(dst):
    """TFLM's float -> integer CAST truncates, saturates at the type's range, NaN -> 0."""
    x = np.array([-3.0, -0.5, 0.5, 3.7, -3.7, 1e9, 3e9, 4.2e9, 4294967040.0, 5e9, -1e10, np.inf,
                  -np.inf, np.nan, 2147483520.0, 2147483648.0, 0.0, -0.0], np.float32)
    assert_matches_tflm(unary_model("CAST", x.shape, np.float32, dst), [x], litert=False)
    # LiteRT agrees except for NaN, which it saturates to the maximum
    x = x[~np.isnan(x)]
    assert_matches_tflm(unary_model("CAST", x.shape, np.float32, dst), [x])


@pytest.mark.parametrize("src", [np.int8, np.int16, np.int32, np.uint32, np.bool_])
def test_cast_to_bool_and_back(src):
    rng = np.random.default_rng(2)
    x = rand_data(rng, (5, 3), src)
    if src != np.bool_:
        x.reshape(-1)[1:4] = 0
    dst = np.int32 if src == np.bool_ else np.bool_
    assert_matches_tflm(unary_model("CAST", x.shape, src, dst), [x])


# -- a small multi-op model, kernel-level checks, errors ---------------------------------------

def test_audio_style_int32_chain():
    """CAST int16->int32, MUL/ADD/DIV by scalar constants, MIN/MAX clamp, CAST -> int8 (the
    tail of audio_preprocessor_int8)."""
    w = ModelWriter()
    x = w.tensor((40,), np.int16)
    xi = w.tensor((40,), np.int32)
    w.op("CAST", [x], [xi])
    cur = xi
    for name, v in [("MUL", 3), ("ADD", 100), ("DIV", 7), ("SUB", 5), ("MINIMUM", 127),
                    ("MAXIMUM", -128)]:
        c = w.tensor((), np.int32, data=np.array(v, np.int32))
        o = w.tensor((40,), np.int32)
        w.op(name, [cur, c], [o])
        cur = o
    y = w.tensor((40,), np.int8)
    w.op("CAST", [cur], [y])
    w.inputs, w.outputs = [x], [y]
    rng = np.random.default_rng(3)
    assert_matches_tflm(w.to_bytes(), [rand_data(rng, (40,), np.int16)])


def test_add_int8_numpy_reference():
    """Kernel-level: ADD int8 against a direct NumPy transcription of TFLM's integer math."""
    from interp import quant

    def mbqm(x, m, s):  # MultiplyByQuantizedMultiplierSmallerThanOneExp, vectorized
        ab = x.astype(np.int64) * m
        nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
        hi = ((ab + nudge) / (1 << 31)).astype(np.int64)  # truncation, as C
        hi = np.trunc((ab + nudge) / float(1 << 31)).astype(np.int64)
        e = -s
        mask = (1 << e) - 1
        rem = hi & mask
        thr = (mask >> 1) + (hi < 0)
        return (hi >> e) + (rem > thr)

    s1, z1, s2, z2, so, zo = 0.02, -5, 0.07, 100, 0.09, -128
    tm = 2 * max(s1, s2)
    m1, sh1 = quant.quantize_multiplier_smaller_than_one_exp(s1 / tm)
    m2, sh2 = quant.quantize_multiplier_smaller_than_one_exp(s2 / tm)
    mo, sho = quant.quantize_multiplier_smaller_than_one_exp(tm / ((1 << 20) * so))
    rng = np.random.default_rng(0)
    a = rand_data(rng, (2, 3, 5), np.int8)
    b = rand_data(rng, (3, 1), np.int8)
    x1 = (a.astype(np.int64) - z1) << 20
    x2 = (b.astype(np.int64) - z2) << 20
    raw = mbqm(x1, m1, sh1) + mbqm(x2, m2, sh2)
    want = np.clip(mbqm(raw, mo, sho) + zo, -128, 127).astype(np.int8)
    model = binary_model("ADD", a.shape, b.shape, np.int8, (s1, z1), (s2, z2), (so, zo))
    np.testing.assert_array_equal(run_interp(model, [a, b])[0], want)
    np.testing.assert_array_equal(run_tflm(model, [a, b])[0], want)


ELTWISE_OPS = ("ADD", "SUB", "MUL", "DIV", "MINIMUM", "MAXIMUM", "QUANTIZE", "DEQUANTIZE", "CAST")


def _real_model_ops():
    from oracles import MODELS
    if not MODELS.is_dir():
        return []
    from interp.loader import load
    found = []
    for path in sorted(MODELS.glob("*.tflite")):
        g = load(path)
        seen = set()
        for op in g.operators:
            key = (op.name, tuple(t.dtype.name for t in op.inputs if t is not None),
                   tuple(tuple(t.shape) for t in op.inputs if t is not None))
            if op.name in ELTWISE_OPS and key not in seen:
                seen.add(key)
                found.append(pytest.param(path, op.index, id=f"{path.stem}-op{op.index}-{op.name}"))
    return found


@pytest.mark.parametrize("path,op_index", _real_model_ops())
def test_real_model_ops(path, op_index):
    """Each distinct elementwise op of the shared models, cut out with its real shapes,
    quantization and constants, on random inputs (covers ops in models whose other ops are
    not yet supported, e.g. pretrainedResnet's ADDs)."""
    from interp.loader import load
    op = load(path).operators[op_index]
    w = ModelWriter()
    ids, inputs, feeds = {}, [], []
    rng = np.random.default_rng(op_index)

    def add(t):
        if t.index not in ids:
            q = {} if t.quant is None else {"scale": list(t.quant.scale),
                                             "zero_point": list(t.quant.zero_point),
                                             "axis": t.quant.axis}
            ids[t.index] = w.tensor(t.shape, t.dtype, data=t.data, **q)
        return ids[t.index]

    for t in op.inputs:
        if t is None:
            inputs.append(-1)
            continue
        inputs.append(add(t))
        if t.data is None and ids[t.index] not in w.inputs:
            w.inputs.append(ids[t.index])
            x = rand_data(rng, t.shape, t.dtype)
            if op.name == "DIV" and t is op.inputs[1]:
                x[x == 0] = 1
            feeds.append(x)
    outs = [add(t) for t in op.outputs]
    w.op(op.name, inputs, outs, dict(op.options), version=op.version)
    w.outputs = outs
    # LiteRT lacks some of TFLM's type pairs (int16->int32 QUANTIZE, uint32 CAST)
    assert_matches_tflm(w.to_bytes(), feeds, litert=False)


def test_errors():
    # mixed input types
    w = ModelWriter()
    a = w.tensor((4,), np.int8, scale=0.1, zero_point=0)
    b = w.tensor((4,), np.int16, scale=0.1, zero_point=0)
    o = w.tensor((4,), np.int8, scale=0.1, zero_point=0)
    w.op("ADD", [a, b], [o])
    w.inputs, w.outputs = [a, b], [o]
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=w.to_bytes())
    # output shape is not the broadcast shape
    w = ModelWriter()
    a = w.tensor((2, 4), np.float32)
    b = w.tensor((4,), np.float32)
    o = w.tensor((3, 4), np.float32)
    w.op("MUL", [a, b], [o])
    w.inputs, w.outputs = [a, b], [o]
    with pytest.raises(interp.ModelError):
        interp.Interpreter(model_content=w.to_bytes())
    # non-broadcastable shapes
    w = ModelWriter()
    a = w.tensor((2, 4), np.float32)
    b = w.tensor((3,), np.float32)
    o = w.tensor((2, 4), np.float32)
    w.op("SUB", [a, b], [o])
    w.inputs, w.outputs = [a, b], [o]
    with pytest.raises(interp.ModelError):
        interp.Interpreter(model_content=w.to_bytes())
    # int16 MUL with a nonzero zero point (TFLM refuses it)
    model = binary_model("MUL", (4,), (4,), np.int16, (0.1, 3), (0.1, 0), (0.1, 0))
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=model)
    # unsupported requantization pair and DIV type
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=unary_model("QUANTIZE", (4,), np.int32, np.int32,
                                                     (0.1, 0), (0.2, 0)))
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=binary_model("DIV", (4,), (4,), np.int16, (0.1, 0),
                                                      (0.1, 0), (0.1, 0)))
    # ADD whose output scale is too small for TFLM's SmallerThanOneExp multiplier
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=binary_model("ADD", (4,), (4,), np.int8, (1.0, 0),
                                                      (1.0, 0), (1e-7, 0)))
    # 7-D broadcast
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=binary_model("MAXIMUM", (2,) * 7, (2,), np.float32))
