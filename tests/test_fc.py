"""FULLY_CONNECTED: differential tests against tflite-micro (and LiteRT BUILTIN_REF)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interp
from interp.writer import ModelWriter
from oracles import assert_matches_tflm, run_interp

ACTIVATIONS = [0, 1, 2, 3]  # NONE, RELU, RELU_N1_TO_1, RELU6


def _fc_model(rng: np.random.Generator, *, in_shape: tuple[int, ...], out_depth: int, dtype: type,
              in_scale: float, in_zp: int, w_scales: list[float], out_scale: float, out_zp: int,
              act: int, bias: bool, keep_num_dims: bool, filter_zp: int = 0,
              w_data: np.ndarray | None = None) -> bytes:
    depth = in_shape[-1]
    w = ModelWriter()
    x = w.tensor(in_shape, dtype, scale=in_scale, zero_point=in_zp)
    if w_data is None:
        w_data = rng.integers(-127, 128, (out_depth, depth))
    wt = w.tensor((out_depth, depth), np.int8, data=w_data,
                  scale=w_scales if len(w_scales) > 1 else w_scales[0],
                  zero_point=filter_zp if len(w_scales) == 1 else 0)
    ins = [x, wt]
    if bias:
        bias_scales = [float(np.float32(in_scale) * np.float32(s)) for s in w_scales]
        bdtype = np.int64 if dtype == np.int16 else np.int32
        lim = 1 << (30 if dtype == np.int16 else 16)
        b = w.tensor((out_depth,), bdtype, data=rng.integers(-lim, lim, out_depth),
                     scale=bias_scales if len(bias_scales) > 1 else bias_scales[0])
        ins.append(b)
    else:
        ins.append(-1)
    batches = int(np.prod(in_shape[:-1]))
    out_shape = tuple(in_shape[:-1]) + (out_depth,) if keep_num_dims else (batches, out_depth)
    y = w.tensor(out_shape, dtype, scale=out_scale, zero_point=out_zp)
    w.op("FULLY_CONNECTED", ins, [y], {"fused_activation_function": act,
                                       "keep_num_dims": keep_num_dims}, version=4)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


def _log_uniform(draw: st.DrawFn, lo: float, hi: float) -> float:
    return float(10 ** draw(st.floats(np.log10(lo), np.log10(hi))))


@st.composite
def fc_int8_case(draw: st.DrawFn) -> tuple[bytes, np.ndarray]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    depth = draw(st.integers(1, 40))
    out_depth = draw(st.integers(1, 70))
    lead = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    keep = draw(st.booleans())
    in_shape = tuple(lead) + (depth,)
    per_channel = draw(st.booleans())
    in_scale = _log_uniform(draw, 1e-3, 1.0)
    w_scale = _log_uniform(draw, 1e-3, 0.1)
    w_scales = ([w_scale * float(s) for s in rng.uniform(0.2, 5.0, out_depth)] if per_channel
                else [w_scale])
    # output scale around the accumulator's spread, over several orders of magnitude
    spread = in_scale * w_scale * 127 * 64 * np.sqrt(depth)
    out_scale = spread * _log_uniform(draw, 1e-3, 3.0) / 127
    zp = st.sampled_from([-128, -127, -1, 0, 1, 5, 126, 127]) | st.integers(-128, 127)
    model = _fc_model(rng, in_shape=in_shape, out_depth=out_depth, dtype=np.int8,
                      in_scale=in_scale, in_zp=draw(zp), w_scales=w_scales, out_scale=out_scale,
                      out_zp=draw(zp), act=draw(st.sampled_from(ACTIVATIONS)),
                      bias=draw(st.booleans()), keep_num_dims=keep)
    x = rng.integers(-128, 128, in_shape).astype(np.int8)
    return model, x


@given(fc_int8_case())
def test_fc_int8_matches_tflm(case: tuple[bytes, np.ndarray]) -> None:
    model, x = case
    # LiteRT's reference FC requantizes with a single rounding; TFLM (which we follow) uses
    # gemmlowp's double rounding, so they differ by one LSB on rare ties.
    assert_matches_tflm(model, [x], litert=False)


@st.composite
def fc_int16_case(draw: st.DrawFn) -> tuple[bytes, np.ndarray]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    depth = draw(st.integers(1, 40))
    out_depth = draw(st.integers(1, 40))
    lead = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))
    keep = draw(st.booleans())
    in_shape = tuple(lead) + (depth,)
    in_scale = _log_uniform(draw, 1e-5, 1e-2)
    w_scale = _log_uniform(draw, 1e-3, 0.1)
    spread = in_scale * w_scale * 127 * 16384 * np.sqrt(depth)
    out_scale = spread * _log_uniform(draw, 1e-3, 3.0) / 32767
    model = _fc_model(rng, in_shape=in_shape, out_depth=out_depth, dtype=np.int16,
                      in_scale=in_scale, in_zp=0, w_scales=[w_scale], out_scale=out_scale,
                      out_zp=0, act=draw(st.sampled_from(ACTIVATIONS)),
                      bias=draw(st.booleans()), keep_num_dims=keep)
    x = rng.integers(-32768, 32768, in_shape).astype(np.int16)
    return model, x


@given(fc_int16_case())
def test_fc_int16_matches_tflm(case: tuple[bytes, np.ndarray]) -> None:
    model, x = case
    # LiteRT's 16x8 reference FC rounds differently (off by one LSB on some negative values);
    # TFLM uses the reduced 16-bit multiplier with one rounding, which we follow.
    assert_matches_tflm(model, [x], litert=False)


def test_fc_filter_zero_point_and_wrapping() -> None:
    """Per-tensor weights with a non-zero zero point take the general loop (TFLM applies it)."""
    rng = np.random.default_rng(7)
    for fzp in (-3, 0, 4):
        model = _fc_model(rng, in_shape=(3, 17), out_depth=9, dtype=np.int8, in_scale=0.02,
                          in_zp=-7, w_scales=[0.01], out_scale=0.5, out_zp=3, act=0, bias=True,
                          keep_num_dims=False, filter_zp=fzp)
        x = rng.integers(-128, 128, (3, 17)).astype(np.int8)
        # LiteRT rejects non-zero weight zero points for int8 FC; TFLM applies them.
        assert_matches_tflm(model, [x], litert=fzp == 0)


def test_fc_large_depth_fast_path_matches_naive() -> None:
    """Kernel check: the folded-bias fast path equals a NumPy reference on a wide layer."""
    rng = np.random.default_rng(3)
    depth, out_depth = 1000, 67
    w_data = rng.integers(-127, 128, (out_depth, depth))
    model = _fc_model(rng, in_shape=(2, depth), out_depth=out_depth, dtype=np.int8, in_scale=0.05,
                      in_zp=-128, w_scales=[0.004], out_scale=2.0, out_zp=-3, act=0, bias=False,
                      keep_num_dims=False, w_data=w_data)
    x = rng.integers(-128, 128, (2, depth)).astype(np.int8)
    ours = run_interp(model, [x])[0]
    acc = (x.astype(np.int64) + 128) @ w_data.T.astype(np.int64)
    real = acc * float(np.float32(0.05) * np.float32(0.004)) / 2.0
    want = np.clip(np.floor(real + 0.5) - 3, -128, 127)
    assert np.abs(ours.astype(np.int64) - want).max() <= 1  # fixed-point vs float rounding
    assert_matches_tflm(model, [x])


def _err_model(**kw: object) -> bytes:
    rng = np.random.default_rng(0)
    args: dict = dict(in_shape=(1, 4), out_depth=3, dtype=np.int8, in_scale=0.1, in_zp=0,
                      w_scales=[0.1], out_scale=0.1, out_zp=0, act=0, bias=True,
                      keep_num_dims=False)
    args.update(kw)
    return _fc_model(rng, **args)  # type: ignore[arg-type]


def test_fc_errors() -> None:
    # int16 with per-channel weights: TFLM supports per-channel FC only for int8
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=_err_model(dtype=np.int16, w_scales=[0.1, 0.2, 0.3]))
    # int16 activations with a non-zero zero point
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=_err_model(dtype=np.int16, in_zp=3))
    # int16 activations with an int32 bias (TFLM reads the bias as int64)
    w = ModelWriter()
    x = w.tensor((1, 4), np.int16, scale=0.1)
    wt = w.tensor((3, 4), np.int8, data=np.ones((3, 4)), scale=0.1)
    b = w.tensor((3,), np.int32, data=np.zeros(3), scale=0.01)
    y = w.tensor((1, 3), np.int16, scale=0.1)
    w.op("FULLY_CONNECTED", [x, wt, b], [y], {}, version=4)
    w.inputs, w.outputs = [x], [y]
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=w.to_bytes())
    # shape mismatch: output size does not match batches x out_depth
    w = ModelWriter()
    x = w.tensor((2, 4), np.int8, scale=0.1)
    wt = w.tensor((3, 4), np.int8, data=np.ones((3, 4)), scale=0.1)
    y = w.tensor((1, 3), np.int8, scale=0.1)
    w.op("FULLY_CONNECTED", [x, wt, -1], [y], {}, version=4)
    w.inputs, w.outputs = [x], [y]
    with pytest.raises(interp.ModelError):
        interp.Interpreter(model_content=w.to_bytes())
    # float FULLY_CONNECTED is not supported
    w = ModelWriter()
    x = w.tensor((1, 4), np.float32)
    wt = w.tensor((3, 4), np.float32, data=np.ones((3, 4)))
    y = w.tensor((1, 3), np.float32)
    w.op("FULLY_CONNECTED", [x, wt, -1], [y], {}, version=1)
    w.inputs, w.outputs = [x], [y]
    with pytest.raises(interp.UnsupportedOperatorError):
        interp.Interpreter(model_content=w.to_bytes())


def test_fc_multi_op_chain() -> None:
    """Two FCs back to back (the second reads the first's arena output), keep_num_dims on 3-D."""
    rng = np.random.default_rng(11)
    w = ModelWriter()
    x = w.tensor((2, 3, 12), np.int8, scale=0.03, zero_point=-128)
    w1 = w.tensor((20, 12), np.int8, data=rng.integers(-127, 128, (20, 12)), scale=0.01)
    b1 = w.tensor((20,), np.int32, data=rng.integers(-500, 500, 20),
                  scale=float(np.float32(0.03) * np.float32(0.01)))
    h = w.tensor((2, 3, 20), np.int8, scale=0.05, zero_point=-128)
    w2 = w.tensor((5, 20), np.int8, data=rng.integers(-127, 128, (5, 20)),
                  scale=list(rng.uniform(0.005, 0.02, 5)))
    y = w.tensor((6, 5), np.int8, scale=0.1, zero_point=10)
    w.op("FULLY_CONNECTED", [x, w1, b1], [h], {"fused_activation_function": 1,
                                               "keep_num_dims": True}, version=4)
    w.op("FULLY_CONNECTED", [h, w2, -1], [y], {}, version=4)
    w.inputs, w.outputs = [x], [y]
    model = w.to_bytes()
    for _ in range(3):
        assert_matches_tflm(model, [rng.integers(-128, 128, (2, 3, 12)).astype(np.int8)])


@settings(max_examples=5)
@given(st.integers(0, 2**31))
def test_fc_hello_world_shapes(seed: int) -> None:
    """A [1,1] input through a 16-wide hidden layer, as hello_world does."""
    rng = np.random.default_rng(seed)
    model = _fc_model(rng, in_shape=(1, 1), out_depth=16, dtype=np.int8, in_scale=0.0245,
                      in_zp=-128, w_scales=[0.004], out_scale=0.01, out_zp=-128, act=1, bias=True,
                      keep_num_dims=False)
    # LiteRT's single-rounding requant differs from TFLM by one LSB on rare ties
    assert_matches_tflm(model, [rng.integers(-128, 128, (1, 1)).astype(np.int8)], litert=False)


def test_fc_general_path_deep_and_runtime_weights() -> None:
    """The general loop: depth past the fast path's bound, and weights that are a model input."""
    rng = np.random.default_rng(21)
    depth = 70000
    model = _fc_model(rng, in_shape=(1, depth), out_depth=2, dtype=np.int8, in_scale=0.01,
                      in_zp=127, w_scales=[0.01], out_scale=30.0, out_zp=0, act=0, bias=True,
                      keep_num_dims=False)
    assert_matches_tflm(model, [rng.integers(-128, 128, (1, depth)).astype(np.int8)], litert=False)

    w = ModelWriter()
    x = w.tensor((2, 6), np.int8, scale=0.05, zero_point=9)
    wt = w.tensor((4, 6), np.int8, scale=0.02)
    y = w.tensor((2, 4), np.int8, scale=0.1, zero_point=-2)
    w.op("FULLY_CONNECTED", [x, wt, -1], [y], {}, version=4)
    w.inputs, w.outputs = [x, wt], [y]
    xs = [rng.integers(-128, 128, (2, 6)).astype(np.int8),
          rng.integers(-127, 128, (4, 6)).astype(np.int8)]
    assert_matches_tflm(w.to_bytes(), xs, litert=False)


@pytest.mark.parametrize("scales", [(0.1, 0.01, 0.064), (0.3, 0.003, 0.0072), (0.05, 0.007, 0.0056)])
def test_fc_per_tensor_multiplier_uses_the_double_product(scales) -> None:
    """Input/filter/output scales whose ratio is a power of two in float32 arithmetic but not in
    double: TFLM takes the double product (found by a long hypothesis run: 116 vs 117)."""
    s_in, s_w, s_out = scales
    w = ModelWriter()
    x = w.tensor((256, 1), np.int8, scale=s_in, zero_point=-128)
    wt = w.tensor((3, 1), np.int8, data=[[105], [127], [33]], scale=s_w)
    y = w.tensor((256, 3), np.int8, scale=s_out, zero_point=-128)
    w.op("FULLY_CONNECTED", [x, wt, -1], [y], version=4)
    w.inputs, w.outputs = [x], [y]
    xs = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    assert_matches_tflm(w.to_bytes(), [xs], litert=False)  # LiteRT-REF FC rounds once


@pytest.mark.parametrize("host", [True, False], ids=["simd", "portable"])
@pytest.mark.parametrize("batches,depth,out_depth", [
    (1, 1, 1), (1, 3, 17), (2, 5, 33), (3, 129, 48), (1, 640, 128), (4, 37, 65), (2, 8, 100),
])
def test_fc_host_simd_tails(host, batches, depth, out_depth) -> None:
    """The host VNNI GEMV (16-row blocks, depth padded to 4) and the portable loop, vs TFLM."""
    from interp.ops import conv as conv_lowering
    rng = np.random.default_rng(depth * 1000 + out_depth)
    old = conv_lowering.HOST_GEMM
    conv_lowering.HOST_GEMM = host
    try:
        for in_zp, per_channel in ((-128, False), (5, True), (127, False)):
            scales = list(rng.uniform(0.002, 0.02, out_depth)) if per_channel else [0.01]
            model = _fc_model(rng, in_shape=(batches, depth), out_depth=out_depth, dtype=np.int8,
                              in_scale=0.05, in_zp=in_zp, w_scales=scales, out_scale=0.3,
                              out_zp=-4, act=1, bias=True, keep_num_dims=False)
            op = interp.Interpreter(model_content=model)._plan.ops[0]
            assert len(op.args) == (16 if host else 15)
            x = rng.integers(-128, 128, (batches, depth)).astype(np.int8)
            assert_matches_tflm(model, [x])
    finally:
        conv_lowering.HOST_GEMM = old
