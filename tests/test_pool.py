"""AVERAGE_POOL_2D, MAX_POOL_2D and MEAN: differential tests against tflite-micro (and LiteRT)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interp
import interp.quant
from interp.writer import ModelWriter
from oracles import assert_matches_tflm, run_interp

DTYPES = [np.int8, np.int16]


@st.composite
def scales(draw) -> float:
    return float(np.float32(10.0 ** draw(st.floats(-3.0, 1.5))))


def zero_points(dtype) -> st.SearchStrategy[int]:
    if dtype == np.int16:
        return st.just(0)
    return st.one_of(st.sampled_from([-128, -127, 0, 126, 127]), st.integers(-128, 127))


def random_input(shape, dtype, seed: int) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(info.min, info.max + 1, shape).astype(dtype)


def pool_model(name, shape, dtype, scale, zp, filt, stride, padding, act) -> tuple[bytes, tuple]:
    b, h, w, c = shape
    fh, fw = filt
    sh, sw = stride
    if padding == 0:
        oh, ow = (h + sh - 1) // sh, (w + sw - 1) // sw
    else:
        oh, ow = (h + sh - fh) // sh, (w + sw - fw) // sw
    mw = ModelWriter()
    x = mw.tensor(shape, dtype, scale=scale, zero_point=zp)
    y = mw.tensor((b, oh, ow, c), dtype, scale=scale, zero_point=zp)
    mw.op(name, [x], [y], {"padding": padding, "stride_h": sh, "stride_w": sw,
                           "filter_height": fh, "filter_width": fw,
                           "fused_activation_function": act})
    mw.inputs, mw.outputs = [x], [y]
    return mw.to_bytes(), (oh, ow)


def naive_pool(x, is_max, filt, stride, pads, out_hw, lo, hi):
    b, h, w, c = x.shape
    out = np.zeros((b, *out_hw, c), np.int64)
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            y0, x0 = oy * stride[0] - pads[0], ox * stride[1] - pads[1]
            win = x[:, max(y0, 0):min(y0 + filt[0], h), max(x0, 0):min(x0 + filt[1], w), :]
            win = win.astype(np.int64).reshape(b, -1, c)
            if is_max:
                v = win.max(axis=1)
            else:
                s, n = win.sum(axis=1), win.shape[1]
                v = np.where(s > 0, (s + n // 2) // n, -((-s + n // 2) // n))
            out[:, oy, ox, :] = v
    return np.clip(out, lo, hi)


@st.composite
def pool_cases(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 9)), draw(st.integers(1, 9)),
             draw(st.integers(1, 4)))
    padding = draw(st.sampled_from([0, 1]))
    fh = draw(st.integers(1, 4 if padding == 0 else shape[1]))
    fw = draw(st.integers(1, 4 if padding == 0 else shape[2]))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return dict(name=draw(st.sampled_from(["AVERAGE_POOL_2D", "MAX_POOL_2D"])), shape=shape,
                dtype=dtype, scale=draw(scales()), zp=draw(zero_points(dtype)), filt=(fh, fw),
                stride=stride, padding=padding, act=draw(st.sampled_from([0, 1, 2, 3])),
                seed=draw(st.integers(0, 2**31)))


@given(pool_cases())
def test_pool_matches_tflm(case) -> None:
    seed = case.pop("seed")
    model, out_hw = pool_model(**case)
    x = random_input(case["shape"], case["dtype"], seed)
    assert_matches_tflm(model, [x])
    # and a naive NumPy reference
    h, w = case["shape"][1:3]
    pads = [max(0, (o - 1) * s + f - n) // 2
            for o, s, f, n in zip(out_hw, case["stride"], case["filt"], (h, w))]
    lo, hi = interp.quant.activation_range(case["act"], case["scale"], case["zp"],
                                           np.dtype(case["dtype"]))
    want = naive_pool(x, case["name"] == "MAX_POOL_2D", case["filt"], case["stride"], pads,
                      out_hw, lo, hi)
    np.testing.assert_array_equal(run_interp(model, [x])[0], want)


def mean_model(shape, axes, keep, dtype, s_in, z_in, s_out, z_out) -> bytes:
    mw = ModelWriter()
    x = mw.tensor(shape, dtype, scale=s_in, zero_point=z_in)
    a = mw.tensor((len(axes),), np.int32, data=np.array(axes, np.int32))
    nd = len(shape)
    res = [(q + nd) % nd for q in axes]
    out_shape = [1 if d in res else s for d, s in enumerate(shape)] if keep else \
        [s for d, s in enumerate(shape) if d not in res]
    y = mw.tensor(out_shape, dtype, scale=s_out, zero_point=z_out)
    mw.op("MEAN", [x, a], [y], {"keep_dims": keep})
    mw.inputs, mw.outputs = [x], [y]
    return mw.to_bytes()


@st.composite
def mean_cases(draw):
    dtype = draw(st.sampled_from(DTYPES))
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=rank, max_size=rank)))
    if rank == 4 and draw(st.booleans()):
        axes = draw(st.sampled_from([[1, 2], [2, 1], [-3, -2]]))  # the common global-pool case
    else:
        axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank,
                             unique_by=lambda a: (a + rank) % rank))
    s_in = draw(scales())
    s_out = s_in if draw(st.booleans()) else float(np.float32(s_in * 10.0 ** draw(st.floats(-1, 1))))
    z_in = draw(zero_points(dtype))
    z_out = z_in if draw(st.booleans()) else draw(zero_points(dtype))
    return dict(shape=shape, axes=axes, keep=draw(st.booleans()), dtype=dtype, s_in=s_in,
                z_in=z_in, s_out=s_out, z_out=z_out), draw(st.integers(0, 2**31))


@given(mean_cases())
def test_mean_matches_tflm(case_seed) -> None:
    case, seed = case_seed
    model = mean_model(**case)
    assert_matches_tflm(model, [random_input(case["shape"], case["dtype"], seed)])


@settings(max_examples=5)
@given(st.integers(0, 2**31))
def test_mean_global_pool_large(seed) -> None:
    """The mobile-net style head: MEAN over H, W of a bigger map, int8, rescaled output."""
    model = mean_model((1, 12, 10, 16), [1, 2], True, np.int8, 0.02, -5, 0.011, 3)
    assert_matches_tflm(model, [random_input((1, 12, 10, 16), np.int8, seed)])


# -- errors -------------------------------------------------------------------------------------

def _interp(model: bytes) -> None:
    interp.Interpreter(model_content=model)


def test_pool_float_is_unsupported() -> None:
    mw = ModelWriter()
    x = mw.tensor((1, 4, 4, 1), np.float32)
    y = mw.tensor((1, 2, 2, 1), np.float32)
    mw.op("MAX_POOL_2D", [x], [y], {"padding": 1, "stride_h": 2, "stride_w": 2,
                                   "filter_height": 2, "filter_width": 2})
    mw.inputs, mw.outputs = [x], [y]
    with pytest.raises(interp.UnsupportedOperatorError):
        _interp(mw.to_bytes())


def test_pool_requantizing_is_unsupported() -> None:
    mw = ModelWriter()
    x = mw.tensor((1, 4, 4, 1), np.int8, scale=0.1, zero_point=0)
    y = mw.tensor((1, 2, 2, 1), np.int8, scale=0.2, zero_point=0)
    mw.op("AVERAGE_POOL_2D", [x], [y], {"padding": 1, "stride_h": 2, "stride_w": 2,
                                       "filter_height": 2, "filter_width": 2})
    mw.inputs, mw.outputs = [x], [y]
    with pytest.raises(interp.UnsupportedOperatorError):
        _interp(mw.to_bytes())


def test_pool_wrong_output_shape_is_model_error() -> None:
    model, _ = pool_model("MAX_POOL_2D", (1, 4, 4, 1), np.int8, 0.1, 0, (2, 2), (2, 2), 1, 0)
    mw = ModelWriter()
    x = mw.tensor((1, 4, 4, 1), np.int8, scale=0.1, zero_point=0)
    y = mw.tensor((1, 3, 3, 1), np.int8, scale=0.1, zero_point=0)
    mw.op("MAX_POOL_2D", [x], [y], {"padding": 1, "stride_h": 2, "stride_w": 2,
                                   "filter_height": 2, "filter_width": 2})
    mw.inputs, mw.outputs = [x], [y]
    with pytest.raises(interp.ModelError):
        _interp(mw.to_bytes())
    _interp(model)  # the right shape loads


def test_mean_dynamic_axis_is_unsupported() -> None:
    mw = ModelWriter()
    x = mw.tensor((1, 4, 4, 2), np.int8, scale=0.1, zero_point=0)
    a = mw.tensor((2,), np.int32)
    y = mw.tensor((1, 2), np.int8, scale=0.1, zero_point=0)
    mw.op("MEAN", [x, a], [y], {"keep_dims": False})
    mw.inputs, mw.outputs = [x, a], [y]
    with pytest.raises(interp.UnsupportedOperatorError):
        _interp(mw.to_bytes())


def test_mean_bad_axis_is_model_error() -> None:
    mw = ModelWriter()
    x = mw.tensor((2, 3), np.int8, scale=0.1, zero_point=0)
    a = mw.tensor((1,), np.int32, data=np.array([5], np.int32))
    y = mw.tensor((2,), np.int8, scale=0.1, zero_point=0)
    mw.op("MEAN", [x, a], [y], {"keep_dims": False})
    mw.inputs, mw.outputs = [x], [y]
    with pytest.raises(interp.ModelError):
        _interp(mw.to_bytes())
