"""Exported models run bit-exactly on every emulated Cortex-M board (QEMU), as on the host.

Needs arm-none-eabi-gcc and qemu-system-arm (.ci/install_cross.sh); without them the tests
skip, except in CI (CI=true) where a missing tool is a failure. Each (model, board) firmware is
built once and runs all its inputs in one QEMU launch; libqk is built once per CPU (csrc/build).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import interp
from interp import cortexm, default_model
from interp.ops import conv as conv_lowering
from interp.writer import ModelWriter
from oracles import MODELS, _missing, models_dir

BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547", "microbit"]

# Models checked on every board: "default" is the bundled model (compared with the host run on
# random inputs); other names are <INTERP_MODELS>/<name>.tflite, compared with the host run and
# golden/<name>.npz. A model the host Interpreter cannot run yet (UnsupportedOperatorError) is
# skipped, so models can be listed before their kernels land.
MODEL_NAMES = ["default", "ad01_int8", "kws_ref_model", "vww_96_int8", "pretrainedResnet_quant",
               "person_detect"]


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    missing = cortexm.missing_tools(count=True)
    if missing:
        _missing("the Cortex-M toolchain/emulator (" + ", ".join(missing)
                 + "; run .ci/install_cross.sh)")


def _host_outputs(it: interp.Interpreter, runs: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    outs = []
    ins, od = it.get_input_details(), it.get_output_details()
    for xs in runs:
        it.reset_all_variables()
        for d, x in zip(ins, xs):
            it.set_tensor(d["index"], x)
        it.invoke()
        outs.append([it.get_tensor(d["index"]) for d in od])
    return outs


def _random_inputs(it: interp.Interpreter, seeds: range) -> list[list[np.ndarray]]:
    runs = []
    for s in seeds:
        rng = np.random.default_rng(s)
        runs.append([rng.integers(-128, 128, d["shape"], np.int64).astype(d["dtype"])
                     for d in it.get_input_details()])
    return runs


def _model_case(name: str) -> tuple[Any, list[list[np.ndarray]], list[list[np.ndarray]] | None]:
    """(model source, inputs per run, golden outputs per run or None)."""
    if name == "default":
        src: Any = default_model.build()
        it = interp.Interpreter(src)
        return src, _random_inputs(it, range(3)), None
    root = models_dir()
    meta = json.loads((root / "golden" / f"{name}.json").read_text())
    golden = np.load(root / "golden" / f"{name}.npz")
    n_in, n_out = len(meta["inputs"]), len(meta["outputs"])
    runs = [[golden[f"input_{i}_seed{s}"] for i in range(n_in)] for s in meta["seeds"]]
    want = [[golden[f"output_{i}_seed{s}"] for i in range(n_out)] for s in meta["seeds"]]
    return root / meta["model"], runs, want


def _interpreter_or_skip(src: Any) -> interp.Interpreter:
    try:
        return interp.Interpreter(src)
    except interp.UnsupportedOperatorError as e:
        pytest.skip(f"host interp cannot run it yet: {e.problems[0]}")


def _run(it: interp.Interpreter, board: str, work: Path, runs: list[list[np.ndarray]],
         count: bool = False) -> tuple[str, cortexm.TargetRun]:
    """Build and run; a model too big for the micro:bit runs its M0+ code on mps2-an385."""
    try:
        ex = cortexm.export(it, board, work / board)
        res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=count)
        return board, res
    except cortexm.TargetTooSmall:
        if board != "microbit":
            raise
    ex = cortexm.export(it, "m0plus-an385", work / "m0plus-an385")
    return "m0plus-an385", cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=count)


def _assert_same(got: list[list[np.ndarray]], want: list[list[np.ndarray]], what: str) -> None:
    assert len(got) == len(want)
    for r, (g, w) in enumerate(zip(got, want)):
        assert len(g) == len(w)
        for o, (a, b) in enumerate(zip(g, w)):
            np.testing.assert_array_equal(a, b, err_msg=f"{what}: run {r} output {o}")


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_bit_exact_on_board(name: str, board: str, tmp_path_factory) -> None:
    if name != "default" and not (MODELS / "golden" / f"{name}.json").exists():
        models_dir()  # fails in CI / skips locally when the models folder is missing
        pytest.skip(f"no golden for {name}")
    src, runs, golden = _model_case(name)
    it = _interpreter_or_skip(src)
    host = _host_outputs(it, runs)
    ran_on, res = _run(it, board, tmp_path_factory.mktemp(f"{name}-{board}"), runs)
    _assert_same(res.outputs, host, f"{name} on {ran_on} vs host")
    if golden is not None:
        _assert_same(res.outputs, golden, f"{name} on {ran_on} vs golden")


# -- single-op sweep: FULLY_CONNECTED with random shapes and quantization on M4 and M55 ----------

def _fc_model(rng: np.random.Generator, batch: int, depth: int, units: int, act: int,
              per_channel: bool, bias: bool) -> bytes:
    w = ModelWriter(description="cortexm fc sweep")
    xs, ws = 0.02 + 0.05 * rng.random(), 1.0 / (127 * np.sqrt(depth))
    w_scale = ws * (0.5 + rng.random(units)) if per_channel else ws
    out_scale = xs * ws * 127 * np.sqrt(depth) / 8  # outputs spread over the int8 range
    x = w.tensor((batch, depth), np.int8, scale=xs, zero_point=int(rng.integers(-128, 128)))
    wt = w.tensor((units, depth), np.int8, data=rng.integers(-127, 128, (units, depth)),
                  scale=w_scale, zero_point=0)
    b = (w.tensor((units,), np.int32, data=rng.integers(-5000, 5000, units),
                  scale=xs * np.atleast_1d(w_scale), zero_point=0) if bias else -1)
    y = w.tensor((batch, units), np.int8, scale=out_scale, zero_point=int(rng.integers(-20, 20)))
    w.op("FULLY_CONNECTED", [x, wt, b], [y], {"fused_activation_function": act}, version=4)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


# (batch, depth, units): 1-element edges, odd tails for SIMD/Helium paths, wider layers
FC_SHAPES = [(1, 1, 1), (1, 3, 5), (2, 17, 9), (1, 64, 33), (3, 127, 4), (1, 256, 16),
             (4, 40, 24), (1, 301, 7), (2, 1030, 6)]


@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_fully_connected_sweep(board: str, tmp_path_factory) -> None:
    rng = np.random.default_rng(1234)
    work = tmp_path_factory.mktemp(f"fc-{board}")
    for k, (batch, depth, units) in enumerate(FC_SHAPES):
        act = ACT_CASES.get(k, [0, 1, 3][k % 3])  # none, RELU, RELU6
        model = _fc_model(rng, batch, depth, units, act, per_channel=k % 2 == 1, bias=k != 4)
        it = interp.Interpreter(model)
        runs = _random_inputs(it, range(k, k + 3))
        ex = cortexm.export(it, board, work / f"fc{k}")
        res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=False)
        _assert_same(res.outputs, _host_outputs(it, runs),
                     f"FC {batch}x{depth}->{units} act {act} on {board}")


# -- single-op sweep: CONV_2D / DEPTHWISE_CONV_2D (the DSP / Helium fast paths) on M4 and M55 ----

def _conv_model(rng: np.random.Generator, depthwise: bool, ih: int, iw: int, ic: int, oc: int,
                kh: int, kw: int, stride: int, padding: int, dil: int, in_zp: int, out_zp: int,
                act: int, gain: float | None = None, bias: bool = True, w_lo: int = -127,
                dead: int = 0) -> bytes:
    """gain: output scale such that the requant multipliers are gain * (0.5..1.5) (shift >= 0:
    the no-right-shift and left-shift requant paths); default: outputs spread over int8.
    bias False: no bias input (the board's requant records then carry zeros). w_lo: the
    filter's least value (-128: not a symmetric filter). dead: channels with a vanishing filter
    scale (multiplier 0, shift 0, as pruned channels of real models have)."""
    w = ModelWriter(description="cortexm conv sweep")
    xs = 0.02 + 0.05 * rng.random()
    depth = kh * kw * (1 if depthwise else ic)
    ws = 1.0 / (127 * np.sqrt(depth))
    w_scale = ws * (0.5 + rng.random(oc))  # per channel
    w_scale[:dead] = 1e-30  # multiplier below 2^-32: (0, 0)
    x = w.tensor((1, ih, iw, ic), np.int8, scale=xs, zero_point=in_zp)
    fshape, axis = ((1, kh, kw, oc), 3) if depthwise else ((oc, kh, kw, ic), 0)
    f = w.tensor(fshape, np.int8, data=rng.integers(w_lo, 128, fshape), scale=w_scale,
                 zero_point=0, axis=axis)
    b = w.tensor((oc,), np.int32, data=rng.integers(-5000, 5000, oc), scale=xs * w_scale,
                 zero_point=0) if bias else -1
    ekh, ekw = (kh - 1) * dil + 1, (kw - 1) * dil + 1
    oh = -(-ih // stride) if padding == 0 else (ih - ekh + stride) // stride
    ow = -(-iw // stride) if padding == 0 else (iw - ekw + stride) // stride
    out_scale = xs * ws * 127 * np.sqrt(depth) / 8 if gain is None else xs * ws / gain
    y = w.tensor((1, oh, ow, oc), np.int8, scale=out_scale, zero_point=out_zp)
    opts = dict(padding=padding, stride_h=stride, stride_w=stride, dilation_h_factor=dil,
                dilation_w_factor=dil, fused_activation_function=act)
    if depthwise:
        opts["depth_multiplier"] = oc // ic
    w.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [x, f, b], [y], opts, version=2)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


# (depthwise, ih, iw, ic, oc, kh, kw, stride, padding (0 SAME, 1 VALID), dilation): pointwise,
# odd channel counts and tails, small-k, im2row at the edges, row-at-a-time gathering (5x5x31,
# and 3x3x33 / 3x3x32 whose whole fields exceed the DSP quad rows; 1x1x301 one pixel at a time),
# the KWS first layer, dilation; depthwise per-pixel, tiled, strided, multiplier > 1, in_c 1.
CONV_SHAPES = [(False, 6, 5, 16, 24, 1, 1, 1, 0, 1), (False, 7, 6, 17, 9, 1, 1, 2, 1, 1),
               (False, 9, 8, 3, 8, 3, 3, 2, 0, 1), (False, 6, 7, 1, 5, 3, 3, 1, 0, 1),
               (False, 7, 7, 14, 7, 3, 3, 1, 0, 1), (False, 7, 6, 31, 6, 5, 5, 1, 0, 1),
               (False, 12, 6, 1, 12, 10, 4, 2, 0, 1), (False, 9, 9, 8, 10, 3, 3, 1, 0, 2),
               (False, 6, 6, 33, 5, 3, 3, 1, 0, 1), (False, 5, 6, 32, 6, 3, 3, 2, 0, 1),
               (False, 3, 4, 301, 6, 1, 1, 1, 0, 1),
               (True, 6, 7, 64, 64, 3, 3, 1, 0, 1), (True, 9, 11, 19, 19, 3, 3, 2, 0, 1),
               (True, 5, 6, 101, 101, 3, 3, 1, 1, 1), (True, 6, 6, 7, 21, 3, 3, 1, 0, 1),
               (True, 7, 6, 1, 10, 5, 5, 1, 0, 1), (True, 8, 9, 6, 6, 3, 3, 1, 0, 2),
               # 3x3 DSP windows: stride 2 (odd / even sizes), accumulator chunks with a tail,
               # one- and two-row images, exactly one block
               (True, 7, 9, 13, 13, 3, 3, 2, 0, 1), (True, 6, 8, 70, 70, 3, 3, 2, 0, 1),
               (True, 1, 5, 8, 8, 3, 3, 1, 0, 1), (True, 2, 2, 5, 5, 3, 3, 1, 0, 1),
               (True, 5, 7, 4, 4, 3, 3, 1, 1, 1),
               # Helium: an odd last 64-channel chunk, short filters, 8-channel groups and tails
               (False, 4, 5, 20, 65, 1, 1, 1, 0, 1), (False, 7, 6, 12, 130, 3, 3, 2, 1, 1),
               (True, 7, 8, 48, 48, 3, 3, 2, 1, 1), (True, 6, 7, 12, 12, 3, 3, 1, 0, 1),
               (True, 5, 5, 27, 27, 5, 5, 1, 0, 1), (True, 6, 6, 24, 24, 3, 3, 1, 0, 1),
               (False, 5, 4, 5, 67, 1, 1, 1, 0, 1),
               # Helium depthwise in 16 lanes: 8 channels two pixels at a time (even and odd
               # runs; 5x5: one at a time), 16s of channels with and without a rest
               (True, 7, 8, 8, 8, 3, 3, 1, 0, 1), (True, 6, 9, 8, 8, 3, 3, 1, 1, 1),
               (True, 8, 9, 8, 8, 5, 5, 1, 0, 1), (True, 5, 6, 32, 32, 3, 3, 1, 0, 1),
               (True, 6, 5, 40, 40, 3, 3, 2, 0, 1),
               # a filter with -128 (W_LO_CASES): not through the 16-lane int16 tap pairs
               (True, 6, 7, 16, 16, 3, 3, 1, 0, 1), (True, 7, 8, 8, 8, 3, 3, 1, 0, 1),
               # 16-lane tap pairs with no odd last tap, and with no pair
               (True, 6, 7, 32, 32, 2, 2, 1, 1, 1), (True, 4, 5, 16, 16, 1, 1, 1, 0, 1),
               # DSP: a whole filter shorter than one padded row (its rows' sums in C)
               (False, 5, 6, 2, 1, 1, 1, 1, 0, 1),
               # Helium CONV_2D k <= 32: three inner pixels' filter rows at once (groups within
               # and across output rows; 16-value rows with edges), strided 1x1 fields in place
               (False, 10, 10, 3, 6, 3, 3, 1, 1, 1), (False, 8, 9, 8, 4, 2, 2, 1, 0, 1),
               (False, 7, 9, 6, 10, 1, 1, 2, 1, 1),
               # DSP short-row fields (in_c 1, 3) copied by whole words, the last ones (their
               # words would pass the input's end) through the checked gather
               (False, 11, 10, 3, 8, 3, 3, 2, 1, 1), (False, 8, 9, 1, 8, 3, 3, 1, 0, 1),
               # Helium CONV_2D k > 32 a multiple of 16 (the pair count in a register): two
               # accumulator chunks with an odd rest, and a 3x3 field
               (False, 5, 6, 48, 71, 1, 1, 1, 0, 1), (False, 6, 7, 16, 9, 3, 3, 1, 0, 1),
               # DSP int16 filters (conv_w16, the pair kernels; at least 8 quads of pixels here):
               # rows one filter row at a time (3x3x40) with two accumulator chunks and a last
               # quad of 3 pixels, a one-channel depthwise as CONV_2D, fused requant with k 45
               # and 7 filters (an odd pair; -128 weights, zero point folded), 1x1 k 9 with a
               # last quad of 2 pixels (one pair pass), k 288 (the longest whole field), k 27
               # with the zero point not folded, 13 filters and a last quad of 3 (-128), k 288
               # with two chunks (fused)
               (False, 7, 9, 40, 70, 3, 3, 1, 0, 1), (True, 8, 8, 1, 6, 3, 3, 1, 0, 1),
               (False, 8, 8, 5, 7, 3, 3, 1, 0, 1), (False, 9, 6, 9, 6, 1, 1, 1, 0, 1),
               (False, 6, 6, 32, 8, 3, 3, 1, 0, 1), (False, 9, 7, 3, 13, 3, 3, 1, 0, 1),
               (False, 8, 8, 32, 70, 3, 3, 1, 0, 1),
               # DSP int16 filters on 1x1 stride-1 fields (pixel pairs widened straight from the
               # input): a last quad of 3 pixels
               (False, 5, 7, 12, 10, 1, 1, 1, 0, 1),
               # DSP 3x3 depthwise requant in the kernel (CASE_QUANT): the bytewise upper and
               # lower activation clamps with int8-edge zero points, records without the zero
               # point folded in (the generic path), saturating outputs with a channel tail
               (True, 6, 9, 12, 12, 3, 3, 1, 0, 1), (True, 7, 8, 9, 9, 3, 3, 2, 0, 1),
               (True, 6, 7, 8, 8, 3, 3, 1, 1, 1), (True, 7, 6, 22, 22, 3, 3, 1, 0, 1),
               # DSP depthwise windows of any size (mcunet's 5x5 / 7x7; qk_arm_dw_win): channel
               # tails, strided, a 7x7 filter over a 2x3 image, two accumulator chunks; (dilated:
               # the taps 16 a call)
               (True, 9, 10, 10, 10, 7, 7, 2, 0, 1), (True, 8, 8, 21, 21, 5, 5, 2, 0, 1),
               (True, 2, 3, 12, 12, 7, 7, 1, 0, 1), (True, 5, 6, 70, 70, 5, 5, 1, 0, 1),
               (True, 9, 9, 9, 9, 5, 5, 1, 0, 2),
               # Helium depthwise 16s over runs of pixels, clamped (63 RELU, 67 RELU6) or not
               # (68: the activation range [-128, 127], with multiplier-0 channels); Helium
               # CONV_2D requant in 8s without a clamp (65, with multiplier-0 channels: then 4s
               # and a tail) or clamped (64, 66; ACT_CASES keeps their activations)
               (True, 7, 9, 16, 16, 3, 3, 2, 1, 1), (False, 6, 7, 16, 30, 1, 1, 1, 0, 1),
               (False, 6, 7, 16, 30, 1, 1, 1, 0, 1), (False, 7, 6, 8, 16, 1, 1, 1, 0, 1),
               (True, 5, 7, 24, 24, 3, 3, 1, 1, 1), (True, 6, 7, 48, 48, 3, 3, 1, 1, 1),
               # Helium depthwise rows through the padded strip: with dilation, 8 channels with
               # stride 2 and 5x5 (no pair path: their edge columns a column at a time), an
               # image narrower than the filter's reach, 5x5 stride 2 (all SAME)
               (True, 7, 8, 16, 16, 3, 3, 1, 0, 2), (True, 7, 9, 8, 8, 3, 3, 2, 0, 1),
               (True, 6, 7, 8, 8, 5, 5, 1, 0, 1), (True, 2, 2, 16, 16, 3, 3, 1, 0, 1),
               (True, 6, 6, 24, 24, 5, 5, 2, 0, 1),
               # Helium 1x1 stride-1 CONV_2D in groups of three input pixels read in place (k 32,
               # an odd last filter; k 64; k 24, a last chunk of one filter), the last one or two
               # pixels through the general path
               (False, 5, 7, 32, 33, 1, 1, 1, 0, 1), (False, 4, 4, 64, 8, 1, 1, 1, 0, 1),
               (False, 4, 5, 24, 65, 1, 1, 1, 0, 1),
               # Helium 3x3 over RGB (and 3-row fields of 8 and 10 values, an odd last filter)
               # read in place by qk_arm_conv3x2_r3, stride 2 and 1, groups across output rows
               (False, 15, 13, 3, 8, 3, 3, 2, 0, 1), (False, 9, 11, 8, 6, 3, 1, 1, 1, 1),
               (False, 10, 11, 5, 7, 3, 2, 1, 0, 1),
               # and 3 rows of at most 5 values (qk_arm_conv3x2_r3s): a one-channel depthwise
               # with stride 2 (as CONV_2D), 3x5 over one channel, 3x1 over 4
               (True, 14, 15, 1, 8, 3, 3, 2, 0, 1), (False, 9, 12, 1, 6, 3, 5, 1, 1, 1),
               (False, 8, 10, 4, 5, 3, 1, 1, 0, 1),
               # DSP short-row fields staged two pixels at a time for the pair kernels: rows of
               # two words (in_c 2) with SAME padding (edge pairs pixel by pixel) and of four
               # (in_c 5, stride 2, an odd filter count)
               (False, 9, 7, 2, 6, 3, 3, 1, 0, 1), (False, 8, 7, 5, 9, 3, 3, 2, 0, 1),
               # Helium 3x3 depthwise taps walked as a grid (qk_arm_dw16_3x3): dilated and
               # strided, three 16s of channels per pixel and a rest, in the strip and in place
               (True, 9, 10, 56, 56, 3, 3, 2, 0, 2),
               # Helium CONV_2D 32 < k <= 48 (qk_arm_conv3x2_short NK 3): 1x1 k 40 read in place
               # (two accumulator chunks, an odd last filter), 3x1 over 16 channels (k 48, SAME
               # edges), 3x4 over RGB strided (k 36, rows loaded straight into the fields)
               (False, 5, 7, 40, 67, 1, 1, 1, 0, 1), (False, 7, 6, 16, 9, 3, 1, 1, 0, 1),
               (False, 9, 8, 3, 10, 3, 4, 2, 0, 1),
               # and k 64 (NK 4): 2x2 over 16 channels (SAME edges, two accumulator chunks, an
               # odd last filter), 1x1 strided fields in place
               (False, 6, 7, 16, 67, 2, 2, 1, 0, 1), (False, 7, 7, 64, 9, 1, 1, 2, 1, 1),
               # Helium: fields of whole 16-channel taps with k 32 (1x2 over 16) in the short
               # kernels' layout, not interleaved
               (False, 5, 6, 16, 6, 1, 2, 1, 0, 1),
               # DSP 3x3 stride-1 depthwise in pixel pairs over widened rows (qk_arm_dw3x3p;
               # from 6 output columns): an odd last pixel (its twin), VALID with 6 pairs of
               # channels, a one-row image (both window rows padding) of 4 channels
               (True, 5, 9, 8, 8, 3, 3, 1, 0, 1), (True, 6, 8, 12, 12, 3, 3, 1, 1, 1),
               (True, 1, 7, 4, 4, 3, 3, 1, 0, 1),
               # Helium 3x3 depthwise edge columns in one run down the column, the window moved
               # off the padding and the filter with it (qk__dw_col_mve): 48 channels, 16
               # strided, 32 dilated, 64 on 5 columns
               (True, 9, 5, 48, 48, 3, 3, 1, 0, 1), (True, 10, 7, 16, 16, 3, 3, 2, 0, 1),
               (True, 9, 8, 32, 32, 3, 3, 1, 0, 2), (True, 8, 5, 64, 64, 3, 3, 1, 0, 1)]
W_LO_CASES = {34: -128, 35: -128, 46: -128, 48: -128, 51: -128}
# case: ((in_zp, out_zp), activation (2: RELU_N1_TO_1, +-200 output steps here), gain)
CASE_QUANT = {54: ((127, -128), 2, None), 55: ((-128, 127), 2, None), 56: ((5, -50), 0, 2.0 ** -24),
              57: ((0, 3), 0, 0.3)}
# case: activation, where a case tests a clamp and sits past the k % 3 pattern it was made for
ACT_CASES = {63: 1, 64: 3, 65: 0, 66: 1, 67: 3, 68: 0}


@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_conv_depthwise_sweep(board: str, tmp_path_factory) -> None:
    rng = np.random.default_rng(4321)
    work = tmp_path_factory.mktemp(f"conv-{board}")
    zps = [(-128, -128), (127, 127), (-128, 127), (127, -128)]  # int8 edges
    for k, (dw, ih, iw, ic, oc, kh, kw, stride, pad, dil) in enumerate(CONV_SHAPES):
        in_zp, out_zp = zps[k] if k < len(zps) else (int(rng.integers(-128, 128)),
                                                      int(rng.integers(-128, 128)))
        act = ACT_CASES.get(k, [0, 1, 3][k % 3])  # none, RELU, RELU6
        # multipliers ~1 and > 1 (left shift); tiny (right shifts > 23: no zero point folded into
        # the DSP requant records)
        gain = {2: 0.6, 5: 3.0, 12: 0.6, 15: 3.0, 27: 3.0, 6: 2.0 ** -24, 7: 2.0 ** -24,
                13: 2.0 ** -24, 51: 2.0 ** -24}.get(k)
        if k in CASE_QUANT:
            (in_zp, out_zp), act, gain = CASE_QUANT[k]
        # channels with multiplier 0 among ones that shift right (DSP records all the same)
        dead = 3 if k in (0, 11, 65, 68) else 0
        model = _conv_model(rng, dw, ih, iw, ic, oc, kh, kw, stride, pad, dil, in_zp, out_zp, act,
                            gain, bias=k % 4 != 3, w_lo=W_LO_CASES.get(k, -127), dead=dead)
        # DSP: convs of fewer than W16_MIN_QUADS quads of pixels get no conv_w16; run them
        # through the pair kernels as well (a plan made with a lower threshold)
        ekh, ekw = (kh - 1) * dil + 1, (kw - 1) * dil + 1
        oh = -(-ih // stride) if pad == 0 else (ih - ekh + stride) // stride
        ow = -(-iw // stride) if pad == 0 else (iw - ekw + stride) // stride
        few = (board == "mps2-an386" and not dw
               and -(-oh * ow // 4) < conv_lowering.W16_MIN_QUADS)
        for w16_min in (conv_lowering.W16_MIN_QUADS,) + ((1,) if few else ()):
            with pytest.MonkeyPatch.context() as m:
                m.setattr(conv_lowering, "W16_MIN_QUADS", w16_min)
                it = interp.Interpreter(model)
                runs = _random_inputs(it, range(k, k + 2))
                ex = cortexm.export(it, board, work / f"conv{k}-{w16_min}")
            res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=False)
            what = "DEPTHWISE_CONV_2D" if dw else "CONV_2D"
            _assert_same(res.outputs, _host_outputs(it, runs),
                         f"{what} {ih}x{iw}x{ic}->{oc} k{kh}x{kw} s{stride} p{pad} d{dil} on "
                         f"{board} (conv_w16 from {w16_min} quads)")


# Helium depthwise strips the plan holds to n pixels (0: none; the scratch's other room may fit
# more): 64 channels with stride 2, 24 with dilation and 5x5; the 8-channel pair path's tiled
# scratch holds 61 pixels' strip, less than its 70-pixel rows
STRIP_CASES = [((True, 7, 9, 64, 64, 3, 3, 2, 0, 1), (0, 2)),
               ((True, 6, 7, 24, 24, 5, 5, 1, 0, 2), (0, 3)), ((True, 4, 70, 8, 8, 3, 3, 1, 0, 1), (0,))]


def test_mve_depthwise_strip_chunks_bit_exact(tmp_path) -> None:
    """Helium depthwise rows with taps outside the image run bit-exactly with a strip of a few
    pixels (a row in chunks) or none (a pixel at a time), as a plan short of arena room has."""
    rng = np.random.default_rng(99)
    for k, ((dw, ih, iw, ic, oc, kh, kw, stride, pad, dil), ns) in enumerate(STRIP_CASES):
        model = _conv_model(rng, dw, ih, iw, ic, oc, kh, kw, stride, pad, dil,
                            int(rng.integers(-128, 128)), int(rng.integers(-128, 128)), k % 3,
                            None, bias=True, w_lo=-127, dead=0)
        for n in ns:
            strip = kh * ((n - 1) * stride + (kw - 1) * dil + 1) * ic if n else 0
            with pytest.MonkeyPatch.context() as m:
                m.setattr(conv_lowering, "dw_strip_bytes", lambda geom, budget: strip)
                it = interp.Interpreter(model)
                runs = _random_inputs(it, range(k, k + 2))
                ex = cortexm.export(it, "mps3-an547", tmp_path / f"strip{k}-{n}")
            res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=False)
            _assert_same(res.outputs, _host_outputs(it, runs),
                         f"depthwise {ih}x{iw}x{ic} k{kh}x{kw} s{stride} d{dil}, strip of {n}")


@pytest.mark.parametrize("name", ["kws_ref_model", "mcunet-10fps_vww", "vww_96_int8"])
def test_mve_depthwise_strip_keeps_arena(name: str) -> None:
    """An M55 plan keeps the depthwise strips only where they do not grow its arena: no larger
    than the plan without any (and the strips stay where there is room)."""
    path = models_dir() / f"{name}.tflite"
    if not path.exists():
        pytest.skip(f"no {name}")
    speed = interp.Interpreter(path, target="cortex-m55")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(conv_lowering, "dw_strip_bytes", lambda geom, budget: 0)
        bare = interp.Interpreter(path, target="cortex-m55")
    assert speed.arena_bytes <= bare.arena_bytes
    if name == "vww_96_int8":  # room for every row's strip: more scratch than without
        assert sum(b.nbytes for b in speed._plan.buffers if b.scratch) > sum(
            b.nbytes for b in bare._plan.buffers if b.scratch)


def test_dsp_conv_w16_checked(tmp_path) -> None:
    """The M4 build reads a plan's int16 conv filter (conv_w16) only if it equals the filter
    (else the int8 kernels run): one wrong weight (in a filter pair's whole groups, in their
    tail: k is 45, or in the odd last filter's) changes nothing in the outputs."""
    from interp.ops.conv import W16_SLOT
    rng = np.random.default_rng(77)
    model = _conv_model(rng, False, 8, 8, 5, 7, 3, 3, 1, 0, 1, -3, 5, 0)
    it = interp.Interpreter(model, target="cortex-m4")
    runs = _random_inputs(it, range(2))
    want = _host_outputs(it, runs)
    assert it._plan.ops[0].args[W16_SLOT] >= 0  # the plan has the int16 filter
    b = it._plan.buffers[it._plan.ops[0].args[W16_SLOT]]
    original = it._plan.consts
    # int16 [7 / 2][48 / 4][2][4]: filter 1's value 6, 10 and 44, filter 0's value 9 (groups 1
    # and 2: both halves of the check's two-group pass), filter 6's value 10
    for k, at in enumerate(b.offset + 2 * i for i in (8 + 4 + 1, 16 + 4 + 1, 16 + 2, 88 + 4,
                                                      3 * 96 + 16 + 1)):
        consts = original.copy()
        consts[at] ^= 1
        it._plan.consts = consts
        ex = cortexm.export(it, "mps2-an386", tmp_path / f"w16-{k}")
        res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=False)
        _assert_same(res.outputs, want, f"conv_w16 tampered at byte {at - b.offset}")


def _padded_depthwise_model(c: int, stride: int, pads: tuple) -> bytes:
    """PAD (top, bottom, left, right) -> 3x3 VALID depthwise, the PAD folded into the op
    (interp/fuse.py): pads above 2 leave whole windows outside the image."""
    rng = np.random.default_rng(c + stride)
    w = ModelWriter(description="cortexm padded depthwise")
    pt, pb, pl, pr = pads
    h, wd = 5 + pt + pb, 6 + pl + pr
    x = w.tensor((1, 5, 6, c), np.int8, scale=0.05, zero_point=-17)
    p = w.tensor((4, 2), np.int32, data=np.array([[0, 0], [pt, pb], [pl, pr], [0, 0]], np.int32))
    xp = w.tensor((1, h, wd, c), np.int8, scale=0.05, zero_point=-17)
    f = w.tensor((1, 3, 3, c), np.int8, data=rng.integers(-127, 128, (1, 3, 3, c)),
                 scale=list(rng.uniform(0.005, 0.02, c)), zero_point=0, axis=3)
    b = w.tensor((c,), np.int32, data=rng.integers(-999, 999, c), scale=[1.0])
    y = w.tensor((1, (h - 3) // stride + 1, (wd - 3) // stride + 1, c), np.int8, scale=0.1,
                 zero_point=4)
    w.op("PAD", [x, p], [xp])
    w.op("DEPTHWISE_CONV_2D", [xp, f, b], [y], dict(padding=1, stride_h=stride, stride_w=stride,
                                                   depth_multiplier=1))
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_depthwise_fused_pad(board: str, tmp_path_factory) -> None:
    """Depthwise windows wholly or partly in a folded PAD: the DSP 3x3 path (M4); Helium's
    edge columns and rows (16 lanes, 8-channel pairs, the rest)."""
    work = tmp_path_factory.mktemp(f"dw-pad-{board}")
    for k, (c, stride, pads) in enumerate([(6, 1, (4, 3, 0, 5)), (8, 2, (3, 4, 4, 1)),
                                           (70, 2, (4, 4, 4, 4)), (16, 1, (3, 0, 4, 2)),
                                           (8, 1, (0, 4, 3, 3))]):
        it = interp.Interpreter(_padded_depthwise_model(c, stride, pads))
        runs = _random_inputs(it, range(k, k + 2))
        ex = cortexm.export(it, board, work / f"dw{k}")
        res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=False)
        _assert_same(res.outputs, _host_outputs(it, runs),
                     f"padded depthwise c{c} s{stride} {pads} on {board}")


# -- single-op sweep: int8 ADD / SUB (the DSP / Helium rows) on M4 and M55 ------------------------

def _add_model(name: str, s1: tuple, s2: tuple, q1: tuple, q2: tuple, qo: tuple, act: int) -> bytes:
    w = ModelWriter(description="cortexm add sweep")
    a = w.tensor(s1, np.int8, scale=q1[0], zero_point=q1[1])
    b = w.tensor(s2, np.int8, scale=q2[0], zero_point=q2[1])
    o = w.tensor(np.broadcast_shapes(s1, s2), np.int8, scale=qo[0], zero_point=qo[1])
    w.op(name, [a, b], [o], {"fused_activation_function": act})
    w.inputs, w.outputs = [a, b], [o]
    return w.to_bytes()


# (op, shape1, shape2, (scale, zp) in1, in2, out): odd lengths and Helium tails, broadcasts (one
# value, a row, strided), equal scales (input shift 0), scale ratios both ways, a tiny output
# scale (output shift 0), int8 zero point edges
ADD_CASES = [
    ("ADD", (1, 5, 7, 16), (1, 5, 7, 16), (0.05, -3), (0.08, 10), (0.1, 2)),
    ("ADD", (1, 3, 3, 13), (1, 3, 3, 13), (0.02, -128), (0.02, 127), (0.05, -128)),
    ("SUB", (1, 4, 4, 9), (1, 4, 4, 9), (0.1, 0), (0.003, -7), (0.12, 5)),
    ("ADD", (1, 1, 1, 3), (1, 1, 1, 3), (0.5, 127), (0.01, -128), (0.7, 127)),
    ("ADD", (1, 6, 5, 11), (1, 1, 1, 1), (0.04, 4), (0.09, -20), (0.06, -1)),
    ("SUB", (1, 6, 5, 11), (1, 1, 1, 11), (0.04, 4), (0.09, -20), (0.2, 30)),
    ("ADD", (1, 6, 5, 7), (1, 6, 1, 1), (0.03, 1), (0.03, 2), (0.03, 3)),
    ("ADD", (2, 3, 37), (2, 3, 37), (0.06, 9), (0.02, -9), (0.06 * 0.75 * 2.0 ** -18, 0)),
    ("SUB", (1, 2, 2, 1030), (1, 2, 2, 1030), (0.01, -50), (0.011, 60), (0.004, -100)),
    ("SUB", (1, 3, 5, 6), (1, 1, 1, 1), (0.2, -5), (0.07, 11), (0.15, 0)),
    ("ADD", (1, 9, 3), (1, 1, 1), (0.05, 3), (0.05, -3), (0.08, 7)),
    ("SUB", (1, 4, 7), (1, 4, 7), (0.05, 100), (0.05, -100), (0.03, 1)),
    ("ADD", (1, 8, 8, 24), (1, 8, 8, 24), (0.07, -128), (0.03, 5), (0.08, -128)),  # DSP tables
    # DSP table loop: a 3-element tail, saturating, RELU (lower bytewise clamp)
    ("ADD", (1, 7, 9, 13), (1, 7, 9, 13), (0.05, -128), (0.03, 127), (0.02, 0)),
    # RELU6 on zero point -128: both bytewise clamps; tail of 3
    ("SUB", (1, 5, 103), (1, 5, 103), (0.04, -128), (0.02, 0), (0.05, -128)),
    # a shifted zero point past int32 and (next) output shift 0: the chunked path instead
    ("ADD", (1, 2, 300), (1, 2, 300), (0.01, 3), (0.01, -3), (20.0, 100)),
    ("ADD", (1, 4, 130), (1, 4, 130), (0.06, 9), (0.02, -9), (0.06 * 0.75 * 2.0 ** -18, 0)),
]


@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_add_sub_sweep(board: str, tmp_path_factory) -> None:
    work = tmp_path_factory.mktemp(f"add-{board}")
    for k, (name, s1, s2, q1, q2, qo) in enumerate(ADD_CASES):
        act = ACT_CASES.get(k, [0, 1, 3][k % 3])  # none, RELU, RELU6
        it = interp.Interpreter(_add_model(name, s1, s2, q1, q2, qo, act))
        runs = _random_inputs(it, range(k, k + 2))
        ex = cortexm.export(it, board, work / f"add{k}")
        res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=False)
        _assert_same(res.outputs, _host_outputs(it, runs), f"{name} {s1} {s2} act {act} on {board}")


