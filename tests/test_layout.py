"""PAD, PADV2, CONCATENATION, PACK, TRANSPOSE, STRIDED_SLICE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND:
differential tests against tflite-micro (and LiteRT BUILTIN_REF where it agrees)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import interp
from interp.errors import ModelError, UnsupportedOperatorError
from interp.ops.layout import resolve_strided_slice
from interp.writer import ModelWriter
from oracles import assert_matches_tflm, run_interp, run_litert, run_tflm

QUANT_TYPES = [np.int8, np.int16]
ALL_TYPES = [np.int8, np.int16, np.int32, np.float32]


def _random(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.standard_normal(shape).astype(dt)
    info = np.iinfo(dt)
    lo, hi = (info.min, info.max) if dt.itemsize <= 2 else (-(10**6), 10**6)
    return rng.integers(lo, hi, shape, endpoint=True).astype(dt)


def _qparams(dtype, scale: float, zp: int) -> dict:
    if np.dtype(dtype) == np.int8:
        return {"scale": scale, "zero_point": zp}
    if np.dtype(dtype) == np.int16:
        return {"scale": scale, "zero_point": 0}
    return {}


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4)
scales = st.floats(1e-4, 10.0)
zps = st.sampled_from([-128, -1, 0, 5, 127])
seeds = st.integers(0, 2**32 - 1)


# -- PAD ---------------------------------------------------------------------------------------
@given(shape=shapes, data=st.data(), dtype=st.sampled_from(ALL_TYPES), scale=scales, zp=zps,
       seed=seeds, v2=st.booleans())
def test_pad_matches_tflm(shape, data, dtype, scale, zp, seed, v2) -> None:
    pads = data.draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                              min_size=len(shape), max_size=len(shape)))
    rng = np.random.default_rng(seed)
    q = _qparams(dtype, scale, zp)
    w = ModelWriter()
    x = w.tensor(shape, dtype, **q)
    p = w.tensor((len(shape), 2), np.int32, data=pads)
    out_shape = [d + a + b for d, (a, b) in zip(shape, pads)]
    y = w.tensor(out_shape, dtype, **q)
    ins = [x, p]
    if v2:
        ins.append(w.tensor((1,), dtype, data=_random(rng, (1,), dtype), **q))
    w.op("PADV2" if v2 else "PAD", ins, [y], version=2 if not v2 else 1)
    w.inputs, w.outputs = [x], [y]
    assert_matches_tflm(w.to_bytes(), [_random(rng, shape, dtype)])


def test_pad_int8_uses_output_zero_point() -> None:
    w = ModelWriter()
    x = w.tensor((1, 2, 2, 1), np.int8, scale=0.5, zero_point=-7)
    p = w.tensor((4, 2), np.int32, data=[[0, 0], [1, 1], [1, 1], [0, 0]])
    y = w.tensor((1, 4, 4, 1), np.int8, scale=0.5, zero_point=-7)
    w.op("PAD", [x, p], [y], version=2)
    w.inputs, w.outputs = [x], [y]
    out = run_interp(w.to_bytes(), [np.full((1, 2, 2, 1), 9, np.int8)])[0]
    assert (out[0, 0] == -7).all() and (out[0, 1:3, 1:3] == 9).all()
    assert_matches_tflm(w.to_bytes(), [np.full((1, 2, 2, 1), 9, np.int8)])


# -- CONCATENATION / PACK --------------------------------------------------------------------------
@given(shape=shapes, data=st.data(), dtype=st.sampled_from(ALL_TYPES), scale=scales, zp=zps,
       seed=seeds)
def test_concatenation_matches_tflm(shape, data, dtype, scale, zp, seed) -> None:
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    n = data.draw(st.integers(1, 4))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    rng = np.random.default_rng(seed)
    q = _qparams(dtype, scale, zp)
    w = ModelWriter()
    in_shapes = []
    for s in sizes:
        sh = list(shape)
        sh[axis] = s
        in_shapes.append(sh)
    const_k = data.draw(st.integers(-1, n - 1))  # one input may be a constant
    ins, feeds = [], []
    for k, sh in enumerate(in_shapes):
        if k == const_k:
            ins.append(w.tensor(sh, dtype, data=_random(rng, sh, dtype), **q))
        else:
            ins.append(w.tensor(sh, dtype, **q))
            feeds.append(_random(rng, sh, dtype))
    assume(feeds)
    out_shape = list(shape)
    out_shape[axis] = sum(sizes)
    y = w.tensor(out_shape, dtype, **q)
    w.op("CONCATENATION", ins, [y], {"axis": axis}, version=3)
    w.inputs, w.outputs = [t for k, t in enumerate(ins) if k != const_k], [y]
    assert_matches_tflm(w.to_bytes(), feeds)


def test_concatenation_int8_mixed_quantization_is_unsupported() -> None:
    # TFLM's Prepare rejects int8 inputs whose scale or zero point differs from the output's
    # (it never requantizes; LiteRT would), so we refuse them too.
    w = ModelWriter()
    a = w.tensor((1, 2, 3), np.int8, scale=0.5, zero_point=1)
    b = w.tensor((1, 2, 2), np.int8, scale=0.25, zero_point=1)
    y = w.tensor((1, 2, 5), np.int8, scale=0.5, zero_point=1)
    w.op("CONCATENATION", [a, b], [y], {"axis": -1}, version=3)
    w.inputs, w.outputs = [a, b], [y]
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=w.to_bytes())


@given(seed=seeds, s1=scales, s2=scales, pack=st.booleans())
def test_int16_mixed_scales_copy_like_tflm(seed, s1, s2, pack) -> None:
    # TFLM copies int16 CONCATENATION inputs, and PACK inputs of any type, unchanged whatever
    # their scales; LiteRT requantizes or rejects, so only TFLM is the oracle here.
    rng = np.random.default_rng(seed)
    dt = np.int16 if not pack else np.int8
    w = ModelWriter()
    a = w.tensor((1, 2, 3), dt, scale=s1, zero_point=0)
    b = w.tensor((1, 2, 3), dt, scale=s2, zero_point=0 if not pack else 7)
    if pack:
        y = w.tensor((1, 2, 2, 3), dt, scale=s1, zero_point=0)
        w.op("PACK", [a, b], [y], {"values_count": 2, "axis": 2})
    else:
        y = w.tensor((1, 2, 6), dt, scale=s1, zero_point=0)
        w.op("CONCATENATION", [a, b], [y], {"axis": -1}, version=3)
    w.inputs, w.outputs = [a, b], [y]
    xa, xb = _random(rng, (1, 2, 3), dt), _random(rng, (1, 2, 3), dt)
    assert_matches_tflm(w.to_bytes(), [xa, xb], litert=False)
    want = np.stack([xa, xb], 2) if pack else np.concatenate([xa, xb], -1)
    np.testing.assert_array_equal(run_interp(w.to_bytes(), [xa, xb])[0], want)


@given(shape=shapes, data=st.data(), dtype=st.sampled_from(ALL_TYPES), scale=scales, zp=zps,
       seed=seeds)
def test_pack_matches_tflm(shape, data, dtype, scale, zp, seed) -> None:
    shape = shape[:3]
    nd = len(shape) + 1
    axis = data.draw(st.integers(-nd, nd - 1))
    n = data.draw(st.integers(1, 4))
    rng = np.random.default_rng(seed)
    q = _qparams(dtype, scale, zp)
    w = ModelWriter()
    ins = [w.tensor(shape, dtype, **q) for _ in range(n)]
    out_shape = list(shape)
    out_shape.insert(axis % nd, n)
    y = w.tensor(out_shape, dtype, **q)
    w.op("PACK", ins, [y], {"values_count": n, "axis": axis}, version=2)
    w.inputs, w.outputs = ins, [y]
    feeds = [_random(rng, shape, dtype) for _ in range(n)]
    assert_matches_tflm(w.to_bytes(), feeds)
    np.testing.assert_array_equal(run_interp(w.to_bytes(), feeds)[0], np.stack(feeds, axis))


# -- TRANSPOSE -------------------------------------------------------------------------------------
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=6), data=st.data(),
       dtype=st.sampled_from([np.int8, np.int16, np.float32]), seed=seeds)
def test_transpose_matches_tflm(shape, data, dtype, seed) -> None:
    perm = data.draw(st.permutations(range(len(shape))))
    rng = np.random.default_rng(seed)
    q = _qparams(dtype, 0.1, 3)
    w = ModelWriter()
    x = w.tensor(shape, dtype, **q)
    p = w.tensor((len(shape),), np.int32, data=perm)
    y = w.tensor([shape[i] for i in perm], dtype, **q)
    w.op("TRANSPOSE", [x, p], [y], version=2)
    w.inputs, w.outputs = [x], [y]
    feed = _random(rng, shape, dtype)
    np.testing.assert_array_equal(run_interp(w.to_bytes(), [feed])[0], np.transpose(feed, perm))
    if len(shape) <= 5:
        assert_matches_tflm(w.to_bytes(), [feed])
    else:  # TFLM's TRANSPOSE stops at 5-D; LiteRT's goes to 6-D, as ours does
        np.testing.assert_array_equal(run_interp(w.to_bytes(), [feed])[0],
                                      run_litert(w.to_bytes(), [feed])[0])


def test_transpose_int32_matches_litert() -> None:
    # TFLM's TRANSPOSE has no int32 kernel; ours moves elements of any size, checked by LiteRT.
    w = ModelWriter()
    x = w.tensor((2, 3, 4), np.int32)
    p = w.tensor((3,), np.int32, data=[2, 0, 1])
    y = w.tensor((4, 2, 3), np.int32)
    w.op("TRANSPOSE", [x, p], [y])
    w.inputs, w.outputs = [x], [y]
    feed = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    np.testing.assert_array_equal(run_interp(w.to_bytes(), [feed])[0], run_litert(w.to_bytes(), [feed])[0])


# -- STRIDED_SLICE ---------------------------------------------------------------------------------
@given(shape=shapes, data=st.data(), dtype=st.sampled_from(ALL_TYPES + [np.bool_]), seed=seeds)
def test_strided_slice_matches_tflm(shape, data, dtype, seed) -> None:
    nd = len(shape)
    begin, end, strides = [], [], []
    for size in shape:  # mostly non-empty slices, indices given in either sign, some out of range
        stride = data.draw(st.sampled_from([-3, -2, -1, 1, 2, 3]))
        b = data.draw(st.integers(0, size - 1))
        e = (data.draw(st.integers(b + 1, size + 2)) if stride > 0
             else data.draw(st.integers(-2, b - 1)))
        if data.draw(st.booleans()):
            b -= size
        if e < 0 or (e < size and data.draw(st.booleans())):
            e -= size
        begin.append(b)
        end.append(e)
        strides.append(stride)
    masks = [data.draw(st.integers(0, 2**nd - 1)) for _ in range(3)]
    # a shrunk axis with a negative stride makes TFLM write nothing (unsupported, tested below)
    strides = [abs(v) if masks[2] >> i & 1 else v for i, v in enumerate(strides)]
    try:
        starts, _, counts, out_shape = resolve_strided_slice(shape, begin, end, strides, *masks)
    except ValueError:
        assume(False)
        return
    assume(all(c > 0 for c in counts))
    rng = np.random.default_rng(seed)
    q = _qparams(dtype, 0.1, -3)
    w = ModelWriter()
    x = w.tensor(shape, dtype, **q)
    b, e, s = (w.tensor((nd,), np.int32, data=v) for v in (begin, end, strides))
    y = w.tensor(out_shape, dtype, **q)
    w.op("STRIDED_SLICE", [x, b, e, s], [y], {"begin_mask": masks[0], "end_mask": masks[1],
                                                "shrink_axis_mask": masks[2]}, version=4)
    w.inputs, w.outputs = [x], [y]
    feed = (rng.integers(0, 2, shape) > 0) if dtype == np.bool_ else _random(rng, shape, dtype)
    # numpy slicing is a second reference for the index logic
    idx = tuple(slice(None if masks[0] >> i & 1 else bb, None if masks[1] >> i & 1 else ee, ss)
                if not masks[2] >> i & 1 else starts[i]
                for i, (bb, ee, ss) in enumerate(zip(begin, end, strides)))
    np.testing.assert_array_equal(run_interp(w.to_bytes(), [feed])[0], feed[idx])
    assert_matches_tflm(w.to_bytes(), [feed])


# -- SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND -----------------------------------------------------------
def _s2b_model(shape, block, pads, dtype, q):
    nd = len(shape)
    w = ModelWriter()
    x = w.tensor(shape, dtype, **q)
    bt = w.tensor((nd - 2,), np.int32, data=block)
    pt = w.tensor((nd - 2, 2), np.int32, data=pads)
    spatial = [(shape[1 + i] + pads[i][0] + pads[i][1]) // block[i] for i in range(nd - 2)]
    out_shape = [shape[0] * int(np.prod(block))] + spatial + [shape[-1]]
    y = w.tensor(out_shape, dtype, **q)
    w.op("SPACE_TO_BATCH_ND", [x, bt, pt], [y], version=3)
    w.inputs, w.outputs = [x], [y]
    return w.to_bytes()


@given(data=st.data(), nd=st.sampled_from([3, 4]), dtype=st.sampled_from([np.int8, np.float32]),
       zp=zps, seed=seeds)
def test_space_to_batch_nd(data, nd, dtype, zp, seed) -> None:
    m = nd - 2
    block = data.draw(st.lists(st.integers(1, 3), min_size=m, max_size=m))
    pads, shape = [], [data.draw(st.integers(1, 2))]
    for i in range(m):
        a, b = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
        size = data.draw(st.integers(1, 3)) * block[i] - a - b
        assume(size >= 1)
        pads.append([a, b])
        shape.append(size)
    shape.append(data.draw(st.integers(1, 3)))
    model = _s2b_model(shape, block, pads, dtype, _qparams(dtype, 0.25, zp))
    feed = _random(np.random.default_rng(seed), shape, dtype)
    # TFLM pads with SpaceToBatchParams.output_offset, which its Prepare never initializes, so
    # the padded elements depend on whatever the arena held (different arena sizes give
    # different outputs). We follow LiteRT (the output zero point); TFLM is the oracle only
    # when nothing is padded.
    np.testing.assert_array_equal(run_interp(model, [feed])[0], run_litert(model, [feed])[0])
    if not np.any(pads):
        assert_matches_tflm(model, [feed])


@given(data=st.data(), nd=st.sampled_from([3, 4]), dtype=st.sampled_from([np.int8, np.float32]),
       seed=seeds)
def test_batch_to_space_nd_matches_tflm(data, nd, dtype, seed) -> None:
    m = nd - 2
    block = data.draw(st.lists(st.integers(1, 3), min_size=m, max_size=m))
    out_b = data.draw(st.integers(1, 2))
    shape = [out_b * int(np.prod(block))]
    crops, out_shape = [], [out_b]
    for i in range(m):
        size = data.draw(st.integers(1, 3))
        a = data.draw(st.integers(0, block[i] - 1))
        b = data.draw(st.integers(0, max(0, size * block[i] - a - 1)))
        crops.append([a, b])
        shape.append(size)
        out_shape.append(size * block[i] - a - b)
    depth = data.draw(st.integers(1, 3))
    shape.append(depth)
    out_shape.append(depth)
    q = _qparams(dtype, 0.25, 3)
    w = ModelWriter()
    x = w.tensor(shape, dtype, **q)
    bt = w.tensor((m,), np.int32, data=block)
    ct = w.tensor((m, 2), np.int32, data=crops)
    y = w.tensor(out_shape, dtype, **q)
    w.op("BATCH_TO_SPACE_ND", [x, bt, ct], [y], version=3)
    w.inputs, w.outputs = [x], [y]
    assert_matches_tflm(w.to_bytes(), [_random(np.random.default_rng(seed), shape, dtype)])


# -- a small multi-op model --------------------------------------------------------------------------
@given(seed=seeds, zp=zps, scale=scales)
def test_layout_chain_matches_tflm(seed, zp, scale) -> None:
    """NCHW input -> TRANSPOSE -> PAD -> STRIDED_SLICE -> CONCATENATION with a PACKed tensor."""
    q = {"scale": scale, "zero_point": zp}
    w = ModelWriter()
    x = w.tensor((1, 3, 4, 5), np.int8, **q)
    t = w.tensor((1, 4, 5, 3), np.int8, **q)
    w.op("TRANSPOSE", [x, w.tensor((4,), np.int32, data=[0, 2, 3, 1])], [t], version=2)
    p = w.tensor((1, 6, 7, 3), np.int8, **q)
    w.op("PAD", [t, w.tensor((4, 2), np.int32, data=[[0, 0], [1, 1], [1, 1], [0, 0]])], [p],
         version=2)
    s = w.tensor((1, 3, 4, 3), np.int8, **q)
    consts = [w.tensor((4,), np.int32, data=v) for v in ([0, 0, 0, 0], [1, 6, 7, 3], [1, 2, 2, 1])]
    w.op("STRIDED_SLICE", [p, *consts], [s], version=2)
    a = w.tensor((1, 3, 4), np.int8, **q)
    b = w.tensor((1, 3, 4), np.int8, **q)
    k = w.tensor((1, 3, 4, 2), np.int8, **q)
    w.op("PACK", [a, b], [k], {"values_count": 2, "axis": 3})
    y = w.tensor((1, 3, 4, 5), np.int8, **q)
    w.op("CONCATENATION", [s, k], [y], {"axis": 3}, version=2)
    w.inputs, w.outputs = [x, a, b], [y]
    rng = np.random.default_rng(seed)
    feeds = [_random(rng, (1, 3, 4, 5), np.int8), _random(rng, (1, 3, 4), np.int8),
             _random(rng, (1, 3, 4), np.int8)]
    assert_matches_tflm(w.to_bytes(), feeds)


# -- error cases -------------------------------------------------------------------------------------
def _one_op(name, in_specs, out_spec, options=None, inputs=None):
    w = ModelWriter()
    ids = [w.tensor(*s[:2], **s[2]) if len(s) > 2 else w.tensor(*s) for s in in_specs]
    y = w.tensor(*out_spec)
    w.op(name, ids, [y], options)
    w.inputs, w.outputs = [ids[i] for i in (inputs or [0])], [y]
    return w.to_bytes()


def test_pad_rejects_negative_paddings() -> None:
    m = _one_op("PAD", [((4,), np.int8), ((1, 2), np.int32, {"data": [[-1, 0]]})], ((3,), np.int8))
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=m)


def test_pad_rejects_wrong_output_shape() -> None:
    m = _one_op("PAD", [((4,), np.int8), ((1, 2), np.int32, {"data": [[1, 0]]})], ((6,), np.int8))
    with pytest.raises(ModelError):
        interp.Interpreter(model_content=m)


def test_pad_rejects_runtime_paddings() -> None:
    m = _one_op("PAD", [((4,), np.int8), ((1, 2), np.int32)], ((6,), np.int8), inputs=[0, 1])
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=m)


def test_strided_slice_rejects_new_axis_mask() -> None:
    c = {"data": [0, 0]}
    m = _one_op("STRIDED_SLICE", [((2, 2), np.int8), ((2,), np.int32, c), ((2,), np.int32, c),
                                  ((2,), np.int32, {"data": [1, 1]})], ((0, 0), np.int8),
                {"new_axis_mask": 1})
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=m)


def test_strided_slice_rejects_zero_stride() -> None:
    c = {"data": [0, 0]}
    m = _one_op("STRIDED_SLICE", [((2, 2), np.int8), ((2,), np.int32, c), ((2,), np.int32, c),
                                  ((2,), np.int32, {"data": [1, 0]})], ((0, 0), np.int8))
    with pytest.raises(ModelError):
        interp.Interpreter(model_content=m)


def test_concatenation_rejects_fused_activation() -> None:
    m = _one_op("CONCATENATION", [((2,), np.int8), ((2,), np.int8)], ((4,), np.int8),
                {"axis": 0, "fused_activation_function": 1}, inputs=[0, 1])
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=m)


def test_concatenation_rejects_mismatched_shapes() -> None:
    m = _one_op("CONCATENATION", [((2, 3), np.int8), ((3, 3), np.int8)], ((5, 4), np.int8),
                {"axis": 0}, inputs=[0, 1])
    with pytest.raises(ModelError):
        interp.Interpreter(model_content=m)


def test_transpose_rejects_bad_perm() -> None:
    m = _one_op("TRANSPOSE", [((2, 3), np.int8), ((2,), np.int32, {"data": [0, 0]})], ((2, 3), np.int8))
    with pytest.raises(ModelError):
        interp.Interpreter(model_content=m)


def test_layout_rejects_unsupported_dtype() -> None:
    m = _one_op("TRANSPOSE", [((2, 3), np.float16), ((2,), np.int32, {"data": [1, 0]})],
                ((3, 2), np.float16))
    with pytest.raises((UnsupportedOperatorError, ModelError)):
        interp.Interpreter(model_content=m)


def test_batch_to_space_rejects_inconsistent_crops() -> None:
    m = _one_op("BATCH_TO_SPACE_ND", [((4, 2, 2, 1), np.int8), ((2,), np.int32, {"data": [2, 2]}),
                                      ((2, 2), np.int32, {"data": [[0, 0], [0, 0]]})],
                ((1, 3, 4, 1), np.int8))
    with pytest.raises(ModelError):
        interp.Interpreter(model_content=m)


def test_strided_slice_rejects_shrink_with_negative_stride() -> None:
    # TFLM's loop for a shrunk axis runs from start to start + 1 by the stride, so a negative
    # stride copies nothing and leaves the output uninitialized.
    m = _one_op("STRIDED_SLICE", [((3,), np.int8), ((1,), np.int32, {"data": [1]}),
                                  ((1,), np.int32, {"data": [2]}),
                                  ((1,), np.int32, {"data": [-1]})], ((), np.int8),
                {"shrink_axis_mask": 1})
    with pytest.raises(UnsupportedOperatorError):
        interp.Interpreter(model_content=m)
