"""Memory-saving rewrites change no output bit: PAD folded into convolutions, in-place
depthwise at the arena peak, lean (scratch-free) kernels where scratch makes the peak."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import interp
import interp.plan
from interp.writer import ModelWriter
from oracles import assert_matches_tflm

QK_OP_DEPTHWISE_CONV2D_INPLACE = 13


def _conv_model(draw, op: str, pads: tuple[int, int, int, int], with_pad: bool) -> tuple[bytes, tuple]:
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    c = draw(st.integers(1, 12))
    k = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 2))
    padding = draw(st.sampled_from([0, 1]))  # SAME, VALID
    top, bottom, left, right = pads
    ph, pw = h + top + bottom, w + left + right
    if padding == 1 and (ph < k or pw < k):
        padding = 0
    zp = draw(st.sampled_from([-128, -5, 0, 127]))
    mw = ModelWriter()
    x = mw.tensor((1, h, w, c), np.int8, scale=0.05, zero_point=zp)
    conv_in = x
    if with_pad:
        paddings = mw.tensor((4, 2), np.int32, data=[[0, 0], [top, bottom], [left, right], [0, 0]])
        conv_in = mw.tensor((1, ph, pw, c), np.int8, scale=0.05, zero_point=zp)
        mw.op("PAD", [x, paddings], [conv_in], version=2)
    dw = op == "DEPTHWISE_CONV_2D"
    cout = c if dw else draw(st.integers(1, 12))
    fshape = (1, k, k, cout) if dw else (cout, k, k, c)
    scales = rng.uniform(0.001, 0.05, cout)
    wt = mw.tensor(fshape, np.int8, data=rng.integers(-127, 128, fshape), scale=scales,
                   zero_point=[0] * cout, axis=3 if dw else 0)
    b = mw.tensor((cout,), np.int32, data=rng.integers(-3000, 3000, cout), scale=0.05 * scales,
                  zero_point=[0] * cout)
    oh = -(-ph // stride) if padding == 0 else (ph - k) // stride + 1
    ow = -(-pw // stride) if padding == 0 else (pw - k) // stride + 1
    y = mw.tensor((1, oh, ow, cout), np.int8, scale=0.1, zero_point=draw(st.integers(-128, 127)))
    opts = {"padding": padding, "stride_h": stride, "stride_w": stride,
            "fused_activation_function": draw(st.sampled_from([0, 1, 3]))}
    if dw:
        opts["depth_multiplier"] = 1
    mw.op(op, [conv_in, wt, b], [y], opts, version=3)
    mw.inputs, mw.outputs = [x], [y]
    return mw.to_bytes(), (1, h, w, c)


@st.composite
def padded_convs(draw):
    op = draw(st.sampled_from(["CONV_2D", "DEPTHWISE_CONV_2D"]))
    pads = tuple(draw(st.integers(0, 3)) for _ in range(4))
    return _conv_model(draw, op, pads, with_pad=True)


@given(padded_convs(), st.integers(0, 2**31))
def test_pad_folded_into_conv_matches_tflm(case, seed: int) -> None:
    model, shape = case
    it = interp.Interpreter(model_content=model)
    assert all(op.name != "PAD" for op in it._plan.ops)  # the padded tensor never exists
    x = np.random.default_rng(seed).integers(-128, 128, shape, np.int8)
    assert_matches_tflm(model, [x], litert=False)  # LiteRT: same semantics, not needed twice


@st.composite
def depthwise_models(draw):
    return _conv_model(draw, "DEPTHWISE_CONV_2D", (0, 0, 0, 0), with_pad=False)


@given(depthwise_models(), st.integers(0, 2**31))
def test_in_place_depthwise_matches_tflm_and_the_fast_path(case, seed: int) -> None:
    model, shape = case
    x = np.random.default_rng(seed).integers(-128, 128, shape, np.int8)
    assert_matches_tflm(model, [x], litert=False)
    interp.plan.REPLAN = False
    try:
        fast = interp.Interpreter(model_content=model)
    finally:
        interp.plan.REPLAN = True
    fast.set_tensor(0, x)
    fast.invoke()
    replanned = interp.Interpreter(model_content=model)
    replanned.set_tensor(0, x)
    replanned.invoke()
    np.testing.assert_array_equal(replanned.get_tensor(replanned.get_output_details()[0]["index"]),
                                  fast.get_tensor(fast.get_output_details()[0]["index"]))
    assert replanned.arena_bytes <= fast.arena_bytes


def test_in_place_depthwise_is_chosen_at_the_peak_of_a_bottleneck() -> None:
    """1x1 expand -> 3x3 depthwise -> 1x1 project: the depthwise is the peak; in place it shrinks."""
    rng = np.random.default_rng(5)
    w = ModelWriter()
    x = w.tensor((1, 16, 16, 8), np.int8, scale=0.05, zero_point=-3)
    prev, c = x, 8
    for name, cout, k, dw in (("expand", 48, 1, False), ("dw", 48, 3, True), ("project", 8, 1, False)):
        fshape = (1, k, k, cout) if dw else (cout, k, k, c)
        wt = w.tensor(fshape, np.int8, data=rng.integers(-127, 128, fshape), scale=0.01)
        b = w.tensor((cout,), np.int32, data=rng.integers(-999, 999, cout), scale=0.0005)
        y = w.tensor((1, 16, 16, cout), np.int8, scale=0.08, zero_point=-128 if name != "project" else 2)
        opts = {"padding": 0, "stride_h": 1, "stride_w": 1, "fused_activation_function": 3}
        if dw:
            opts["depth_multiplier"] = 1
        w.op("DEPTHWISE_CONV_2D" if dw else "CONV_2D", [prev, wt, b], [y], opts, version=3)
        prev, c = y, cout
    w.inputs, w.outputs = [x], [prev]
    model = w.to_bytes()
    it = interp.Interpreter(model_content=model)
    assert QK_OP_DEPTHWISE_CONV2D_INPLACE in [op.opcode for op in it._plan.ops]
    assert it.arena_bytes < 2 * 16 * 16 * 48  # expand output and depthwise output never coexist
    xin = rng.integers(-128, 128, (1, 16, 16, 8), np.int8)
    assert_matches_tflm(model, [xin], litert=False)
    debug = interp.Interpreter(model_content=model, debug=True)  # guards around every buffer
    debug.set_tensor(0, xin)
    debug.invoke()


@pytest.mark.parametrize("name", ["mcunet-10fps_vww", "mcunet-5fps_vww"])
def test_mcunet_arenas_beat_tinyengine(name: str) -> None:
    """TinyEngine reports 59 KB / 92 KB peak SRAM for mcunet-vww0/vww1 (its README)."""
    from oracles import models_dir
    it = interp.Interpreter(models_dir() / f"{name}.tflite")
    limit = {"mcunet-10fps_vww": 59 * 1024, "mcunet-5fps_vww": 92 * 1024}[name]
    assert it.arena_bytes <= limit