# -- AVERAGE_POOL_2D (the DSP int16-lane sums, the Helium 16-channel passes) ---------------------

def _pool_model(shape: tuple, zp: int, filt: tuple, stride: tuple, padding: int, act: int,
                dtype=np.int8) -> bytes:
    b, h, wd, c = shape
    (fh, fw), (sh, sw) = filt, stride
    oh, ow = ((h + sh - 1) // sh, (wd + sw - 1) // sw) if padding == 0 else \
        ((h + sh - fh) // sh, (wd + sw - fw) // sw)
    w = ModelWriter(description="cortexm pool sweep")
    x = w.tensor(shape, dtype, scale=0.05, zero_point=zp)
    y = w.tensor((b, oh, ow, c), dtype, scale=0.05, zero_point=zp)
    w.op("AVERAGE_POOL_2D", [x], [y], dict(padding=padding, stride_h=sh, stride_w=sw,
                                           filter_height=fh, filter_width=fw,
                                           fused_activation_function=act))
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


# (shape, zp, filter, stride, padding (0 SAME, 1 VALID)): global pools (KWS 25x5x64, VWW; 16x16:
# 256 taps, the most the DSP int16 lanes take; 17x16: more, the scalar loop), channel tails of
# every Helium vector count and of the DSP's fours, fewer than four channels, SAME windows cut
# at the edges, two batches; one int16 (portable path)
POOL_CASES = [((1, 25, 5, 64), -128, (25, 5), (25, 5), 1), ((1, 3, 3, 256), 5, (3, 3), (3, 3), 1),
              ((1, 7, 6, 3), 127, (3, 3), (2, 2), 0), ((1, 5, 5, 21), -7, (2, 3), (1, 2), 0),
              ((2, 6, 4, 30), 0, (3, 2), (2, 2), 1), ((1, 4, 9, 47), -100, (4, 4), (3, 3), 0),
              ((1, 6, 6, 16), 60, (5, 5), (1, 1), 0), ((1, 16, 16, 12), 0, (16, 16), (1, 1), 1),
              ((1, 17, 16, 8), 5, (17, 16), (1, 1), 1), ((1, 7, 6, 13), -3, (3, 3), (2, 2), 0),
              ((2, 5, 5, 7), 127, (2, 3), (1, 2), 0), ((1, 9, 8, 20), 10, (4, 4), (3, 3), 0)]


@pytest.mark.parametrize("board", ["mps2-an386", "mps3-an547"])
def test_avg_pool_sweep(board: str, tmp_path_factory) -> None:
    work = tmp_path_factory.mktemp(f"pool-{board}")
    cases = [(c, np.int8) for c in POOL_CASES] + [(((1, 5, 4, 9), 0, (2, 2), (2, 2), 0), np.int16)]
    for k, ((shape, zp, filt, stride, pad), dtype) in enumerate(cases):
        act = ACT_CASES.get(k, [0, 1, 3][k % 3])  # none, RELU, RELU6
        it = interp.Interpreter(_pool_model(shape, zp, filt, stride, pad, act, dtype))
        # random inputs, then every value at the int8 extremes (the DSP int16 lanes' edges)
        info = np.iinfo(dtype)
        runs = _random_inputs(it, range(k, k + 2)) + [[np.full(shape, v, dtype)]
                                                      for v in (info.min, info.max)]
        ex = cortexm.export(it, board, work / f"pool{k}")
        res = cortexm.run_firmware(ex, cortexm.build(ex.out_dir), runs, count=False)
        _assert_same(res.outputs, _host_outputs(it, runs),
                     f"AVERAGE_POOL_2D {shape} {dtype.__name__} f{filt} s{stride} p{pad} on {board}")


# -- instruction counting ------------------------------------------------------------------------

def test_instruction_counts_deterministic_and_per_op(tmp_path) -> None:
    it = interp.Interpreter(default_model.build())
    runs = _random_inputs(it, range(2))
    ex = cortexm.export(it, "mps2-an386", tmp_path)
    plain_a = cortexm.run_firmware(ex, cortexm.build(tmp_path), runs)
    plain_b = cortexm.run_firmware(ex, cortexm.build(tmp_path), runs)
    traced = cortexm.run_firmware(ex, cortexm.build(tmp_path, trace=True), runs, traced=True)
    assert plain_a.insns == plain_b.insns and plain_a.total_insns == plain_b.total_insns
    assert plain_a.insns is not None and min(plain_a.insns) > 1000
    assert traced.op_insns is not None and traced.check_insns is not None
    assert all(len(ops) == len(ex.op_names) for ops in traced.op_insns)
    assert traced.insns is not None
    for r in range(len(runs)):
        # the per-op regions tile the inference; tracing adds a few instructions per op
        assert traced.check_insns[r] + sum(traced.op_insns[r]) <= traced.insns[r]
        assert 0 < traced.insns[r] - plain_a.insns[r] < 12 * (len(ex.op_names) + 1)
    _assert_same(traced.outputs, plain_a.outputs, "traced vs plain firmware")
    size = cortexm.elf_size(cortexm.build(tmp_path))
    assert size["consts"] == ex.const_bytes and size["arena"] == ex.arena_bytes
    assert size["flash"] > ex.const_bytes and size["ram"] > ex.arena_bytes
    # the profiling counts (per translated block, tools/cortexm_profile.py) add up to the total
    pcs = tmp_path / "pcs.txt"
    profiled = cortexm.run_firmware(ex, cortexm.build(tmp_path), runs, pcs=pcs)
    blocks = [line.split() for line in pcs.read_text().splitlines()]
    assert sum(int(n) * int(execs) for _, n, execs in blocks) == profiled.total_insns
    assert profiled.total_insns == plain_a.total_insns
    # the portable library (the baseline the fast paths are measured against) computes the same
    portable = cortexm.run_firmware(ex, cortexm.build(tmp_path, portable=True), runs)
    _assert_same(portable.outputs, plain_a.outputs, "portable vs DSP firmware")


def test_export_writes_c_sources(tmp_path) -> None:
    ex = cortexm.export(None, "mps2-an386", tmp_path)
    h = (tmp_path / "model.h").read_text()
    c = (tmp_path / "model_data.c").read_text()
    assert "int model_invoke(void);" in h and f"#define MODEL_ARENA_BYTES {ex.arena_bytes}" in h
    assert f"static uint8_t model_arena[{ex.arena_bytes}] MODEL_ALIGN16;" in c
    assert f"const uint8_t model_consts[{ex.const_bytes}] MODEL_ALIGN16" in c
    assert f"const int32_t model_plan[{ex.plan_words}]" in c
    assert json.loads((tmp_path / "model.json").read_text())["target"] == "mps2-an386"


def test_library_has_no_libc_dependencies() -> None:
    import subprocess
    for cpu in ("cortex-m0plus", "cortex-m55"):
        p = subprocess.run(["make", "-s", "-C", str(cortexm.CSRC), f"-j4", "CROSS=arm-none-eabi-",
                            f"CPU={cpu}", "check-nm"], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr


def test_cli_run_target_matches_host(tmp_path) -> None:
    import subprocess
    import sys
    x = np.random.default_rng(7).integers(-128, 128, (1, 128)).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    p = subprocess.run([sys.executable, "-m", "interp", "run", "--target", "mps2-an386",
                        "--input", str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy"),
                        "--keep", str(tmp_path / "build")], capture_output=True, text=True,
                       cwd=cortexm.ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "instructions per inference" in p.stdout
    want = interp.Interpreter(default_model.build()).run([x])["reconstruction"]
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), want)
