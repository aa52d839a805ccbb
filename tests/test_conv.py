"""CONV_2D and DEPTHWISE_CONV_2D: differential tests against tflite-micro (and LiteRT BUILTIN_REF)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interp
from interp.ops import conv as conv_lowering
from interp.writer import ModelWriter
from oracles import MODELS, assert_matches_tflm, run_interp, run_tflm



# "simd": the fast paths plus the host SIMD constants (qk__conv_gemm_vnni / qk__dw_vnni where
# the build has them; elsewhere C ignores them and runs "fast"), "fast": the portable fast paths,
# "plain": TFLM's loop nests.
PATHS = pytest.mark.parametrize("fast", ["simd", True, False], ids=["simd", "fast", "plain"])


def check(model, inputs, fast, litert: bool = True) -> None:
    """assert_matches_tflm through the C fast paths (scratch buffers) or the plain loop nests."""
    old = conv_lowering.FAST, conv_lowering.HOST_GEMM
    conv_lowering.FAST = bool(fast)
    conv_lowering.HOST_GEMM = fast == "simd"
    try:
        assert_matches_tflm(model, inputs, litert=litert)
    finally:
        conv_lowering.FAST, conv_lowering.HOST_GEMM = old


ACTS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6
INFO = {np.int8: np.iinfo(np.int8), np.int16: np.iinfo(np.int16)}


def _rand(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    i = np.iinfo(dtype)
    return rng.integers(i.min, i.max + 1, size=shape, dtype=np.int64).astype(dtype)


def _scale(draw) -> float:
    return float(np.float32(draw(st.sampled_from([1e-4, 1e-3, 0.004, 0.02, 0.1, 0.5, 2.0]))
                            * draw(st.floats(0.5, 2.0))))


@st.composite
def conv_case(draw, depthwise: bool, dtype, max_ic: int = 8, max_oc_mult: int = 6, max_hw: int = 9):
    """A random single-op conv/depthwise model and its input."""
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, 2))
    ih, iw = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from([0, 1]))
    if padding == 1:  # VALID: make the window fit
        ih, iw = max(ih, (kh - 1) * dh + 1), max(iw, (kw - 1) * dw + 1)
    ic = draw(st.integers(1, max_ic))
    if depthwise:
        dm = draw(st.integers(1, 3))
        oc = ic * dm
        fshape = (1, kh, kw, oc)
        axis = 3
    else:
        groups = draw(st.sampled_from([1, 1, 1, 2])) if ic % 2 == 0 else 1
        fic = ic // groups
        oc = groups * draw(st.integers(1, max_oc_mult))
        fshape = (oc, kh, kw, fic)
        axis = 0
    eff_h, eff_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == 0:
        oh, ow = -(-ih // sh), -(-iw // sw)
    else:
        oh, ow = (ih - eff_h + sh) // sh, (iw - eff_w + sw) // sw
    act = draw(st.sampled_from(ACTS))
    wide = dtype == np.int16
    in_scale, out_scale = _scale(draw), _scale(draw)
    if wide:
        in_zp = out_zp = 0
    else:
        in_zp = draw(st.sampled_from([-128, 127, 0, int(rng.integers(-128, 128))]))
        out_zp = draw(st.sampled_from([-128, 127, 0, int(rng.integers(-128, 128))]))
    per_channel = draw(st.booleans())
    wscale = (rng.uniform(0.2, 5.0, oc) if per_channel else rng.uniform(0.2, 5.0, 1)) * _scale(draw)
    wscale = wscale.astype(np.float32)
    if wide:  # keep in*w/out < 2^14: TFLM's int64 requant shifts by 15 - shift (UB beyond 14)
        out_scale = max(out_scale, float(in_scale * wscale.max()) / 1000.0)
    wdata = _rand(rng, fshape, np.int8)
    bias_kind = draw(st.sampled_from(["none", "i32", "i64"] if (wide and not depthwise)
                                     else (["none", "i64"] if wide else ["none", "i32"])))
    w = ModelWriter()
    x = w.tensor((n, ih, iw, ic), dtype, scale=in_scale, zero_point=in_zp)
    f = w.tensor(fshape, np.int8, data=wdata, scale=list(wscale), zero_point=0, axis=axis)
    inputs = [x, f]
    if bias_kind != "none":
        bscale = (in_scale * wscale).astype(np.float32)
        if bias_kind == "i32":
            lim = 2**20 if not wide else 2**24
            bdata = rng.integers(-lim, lim, oc).astype(np.int32)
            inputs.append(w.tensor((oc,), np.int32, data=bdata, scale=list(bscale), zero_point=0))
        else:
            bdata = rng.integers(-2**30, 2**30, oc).astype(np.int64)
            inputs.append(w.tensor((oc,), np.int64, data=bdata, scale=list(bscale), zero_point=0))
    y = w.tensor((n, oh, ow, oc), dtype, scale=out_scale, zero_point=out_zp)
    opts = dict(padding=padding, stride_h=sh, stride_w=sw, fused_activation_function=act,
                dilation_h_factor=dh, dilation_w_factor=dw)
    if depthwise:
        opts["depth_multiplier"] = dm
        w.op("DEPTHWISE_CONV_2D", inputs, [y], opts, version=2 if not wide else 5)
    else:
        w.op("CONV_2D", inputs, [y], opts, version=3 if not wide else 4)
    w.inputs, w.outputs = [x], [y]
    data = _rand(rng, (n, ih, iw, ic), dtype)
    grouped = not depthwise and fshape[3] != ic
    # LiteRT-REF rejects quantized conv without a bias and int8 grouped conv: TFLM only there
    return w.to_bytes(), [data], bias_kind != "none" and not grouped


@PATHS
@given(conv_case(False, np.int8))
def test_conv2d_int8(fast, case):
    model, inputs, litert_ok = case
    check(model, inputs, fast, litert=litert_ok)


@PATHS
@given(conv_case(False, np.int16))
def test_conv2d_int16(fast, case):
    model, inputs, _ = case
    # LiteRT's int16 reference conv always uses int64 accumulators; TFLM accumulates in int32
    # for an int32 (or absent) bias, so only TFLM is the oracle here.
    check(model, inputs, fast, litert=False)


@PATHS
@given(conv_case(True, np.int8))
def test_depthwise_int8(fast, case):
    model, inputs, litert_ok = case
    check(model, inputs, fast, litert=litert_ok)


@PATHS
@given(conv_case(True, np.int16))
def test_depthwise_int16(fast, case):
    model, inputs, _ = case
    check(model, inputs, fast, litert=False)


# Wider channel ranges: the host GEMM's 16-channel blocks (1..4 per tile and more than 4), its
# 4-byte depth padding and 6/12-pixel tiles with tails; depthwise channel blocks with tails.
@settings(max_examples=40, deadline=None)
@given(conv_case(False, np.int8, max_ic=24, max_oc_mult=80, max_hw=14))
def test_conv2d_int8_wide_simd(case):
    model, inputs, litert_ok = case
    check(model, inputs, "simd", litert=litert_ok)


@settings(max_examples=40, deadline=None)
@given(conv_case(True, np.int8, max_ic=40, max_hw=14))
def test_depthwise_int8_wide_simd(case):
    model, inputs, litert_ok = case
    check(model, inputs, "simd", litert=litert_ok)


@pytest.mark.parametrize("ih,iw,ic,oc,k,stride,padding", [
    (1, 1, 1, 1, 1, 1, 0),      # one pixel, one channel
    (3, 4, 5, 33, 3, 1, 0),     # 3 blocks (a 6-pixel tile), K = 45 (not a multiple of 4)
    (5, 5, 7, 48, 2, 1, 1),     # 3 full blocks, 16 pixels: a short second panel
    (4, 6, 16, 64, 1, 1, 0),    # 4 blocks, 24 pixels: whole panels
    (5, 5, 9, 65, 3, 2, 0),     # 4 + 1 blocks
    (7, 3, 3, 17, 3, 1, 0),     # 2 blocks, 21 pixels
    (9, 9, 2, 100, 3, 2, 0),    # 4 + 3 blocks
    (6, 7, 13, 15, 5, 1, 0),    # 1 block, 15 channels, K = 325: 6-pixel panels
    (4, 5, 45, 40, 3, 1, 0),    # K = 405: 4-pixel panels
    (4, 3, 70, 20, 3, 1, 0),    # K = 630: 2-pixel panels
    (3, 3, 120, 70, 3, 1, 1),   # K = 1080: 1-pixel panels
    (3, 4, 250, 17, 3, 1, 0),   # K = 2250: above the panel bound, the portable fast path
    (5, 7, 12, 33, 1, 1, 0),    # 1x1 stride 1: rows read in place, 35 pixels
    (3, 3, 10, 20, 1, 1, 0),    # 1x1 but in_c % 4 != 0: packed
])
def test_conv_gemm_tails(ih, iw, ic, oc, k, stride, padding):
    rng = np.random.default_rng(ih * 100 + ic * 10 + oc)
    for zp in (-128, -3, 127):
        model, inputs = _big_case(rng, False, ih, iw, ic, oc, k, stride, padding, in_zp=zp)
        check(model, inputs, "simd")


@pytest.mark.parametrize("ih,iw,c,k,stride,padding", [
    (3, 3, 1, 3, 1, 0), (5, 4, 15, 3, 1, 0), (6, 5, 17, 3, 2, 0), (4, 7, 33, 3, 1, 1),
    (5, 5, 64, 3, 2, 0), (6, 6, 69, 5, 1, 0), (4, 4, 130, 2, 2, 1),
])
def test_dw_simd_tails(ih, iw, c, k, stride, padding):
    rng = np.random.default_rng(ih * 100 + c)
    for zp in (-128, 5, 127):
        model, inputs = _big_case(rng, True, ih, iw, c, c, k, stride, padding, in_zp=zp)
        check(model, inputs, "simd")


def test_simd_constants_emitted():
    """The lowering adds the host GEMM / depthwise args only when asked (HOST_GEMM)."""
    rng = np.random.default_rng(2)
    for dw, n_args in ((False, 33), (True, 32)):
        model, _ = _big_case(rng, dw, 5, 5, 8, 8, 3, 1, 0)
        old = conv_lowering.HOST_GEMM
        try:
            for host in (True, False):
                conv_lowering.HOST_GEMM = host
                op = interp.Interpreter(model_content=model)._plan.ops[0]
                assert len(op.args) == (n_args if host else n_args - (3 if not dw else 1))
        finally:
            conv_lowering.HOST_GEMM = old


def _big_case(rng, depthwise, ih, iw, ic, oc, k, stride, padding, in_zp=-5, act=3):
    """A larger deterministic case exercising the fast paths (channels >= 16, many pixels)."""
    w = ModelWriter()
    x = w.tensor((1, ih, iw, ic), np.int8, scale=0.05, zero_point=in_zp)
    if depthwise:
        fshape, axis = (1, k, k, oc), 3
    else:
        fshape, axis = (oc, k, k, ic), 0
    f = w.tensor(fshape, np.int8, data=_rand(rng, fshape, np.int8),
                 scale=list(rng.uniform(0.001, 0.01, oc).astype(np.float32)), zero_point=0, axis=axis)
    b = w.tensor((oc,), np.int32, data=rng.integers(-5000, 5000, oc).astype(np.int32),
                 scale=[1.0], zero_point=0)
    oh = -(-ih // stride) if padding == 0 else (ih - k + stride) // stride
    ow = -(-iw // stride) if padding == 0 else (iw - k + stride) // stride
    y = w.tensor((1, oh, ow, oc), np.int8, scale=0.1, zero_point=3)
    opts = dict(padding=padding, stride_h=stride, stride_w=stride, fused_activation_function=act)
    if depthwise:
        opts["depth_multiplier"] = oc // ic
        w.op("DEPTHWISE_CONV_2D", [x, f, b], [y], opts)
    else:
        w.op("CONV_2D", [x, f, b], [y], opts)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes(), [_rand(rng, (1, ih, iw, ic), np.int8)]


@PATHS
@pytest.mark.parametrize("depthwise,ih,iw,ic,oc,k,stride,padding", [
    (False, 12, 11, 16, 24, 1, 1, 0),
    (False, 12, 11, 17, 9, 1, 2, 1),
    (False, 10, 9, 8, 20, 3, 1, 0),
    (False, 10, 9, 3, 16, 3, 2, 0),
    (False, 15, 7, 5, 7, 5, 2, 1),
    (True, 12, 11, 32, 32, 3, 1, 0),
    (True, 12, 11, 24, 24, 3, 2, 0),
    (True, 9, 10, 16, 16, 5, 1, 0),
    (True, 9, 10, 8, 16, 3, 1, 1),
    (True, 9, 10, 1, 8, 3, 2, 1),
    # more than one 64-channel accumulator chunk, depth multipliers across chunk edges
    (False, 5, 6, 20, 70, 1, 1, 0),
    (False, 5, 6, 3, 130, 3, 2, 0),
    (True, 5, 6, 70, 70, 3, 1, 0),
    (True, 5, 6, 40, 80, 3, 2, 0),
    (True, 5, 6, 2, 140, 3, 1, 0),
    (True, 5, 6, 1, 96, 3, 1, 0),
    # few channels: runs of pixels with a tiled filter, several runs per row
    (True, 4, 40, 32, 32, 3, 1, 0),
    (True, 3, 37, 24, 24, 3, 1, 1),
    (True, 3, 70, 5, 5, 4, 1, 0),
    # ... and with stride_w > 1 (input rows split into phases)
    (True, 5, 40, 8, 8, 3, 2, 0),
    (True, 6, 33, 16, 16, 3, 2, 1),
    (True, 4, 30, 5, 5, 5, 3, 0),
])
def test_larger_shapes(fast, depthwise, ih, iw, ic, oc, k, stride, padding):
    rng = np.random.default_rng(ih * 1000 + ic * 10 + oc + k)
    for zp in (-128, 0, 127):
        model, inputs = _big_case(rng, depthwise, ih, iw, ic, oc, k, stride, padding, in_zp=zp)
        check(model, inputs, fast)


@PATHS
def test_multi_op_chain(fast):
    """conv -> depthwise -> 1x1 conv in one plan (the arena reuses buffers between ops)."""
    rng = np.random.default_rng(7)
    w = ModelWriter()
    x = w.tensor((1, 10, 10, 3), np.int8, scale=0.02, zero_point=-10)
    f1 = w.tensor((8, 3, 3, 3), np.int8, data=_rand(rng, (8, 3, 3, 3), np.int8),
                  scale=list(rng.uniform(0.002, 0.02, 8).astype(np.float32)), zero_point=0)
    b1 = w.tensor((8,), np.int32, data=rng.integers(-500, 500, 8).astype(np.int32), scale=[1.0])
    h1 = w.tensor((1, 5, 5, 8), np.int8, scale=0.05, zero_point=-128)
    f2 = w.tensor((1, 3, 3, 8), np.int8, data=_rand(rng, (1, 3, 3, 8), np.int8),
                  scale=list(rng.uniform(0.002, 0.02, 8).astype(np.float32)), zero_point=0, axis=3)
    h2 = w.tensor((1, 5, 5, 8), np.int8, scale=0.05, zero_point=-128)
    f3 = w.tensor((4, 1, 1, 8), np.int8, data=_rand(rng, (4, 1, 1, 8), np.int8), scale=0.01)
    y = w.tensor((1, 5, 5, 4), np.int8, scale=0.1, zero_point=5)
    w.op("CONV_2D", [x, f1, b1], [h1], dict(padding=0, stride_h=2, stride_w=2,
                                              fused_activation_function=3))
    w.op("DEPTHWISE_CONV_2D", [h1, f2], [h2], dict(padding=0, stride_h=1, stride_w=1,
                                                         depth_multiplier=1,
                                                         fused_activation_function=1))
    w.op("CONV_2D", [h2, f3], [y], dict(padding=1, stride_h=1, stride_w=1))
    w.inputs, w.outputs = [x], [y]
    model = w.to_bytes()
    for s in range(3):  # LiteRT-REF refuses the bias-less quantized conv: TFLM only
        check(model, [_rand(np.random.default_rng(s), (1, 10, 10, 3), np.int8)], fast,
              litert=False)


@PATHS
def test_int16_int32_bias_accumulator_wraps(fast):
    """16x8 CONV_2D with an int32 bias: TFLM accumulates in int32, which wraps for deep filters."""
    rng = np.random.default_rng(3)
    c = 1024
    w = ModelWriter()
    x = w.tensor((1, 2, 2, c), np.int16, scale=1e-3, zero_point=0)
    f = w.tensor((3, 1, 1, c), np.int8, data=np.full((3, 1, 1, c), 127, np.int8), scale=1e-3)
    b = w.tensor((3,), np.int32, data=np.array([0, 2**30, -(2**30)], np.int32), scale=1e-6)
    y = w.tensor((1, 2, 2, 3), np.int16, scale=0.01, zero_point=0)
    w.op("CONV_2D", [x, f, b], [y], dict(padding=1, stride_h=1, stride_w=1), version=4)
    w.inputs, w.outputs = [x], [y]
    data = np.full((1, 2, 2, c), 32767, np.int16)
    data[0, 1] = rng.integers(-32768, 32767, (2, c))
    data[0, 0, 1] = -32768
    check(w.to_bytes(), [data], fast, litert=False)


@PATHS
@pytest.mark.parametrize("depthwise", [False, True])
def test_filter_and_bias_as_inputs(fast, depthwise):
    """Filter and bias fed at run time (TFLM reads them at Eval like any tensor)."""
    rng = np.random.default_rng(11)
    w = ModelWriter()
    x = w.tensor((1, 6, 5, 4), np.int8, scale=0.03, zero_point=7)
    fshape = (1, 3, 3, 4) if depthwise else (5, 3, 3, 4)
    oc = fshape[3] if depthwise else fshape[0]
    f = w.tensor(fshape, np.int8, scale=list(rng.uniform(0.01, 0.02, oc).astype(np.float32)),
                 zero_point=0, axis=3 if depthwise else 0)
    b = w.tensor((oc,), np.int32, scale=[1.0])
    y = w.tensor((1, 6, 5, oc), np.int8, scale=0.2, zero_point=-3)
    opts = dict(padding=0, stride_h=1, stride_w=1, fused_activation_function=1)
    if depthwise:
        opts["depth_multiplier"] = 1
    w.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [x, f, b], [y], opts)
    w.inputs, w.outputs = [x, f, b], [y]
    data = [_rand(rng, (1, 6, 5, 4), np.int8), _rand(rng, fshape, np.int8),
            rng.integers(-3000, 3000, oc).astype(np.int32)]
    check(w.to_bytes(), data, fast, litert=False)  # LiteRT-REF wants constant filters


@PATHS
@pytest.mark.parametrize("dtype, bias", [(np.int8, None), (np.int8, np.int32), (np.int16, None),
                                         (np.int16, np.int32), (np.int16, np.int64)])
def test_big_receptive_field(fast, bias, dtype):
    """kh * kw * in_c above 512: the fast path gathers one filter row at a time (int8 conv
    takes an int32 bias only)."""
    rng = np.random.default_rng(5)
    c, oc = 70, 9
    w = ModelWriter()
    x = w.tensor((1, 7, 6, c), dtype, scale=0.02, zero_point=-9 if dtype == np.int8 else 0)
    f = w.tensor((oc, 3, 4, c), np.int8, data=_rand(rng, (oc, 3, 4, c), np.int8),
                 scale=list(rng.uniform(0.001, 0.004, oc).astype(np.float32)), zero_point=0)
    ins = [x, f]
    if bias is not None:
        ins.append(w.tensor((oc,), bias, data=rng.integers(-9999, 9999, oc).astype(bias), scale=[1.0]))
    y = w.tensor((1, 4, 3, oc), dtype, scale=0.5 if dtype == np.int8 else 0.05, zero_point=0)
    w.op("CONV_2D", ins, [y], dict(padding=0, stride_h=2, stride_w=2, fused_activation_function=1),
         version=4 if dtype == np.int16 else 3)
    w.inputs, w.outputs = [x], [y]
    check(w.to_bytes(), [_rand(rng, (1, 7, 6, c), dtype)], fast, litert=False)


@pytest.mark.parametrize("depthwise", [False, True])
@pytest.mark.parametrize("stride", [1, 2])
def test_pad_fused_into_conv(monkeypatch, depthwise, stride):
    """PAD -> VALID conv with the PAD folded into the conv (interp/fuse.py, options fused_pad)."""
    from interp import fold, fuse
    folded = fold.fold_constants
    monkeypatch.setattr(fold, "fold_constants", lambda g: fuse.fuse_pad_into_conv(folded(g)))
    rng = np.random.default_rng(stride + 2 * depthwise)
    c = 6
    w = ModelWriter()
    x = w.tensor((1, 7, 6, c), np.int8, scale=0.05, zero_point=-17)
    pads = w.tensor((4, 2), np.int32, data=np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32))
    xp = w.tensor((1, 10, 9, c), np.int8, scale=0.05, zero_point=-17)
    fshape = (1, 3, 3, c) if depthwise else (5, 3, 3, c)
    oc = fshape[3] if depthwise else fshape[0]
    f = w.tensor(fshape, np.int8, data=_rand(rng, fshape, np.int8),
                 scale=list(rng.uniform(0.005, 0.02, oc).astype(np.float32)), zero_point=0,
                 axis=3 if depthwise else 0)
    b = w.tensor((oc,), np.int32, data=rng.integers(-999, 999, oc).astype(np.int32), scale=[1.0])
    oh, ow = (10 - 3) // stride + 1, (9 - 3) // stride + 1
    y = w.tensor((1, oh, ow, oc), np.int8, scale=0.1, zero_point=4)
    w.op("PAD", [x, pads], [xp])
    opts = dict(padding=1, stride_h=stride, stride_w=stride, fused_activation_function=0)
    if depthwise:
        opts["depth_multiplier"] = 1
    w.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [xp, f, b], [y], opts)
    w.inputs, w.outputs = [x], [y]
    model = w.to_bytes()
    it = interp.Interpreter(model_content=model)
    assert [op.name for op in it._plan.ops] == ["DEPTHWISE_CONV_2D" if depthwise else "CONV_2D"]
    for fast in ("simd", True, False):
        check(model, [_rand(rng, (1, 7, 6, c), np.int8)], fast)


# -- every conv/depthwise op of the real models, sliced into a single-op model -------------

def _slice_models():
    if not MODELS.is_dir():
        return []
    names = ["kws_ref_model", "vww_96_int8", "person_detect", "pretrainedResnet_quant",
             "micro_speech_quantized", "ds_cnn_l_quantized", "mcunet-5fps_vww", "str_ww_ref_model",
             "ad_large_int8", "cnn_l_quantized", "kws_micronet_l", "seanet_conv0", "seanet_conv10"]
    return [n for n in names if (MODELS / f"{n}.tflite").exists()]


def _single_op_model(g, op) -> tuple[bytes, list]:
    w = ModelWriter()
    ids = []
    for t in op.inputs:
        if t is None:
            ids.append(-1)
            continue
        q = t.quant
        ids.append(w.tensor(t.shape, t.dtype, data=t.data,
                            scale=None if q is None else list(q.scale),
                            zero_point=None if q is None else list(q.zero_point),
                            axis=0 if q is None else q.axis))
    y = op.outputs[0]
    yid = w.tensor(y.shape, y.dtype, scale=list(y.quant.scale), zero_point=list(y.quant.zero_point))
    w.op(op.name, ids, [yid], op.options, version=op.version)
    w.inputs, w.outputs = [ids[0]], [yid]
    return w.to_bytes(), op.inputs[0]


@pytest.mark.parametrize("name", _slice_models())
def test_model_conv_ops_sliced(name):
    g = interp.load((MODELS / f"{name}.tflite").read_bytes())
    rng = np.random.default_rng(0)
    count = 0
    seen = set()
    for op in g.operators:
        if op.name not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        key = (op.name, op.inputs[0].shape, op.inputs[1].shape, tuple(sorted(op.options.items())))
        if key in seen and count > 6:
            continue
        seen.add(key)
        model, x = _single_op_model(g, op)
        data = _rand(rng, x.shape, x.dtype)
        ours, want = run_interp(model, [data]), run_tflm(model, [data])
        np.testing.assert_array_equal(ours[0], want[0], err_msg=f"{name} op {op.index}")
        count += 1
    assert count > 0


# -- error cases ------------------------------------------------------------------------------

def _simple(dtype=np.int8, wzp=0, bias_dtype=np.int32, opts=None, name="CONV_2D", oshape=None,
            fshape=(2, 3, 3, 4), in_zp=0):
    w = ModelWriter()
    x = w.tensor((1, 5, 5, 4), dtype, scale=0.1, zero_point=in_zp)
    f = w.tensor(fshape, np.int8, data=np.ones(fshape, np.int8), scale=0.1, zero_point=wzp)
    oc = fshape[0] if name == "CONV_2D" else fshape[3]
    b = w.tensor((oc,), bias_dtype, data=np.zeros(oc, bias_dtype), scale=0.01)
    y = w.tensor(oshape or (1, 5, 5, oc), dtype, scale=0.1)
    o = dict(padding=0, stride_h=1, stride_w=1)
    if name == "DEPTHWISE_CONV_2D":
        o["depth_multiplier"] = 1
    o.update(opts or {})
    w.op(name, [x, f, b], [y], o)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


@pytest.mark.parametrize("kwargs,err", [
    (dict(wzp=3), interp.UnsupportedOperatorError),
    (dict(bias_dtype=np.int64), interp.UnsupportedOperatorError),
    (dict(dtype=np.int16, in_zp=2, bias_dtype=np.int64), interp.UnsupportedOperatorError),
    (dict(opts=dict(stride_h=0)), interp.ModelError),
    (dict(oshape=(1, 4, 4, 2)), interp.ModelError),
    (dict(fshape=(2, 3, 3, 3)), interp.ModelError),
    (dict(name="DEPTHWISE_CONV_2D", fshape=(1, 3, 3, 4), opts=dict(depth_multiplier=2)),
     interp.ModelError),
    (dict(name="DEPTHWISE_CONV_2D", fshape=(1, 3, 3, 4), dtype=np.int16, bias_dtype=np.int32),
     interp.UnsupportedOperatorError),
])
def test_rejects(kwargs, err):
    with pytest.raises(err):
        interp.Interpreter(model_content=_simple(**kwargs))
