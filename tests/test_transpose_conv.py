"""TRANSPOSE_CONV (int8 per-channel, int16x8 with int64 bias): differential tests against
tflite-micro and LiteRT BUILTIN_REF."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import interp
from interp.errors import ModelError, UnsupportedOperatorError
from interp.writer import ModelWriter
from oracles import assert_matches_tflm

SAME, VALID = 0, 1


def _model(*, n, in_h, in_w, in_d, out_d, fh, fw, sh, sw, padding, act, dtype, per_channel,
           bias_type, out_h, out_w, in_scale, w_scales, out_scale, in_zp, out_zp, seed,
           shape_as_input=False, w_zp=0):
    rng = np.random.default_rng(seed)
    w = ModelWriter()
    out_shape = [n, out_h, out_w, out_d]
    if shape_as_input:
        shp = w.tensor((4,), np.int32)
    else:
        shp = w.tensor((4,), np.int32, data=out_shape)
    scales = list(w_scales[:out_d]) if per_channel else [w_scales[0]]
    filt = w.tensor((out_d, fh, fw, in_d), np.int8, data=rng.integers(-127, 128, (out_d, fh, fw, in_d)),
                    scale=scales, zero_point=[w_zp] * len(scales), axis=0)
    x = w.tensor((n, in_h, in_w, in_d), dtype, scale=in_scale, zero_point=in_zp)
    ins = [shp, filt, x]
    if bias_type is not None:
        lim = 2**15 if bias_type != np.int16 else 2**12
        bias_scales = [in_scale * s for s in scales]
        ins.append(w.tensor((out_d,), bias_type, data=rng.integers(-lim, lim, out_d),
                            scale=bias_scales, zero_point=[0] * len(bias_scales)))
    y = w.tensor(out_shape, dtype, scale=out_scale, zero_point=out_zp)
    w.op("TRANSPOSE_CONV", ins, [y], {"padding": padding, "stride_h": sh, "stride_w": sw,
                                      "fused_activation_function": act}, version=3)
    w.inputs, w.outputs = ([shp, x] if shape_as_input else [x]), [y]
    info = np.iinfo(dtype)
    feed = rng.integers(info.min, info.max, (n, in_h, in_w, in_d), endpoint=True).astype(dtype)
    feeds = ([np.array(out_shape, np.int32), feed] if shape_as_input else [feed])
    return w.to_bytes(), feeds


@st.composite
def configs(draw, dtype):
    fh, fw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    in_h, in_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = draw(st.sampled_from([SAME, VALID]))

    def out_size(i, f, s):
        # any size whose forward conv gives back the input size (LiteRT checks this; TFLM
        # does not, and converters always satisfy it)
        lo = (i - 1) * s + (1 if padding == SAME else f)
        return lo + draw(st.integers(0, s - 1))

    int8 = dtype == np.int8
    return dict(
        n=draw(st.integers(1, 2)), in_h=in_h, in_w=in_w, in_d=draw(st.integers(1, 5)),
        out_d=draw(st.integers(1, 5)), fh=fh, fw=fw, sh=sh, sw=sw, padding=padding,
        act=draw(st.sampled_from([0, 1, 2, 3])), dtype=dtype, per_channel=draw(st.booleans()),
        bias_type=draw(st.sampled_from([None, np.int32] if int8 else [None, np.int64, np.int16])),
        out_h=out_size(in_h, fh, sh), out_w=out_size(in_w, fw, sw),
        in_scale=draw(st.floats(1e-3, 1.0)),
        w_scales=draw(st.lists(st.floats(1e-4, 0.1), min_size=5, max_size=5)),
        out_scale=draw(st.floats(1e-3, 10.0)),
        in_zp=draw(st.sampled_from([-128, -5, 0, 17, 127])) if int8 else 0,
        out_zp=draw(st.sampled_from([-128, -5, 0, 17, 127])) if int8 else 0,
        seed=draw(st.integers(0, 2**32 - 1)))


@given(cfg=configs(np.int8))
def test_transpose_conv_int8_matches_tflm(cfg) -> None:
    model, feeds = _model(**cfg)
    assert_matches_tflm(model, feeds)


@given(cfg=configs(np.int16))
def test_transpose_conv_int16x8_matches_tflm(cfg) -> None:
    model, feeds = _model(**cfg)
    # TFLM widens an int16 bias to int64 (the legacy 16x8 format); LiteRT rejects int16 biases.
    assert_matches_tflm(model, feeds, litert=cfg["bias_type"] is not np.int16)


def test_transpose_conv_output_shape_as_graph_input() -> None:
    # As in the seanet_transpose_conv4 golden: output_shape is a graph input with a fixed value,
    # which TFLM (and we) ignore in favour of the output tensor's static shape. Like that golden,
    # the shapes are not those of a forward conv (2 rows -> 4 at stride 1, 5 columns -> 12 at
    # stride 2): TFLM does not mind, LiteRT rejects them at invoke, so TFLM is the only oracle.
    cfg = dict(n=1, in_h=2, in_w=5, in_d=3, out_d=2, fh=3, fw=4, sh=1, sw=2, padding=SAME, act=0,
               dtype=np.int16, per_channel=True, bias_type=np.int64, out_h=4, out_w=12,
               in_scale=0.01, w_scales=[0.01, 0.02], out_scale=0.008, in_zp=0, out_zp=0, seed=3,
               shape_as_input=True)
    model, feeds = _model(**cfg)
    assert_matches_tflm(model, feeds, litert=False)


def _base(**kw):
    cfg = dict(n=1, in_h=2, in_w=2, in_d=2, out_d=2, fh=2, fw=2, sh=2, sw=2, padding=VALID, act=0,
               dtype=np.int8, per_channel=True, bias_type=np.int32, out_h=4, out_w=4,
               in_scale=0.05, w_scales=[0.01, 0.02], out_scale=0.1, in_zp=0, out_zp=0, seed=0)
    cfg.update(kw)
    return _model(**cfg)[0]


def test_transpose_conv_rejects_filter_zero_point() -> None:
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=_base(w_zp=3))


def test_transpose_conv_rejects_int32_bias_with_int16() -> None:
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=_base(dtype=np.int16, bias_type=np.int32))


def test_transpose_conv_rejects_mismatched_output_shape() -> None:
    w = ModelWriter()
    shp = w.tensor((4,), np.int32, data=[1, 5, 5, 2])
    filt = w.tensor((2, 2, 2, 2), np.int8, data=np.ones((2, 2, 2, 2)), scale=0.1, zero_point=0)
    x = w.tensor((1, 2, 2, 2), np.int8, scale=0.1, zero_point=0)
    y = w.tensor((1, 4, 4, 2), np.int8, scale=0.1, zero_point=0)
    w.op("TRANSPOSE_CONV", [shp, filt, x], [y], {"padding": VALID, "stride_h": 2, "stride_w": 2})
    w.inputs, w.outputs = [x], [y]
    with pytest.raises(ModelError):
        interp.Interpreter(model_content=w.to_bytes())


def test_transpose_conv_rejects_float() -> None:
    w = ModelWriter()
    shp = w.tensor((4,), np.int32, data=[1, 4, 4, 2])
    filt = w.tensor((2, 2, 2, 2), np.float32, data=np.ones((2, 2, 2, 2)))
    x = w.tensor((1, 2, 2, 2), np.float32)
    y = w.tensor((1, 4, 4, 2), np.float32)
    w.op("TRANSPOSE_CONV", [shp, filt, x], [y], {"padding": VALID, "stride_h": 2, "stride_w": 2})
    w.inputs, w.outputs = [x], [y]
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=w.to_bytes())
