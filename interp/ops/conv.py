"""Lowerings: CONV_2D, DEPTHWISE_CONV_2D (TFLM reference semantics, int8 and int16x8)."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import quant
from ..errors import ModelError
from ..graph import Operator, Tensor
from ..plan import DTYPE_CODES, PlanBuilder, register
from .conv_inplace import lower_depthwise_in_place
from .common import need, quantized, unsupported

QK_OP_CONV2D = 10
QK_OP_DEPTHWISE_CONV2D = 11

PADDING_SAME, PADDING_VALID = 0, 1
MAX_DEPTH = 65536  # taps * channels per output; keeps the int8 int32 accumulator exact (see C)
BIAS64_MAX = 1 << 40  # |int64 bias| bound the C kernel checks (keeps acc * multiplier in int64)
SMALL_K = 15  # QK__CONV_SMALL_K in qk_conv.c
ROW_MAX = 512  # QK__ROW_MAX in qk_conv.c
KPAD = 32  # largest QK__KPAD in qk_conv.c (row padding, target-dependent there)
ACC_CHUNK = 64  # QK__ACC_CHUNK in qk_conv.c
DW_TILE_MAX_C, DW_TILE_MAX_TAPS = 63, 16  # QK__DW_TILE* in qk_conv.c
DW_PHASE_MAX = 8192  # QK__DW_PHASE_MAX in qk_conv.c
FOLD_MAX_K = 2048  # board plans fold in_zp into the bias up to this filter depth
DW_FOLD_MAX_TAPS = 64  # and (depthwise) up to this many taps: QK__DW_MVE_MAX_TAPS in qk_conv.c
QUAD_MAX = 288  # QK_ARM_QUAD_MAX in qk_arm.h: values per row of the DSP quad / pair kernels
# DSP plans widen a filter for at least this many 4-pixel quads (see conv_w16): at 3, vww's
# 3x3-output layers would add 197 KB of flash to save 2% of its instructions
W16_MIN_QUADS = 8
DW_PAIRS_MIN_W = 6  # DSP 3x3 stride-1 depthwise in pixel pairs from this output width on
W16_SLOT = 33  # the DSP conv_w16 arg: after the host GEMM's three (slots 30 to 32)
FAST = True  # use the C fast paths (scratch buffers); tests flip it to check the plain loops


def _host_vnni() -> bool:
    """Whether the extension (built with -march=native unless QK_MARCH says otherwise) has the
    AVX-512 VNNI paths: only then are their plan constants worth emitting."""
    import os
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if os.environ.get("QK_MARCH", "native") != "native":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((ln.split() for ln in f if ln.startswith("flags")), [])
    except OSError:
        return False
    return {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512_vnni"} <= set(flags)


# Host SIMD constants (qk__conv_gemm_vnni / qk__dw_vnni in qk_conv.c, qk__fc_vnni in qk_fc.c): the
# packed filters and effective biases. Builds without those paths (Cortex-M, other hosts) ignore
# them, but they add about the filters' size in constants, so only a host plan (PlanBuilder.isa
# "host") carries them; exports and flash budgets plan for a board. HOST_GEMM says whether this
# CPU has the paths.
HOST_GEMM = _host_vnni()
GEMM_SCRATCH = 2048  # the GEMM panel may grow the fast path's scratch up to this many bytes

I8, I16 = np.dtype(np.int8), np.dtype(np.int16)
I32, I64 = np.dtype(np.int32), np.dtype(np.int64)


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def out_size_and_pad(op: Operator, padding: int, stride: int, dilation: int, in_size: int,
                     k: int) -> tuple[int, int]:
    """TFLM ComputeOutSize + ComputePadding for one spatial dimension: (out_size, pad_before)."""
    eff = (k - 1) * dilation + 1
    if padding == PADDING_SAME:
        out = _c_div(in_size + stride - 1, stride)
    elif padding == PADDING_VALID:
        out = _c_div(in_size + stride - eff, stride)
    else:
        raise ModelError(f"{op.describe()}: unknown padding {padding}")
    pad = _c_div((out - 1) * stride + eff - in_size, 2)
    return out, max(pad, 0)


def _check_common(op: Operator) -> tuple[Tensor, Tensor, Tensor | None, Tensor, dict]:
    need(op, 2)
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    assert x is not None and w is not None
    if len(op.inputs) > 3:
        raise ModelError(f"{op.describe()}: too many inputs")
    quantized(op, x, np.int8, np.int16)
    quantized(op, w, np.int8)
    quantized(op, y, np.int8, np.int16)
    if x.dtype != y.dtype:
        raise unsupported(op, f"input {x.dtype.name} with output {y.dtype.name}")
    for t in (x, w, y):
        if len(t.shape) != 4:
            raise ModelError(f"{op.describe()}: {t.describe()} must be 4-D")
    if x.quant.per_channel or y.quant.per_channel:
        raise unsupported(op, "per-channel quantized activations")
    if any(z != 0 for z in w.quant.zero_point):
        raise unsupported(op, "filter zero point must be 0")
    if x.dtype == I16 and (x.zero_point != 0 or y.zero_point != 0):
        raise unsupported(op, "int16 activations need zero points of 0")
    if x.shape[0] != y.shape[0]:
        raise ModelError(f"{op.describe()}: batch sizes differ")
    o = op.options
    for k in ("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor"):
        if o[k] < 1:
            raise ModelError(f"{op.describe()}: {k} = {o[k]} must be >= 1")
    return x, w, b, y, o


def _filter_scales(op: Operator, w: Tensor, channels: int) -> tuple[float, ...]:
    q = w.quant
    if len(q.scale) not in (1, channels):
        raise ModelError(f"{op.describe()}: {len(q.scale)} filter scales for {channels} channels")
    # TFLM only checks that the quantized dimension has `channels` entries, then applies scale i
    # to output channel i whatever that dimension is
    if q.per_channel and not (0 <= q.axis < len(w.shape) and w.shape[q.axis] == channels):
        raise ModelError(f"{op.describe()}: filter quantized along axis {q.axis}, which does not "
                         f"have {channels} entries")
    return q.scale


def _geometry(op: Operator, x: Tensor, y: Tensor, kh: int, kw: int, o: dict) -> list[int]:
    """batches, in_h, in_w, in_c, kh, kw, <slot>, out_h, out_w, out_c, strides, dils, pads."""
    n, ih, iw, ic = x.shape
    # A PAD folded into this convolution (interp/fuse.py) widens the input it sees; taps in the
    # pad read nothing, as taps outside the input always do.
    top, bottom, left, right = o.get("fused_pad", (0, 0, 0, 0))
    oh, ph = out_size_and_pad(op, o["padding"], o["stride_h"], o["dilation_h_factor"], ih + top + bottom, kh)
    ow, pw = out_size_and_pad(op, o["padding"], o["stride_w"], o["dilation_w_factor"], iw + left + right, kw)
    if (y.shape[1], y.shape[2]) != (oh, ow):
        raise ModelError(f"{op.describe()}: output is {list(y.shape)}, expected spatial {oh}x{ow}")
    return [n, ih, iw, ic, kh, kw, 0, oh, ow, y.shape[3], o["stride_h"], o["stride_w"],
            o["dilation_h_factor"], o["dilation_w_factor"], ph + top, pw + left]


def _bias(op: Operator, x: Tensor, b: Tensor | None, channels: int, allowed: tuple) -> int:
    if b is None:
        return DTYPE_CODES[I32]
    if b.dtype not in allowed:
        raise unsupported(op, f"bias type {b.dtype.name} with {x.dtype.name} input")
    if b.size != channels:
        raise ModelError(f"{op.describe()}: bias has {b.size} values for {channels} channels")
    if b.dtype == I64 and b.is_const and np.abs(b.data).max(initial=0) > BIAS64_MAX:
        raise unsupported(op, "int64 bias magnitude above 2^40")
    return DTYPE_CODES[b.dtype]


def rq_words(shift: np.ndarray, mult: np.ndarray, bias: Tensor | None, out_zp: int,
             dsp: bool) -> np.ndarray:
    """The fast paths' requant words per channel (see qk__rq_ok in qk_conv.c): rows 2^left,
    2^(31 - right) and the rounding half 2^(right - 1), with left/right the shift's two sides.
    A DSP plan appends, when every channel shifts right and the bias is constant, one record
    per channel {bias, mult, lo, hi, right - 1} with hi:lo = 2^30 + half 2^31 (qk__rq_rec in
    qk_conv.c), which the Cortex-M DSP requant loads with one LDM. When every right <= 23,
    hi:lo also holds out_zp 2^(31 + right), a multiple of the final divisor (inside 64 bits), so
    the final shift yields the result + out_zp; otherwise the last word carries + 256 and
    out_zp from bit 9 on (the shift reads its low byte only; a fused requant adds word >> 9).
    A channel with multiplier 0 (a zero filter scale; its shift is 0) requantizes every sum to
    0 whatever the shift, so its record uses right = 1 and does not keep the others off."""
    s = shift.astype(np.int64)
    left, right = np.maximum(s, 0), np.maximum(-s, 0)
    half = np.where(right > 0, np.left_shift(1, np.maximum(right - 1, 0)), 0)
    words = np.concatenate([np.left_shift(1, left), np.left_shift(1, 31 - right), half])
    r_rec = np.where(mult == 0, 1, right)
    if dsp and (r_rec >= 1).all() and (bias is None or bias.is_const):
        b = np.zeros(len(s), np.int64) if bias is None else bias.data.astype(np.int64).reshape(-1)
        folded = bool((r_rec <= 23).all())
        rounding = (1 << 30) + np.left_shift(1, r_rec - 1) * (1 << 31)
        if folded:
            rounding = rounding + out_zp * np.left_shift(1, 31 + r_rec)
        rec = np.stack([b, mult.astype(np.int64), rounding % 2**32, rounding >> 32,
                        r_rec - 1 + (0 if folded else 256 + out_zp * 512)], axis=1).reshape(-1)
        words = np.concatenate([words, rec % 2**32])
    return words.astype(np.uint32)


def _requant(op: Operator, x: Tensor, scales: tuple[float, ...], y: Tensor, channels: int,
             wide: bool) -> tuple[np.ndarray, np.ndarray, int, int]:
    mult, shift = quant.per_channel_multipliers(x.scale, scales, y.scale, channels)
    if wide and (shift > 14).any():
        raise unsupported(op, "requantization scale too large for the int64 path (shift > 14)")
    lo, hi = quant.activation_range(op.options["fused_activation_function"], y.scale,
                                    y.zero_point, y.dtype)
    return mult, shift, lo, hi


@register("CONV_2D")
def lower_conv2d(op: Operator, pb: PlanBuilder) -> None:
    x, w, b, y, o = _check_common(op)
    _lower_conv2d(op, pb, x, w, b, y, o, pb.tensor(w))


def _lower_conv2d(op: Operator, pb: PlanBuilder, x: Tensor, w: Tensor, b: Tensor | None,
                  y: Tensor, o: dict, w_id: int) -> None:
    """CONV_2D of x by filter w (plan id w_id) into y."""
    out_c, kh, kw, fic = w.shape
    ic = x.shape[3]
    if y.shape[3] != out_c:
        raise ModelError(f"{op.describe()}: output channels {y.shape[3]} != filters {out_c}")
    if fic < 1 or ic % fic:
        raise ModelError(f"{op.describe()}: input channels {ic} not a multiple of filter depth {fic}")
    groups = ic // fic
    if out_c % groups:
        raise ModelError(f"{op.describe()}: {out_c} filters not divisible into {groups} groups")
    if kh * kw * fic > MAX_DEPTH:
        raise unsupported(op, f"filter depth {kh * kw * fic} above {MAX_DEPTH}")
    geom = _geometry(op, x, y, kh, kw, o)
    geom[6] = fic
    scales = _filter_scales(op, w, out_c)
    if x.dtype == I8:
        bias_code = _bias(op, x, b, out_c, (I32,))
        wide = False
    else:
        bias_code = _bias(op, x, b, out_c, (I32, I64))
        wide = b is None or b.dtype == I64  # TFLM: int64 accumulators unless the bias is int32
    mult, shift, lo, hi = _requant(op, x, scales, y, out_c, wide)
    args = [pb.tensor(x), w_id, pb.tensor(b), pb.const(mult), pb.const(shift), pb.tensor(y)]
    # fast path (groups == 1; else TFLM's plain loop nest): scratch for one int16 receptive-field
    # row (or one filter row of it for big fields; length rounded up to KPAD), a chunk of
    # accumulators and, for int8 receptive fields of <= 15 values, the filter as int16 [k][out_c];
    # requant words as a constant
    k = kh * kw * ic
    scratch = rq = -1
    tail: list[int] = []
    if FAST and groups == 1 and not o.get("lean"):  # lean: the planner needs the bytes
        small = 2 * k * out_c if x.dtype == I8 and k <= SMALL_K else 0
        sl = kw * ic if kh > 1 and k > ROW_MAX else k  # qk__conv_row_len
        row = 2 * (-(-sl // KPAD) * KPAD)  # a multiple of 16 bytes, as C's row offset
        acc = (4 if x.dtype == I8 else 8) * min(out_c, ACC_CHUNK)  # int32 / int64 accumulators
        nbytes = row + acc + small
        if HOST_GEMM and pb.host_simd and x.dtype == I8 and w.is_const and (b is None or b.is_const):
            # host GEMM (qk__conv_gemm_vnni): its panel of px packed pixels lives in this
            # scratch, which it may grow to GEMM_SCRATCH bytes; 1x1 stride-1 convs need none
            kp = -(-k // 4) * 4
            direct = (kh == kw == 1 and o["stride_h"] == o["stride_w"] == 1
                      and geom[14] == geom[15] == 0 and ic % 4 == 0 and geom[7:9] == geom[1:3])
            fit = max(nbytes, GEMM_SCRATCH) // kp
            px = 0 if direct else next((p for p in (12, 6, 4, 2, 1) if p <= fit), None)
            if px is not None:
                nbytes = max(nbytes, px * kp)
                tail = [pb.const(gemm_pack(w.data), "gemm_filter"),
                        pb.const(gemm_bias(w.data, None if b is None else b.data, x.zero_point),
                                 "gemm_bias"), px]
        elif (pb.isa == "mve" and x.dtype == I8 and w.is_const and (b is None or b.is_const)
              and out_c >= 2 and k <= FOLD_MAX_K):
            # Helium plans: the bias with in_zp folded in, for Helium's int8 x int8 dots
            # (qk__conv_fold_mve), whose 3 interleaved int8 rows and a gather row (and 16 bytes
            # of slack) live in this scratch
            nbytes = max(nbytes, 4 * (-(-k // 16) * 16) + 16)
            tail = [pb.const(folded_bias(w.data, None if b is None else b.data, x.zero_point),
                             "conv_bias_folded")]
        scratch = pb.scratch(nbytes, "conv_row")
        if x.dtype == I8:
            rq = pb.const(rq_words(shift, mult, b, y.zero_point, pb.isa == "dsp"), "rq")
        rows = quad_rows(kh, kw, ic)
        if (pb.isa == "dsp" and x.dtype == I8 and w.is_const and rows is not None
                and geom[0] * -(-(geom[7] * geom[8]) // 4) >= W16_MIN_QUADS
                and not o.get("no_w16")):
            # DSP plans: the filter widened for the pair kernels (no_w16: dropped for flash)
            tail = [-1, -1, -1, pb.const(conv_w16(w.data, rows[0]), "conv_w16")]
    pb.emit(QK_OP_CONV2D, args + [
        scratch, rq, DTYPE_CODES[x.dtype], bias_code, *geom,
        x.zero_point, y.zero_point, lo, hi] + tail)


def quad_rows(kh: int, kw: int, ic: int) -> tuple[int, int] | None:
    """(values per row, rows per filter) of the Cortex-M DSP quad kernel (qk__conv_fast in
    qk_conv.c): the whole receptive field, or one filter row (kw * ic) at a time when the field
    (or ROW_MAX's segment) is too long for it; None when neither fits (no quad kernel)."""
    k = kh * kw * ic
    sl = kw * ic if kh > 1 and k > ROW_MAX else k  # qk__conv_row_len
    for n in (sl, kw * ic):
        if -(-n // 4) * 4 <= QUAD_MAX:
            return n, k // n
    return None


def conv_w16(w: np.ndarray, n: int) -> np.ndarray:
    """CONV_2D filter [out_c, kh, kw, ic] for the Cortex-M DSP pair kernel
    (qk_arm_dot2x2_run16), rows of n values (quad_rows): int16 [k / n][out_c / 2][np / 4][2][4]
    (np = n rounded up to 4; an odd out_c gets a zero filter), i.e. filters 2 q and 2 q + 1
    interleaved by group of four values, zero padded, each group pair-swapped (0, 2, 1, 3) as
    the SXTB16 halves of its int8 word, so the kernel loads both filters' group with one LDM.
    Twice the int8 filter's bytes, read only when the kernel runs enough quads to repay the
    per-invoke check against the int8 filter (W16_MIN_QUADS): the plan drops them first when
    over its flash budget (interp/plan.py)."""
    out_c = w.shape[0]
    nseg, n4, oc2 = w.size // out_c // n, -(-n // 4) * 4, -(-out_c // 2)
    r = np.zeros((nseg, 2 * oc2, n4), np.int16)
    r[:, :out_c, :n] = w.reshape(out_c, nseg, n).transpose(1, 0, 2)
    r = r.reshape(nseg, oc2, 2, n4 // 4, 4)[..., [0, 2, 1, 3]].transpose(0, 1, 3, 2, 4)
    return np.ascontiguousarray(r)


def gemm_pack(w: np.ndarray) -> np.ndarray:
    """CONV_2D filter [out_c, kh, kw, ic] as the host GEMM wants it: 16-channel blocks of
    [kp / 4][16][4] int8 (kp = kh * kw * ic rounded up to 4), zero padded."""
    out_c = w.shape[0]
    k = w.size // out_c
    kp, ocp = -(-k // 4) * 4, -(-out_c // 16) * 16
    p = np.zeros((ocp, kp), np.int8)
    p[:out_c, :k] = w.reshape(out_c, k)
    return np.ascontiguousarray(p.reshape(ocp // 16, 16, kp // 4, 4).transpose(0, 2, 1, 3))


def gemm_bias(w: np.ndarray, b: np.ndarray | None, in_zp: int) -> np.ndarray:
    """bias - (in_zp + 128) * sum(w) per channel (int32, wrapping), zero padded to 16s: the
    GEMM sums (x + 128) * w over every tap, padded taps at in_zp + 128."""
    return folded_bias(w, b, in_zp + 128, 16)


def folded_bias(w: np.ndarray, b: np.ndarray | None, off: int, pad: int = 1) -> np.ndarray:
    """bias - off * sum(w) per channel (int32, wrapping), zero padded to a multiple of pad: the
    bias of a kernel that sums (x - in_zp + off) * w over every tap, padded taps at off."""
    out_c = w.shape[0]
    eff = np.zeros(-(-out_c // pad) * pad, np.int64)
    eff[:out_c] = -off * w.reshape(out_c, -1).astype(np.int64).sum(axis=1)
    if b is not None:
        eff[:out_c] += b.astype(np.int64).reshape(-1)
    return ((eff + 2**31) % 2**32 - 2**31).astype(np.int32)


@register("DEPTHWISE_CONV_2D")
def lower_depthwise_conv2d(op: Operator, pb: PlanBuilder) -> None:
    x, w, b, y, o = _check_common(op)
    if o.get("in_place"):  # chosen by the planner at the arena peak (interp/plan.py)
        return lower_depthwise_in_place(op, pb, out_size_and_pad)
    one, kh, kw, out_c = w.shape
    ic = x.shape[3]
    if one != 1:
        raise ModelError(f"{op.describe()}: depthwise filter must have leading dimension 1")
    if y.shape[3] != out_c:
        raise ModelError(f"{op.describe()}: output channels {y.shape[3]} != filter channels {out_c}")
    dm = o["depth_multiplier"]
    if ic < 1 or dm < 1 or ic * dm != out_c:
        raise ModelError(f"{op.describe()}: {ic} input channels x depth_multiplier {dm} "
                         f"!= {out_c} output channels")
    if kh * kw > MAX_DEPTH:
        raise unsupported(op, f"filter size {kh * kw} above {MAX_DEPTH}")
    if (FAST and pb.isa in ("dsp", "mve") and ic == 1 and x.dtype == I8 and w.is_const
            and out_c >= 2 and not o.get("lean") and kh * kw <= FOLD_MAX_K):
        # DSP and Helium plans: one input channel is the CONV_2D with the filter
        # [out_c, kh, kw, 1] (the same sums and requant, TFLM's reference kernels agree), whose
        # paths there are faster than the depthwise one-channel path
        wt = np.ascontiguousarray(w.data.reshape(kh * kw, out_c).T.reshape(out_c, kh, kw, 1))
        assert w.quant is not None
        wc = dataclasses.replace(w, shape=wt.shape, data=wt,
                                 quant=dataclasses.replace(w.quant, axis=0))
        return _lower_conv2d(op, pb, x, wc, b, y, o, pb.const(wt, "dw_filter_conv"))
    geom = _geometry(op, x, y, kh, kw, o)
    geom[6] = dm
    scales = _filter_scales(op, w, out_c)
    if x.dtype == I8:
        bias_code = _bias(op, x, b, out_c, (I32,))
    else:  # TFLM's int16 depthwise reads the bias as int64 only
        bias_code = _bias(op, x, b, out_c, (I64,))
    mult, shift, lo, hi = _requant(op, x, scales, y, out_c, x.dtype == I16)
    args = [pb.tensor(x), pb.tensor(w), pb.tensor(b), pb.const(mult), pb.const(shift), pb.tensor(y)]
    # int8 fast path: scratch for a chunk of int32 accumulators (and with one input channel an
    # int16 receptive-field row, or the phase rows below); requant words and the filter in the
    # fast path's layout (ft) as constants
    scratch = rq = ft = -1
    tail: list[int] = []
    if FAST and x.dtype == I8 and not o.get("lean"):  # lean: the planner needs the bytes
        acc_n = min(out_c, max(ACC_CHUNK, dm))
        extra = 0
        if ic == 1:  # int16 row [ks] in scratch, the filter as a constant int8 [out_c][ks]
            ks = -(-kh * kw // KPAD) * KPAD
            extra = 2 * ks
            if w.is_const:
                wt = np.zeros((out_c, ks), np.int8)
                wt[:, :kh * kw] = w.data.reshape(kh * kw, out_c).T
                ft = pb.const(wt, "dw_filter_t")
            else:  # a run-time filter: the plain path
                extra = -1
        # few channels: runs of pixels with the filter tiled (a constant) and, with stride_w > 1,
        # the input rows split into phases in scratch (qk__dw_phase_bytes in C)
        if dm == 1 and 1 < ic <= DW_TILE_MAX_C and kh * kw <= DW_TILE_MAX_TAPS:
            sw = o["stride_w"]
            phase = 0 if sw == 1 else kh * sw * -(-x.shape[2] // sw) * ic
            if sw == 1 or (ic < 32 and phase <= DW_PHASE_MAX):
                tile = (128 if ic <= 16 else 256) // ic * ic  # QK__DW_TILE(ic)
                acc_n, extra = max(acc_n, tile), phase
                if w.is_const:  # the filter tiled along each tap, as a constant
                    tiled = np.tile(w.data.reshape(kh * kw, ic), (1, tile // ic))
                    ft = pb.const(np.ascontiguousarray(tiled), "dw_filter_tiled")
                else:  # a run-time filter: the plain path
                    extra = -1
        # Helium plans: the bias with in_zp folded in, for qk__dw_mve, which keeps a row of in_zp
        # (the padded taps) in the scratch, and after it a copy of an output row's input rows
        # padded with in_zp (kh rows of the columns its taps span), or of as many pixels' as
        # o["dw_strip"] bytes hold (set by the planner where the whole row would grow the arena)
        # (from 8 channels on: it vectorizes over channels, 16 or 8 at a time)
        fold = (pb.isa == "mve" and dm == 1 and ic >= 8 and w.is_const
                and (b is None or b.is_const) and kh * kw <= DW_FOLD_MAX_TAPS)
        strip = dw_strip_bytes(geom, o.get("dw_strip"))
        # DSP 3x3 stride 1 (qk__dw_dsp_pairs): input rows widened into scratch, 3 rows of
        # (out_w + 1) // 2 pixel pairs of 8 ic bytes, then ic bytes for an odd last pixel's
        # twin and ic for the padding; from DW_PAIRS_MIN_W output columns (narrower rows spend
        # more on the widening, the twin and the filter check than the pairs save: kws's 5)
        pairs = (pb.isa == "dsp" and dm == 1 and w.is_const and (b is None or b.is_const)
                 and kh == kw == 3 and ic % 4 == 0 and geom[8] >= DW_PAIRS_MIN_W
                 and geom[10] == geom[11] == geom[12] == geom[13] == 1)
        wide = 24 * ic * ((geom[8] + 1) // 2) + 2 * ic if pairs else 0
        if extra >= 0:
            scratch = pb.scratch(max(4 * acc_n + extra, ic + strip if fold else 0, wide),
                                 "dw_acc")
            rq = pb.const(rq_words(shift, mult, b, y.zero_point, pb.isa == "dsp"), "rq")
            if fold:  # (slot 33: after the host's dw_w32 and the DSP's dw_w16)
                tail = [-1, -1, pb.const(folded_bias(w.data.reshape(-1, out_c).T,
                                                     None if b is None else b.data, x.zero_point),
                                         "dw_bias_folded")]
                if ic > 16:  # slot 34: the filter in 16-channel blocks (16 channels are already)
                    tail.append(pb.const(dw_fb16(w.data), "dw_fb16"))
    if HOST_GEMM and pb.host_simd and scratch >= 0 and dm == 1 and w.is_const:
        tail = [pb.const(dw_w32(w.data), "dw_w32")]
    elif (pb.isa == "dsp" and scratch >= 0 and dm == 1 and w.is_const and kh == kw == 3
          and geom[12] == geom[13] == 1 and ic >= 4):
        if pairs:  # stride 1: the pixel-pair kernel's filter (slot 35)
            tail = [-1, -1, -1, -1, pb.const(dw_pairs(w.data, None if b is None else b.data),
                                             "dw_pairs")]
        else:  # the DSP 3x3 kernel's filter
            tail = [-1, pb.const(dw_w16(w.data), "dw_w16")]
    pb.emit(QK_OP_DEPTHWISE_CONV2D, args + [
        scratch, rq, ft, DTYPE_CODES[x.dtype], bias_code, *geom,
        x.zero_point, y.zero_point, lo, hi] + tail)


def dw_strip_bytes(geom: list[int], budget: int | None) -> int:
    """Bytes of qk__dw_mve's strip for the most pixels of an output row (all of them without a
    budget) whose strip fits `budget` bytes; 0 if not one does (qk__dw_strip_n in C)."""
    ic, kh, kw, ow, sw, dw = geom[3], geom[4], geom[5], geom[8], geom[11], geom[13]
    n = ow
    if budget is not None:
        cols, span = budget // (kh * ic), (kw - 1) * dw + 1
        n = 0 if cols < span else min(ow, (cols - span) // sw + 1)
    return kh * ((n - 1) * sw + (kw - 1) * dw + 1) * ic if n else 0


def dw_w32(w: np.ndarray) -> np.ndarray:
    """Depthwise filter [1, kh, kw, c] for the host SIMD path: int32 [kh * kw][c rounded up to
    16], each weight as a zero-extended int16 (w & 0xFFFF), zero padded."""
    c = w.shape[3]
    out = np.zeros((w.size // c, -(-c // 16) * 16), np.int32)
    out[:, :c] = w.reshape(-1, c).astype(np.int32) & 0xFFFF
    return out


def dw_fb16(w: np.ndarray) -> np.ndarray:
    """Depthwise filter [1, kh, kw, c] for the Helium 16-channel kernel (qk_arm_dw16): int8
    [c // 16][kh * kw][16], each block's taps contiguous (its loads post-increment); the c % 16
    tail channels are left out."""
    c16 = w.shape[3] // 16 * 16
    blocks = w.reshape(-1, w.shape[3])[:, :c16].reshape(-1, c16 // 16, 16)
    return np.ascontiguousarray(blocks.transpose(1, 0, 2))


def dw_pairs(w: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """Depthwise 3x3 filter [1, 3, 3, c] (c % 4 == 0) and bias for the Cortex-M DSP stride-1
    kernel (qk_arm_dw3x3p): int32 [c // 2][14]: per channel pair and filter row, the int16
    pairs (w0, w1) of both channels, then (w1, w2) of both (SMLAD operands against two adjacent
    columns); then the two channels' biases (0 without one)."""
    c = w.shape[3]
    f = w.reshape(3, 3, c // 2, 2).astype(np.int64) & 0xFFFF  # [row][col][pair][channel]
    w01, w12 = f[:, 0] | f[:, 1] << 16, f[:, 1] | f[:, 2] << 16  # [row][pair][channel]
    taps = np.stack([w01, w12], axis=2).transpose(1, 0, 2, 3).reshape(c // 2, 12)
    b = np.zeros(c, np.int64) if bias is None else bias.astype(np.int64)
    out = np.concatenate([taps, b.reshape(c // 2, 2) & 0xFFFFFFFF], axis=1)
    return np.ascontiguousarray(out.astype(np.uint32).view(np.int32))


def dw_w16(w: np.ndarray) -> np.ndarray:
    """Depthwise 3x3 filter [1, 3, 3, c] for the Cortex-M DSP kernel (qk_arm_dw3x3): int16
    [c // 4][3 * 3][4], each block's four channels in pair-swapped order (0, 2, 1, 3); the
    c % 4 tail channels are left out (read from the filter itself)."""
    c4 = w.shape[3] // 4 * 4
    blocks = w.reshape(9, -1)[:, :c4].astype(np.int16).reshape(9, c4 // 4, 4)[:, :, [0, 2, 1, 3]]
    return np.ascontiguousarray(blocks.transpose(1, 0, 2))
